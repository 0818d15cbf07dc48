"""Cells and files: how a spreadsheet someone sends becomes values, for both importers.

The admin's import (django-import-export, ``kpis.resources``) and the fast transport
import (``kpis.transport_import``) read files and cells here, so a file means the same
thing whichever way it comes in and is refused with the same Dutch sentence.

Cells
-----
Nothing depends on the user's language: a cell that could be read two ways (``1.234``:
one thousand two hundred and thirty-four, or one point two three four?) is refused with
a message that says how to write it instead. Every refusal is a ``CellError`` (a
``ValueError``) with a Dutch message; the caller adds the row and the column.

- dates: ``2021-03-15`` or ``15-03-2021`` (day and month may have one digit), a date cell,
  or a date-time cell (its date); months ``2021-03`` or ``03-2021`` (``parse_month``);
- whole numbers in digits only, decimals with at most one separator and two decimals;
- yes/no: ``1``/``0``, ``ja``/``nee``, ``true``/``false``;
- references to other records by their fixed code (any case) or, where the model has a
  unique name, that name (``References``): one query per file, not one per row.

Files
-----
``inspect`` looks at a file before anything parses it: its size against
``BNF_IMPORT_MAX_BYTES`` (default 20 MB), what it is (CSV text or an XLSX workbook; an old
``.xls``, an OpenDocument sheet, another zip file or binary data are refused), for text
its encoding (UTF-8, UTF-8 with BOM, UTF-16, Windows-1252; read as such and reported, or
refused where it cannot be told), and for XLSX the uncompressed size of every part in the
zip's central directory against ``BNF_IMPORT_MAX_XLSX_PART_BYTES`` (default 100 MB), so a
decompression bomb is refused before openpyxl opens it. ``records`` then yields the rows,
header first, and refuses a NUL character (PostgreSQL cannot store it) and XLSX formula
and error cells (a formula's value is whatever the program that saved it last computed,
if anything), naming the row, the column and the cell. A refusal of the file is a
``FileRefused`` with the same Dutch message for both importers.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import hashlib
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_XLSX_PART_BYTES = 100 * 1024 * 1024


class CellError(ValueError):
    """A cell value that cannot be used; the message says why, in Dutch."""


class FileRefused(ValueError):
    """A file that is not read at all, or a cell that stops the reading; Dutch message.

    ``row`` (as a spreadsheet numbers it: the header is row 1) and ``column`` (the
    column's name in the file) say where, when it is one place.
    """

    def __init__(self, message: str, *, row: int | None = None, column: str = ""):
        super().__init__(message)
        self.message, self.row, self.column = message, row, column

    def __str__(self):
        if self.row is None:
            return self.message
        if not self.column:
            return _("Rij %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return _("Rij %(row)s, kolom '%(column)s': %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


# --- cells ---------------------------------------------------------------------------

_WHOLE = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(?:[.,][0-9]{1,2})?")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_DUTCH_DATE = re.compile(r"([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})")
_ISO_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_DUTCH_MONTH = re.compile(r"([0-9]{1,2})-([0-9]{4})")

# Text a spreadsheet would read as a formula (OWASP CSV injection); every export and
# the imports' error files write cells through ``neutralise_formula``.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """Prefix a text cell that a spreadsheet would read as a formula with a quote.

    Numbers (including negative ones) are not text and stay numbers.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


TRUE_TEXT = frozenset({"1", "ja", "j", "true", "waar", "yes"})
FALSE_TEXT = frozenset({"0", "nee", "n", "false", "onwaar", "no"})


def is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value) -> str:
    """A cell value quoted in a message, kept short."""
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def text(value) -> str:
    """A cell as text, stripped; a whole number a spreadsheet stored as ``12.0`` is ``12``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _year_in(year: int, years: tuple[int, int] | None, shown_as: str) -> None:
    if years is not None and not years[0] <= year <= years[1]:
        raise CellError(
            _("'%(value)s': het jaar %(year)s ligt niet tussen %(min)s en %(max)s.")
            % {"value": shown(shown_as), "year": year, "min": years[0], "max": years[1]}
        )


def _date(year: int, month: int, day: int, shown_as: str, years) -> datetime.date:
    _year_in(year, years, shown_as)
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise CellError(
            _("'%(value)s' is geen bestaande datum.") % {"value": shown(shown_as)}
        ) from None


def parse_date(value, *, years: tuple[int, int] | None = None) -> datetime.date | None:
    """``2021-03-15``, ``15-03-2021`` (or ``5-3-2021``), a date cell or a date-time cell.

    Empty is None. ``years`` (first, last) refuses a year outside that range.
    """
    if is_empty(value):
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        _year_in(value.year, years, value.isoformat())
        return value
    cell = text(value) if not isinstance(value, bool) else str(value)
    if match := _ISO_DATE.fullmatch(cell):
        year, month, day = match.groups()
    elif match := _DUTCH_DATE.fullmatch(cell):
        day, month, year = match.groups()
    else:
        raise CellError(
            _("'%(value)s' is geen datum. Schrijf 2021-03-15 of 15-03-2021.")
            % {"value": shown(cell)}
        )
    return _date(int(year), int(month), int(day), cell, years)


def parse_month(value, *, years: tuple[int, int] | None = None) -> datetime.date | None:
    """``2021-03``, ``03-2021`` (or a date on the first of a month): its first day."""
    if is_empty(value):
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        shown_as = value.isoformat()
        _year_in(value.year, years, shown_as)
    else:
        shown_as = text(value)
        if match := _ISO_MONTH.fullmatch(shown_as):
            year, month = match.groups()
        elif match := _DUTCH_MONTH.fullmatch(shown_as):
            month, year = match.groups()
        else:
            try:
                value = parse_date(shown_as, years=years)
            except CellError as error:
                if _ISO_DATE.fullmatch(shown_as) or _DUTCH_DATE.fullmatch(shown_as):
                    raise
                raise CellError(
                    _("'%(value)s' is geen maand. Schrijf 2021-03 of 03-2021.")
                    % {"value": shown(shown_as)}
                ) from error
        if not isinstance(value, datetime.date):
            if not 1 <= int(month) <= 12:
                raise CellError(
                    _("'%(value)s' is geen bestaande maand.") % {"value": shown(shown_as)}
                )
            return _date(int(year), int(month), 1, shown_as, years)
    if value.day != 1:
        raise CellError(
            _("'%(value)s' is een datum, geen maand. Schrijf 2021-03 of 03-2021.")
            % {"value": shown(shown_as)}
        )
    return value


def parse_whole_number(value, *, minimum: int | None = None, maximum: int | None = None):
    """A whole number in digits only: ``1234``, never ``1.234``, ``1,234`` or ``+3``.

    Empty is None. A number cell is taken as it is (``12.0`` is 12, ``12.5`` refused).
    """
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellError(_("'%(value)s' is geen getal.") % {"value": value})
    if isinstance(value, float | Decimal):
        if value != int(value):
            raise CellError(_("'%(value)s' is geen geheel getal.") % {"value": shown(value)})
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        cell = str(value).strip()
        if not _WHOLE.fullmatch(cell):
            raise CellError(
                _(
                    "'%(value)s' is geen geheel getal. Schrijf het in cijfers, zonder punt of "
                    "komma en zonder spatie: 1234, niet 1.234 of 1,234 (een punt kan "
                    "duizendtallen of decimalen betekenen; de import raadt niet)."
                )
                % {"value": shown(cell)}
            )
        number = int(cell)
    if minimum is not None and number < minimum:
        raise CellError(
            _("Dit getal is minstens %(minimum)s, niet %(value)s.")
            % {"minimum": minimum, "value": number}
        )
    if maximum is not None and number > maximum:
        raise CellError(
            _("Het getal %(value)s is te groot (hoogstens %(maximum)s).")
            % {"value": number, "maximum": maximum}
        )
    return number


def parse_decimal(value) -> Decimal | None:
    """An amount with at most one decimal separator (``.`` or ``,``) and 1–2 decimals.

    ``263568.50`` and ``263568,50`` are read the same; ``263.568,50`` and ``1.234`` are
    refused: they mean one thing to a Dutch reader and another to an English one.
    """
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellError(_("'%(value)s' is geen getal.") % {"value": value})
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        # A spreadsheet number cell: its shortest exact text, never the binary fraction
        # (0.1 is 0.1, not 0.1000000000000000055...).
        return Decimal(repr(value))
    cell = str(value).strip()
    if _DECIMAL.fullmatch(cell):
        try:
            return Decimal(cell.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern only lets numbers in
            pass
    raise CellError(
        _(
            "'%(value)s' is geen eenduidig getal. Schrijf het zonder scheidingsteken "
            "voor de duizendtallen en met hoogstens twee cijfers achter een punt of "
            "komma: bijvoorbeeld 1234 of 263568.50, niet 1.234 of 263.568,50."
        )
        % {"value": shown(cell)}
    )


def parse_bool(value) -> bool | None:
    """Yes or no: ``1``/``0``, ``ja``/``nee``, ``true``/``false``; empty is None."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    cell = str(value).strip().casefold()
    if cell in TRUE_TEXT:
        return True
    if cell in FALSE_TEXT:
        return False
    raise CellError(
        _("'%(value)s' is geen ja of nee; schrijf ja of nee (of 1 of 0).") % {"value": shown(value)}
    )


def normalised(value) -> str:
    """A name as compared: case and runs of spaces do not matter."""
    return " ".join(str(value).split()).casefold()


class References:
    """Records of one model by their fixed code, loaded with one query when first needed.

    ``key`` is the field a file uses (``code``, ``slug``, ``username``, ``name``), in any
    case; ``alternative`` a second unique field that is accepted too (an organisation's
    name), as long as it cannot point at another record than the code does. With
    ``qualifies`` only some records may be named (the transport's libraries); naming
    another gives "'x' is geen <what> (maar: <describe(record)>)".
    """

    def __init__(
        self,
        model,
        key: str,
        alternative: str | None = None,
        *,
        what: str | None = None,
        qualifies: Callable[[object], bool] | None = None,
        describe: Callable[[object], str] = str,
    ):
        self.model, self.key, self.alternative = model, key, alternative
        self.what = what
        self.qualifies, self.describe = qualifies, describe
        self.reset()

    def reset(self):
        self._by_key = None
        self._found = {}  # cell -> record, or the CellError why there is none

    def get(self, value):
        """The record a cell names; CellError (Dutch) when there is none."""
        if value not in self._found:
            try:
                self._found[value] = self.find(value)
            except CellError as error:
                self._found[value] = error
        found = self._found[value]
        if found.__class__ is CellError:
            raise found
        return found

    def key_of(self, pk) -> str:
        """The code of the record with this id."""
        if self._by_key is None:
            self._load()
        return self._by_pk[pk]

    def _load(self):
        self._by_key, self._by_folded, self._by_alternative, self._by_pk = {}, {}, {}, {}
        self._others = {}  # records that may not be named, by code and name
        for obj in self.model._default_manager.all():
            code = str(getattr(obj, self.key))
            self._by_pk[obj.pk] = code
            if self.qualifies is not None and not self.qualifies(obj):
                self._others.setdefault(code.casefold(), obj)
                if self.alternative:
                    self._others.setdefault(normalised(getattr(obj, self.alternative)), obj)
                continue
            self._by_key[code] = obj
            # Two codes that differ only in case: only the exact one finds either.
            self._by_folded[code.casefold()] = None if code.casefold() in self._by_folded else obj
            if self.alternative:
                self._by_alternative[normalised(getattr(obj, self.alternative))] = obj

    def find(self, value):
        if self._by_key is None:
            self._load()
        cell = text(value)
        if not cell:
            if self.alternative:
                raise CellError(
                    _("Vul de code of naam van een %(what)s in.") % {"what": self._what()}
                )
            raise CellError(_("Vul de code van een %(what)s in.") % {"what": self._what()})
        found = self._by_key.get(cell) or self._by_folded.get(cell.casefold())
        other = self._by_alternative.get(normalised(cell)) if self.alternative else None
        if found is not None and other is not None and other != found:
            raise CellError(
                _("'%(value)s' is de code van %(one)s en de naam van %(other)s; gebruik de code.")
                % {"value": shown(cell), "one": found, "other": other}
            )
        found = found or other
        if found is None:
            raise CellError(self.unknown_message(cell))
        return found

    def _what(self) -> str:
        return str(self.what or self.model._meta.verbose_name)

    def unknown_message(self, cell: str) -> str:
        what = self._what()
        other = self._others.get(cell.casefold()) or self._others.get(normalised(cell))
        if other is not None:
            return _("'%(value)s' is geen %(what)s (maar: %(other)s).") % {
                "value": shown(cell),
                "what": what,
                "other": self.describe(other),
            }
        if self.key == "username":
            return _("Onbekende gebruikersnaam '%(value)s'.") % {"value": shown(cell)}
        if self.key == "name":
            return _("Onbekende %(what)s '%(value)s'.") % {"what": what, "value": shown(cell)}
        if self.alternative:
            return _("Onbekende %(what)s '%(value)s' (geen code of naam van een %(what)s).") % {
                "what": what,
                "value": shown(cell),
            }
        return _("Onbekende code van %(what)s '%(value)s'.") % {"what": what, "value": shown(cell)}


# --- headers ------------------------------------------------------------------------


def header_key(cell) -> str:
    """A column name as compared: case, spaces and underscores do not matter.

    ``Aantal deelnemers``, ``aantal_deelnemers`` and ``AANTAL  DEELNEMERS`` are one column.
    """
    if cell is None:
        return ""
    return " ".join(str(cell).replace("_", " ").split()).casefold()


# --- files: limits ------------------------------------------------------------------


def max_bytes() -> int:
    """``BNF_IMPORT_MAX_BYTES``: the largest file either importer reads (0: no limit)."""
    return int(getattr(settings, "BNF_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_xlsx_part_bytes() -> int:
    """``BNF_IMPORT_MAX_XLSX_PART_BYTES``: the largest uncompressed part of an XLSX file."""
    return int(getattr(settings, "BNF_IMPORT_MAX_XLSX_PART_BYTES", DEFAULT_MAX_XLSX_PART_BYTES))


def megabytes(size: int) -> str:
    """``20 MB``, ``1,5 MB``: a size as a person reads it (1 MB = 1024 × 1024 bytes)."""
    value = size / (1024 * 1024)
    if value >= 10 or value == int(value):
        return f"{round(value)} MB"
    return f"{value:.1f} MB".replace(".", ",")


def check_size(size: int, limit: int | None = None) -> None:
    """Refuse a file larger than ``limit`` (default ``max_bytes()``; 0 means no limit)."""
    limit = max_bytes() if limit is None else limit
    if limit and size > limit:
        raise FileRefused(
            _(
                "Het bestand is %(size)s; er wordt hoogstens %(limit)s gelezen. Splits het in "
                "kleinere bestanden, bijvoorbeeld per jaar of per kwartaal."
            )
            % {"size": megabytes(size), "limit": megabytes(limit)}
        )


def not_xlsx(reason: str = "") -> FileRefused:
    message = _("Dit is geen geldig XLSX-bestand.")
    if reason:
        message = f"{message} {reason}"
    return FileRefused(
        message
        + " "
        + _("Sla het in Excel op als .xlsx of als 'CSV UTF-8 (door komma's gescheiden)'.")
    )


# --- files: what it is ----------------------------------------------------------------

XLSX, CSV = "xlsx", "csv"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and password-protected .xlsx
CHUNK = 1 << 20
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Inspection:
    """What ``inspect`` found: ``kind`` (``XLSX`` or ``CSV``), for CSV the encoding it is
    read with (a Python codec) and its name for people (``label``), and the file's size,
    SHA-256 and whether it holds a NUL byte somewhere."""

    kind: str
    size: int
    sha256: str
    encoding: str = ""
    label: str = ""
    has_nul: bool = False


def _size(binary) -> int:
    binary.seek(0, io.SEEK_END)
    size = binary.tell()
    binary.seek(0)
    return size


def inspect(binary, name: str = "", *, limit: int | None = None, expect: str = "") -> Inspection:
    """Look at a whole file before it is parsed; refuse it (FileRefused) if it cannot be.

    ``binary`` is a seekable binary file; ``name`` its name (the extension only helps the
    message); ``expect`` ``XLSX`` when the user said it is one; ``limit`` the largest size
    (default ``max_bytes()``, 0: none). Reads the file once (SHA-256, encoding, NUL bytes).
    """
    size = _size(binary)
    if size == 0:
        raise FileRefused(_("Het bestand is leeg (0 bytes)."))
    check_size(size, limit)
    start = binary.read(8)
    binary.seek(0)
    lower = name.lower()
    if start.startswith(ZIP_MAGIC):
        check_xlsx_archive(binary)
        return Inspection(XLSX, size, _sha256(binary))
    if start == OLE_MAGIC:
        raise FileRefused(
            _(
                "Dit is een oud Excel-bestand (.xls) of een bestand met een wachtwoord. Sla "
                "het op als .xlsx (zonder wachtwoord) of als 'CSV UTF-8 (door komma's "
                "gescheiden)'."
            )
        )
    if lower.endswith(".xlsx") or expect == XLSX:
        raise not_xlsx(_("Het is geen zip-bestand, zoals een XLSX-bestand altijd is."))
    if lower.endswith((".xls", ".ods", ".numbers")):
        raise FileRefused(
            _("Dit bestandstype wordt niet gelezen: sla het op als .xlsx of als CSV (UTF-8).")
        )
    return _inspect_text(binary, size, start)


def _sha256(binary) -> str:
    digest = hashlib.sha256()
    binary.seek(0)
    for chunk in iter(lambda: binary.read(CHUNK), b""):
        digest.update(chunk)
    binary.seek(0)
    return digest.hexdigest()


def _binary_refusal() -> FileRefused:
    return FileRefused(
        _(
            "Dit bestand is geen tekst (CSV) en geen XLSX: het bevat binaire gegevens. Sla "
            "het in Excel op als 'CSV UTF-8 (door komma's gescheiden)' of als .xlsx."
        )
    )


def _inspect_text(binary, size: int, start: bytes) -> Inspection:
    """Which encoding a text file is in, in one pass that also takes its SHA-256.

    Certain, and read as such: a byte-order mark (UTF-8 or UTF-16), valid UTF-8 (plain
    ASCII included), UTF-16 without a mark (every other byte a NUL). Otherwise the file
    is Windows-1252 (what Dutch Excel saves as "CSV (gescheiden door lijstscheidingsteken)")
    when every byte is a character there and none is a control character; refused when it
    starts as UTF-8 and then is not (two encodings in one file), or holds binary data.
    """
    if start.startswith(codecs.BOM_UTF8):
        encoding, label = "utf-8-sig", _("UTF-8 met BOM")
    elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, label = "utf-16", _("UTF-16")
    else:
        encoding, label = "utf-8", _("UTF-8")
        head = binary.read(4096)
        binary.seek(0)
        even, odd = head[0::2], head[1::2]
        if len(head) >= 8 and odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.05:
            encoding, label = "utf-16-le", _("UTF-16 (zonder BOM)")
        elif len(head) >= 8 and even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.05:
            encoding, label = "utf-16-be", _("UTF-16 (zonder BOM)")

    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)()
    valid, non_ascii_before_error, bad_line = True, False, 0
    has_nul = False
    lines = 0
    first = None
    utf16 = encoding.startswith("utf-16")
    for chunk in iter(lambda: binary.read(CHUNK), b""):
        digest.update(chunk)
        if valid:
            try:
                decoded = decoder.decode(chunk)
            except UnicodeDecodeError as error:
                valid = False
                good = chunk[: error.start]
                non_ascii_before_error = non_ascii_before_error or not good.isascii()
                bad_line = lines + good.count(b"\n") + 1
            else:
                if first is None:
                    first = decoded[:65536]
                if utf16:
                    has_nul = has_nul or "\x00" in decoded
                else:
                    non_ascii_before_error = non_ascii_before_error or not chunk.isascii()
        if not utf16:
            has_nul = has_nul or b"\x00" in chunk
            lines += chunk.count(b"\n")
    binary.seek(0)
    if valid:
        try:
            first = (first or "") + decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid, bad_line = False, lines + 1
    if valid:
        sample = (first or "")[:65536]
        if len(_CONTROL_CHARS.findall(sample)) > max(len(sample) // 100, 3):
            raise _binary_refusal()
        return Inspection(CSV, size, digest.hexdigest(), encoding, str(label), has_nul)
    if encoding != "utf-8":
        raise FileRefused(
            _(
                "Het bestand begint als %(label)s, maar rond regel %(line)s is het dat niet "
                "meer. Sla het in Excel op als 'CSV UTF-8 (door komma's gescheiden)' of "
                "gebruik .xlsx."
            )
            % {"label": label, "line": bad_line}
        )
    if non_ascii_before_error:
        raise FileRefused(
            _(
                "Het bestand heeft twee tekensets door elkaar: het begint als UTF-8, maar "
                "rond regel %(line)s is het geen UTF-8 meer. Sla het in Excel op als 'CSV "
                "UTF-8 (door komma's gescheiden)' of gebruik .xlsx."
            )
            % {"line": bad_line}
        )
    # Not UTF-8: Windows-1252 if every byte is a character there (a second pass, only
    # for such files).
    for chunk in iter(lambda: binary.read(CHUNK), b""):
        if _CONTROL_BYTES.search(chunk) or _CP1252_UNDEFINED.search(chunk):
            binary.seek(0)
            raise _binary_refusal()
    binary.seek(0)
    return Inspection(CSV, size, digest.hexdigest(), "cp1252", _("Windows-1252"), False)


def check_xlsx_archive(binary, part_limit: int | None = None) -> None:
    """An XLSX workbook whose parts are none of them too large once unpacked.

    Reads only the zip's central directory (and the small list of content types), never
    a part itself: a part that unpacks to more than ``part_limit`` (default
    ``max_xlsx_part_bytes()``) is refused before openpyxl would load it. Python's
    ``zipfile`` never unpacks more than the size the directory states, so the check holds.
    """
    part_limit = max_xlsx_part_bytes() if part_limit is None else part_limit
    binary.seek(0)
    try:
        with zipfile.ZipFile(binary) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            for info in infos:
                if info.flag_bits & 0x1:
                    raise not_xlsx(_("Het is versleuteld."))
                if part_limit and info.file_size > part_limit:
                    raise FileRefused(
                        _(
                            "Het XLSX-bestand bevat een onderdeel ('%(part)s') dat uitgepakt "
                            "%(size)s is; meer dan %(limit)s per onderdeel wordt niet gelezen. "
                            "Sla het op als CSV of splits het bestand."
                        )
                        % {
                            "part": shown(info.filename),
                            "size": megabytes(info.file_size),
                            "limit": megabytes(part_limit),
                        }
                    )
            kind = _zip_kind(archive, names)
    except zipfile.BadZipFile:
        raise not_xlsx(_("Het zip-bestand is beschadigd.")) from None
    finally:
        binary.seek(0)
    if kind == "ods":
        raise FileRefused(
            _("Dit is een OpenDocument-rekenblad (.ods): sla het op als .xlsx of als CSV (UTF-8).")
        )
    if kind != XLSX:
        raise not_xlsx(_("Het is een zip-bestand zonder Excel-werkmap erin."))


def _zip_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "mimetype" in names and "content.xml" in names:
        return "ods"
    if "[Content_Types].xml" not in names:
        return "zip"
    info = archive.getinfo("[Content_Types].xml")
    if info.file_size > 1 << 20:
        return "zip"
    types = archive.read(info)
    return XLSX if b"spreadsheetml.sheet.main" in types or b"ms-excel.sheet" in types else "zip"


# --- files: rows ----------------------------------------------------------------------


def records(binary, inspection: Inspection) -> Iterator[list]:
    """The rows of an inspected file as lists of cells, the header first.

    The first sheet of a workbook; CSV separated by ``,``, ``;`` or a tab (whichever the
    header line has most of). Refuses (FileRefused, with row and column) a NUL character
    and, in a workbook, a formula or an error value.
    """
    binary.seek(0)
    if inspection.kind == XLSX:
        return _xlsx_records(binary)
    rows = _csv_records(binary, inspection.encoding)
    return _without_nul(rows) if inspection.has_nul else rows


def _csv_records(binary, encoding: str) -> Iterator[list]:
    stream = io.TextIOWrapper(binary, encoding=encoding, newline="")
    reader = None
    try:
        header = stream.readline()
        counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: (counts[d], d == ","))
        # itertools.chain, in C: no Python step per line (and no close() that would
        # close the stream under the caller).
        reader = csv.reader(itertools.chain((header,), stream), delimiter=delimiter)
        yield from reader
    except UnicodeDecodeError as error:  # pragma: no cover - inspect() read it already
        raise FileRefused(
            _("Het bestand is geen %(encoding)s-tekst (rond regel %(line)s).")
            % {"encoding": encoding, "line": (reader.line_num if reader else 0) + 1}
        ) from error
    except csv.Error as error:
        line = reader.line_num if reader else 1
        reason = str(error)
        if "field larger than field limit" in reason:
            reason = _("een cel is langer dan %(limit)s tekens") % {"limit": csv.field_size_limit()}
        raise FileRefused(
            _("Regel %(line)s is geen geldige CSV: %(error)s.") % {"line": line, "error": reason}
        ) from error
    finally:
        stream.detach()  # leave the caller's file open


def _column_name(header: list, index: int) -> str:
    name = text(header[index]) if index < len(header) else ""
    return name or column_letter(index)


def column_letter(index: int) -> str:
    """``A`` for the first column (index 0), ``AA`` for the 27th."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _without_nul(rows: Iterator[list]) -> Iterator[list]:
    with contextlib.closing(rows):  # the CSV reader lets go of the file at once
        yield from _checked_for_nul(rows)


def _checked_for_nul(rows: Iterator[list]) -> Iterator[list]:
    header = None
    for number, row in enumerate(rows, start=1):
        if header is None:
            header = row
        for index, cell in enumerate(row):
            if "\x00" in cell:
                raise FileRefused(
                    _(
                        "bevat een NUL-teken (het teken met code 0), dat niet kan worden "
                        "opgeslagen. Haal het weg of sla het bestand opnieuw op als 'CSV "
                        "UTF-8 (door komma's gescheiden)'."
                    ),
                    row=number,
                    column=_column_name(header, index),
                )
        yield row


def _xlsx_records(binary) -> Iterator[list]:
    import openpyxl  # only needed for workbooks

    try:
        # Not data_only: a formula cell must be seen as one (its cached value, if any, is
        # what the program that saved the file computed last).
        workbook = openpyxl.load_workbook(binary, read_only=True, data_only=False)
    except Exception as error:  # anything a malformed workbook makes openpyxl raise
        raise not_xlsx() from error
    try:
        if not workbook.worksheets:
            return
        rows = workbook.worksheets[0].iter_rows()
        header = None
        number = 0
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except Exception as error:  # malformed sheet XML
                raise not_xlsx() from error
            number += 1
            values = []
            for index, cell in enumerate(cells):
                kind = cell.data_type
                value = cell.value
                if kind == "f" or kind == "e":
                    raise _cell_refusal(cell, kind, value, header or values, index, number)
                # A TRUE cell would share a cached answer with 1 (True == 1 as a key).
                values.append(str(value) if value.__class__ is bool else value)
            if header is None:
                header = values
            yield values
    finally:
        workbook.close()


def _cell_refusal(cell, kind: str, value, header: list, index: int, row: int) -> FileRefused:
    reference = f"{column_letter(index)}{row}"
    if kind == "f":
        message = _(
            "cel %(cell)s bevat een formule (%(formula)s). De import leest geen formules: "
            "vervang ze door hun waarden (kopiëren en 'plakken als waarden') en sla het "
            "bestand opnieuw op."
        ) % {"cell": reference, "formula": shown(getattr(value, "text", value))}
    else:
        message = _("cel %(cell)s bevat een foutwaarde (%(value)s). Vul de juiste waarde in.") % {
            "cell": reference,
            "value": shown(value),
        }
    return FileRefused(message, row=row, column=_column_name(header, index))


def no_rows() -> FileRefused:
    return FileRefused(_("Het bestand heeft alleen een kopregel: er staan geen rijen onder."))


def read_table(
    content: bytes, name: str = "", *, expect: str = ""
) -> tuple[list, list, Inspection]:
    """A whole (small) file at once: ``(header, rows, inspection)``, every row as wide
    as the widest; refused when there is no header or no row under it. Trailing empty
    rows (a spreadsheet leaves them) are dropped; empty rows in between are kept, so
    that row numbers stay those of the file."""
    binary = io.BytesIO(content)
    inspection = inspect(binary, name, expect=expect)
    rows = list(records(binary, inspection))
    while rows and all(is_empty(cell) for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise FileRefused(_("Het bestand is leeg: er is geen kopregel."))
    header, data = rows[0], rows[1:]
    if not data:
        raise no_rows()
    width = max(len(row) for row in rows)
    filler = "" if inspection.kind == CSV else None
    header = header + [None] * (width - len(header))
    data = [row if len(row) == width else row + [filler] * (width - len(row)) for row in data]
    return header, data, inspection
