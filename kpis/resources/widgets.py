"""How one spreadsheet cell becomes one model value, and back.

The same file must mean the same thing whoever imports it, so nothing here depends on
the user's language: a cell that could be read two ways (``1.234``: one thousand two
hundred and thirty-four, or one point two three four?) is refused with a message that
says how to write it instead. Every refusal is a ``ValueError`` with a Dutch message;
the resource reports it with the row and the column.

Related records are written by their fixed code (organisation ``code``, the ``slug``
of themes, channels, kinds, funders and funds, the adviser's username), never by
database id, and are looked up once per import rather than once per row.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from import_export import widgets

from kpis.exports import neutralise_formula

_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?\d+(?:[.,]\d{1,2})?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DUTCH_DATE = re.compile(r"(\d{2})-(\d{2})-(\d{4})")


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value) -> str:
    """A cell value quoted in a message, kept short."""
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def restore_formula(value: str) -> str:
    """Undo ``kpis.exports.neutralise_formula``: an exported ``'=x`` imports as ``=x``.

    So a file that was exported and is imported again gives back the same text.
    """
    if value.startswith("'") and neutralise_formula(value[1:]) == value:
        return value[1:]
    return value


class TextWidget(widgets.CharWidget):
    """Text as written; an empty cell is an empty text."""

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a spreadsheet turned the text "2021" into a number
        return restore_formula(str(value))

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class ChoiceWidget(TextWidget):
    """A fixed choice by its code (``awarded``) or its Dutch label (``toegekend``)."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.by_label = {str(label).casefold(): code for code, label in choices}
        self.codes = {code for code, _label in choices}

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs).strip()
        if not text or text in self.codes:
            return text
        code = self.by_label.get(text.casefold())
        if code is None:
            raise ValueError(
                _("Onbekende keuze '%(value)s'. Kies uit: %(codes)s.")
                % {"value": _shown(text), "codes": ", ".join(sorted(self.codes))}
            )
        return code


class BooleanWidget(widgets.BooleanWidget):
    """Yes or no: ``1``/``0``, ``ja``/``nee``, ``true``/``false``; empty is no value."""

    TRUE_TEXT = {"1", "ja", "j", "true", "waar", "yes"}
    FALSE_TEXT = {"0", "nee", "n", "false", "onwaar", "no"}

    def clean(self, value, row=None, **kwargs):
        if _is_empty(value):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = str(value).strip().casefold()
        if text in self.TRUE_TEXT:
            return True
        if text in self.FALSE_TEXT:
            return False
        raise ValueError(
            _("'%(value)s' is geen ja of nee; schrijf 1 of 0 (of ja of nee).")
            % {"value": _shown(value)}
        )


class IntegerWidget(widgets.IntegerWidget):
    """A whole number written with digits only: ``1234``, never ``1.234`` or ``1,234``."""

    def clean(self, value, row=None, **kwargs):
        if _is_empty(value):
            return None
        if isinstance(value, bool):
            raise ValueError(_("'%(value)s' is geen getal.") % {"value": value})
        if isinstance(value, int):
            return value
        if isinstance(value, float | Decimal):
            if value == int(value):
                return int(value)
            raise ValueError(_("'%(value)s' is geen geheel getal.") % {"value": _shown(value)})
        text = str(value).strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        raise ValueError(
            _(
                "'%(value)s' is geen geheel getal. Schrijf alleen cijfers, zonder punt, "
                "komma of spatie voor de duizendtallen: bijvoorbeeld 1234, niet 1.234."
            )
            % {"value": _shown(text)}
        )

    def render(self, value, obj=None, **kwargs):
        return value  # a number stays a number, also in CSV: no thousands separators


class DecimalWidget(widgets.DecimalWidget):
    """An amount with at most one decimal separator (``.`` or ``,``) and 1–2 decimals.

    ``263568.50`` and ``263568,50`` are read the same; ``263.568,50`` and ``1.234`` are
    refused: they mean one thing to a Dutch reader and another to an English one.
    """

    def clean(self, value, row=None, **kwargs):
        if _is_empty(value):
            return None
        if isinstance(value, bool):
            raise ValueError(_("'%(value)s' is geen getal.") % {"value": value})
        if isinstance(value, int | Decimal):
            return Decimal(value)
        if isinstance(value, float):
            # A spreadsheet number cell: its shortest exact text, never the binary
            # fraction (0.1 is 0.1, not 0.1000000000000000055...).
            return Decimal(repr(value))
        text = str(value).strip()
        if _DECIMAL.fullmatch(text):
            try:
                return Decimal(text.replace(",", "."))
            except InvalidOperation:  # pragma: no cover - the pattern only lets numbers in
                pass
        raise ValueError(
            _(
                "'%(value)s' is geen eenduidig getal. Schrijf het zonder scheidingsteken "
                "voor de duizendtallen en met hoogstens twee cijfers achter een punt of "
                "komma: bijvoorbeeld 1234 of 263568.50, niet 1.234 of 263.568,50."
            )
            % {"value": _shown(text)}
        )

    def render(self, value, obj=None, **kwargs):
        return value


class DateWidget(widgets.DateWidget):
    """A date as ``2021-03-15`` (ISO) or ``15-03-2021`` (Dutch), or a date cell."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)
        self.reset()

    def reset(self):
        self._parsed = {}  # a file has far fewer distinct dates than rows

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            if value not in self._parsed:
                self._parsed[value] = self.parse(value)
            return self._parsed[value]
        return self.parse(value)

    def parse(self, value):
        if _is_empty(value):
            return None
        if isinstance(value, datetime.datetime):
            if value.time() == datetime.time(0, 0):
                return value.date()
        elif isinstance(value, datetime.date):
            return value
        else:
            text = str(value).strip()
            if match := _ISO_DATE.fullmatch(text):
                year, month, day = match.groups()
            elif match := _DUTCH_DATE.fullmatch(text):
                day, month, year = match.groups()
            else:
                year = None
            if year is not None:
                try:
                    return datetime.date(int(year), int(month), int(day))
                except ValueError:
                    pass
        raise ValueError(
            _("'%(value)s' is geen datum. Schrijf 2021-03-15 of 15-03-2021.")
            % {"value": _shown(value)}
        )

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        if kwargs.get("force_native_type"):
            return value  # a real date cell in XLSX
        return value.isoformat()


class NaturalKeyLookup:
    """Records of one model by their fixed code, loaded with one query when first needed.

    ``key`` is the field a file uses (``code``, ``slug``, ``username``, ``name``);
    ``alternative`` a second unique field that is accepted too (an organisation's
    name), as long as it cannot point at another record than the code does.
    """

    def __init__(self, model, key: str, alternative: str | None = None):
        self.model = model
        self.key = key
        self.alternative = alternative
        self.reset()

    def reset(self):
        self._by_key = None
        self._found = {}  # cell -> record, or the message why there is none

    def get(self, value):
        if value not in self._found:
            try:
                self._found[value] = self.find(value)
            except ValueError as error:
                self._found[value] = str(error)
        found = self._found[value]
        if isinstance(found, str):
            raise ValueError(found)
        return found

    def key_of(self, pk) -> str:
        """The code of the record with this id."""
        if self._by_key is None:
            self._load()
        return self._by_pk[pk]

    def _load(self):
        self._by_key, self._by_alternative, self._by_pk = {}, {}, {}
        for obj in self.model._default_manager.all():
            self._by_key[str(getattr(obj, self.key))] = obj
            self._by_pk[obj.pk] = str(getattr(obj, self.key))
            if self.alternative:
                self._by_alternative[_normalised(getattr(obj, self.alternative))] = obj

    def find(self, value):
        if self._by_key is None:
            self._load()
        text = str(value).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        found = self._by_key.get(text)
        other = self._by_alternative.get(_normalised(text)) if self.alternative else None
        if found is not None and other is not None and other != found:
            raise ValueError(
                _("'%(value)s' is de code van %(one)s en de naam van %(other)s; gebruik de code.")
                % {"value": _shown(text), "one": found, "other": other}
            )
        found = found or other
        if found is None:
            raise ValueError(self.unknown_message(text))
        return found

    def unknown_message(self, text: str) -> str:
        what = self.model._meta.verbose_name
        if self.key == "username":
            return _("Onbekende gebruikersnaam '%(value)s'.") % {"value": _shown(text)}
        if self.key == "name":
            return _("Onbekende %(what)s '%(value)s'.") % {"what": what, "value": _shown(text)}
        return _("Onbekende code van %(what)s '%(value)s'.") % {
            "what": what,
            "value": _shown(text),
        }


def _normalised(text) -> str:
    return " ".join(str(text).split()).casefold()


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key written as the related record's code."""

    def __init__(self, model, key: str, alternative: str | None = None, **kwargs):
        super().__init__(model, field=key, **kwargs)
        self.lookup = NaturalKeyLookup(model, key, alternative)

    def reset(self):
        self.lookup.reset()

    def clean(self, value, row=None, **kwargs):
        if _is_empty(value):
            return None
        return self.lookup.get(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(getattr(value, self.field))


class NaturalKeysWidget(widgets.ManyToManyWidget):
    """A many-to-many field written as codes separated by commas: ``fmb, dnb``."""

    def __init__(self, model, key: str, alternative: str | None = None, **kwargs):
        super().__init__(model, separator=",", field=key, **kwargs)
        self.lookup = NaturalKeyLookup(model, key, alternative)

    def reset(self):
        self.lookup.reset()
        self._lists = {}  # the same few combinations come back row after row

    def clean(self, value, row=None, **kwargs):
        if value not in self._lists:
            try:
                self._lists[value] = self.find_all(value)
            except ValueError as error:
                self._lists[value] = str(error)
        found = self._lists[value]
        if isinstance(found, str):
            raise ValueError(found)
        return list(found)

    def find_all(self, value):
        if _is_empty(value):
            return []
        found, errors = {}, []
        for part in str(value).split(self.separator):
            if not part.strip():
                continue
            try:
                obj = self.lookup.get(part)
            except ValueError as error:
                errors.append(str(error))
            else:
                found[obj.pk] = obj
        if errors:
            raise ValueError(" ".join(errors))
        return list(found.values())

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        # .all() uses the export's prefetch; sorting keeps the file stable.
        return ", ".join(sorted(str(getattr(related, self.field)) for related in value.all()))
