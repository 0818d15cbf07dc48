"""How one spreadsheet cell becomes one model value, and back (django-import-export).

The reading itself is ``kpis.core.cells``, shared with the fast transport import: strict
numbers and dates whatever the user's language, related records by their fixed code.
Every refusal is a ``ValueError`` with a Dutch message; the resource reports it with
the row and the column. What is written is what a person reads back: choices by their
Dutch label, yes/no as ``ja``/``nee``, dates as ``2021-03-15``, numbers without
thousands separators; each of them imports again as it was.

Related records are written by their fixed code (organisation ``code``, the ``slug``
of themes, channels, kinds, funders and funds, the adviser's username), never by
database id, and are looked up once per import rather than once per row.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from import_export import widgets

from kpis.core import cells
from kpis.core.cells import neutralise_formula


def restore_formula(value: str) -> str:
    """Undo ``kpis.core.cells.neutralise_formula``: an exported ``'=x`` imports as ``=x``.

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
    """A fixed choice by its Dutch label (``toegekend``) or its code (``awarded``).

    Written as the label: what a person reads in the admin.
    """

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = list(choices)
        self.codes = {code for code, _label in self.choices}

    def clean(self, value, row=None, **kwargs):
        cell = super().clean(value, row, **kwargs).strip()
        if not cell or cell in self.codes:
            return cell
        by_label = {str(label).casefold(): code for code, label in self.choices}
        code = by_label.get(cell.casefold())
        if code is None:
            raise cells.CellError(
                _("Onbekende keuze '%(value)s'. Kies uit: %(labels)s.")
                % {"value": cells.shown(cell), "labels": self.labels()}
            )
        return code

    def labels(self) -> str:
        return ", ".join(str(label) for _code, label in self.choices)

    def render(self, value, obj=None, **kwargs):
        if value is None or value == "":
            return ""
        return str(dict(self.choices).get(value, value))


class BooleanWidget(widgets.BooleanWidget):
    """Yes or no: ``ja``/``nee``, ``1``/``0``, ``true``/``false``; empty is no value."""

    def clean(self, value, row=None, **kwargs):
        return cells.parse_bool(value)

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type") or value is None:
            return value if value is not None else ""
        return _("ja") if value else _("nee")


class Parsed:
    """A widget whose text cells are read once per file: the same few counts, amounts
    and dates come back row after row. A refusal is kept too, and raised again."""

    parse = staticmethod(lambda value: value)

    def reset(self):
        self._parsed = {}

    def clean(self, value, row=None, **kwargs):
        if not isinstance(value, str):
            return self.parse(value)
        parsed = self._parsed.get(value, self)
        if parsed is self:
            try:
                parsed = self.parse(value)
            except cells.CellError as error:
                parsed = error
            self._parsed[value] = parsed
        if parsed.__class__ is cells.CellError:
            raise parsed.with_traceback(None)  # not one traceback on top of another
        return parsed


class IntegerWidget(Parsed, widgets.IntegerWidget):
    """A whole number written with digits only: ``1234``, never ``1.234`` or ``1,234``."""

    parse = staticmethod(cells.parse_whole_number)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.reset()

    def render(self, value, obj=None, **kwargs):
        return value  # a number stays a number, also in CSV: no thousands separators


class DecimalWidget(Parsed, widgets.DecimalWidget):
    """An amount with at most one decimal separator and 1–2 decimals (``cells``)."""

    parse = staticmethod(cells.parse_decimal)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.reset()

    def render(self, value, obj=None, **kwargs):
        return value


class DateWidget(Parsed, widgets.DateWidget):
    """A date as ``2021-03-15`` (ISO) or ``15-03-2021`` (Dutch), or a date cell."""

    parse = staticmethod(cells.parse_date)

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)
        self.reset()

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        if kwargs.get("force_native_type"):
            return value  # a real date cell in XLSX
        return value.isoformat()


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key written as the related record's code."""

    def __init__(self, model, key: str, alternative: str | None = None, **kwargs):
        super().__init__(model, field=key, **kwargs)
        self.lookup = cells.References(model, key, alternative)

    def reset(self):
        self.lookup.reset()

    def clean(self, value, row=None, **kwargs):
        if cells.is_empty(value):
            return None
        return self.lookup.get(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(getattr(value, self.field))


class NaturalKeysWidget(widgets.ManyToManyWidget):
    """A many-to-many field written as codes (or names) separated by commas."""

    def __init__(self, model, key: str, alternative: str | None = None, **kwargs):
        super().__init__(model, separator=",", field=key, **kwargs)
        self.lookup = cells.References(model, key, alternative)

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
            raise cells.CellError(found)
        return list(found)

    def find_all(self, value):
        if cells.is_empty(value):
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
            raise cells.CellError(" ".join(errors))
        return list(found.values())

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        # .all() uses the export's prefetch; sorting keeps the file stable.
        return ", ".join(sorted(str(getattr(related, self.field)) for related in value.all()))
