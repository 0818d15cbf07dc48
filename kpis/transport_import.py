"""Fast import of transport reservations from a CSV or XLSX file, and undoing one.

One function, ``import_transport``, serves the admin upload ("Snel importeren") and
``manage.py import_transport``. It is all-or-nothing: every row is checked first and
every problem is reported (row, column, Dutch message); only a file without a single
error is written, in one transaction, as one ``ImportBatch`` that can be undone as a
whole (``kpis.core.import_batches.undo_batch``).

The file
--------
Read by ``kpis.core.cells``, as the admin's other imports are: the first sheet of an
``.xlsx`` file, or a CSV file (UTF-8 with or without BOM, UTF-16, or Windows-1252; the
encoding read is in ``ImportResult.encoding``) whose delimiter, ``,``, ``;`` or a tab,
is read from the header line; at most ``BNF_IMPORT_MAX_BYTES``; XLSX formulas, NUL
characters and oversized XLSX parts refused. The first row holds the column names, in
any order and any case; other columns are ignored (an export from the admin, with its
``batch`` column, imports as it is).

``datum``
    Delivery date: ``2021-03-15`` or ``15-03-2021`` (or a date cell in XLSX).
``maand``
    Instead of ``datum``, for a monthly total: ``2021-03`` or ``03-2021``; stored as
    the first day of that month with period "maand". A file may have both columns;
    each row then fills exactly one of them.
``periode`` (optional, with ``datum``)
    ``dag`` (the default) or ``maand``; a monthly total has the first day of the month
    as its ``datum``. This is how the admin export writes it.
``van`` / ``naar``
    The library that delivered / received the reservations: its code (``fmb``, any
    case) or its name. Only organisations of the kind "bibliotheek" qualify, and
    the two must differ.
``aantal``
    Number of reservations, a whole number of at least 1 written with digits only.
    ``1.234`` or ``1,5`` is refused, never guessed (thousands or decimals?).

Row numbers are those a spreadsheet shows: the header is row 1, the first data row is
row 2. Empty rows are skipped. A date in a closed year is an error, and the file's
years are checked once more inside the writing transaction. Two monthly totals for the
same month and pair of libraries are refused (both rows named); day rows may repeat, as
a list of single reservations does.

A busy database
---------------
On PostgreSQL the writing transaction waits at most ``BNF_IMPORT_LOCK_TIMEOUT``
seconds (default 30) for a lock on a table it writes (``SET LOCAL lock_timeout``), say
while a restore or migration holds the transport table. A lock timeout, a statement
timeout or another operational error of the database (``django.db.OperationalError``,
which wraps psycopg's ``LockNotAvailable`` and ``QueryCanceled``) rolls the import back
and raises ``DatabaseBusy``, whose Dutch message says that nothing was imported and to
try again later; the admin shows it on the upload form, the command as its error.

Speed and memory
----------------
Libraries and closed years are read once (no query per row); dates, months,
quantities and library names are parsed once per distinct value. The file is read as
a stream; checked rows are kept as the text PostgreSQL's ``COPY`` reads, one string per
``BATCH_SIZE`` rows (about 30 bytes a row, no object per row). PostgreSQL receives them
with ``COPY``; a large file (``BULK_LOAD_ROWS``) is loaded with the table's secondary
indexes dropped and rebuilt in the same transaction. Its foreign keys stay: dropping or
adding one would lock the organisations and import batches, so that every page reading
them waited for the import (``manage.py benchmark_writers --import-rows``). Keeping them
costs a check per row and key, which PostgreSQL runs before the indexes are rebuilt: the
write takes several times as long as with the keys dropped. Other databases get one
``executemany`` INSERT per ``BATCH_SIZE`` rows. XLSX is read far slower (openpyxl), fine
for the tens of thousands of rows a year brings.

Export
------
``export_queryset`` and ``export_csv_lines`` stream the raw rows as CSV (the admin's
``export-csv/`` URL): read with ``iterator(chunk_size=EXPORT_CHUNK)``, so memory stays
flat whatever the number of rows.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpis.core import cells, year_policy
from kpis.core.cells import FileRefused
from kpis.core.year_policy import ImplausibleDateError, ensure_years_open
from kpis.models import ClosedYear, ClosedYearError, ImportBatch, Organisation, TransportReservation

logger = logging.getLogger(__name__)

MODEL_LABEL = TransportReservation._meta.label_lower  # "kpis.transportreservation"
SOURCE_ADMIN = "admin"
SOURCE_COMMAND = "opdrachtregel"

BATCH_SIZE = 5_000
"""Rows per ``COPY`` write on PostgreSQL, and per ``executemany`` elsewhere."""
PROGRESS_EVERY = 50_000
"""The progress callback is called after every so many rows (and at the end)."""
MAX_ERRORS = 1_000
"""Errors kept with their details; beyond this they are only counted."""
MAX_QUANTITY = 2_147_483_647  # PositiveIntegerField on PostgreSQL
MIN_YEAR = 1990

COLUMNS = ("datum", "maand", "periode", "van", "naar", "aantal")
REQUIRED = ("van", "naar", "aantal")

DAY, MONTH = TransportReservation.Period.DAY, TransportReservation.Period.MONTH
PERIOD_WORDS = {"dag": DAY, "day": DAY, "maand": MONTH, "month": MONTH}

Progress = Callable[[str, int], None]
"""``progress(stage, rows)``: stage ``"gecontroleerd"`` (checked) or ``"geschreven"``."""


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` as a spreadsheet numbers it (None: the file as a whole)."""

    row: int | None
    column: str
    message: str

    def __str__(self):
        if self.row is None:
            return self.message
        if not self.column:
            return _("rij %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return _("rij %(row)s, kolom '%(column)s': %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ImportResult:
    batch: ImportBatch | None = None
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    """All errors found; ``errors`` holds the first ``MAX_ERRORS`` of them."""
    file_name: str = ""
    checksum: str = ""
    encoding: str = ""
    """How a CSV file was read ("UTF-8", "Windows-1252", ...); empty for XLSX."""

    @property
    def ok(self) -> bool:
        return self.batch is not None

    @property
    def errors_not_listed(self) -> int:
        return self.error_count - len(self.errors)

    def add_error(self, row: int | None, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, column, str(message)))


class DatabaseBusy(Exception):
    """The database could not take the import now (a lock or statement timeout, or
    another operational error); nothing was written. The message is Dutch, for the user."""


DEFAULT_LOCK_TIMEOUT = 30
"""Seconds the writing transaction waits for a lock, unless ``BNF_IMPORT_LOCK_TIMEOUT``."""

# SQLSTATEs of a database that is busy rather than broken: lock_not_available (the
# lock_timeout), query_canceled (the statement_timeout), deadlock_detected,
# serialization_failure.
BUSY_SQLSTATES = {"55P03", "57014", "40P01", "40001"}


# --- public API ------------------------------------------------------------------------


def import_transport(
    file,
    *,
    file_name: str | None = None,
    user=None,
    source: str = SOURCE_ADMIN,
    progress: Progress | None = None,
    progress_every: int | None = None,
    max_bytes: int | None = None,
) -> ImportResult:
    """Check every row of ``file`` and, only if all are valid, store them as one batch.

    ``file`` is a path or a binary file object (an upload); ``file_name`` defaults to
    the path's name. Returns an ``ImportResult``: ``batch`` is set on success, else
    ``errors`` says why nothing was written. ``progress`` is called every
    ``progress_every`` rows (default ``PROGRESS_EVERY``) of each stage, and at its end.
    ``max_bytes`` is the largest file read (default ``BNF_IMPORT_MAX_BYTES``; 0: no limit).
    """
    if isinstance(file, str | os.PathLike):
        with open(file, "rb") as handle:
            return import_transport(
                handle,
                file_name=file_name or Path(file).name,
                user=user,
                source=source,
                progress=progress,
                progress_every=progress_every,
                max_bytes=max_bytes,
            )
    if hasattr(file, "temporary_file_path"):  # a large upload, already on disk
        return import_transport(
            file.temporary_file_path(),
            file_name=file_name or Path(file.name).name,
            user=user,
            source=source,
            progress=progress,
            progress_every=progress_every,
            max_bytes=max_bytes,
        )
    binary = getattr(file, "file", file)  # an in-memory upload wraps a BytesIO
    name = file_name or Path(getattr(file, "name", "") or "bestand").name
    result = ImportResult(file_name=name)
    report = _Report(progress, progress_every or PROGRESS_EVERY)
    try:
        try:
            inspection = cells.inspect(binary, name, limit=max_bytes)
            result.checksum, result.encoding = inspection.sha256, inspection.label
            _refuse_known_file(result.checksum)
            checked = _check(binary, inspection, result, report)
        except FileRefused as refusal:
            result.add_error(refusal.row, refusal.column, refusal.message)
            return result
        if result.error_count:
            return result
        if not checked.count:
            result.add_error(None, "", cells.no_rows().message)
            return result
        try:
            # A closing that came in between: the database refuses the rows.
            with year_policy.db_refusals():
                result.batch = _write(checked, result, user, source, report)
        except (ClosedYearError, ImplausibleDateError, FileRefused) as error:
            message = error.message if isinstance(error, FileRefused) else error.messages[0]
            result.add_error(None, "", message)
            return result
        except IntegrityError as error:  # e.g. a library deleted while the file was checked
            result.add_error(
                None, "", _("De database weigerde de rijen; er is niets opgeslagen: %s") % error
            )
            return result
    except OperationalError as error:  # the transaction, if any, is rolled back
        logger.warning("Transportimport '%s' niet uitgevoerd: %s", name, error)
        raise DatabaseBusy(_busy_message(error)) from error
    result.rows = checked.count
    return result


class _Report:
    """The progress callback with how often to call it (``every`` rows)."""

    def __init__(self, progress: Progress | None, every: int):
        self.progress, self.every = progress, every

    def __call__(self, stage: str, rows: int) -> None:
        if self.progress is not None:
            self.progress(stage, rows)


def count_rows(file) -> int:
    """About the number of data rows of an upload or a path, cheaply, without checking them.

    CSV: its line breaks less the header (blank lines count, so it may be a little high).
    XLSX: the first sheet's stated dimension less the header. Decides whether an upload
    runs as a background job, and is the total its progress page shows.
    """
    if isinstance(file, str | os.PathLike):
        with open(file, "rb") as handle:
            return count_rows(handle)
    binary = getattr(file, "file", file)
    binary.seek(0)
    start = binary.read(4)
    binary.seek(0)
    try:
        if start.startswith(cells.ZIP_MAGIC):
            import openpyxl

            try:
                cells.check_xlsx_archive(binary)  # before openpyxl opens it
                workbook = openpyxl.load_workbook(binary, read_only=True, data_only=True)
            except Exception:  # the import itself says what is wrong with the file
                return 0
            try:
                sheet = workbook.worksheets[0] if workbook.worksheets else None
                return max((sheet.max_row or 0) - 1, 0) if sheet is not None else 0
            finally:
                workbook.close()
        lines, last = 0, b""
        for chunk in iter(lambda: binary.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
        if last and last != b"\n":
            lines += 1  # a last line without a line break
        return max(lines - 1, 0)
    finally:
        binary.seek(0)


def _busy_message(error: OperationalError, done: str | None = None) -> str:
    """``done``: what did not happen ("er is niets geïmporteerd" unless given)."""
    done = done or _("er is niets geïmporteerd")
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(
        getattr(cause, "diag", None), "sqlstate", None
    )
    if sqlstate in BUSY_SQLSTATES or "locked" in str(error).lower():  # SQLite: "is locked"
        return _("De database was bezig; %(done)s. Probeer het over een paar minuten opnieuw.") % {
            "done": done
        }
    return _(
        "De database gaf een fout (%(error)s); %(done)s. Probeer het over een paar minuten opnieuw."
    ) % {"error": str(error).strip() or error.__class__.__name__, "done": done}


def lock_timeout_ms() -> int:
    """``BNF_IMPORT_LOCK_TIMEOUT`` (seconds) in milliseconds; 0 waits without limit."""
    seconds = getattr(settings, "BNF_IMPORT_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)
    return max(round(float(seconds) * 1000), 0)


# --- reading -----------------------------------------------------------------------------


def _refuse_known_file(checksum: str) -> None:
    earlier = (
        ImportBatch.objects.filter(model_label=MODEL_LABEL, checksum=checksum)
        .select_related("imported_by")
        .first()
    )
    if earlier is not None:
        raise FileRefused(_already_imported(earlier))


def _already_imported(batch: ImportBatch | None) -> str:
    if batch is None:
        return _("Dit bestand is al eens geïmporteerd.")
    when = timezone.localtime(batch.imported_at).strftime("%d-%m-%Y %H:%M")
    return _(
        "Dit bestand is al eens geïmporteerd (als '%(name)s' op %(when)s, %(rows)s rijen). "
        "Maak die import eerst ongedaan als u hem wilt vervangen."
    ) % {"name": batch.file_name, "when": when, "rows": batch.row_count}


# --- checking ------------------------------------------------------------------------------


class _Message(str):
    """A remembered refusal, so a cached answer is never mistaken for a value."""


def _years() -> tuple[int, int]:
    """The years a transport row may have: never after 31 December of next year."""
    return MIN_YEAR, year_policy.latest_plausible_year()


def parse_day(value) -> datetime.date:
    """A delivery date (``kpis.core.cells.parse_date``) in ``_years()``."""
    return cells.parse_date(value, years=_years())


def parse_month(value) -> datetime.date:
    """A month (``kpis.core.cells.parse_month``) in ``_years()``: its first day."""
    return cells.parse_month(value, years=_years())


def parse_quantity(value) -> int:
    """A whole number >= 1 in digits only (``kpis.core.cells.parse_whole_number``)."""
    number = cells.parse_whole_number(value, minimum=1, maximum=MAX_QUANTITY)
    if number is None:
        raise cells.CellError(_("Vul het aantal in."))
    return number


def _libraries() -> cells.References:
    """Libraries by code (any case) or name, from one query; other organisations are named
    as what they are ("'gem' is geen bibliotheek (maar: gemeente)")."""
    return cells.References(
        Organisation,
        "code",
        "name",
        what=_("bibliotheek"),
        qualifies=lambda organisation: organisation.kind == Organisation.Kind.LIBRARY,
        describe=lambda organisation: str(organisation.get_kind_display()),
    )


CACHE_LIMIT = 100_000
"""Distinct cell values remembered per column (a real file has a few thousand)."""


class _Column:
    """One column's cells, each distinct value parsed once.

    ``answer(cell)`` is what ``convert(parse(cell))`` gives, or a ``_Message`` saying
    why the cell cannot be used. The row loop calls ``cache.get`` itself (the hot path)
    and only falls back to ``answer`` for a value it has not seen yet.
    """

    def __init__(self, parse: Callable, convert: Callable = lambda value: value, *, empty=None):
        self.parse, self.convert, self.empty = parse, convert, empty
        self.cache: dict = {}
        self.uncached: list = []  # values beyond CACHE_LIMIT, still needed afterwards

    def answer(self, cell):
        if self.empty is not None and not _is_filled(cell):
            answer = self.empty  # an empty cell is an answer too (for datum/maand)
        else:
            try:
                answer = self.convert(self.parse(cell))
            except cells.CellError as error:
                answer = _Message(error.args[0])
        if len(self.cache) < CACHE_LIMIT:
            self.cache[cell] = answer
        elif answer.__class__ is not _Message:
            self.uncached.append(answer)
        return answer

    def values(self) -> list:
        valid = [a for a in self.cache.values() if a.__class__ is tuple]
        return valid + self.uncached


class _Empty:
    """The answer for an empty date or month cell (true, for the ``get() or`` idiom)."""


EMPTY = _Empty()


def _day_value(day: datetime.date) -> tuple[str, int, int]:
    """(ISO text for COPY, year, day of the month) of a valid date."""
    return day.isoformat(), day.year, day.day


def _is_blank(record: list) -> bool:
    return not any(
        cell is not None and (not isinstance(cell, str) or cell.strip()) for cell in record
    )


def _is_filled(cell) -> bool:
    return cell is not None and cell != "" and (cell.__class__ is not str or not cell.isspace())


def _header(record: list) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, cell in enumerate(record):
        name = cells.header_key(cell)
        if name in COLUMNS:
            if name in positions:
                raise FileRefused(
                    _("De kolom '%(column)s' staat twee keer in de kopregel.") % {"column": name}
                )
            positions[name] = index
    missing = [f"'{name}'" for name in REQUIRED if name not in positions]
    if "datum" not in positions and "maand" not in positions:
        missing.insert(0, _("'datum' (of 'maand')"))
    if missing:
        found = ", ".join(f"'{cells.text(cell)}'" for cell in record if cells.text(cell))
        found = found or _("geen")
        raise FileRefused(
            _(
                "Ontbrekende kolom(men) in de kopregel (rij 1): %(missing)s. Gevonden: "
                "%(found)s. Nodig zijn: datum (of maand), van, naar, aantal."
            )
            % {"missing": ", ".join(missing), "found": found}
        )
    return positions


ROW_SEPARATOR = "\x00"
"""Ends every checked row in ``_Checked.chunks``; replaced by the batch's columns."""


@dataclass
class _Checked:
    """The valid rows, already as the text PostgreSQL's ``COPY`` reads.

    Each row is ``origin<TAB>destination<TAB>date<TAB>period<TAB>quantity`` followed by
    ``ROW_SEPARATOR`` (the batch id and timestamps are not known yet), joined into one
    string per ``BATCH_SIZE`` rows: about 30 bytes a row, no object per row.
    """

    chunks: list[str] = field(default_factory=list)
    years: set[int] = field(default_factory=set)
    count: int = 0


def _check(binary, inspection, result: ImportResult, report: Progress) -> _Checked:
    """Check every row; collect errors in ``result`` and, while there are none, the rows.

    A cell that stops the reading (a NUL character, a formula) raises ``FileRefused``.
    """
    records = cells.records(binary, inspection)
    try:
        header = next(records)
    except StopIteration:
        raise FileRefused(_("Het bestand is leeg: er is geen kopregel.")) from None
    columns = _header(header)
    width = max(columns.values()) + 1
    i_day, i_month, i_period = columns.get("datum"), columns.get("maand"), columns.get("periode")
    i_from, i_to, i_quantity = columns["van"], columns["naar"], columns["aantal"]

    library = _Column(_libraries().get, lambda organisation: str(organisation.pk))
    days = _Column(parse_day, _day_value, empty=EMPTY)
    months = _Column(parse_month, _day_value, empty=EMPTY)
    quantities = _Column(parse_quantity, str)
    library_ids, day_values, month_values = library.cache, days.cache, months.cache
    quantity_texts = quantities.cache
    closed = set(ClosedYear.objects.values_list("year", flat=True))
    add = result.add_error
    Message = _Message  # a local name for the hot loop
    periods = {False: f"\t{DAY}\t", True: f"\t{MONTH}\t"}

    checked = _Checked()
    lines: list[str] = []
    count = 0
    month_rows: dict[tuple, int] = {}  # (month, from, to) -> the row with that monthly total
    every = getattr(report, "every", PROGRESS_EVERY)
    next_report = every
    for row_number, record in enumerate(records, start=2):
        if not any(record) and _is_blank(record):
            continue
        if len(record) < width:
            record = record + [None] * (width - len(record))
        errors_before = result.error_count

        # -- datum / maand (and periode)
        day = month = EMPTY
        if i_day is not None:
            cell = record[i_day]
            day = day_values.get(cell) or days.answer(cell)
        if i_month is not None:
            cell = record[i_month]
            month = month_values.get(cell) or months.answer(cell)
        has_day, has_month = day is not EMPTY, month is not EMPTY
        is_month = has_month
        date_column = "maand" if has_month or i_day is None else "datum"
        if has_day and has_month:
            add(row_number, "maand", _("Vul datum óf maand in, niet allebei."))
            day = None
        elif has_month:
            day = month
        elif not has_day:
            if _is_blank(record):
                continue
            add(row_number, date_column, _("Vul een datum of een maand in."))
            day = None
        if day.__class__ is Message:
            add(row_number, date_column, day)
            day = None
        if i_period is not None and _is_filled(record[i_period]):
            period_is_month = _period(record[i_period], has_month, day, add, row_number)
            if period_is_month is None:
                day = None
            else:
                is_month = period_is_month
        if day is not None and day[1] in closed:
            add(
                row_number,
                date_column,
                _(
                    "%(year)s is een afgesloten jaar: daar kunnen geen reserveringen meer bij. "
                    "Een coördinator kan het jaar heropenen."
                )
                % {"year": day[1]},
            )

        # -- van / naar
        cell = record[i_from]
        origin = library_ids.get(cell) or library.answer(cell)
        if origin.__class__ is Message:
            add(row_number, "van", origin)
        cell = record[i_to]
        destination = library_ids.get(cell) or library.answer(cell)
        if destination.__class__ is Message:
            add(row_number, "naar", destination)
        elif origin == destination:
            add(
                row_number,
                "naar",
                _("Van- en naar-bibliotheek moeten verschillen ('%(value)s').")
                % {"value": cells.text(cell)},
            )

        # -- aantal
        cell = record[i_quantity]
        quantity = quantity_texts.get(cell) or quantities.answer(cell)
        if quantity.__class__ is Message:
            add(row_number, "aantal", quantity)

        if is_month and day is not None and result.error_count == errors_before:
            # A month has one total per pair of libraries: a second one is a duplicate.
            # (Day rows may repeat: a list of single reservations is a valid file.)
            earlier = month_rows.setdefault((day[0], origin, destination), row_number)
            if earlier != row_number:
                add(
                    row_number,
                    date_column,
                    _(
                        "Dezelfde maand, van en naar als rij %(row)s: een maandtotaal staat "
                        "maar één keer in een bestand."
                    )
                    % {"row": earlier},
                )

        if result.error_count == 0:
            lines.append(
                f"{origin}\t{destination}\t{day[0]}{periods[is_month]}{quantity}{ROW_SEPARATOR}"
            )
            if len(lines) == BATCH_SIZE:
                checked.chunks.append("".join(lines))
                lines = []
        elif errors_before == 0:
            checked.chunks, lines = [], []  # the first error: nothing will be written
        count += 1
        if count == next_report:
            report("gecontroleerd", count)
            next_report += every
    if lines:
        checked.chunks.append("".join(lines))
    if count % every:
        report("gecontroleerd", count)
    checked.count = count
    if not result.error_count:
        # Every remembered date was used by a (valid) row: their years, without a set.add
        # per row.
        checked.years = {value[1] for value in [*days.values(), *months.values()]}
    return checked


def _period(cell, has_month: bool, day, add, row_number: int) -> bool | None:
    """Whether the row is a monthly total by its ``periode``; None after an error."""
    period = PERIOD_WORDS.get(cells.text(cell).lower())
    if period is None:
        add(
            row_number,
            "periode",
            _("'%(value)s' is geen periode; schrijf 'dag' of 'maand'.")
            % {"value": cells.text(cell)},
        )
        return None
    if has_month and period == DAY:
        add(row_number, "periode", _("Een rij met een maand is een maandtotaal."))
        return None
    if period == MONTH and day is not None and day[2] != 1:
        add(row_number, "datum", _("Een maandtotaal staat op de eerste dag van de maand."))
        return None
    return period == MONTH


# --- writing --------------------------------------------------------------------------------

BULK_LOAD_ROWS = 100_000
"""From this many rows on (and at least a quarter of the rows already in the table),
PostgreSQL loads the way its manual advises for populating a table, as far as that
locks the transport table only: its secondary indexes are dropped inside the
transaction and recreated (from their own definitions) after ``COPY``
(``indexes_rebuilt_after``). That takes an exclusive lock on the transport table until
the import commits: its readers (the transport list, the export) wait for those
seconds. The foreign keys stay,
so the organisations, users and import batches are read and written as usual meanwhile."""


def _write(checked: _Checked, result: ImportResult, user, source: str, report: Progress):
    table = TransportReservation._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor, _waiting_for_locks(cursor):
        ensure_years_open(checked.years)  # again, now inside the transaction that writes
        bulk = connection.vendor == "postgresql" and _bulk_load_pays(cursor, checked.count)
        with indexes_rebuilt_after(cursor, table, bulk):
            try:
                with transaction.atomic():
                    batch = ImportBatch.objects.create(
                        model_label=MODEL_LABEL,
                        file_name=result.file_name[:255],
                        checksum=result.checksum,
                        imported_by=user,
                        row_count=checked.count,
                        source=source,
                    )
            except IntegrityError:  # the same file, imported at the same moment elsewhere
                raise FileRefused(_already_imported(None)) from None
            if connection.vendor == "postgresql":
                _copy(cursor, checked, batch, report)
            else:
                _insert_many(cursor, checked, batch, report)
    return batch


@contextlib.contextmanager
def _waiting_for_locks(cursor):
    """On PostgreSQL: wait at most ``lock_timeout_ms()`` for each lock in this transaction.

    ``SET LOCAL`` ends with the transaction; inside an outer one (a test, a request in a
    transaction) the previous value is put back afterwards. After an error the rollback
    to the savepoint undoes it.
    """
    if connection.vendor != "postgresql":
        yield
        return
    cursor.execute("SHOW lock_timeout")
    before = cursor.fetchone()[0]
    cursor.execute(f"SET LOCAL lock_timeout = {lock_timeout_ms():d}")
    yield
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [before])


def _parsed_rows(chunk: str) -> Iterator[tuple]:
    for line in chunk.split(ROW_SEPARATOR)[:-1]:
        origin, destination, day, period, quantity = line.split("\t")
        yield int(origin), int(destination), day, period, int(quantity)


def _insert_many(cursor, checked: _Checked, batch: ImportBatch, report: Progress) -> None:
    """Other databases (SQLite): one ``executemany`` INSERT per ``BATCH_SIZE`` rows.

    Plain parameters rather than ``bulk_create``: building a model instance per row
    would be most of the work for a table of numbers and dates. The closed years were
    checked by ``_write``; the database's constraints check every row again.
    """
    ops = connection.ops
    columns = ", ".join(ops.quote_name(column) for column in _copy_columns())
    statement = (
        f"INSERT INTO {ops.quote_name(TransportReservation._meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * 8)})"
    )
    # The batch's moment: a row changed later is one that undoing would not throw away.
    now = ops.adapt_datetimefield_value(batch.imported_at)
    written = 0
    for chunk in checked.chunks:
        rows = [
            (
                origin,
                destination,
                ops.adapt_datefield_value(datetime.date.fromisoformat(day)),
                period,
                quantity,
                batch.pk,
                now,
                now,
            )
            for origin, destination, day, period, quantity in _parsed_rows(chunk)
        ]
        cursor.executemany(statement, rows)
        written = _written(report, written, len(rows))
    _written(report, written, 0, final=True)


def _copy_columns() -> list[str]:
    """The columns ``_Checked`` rows fill, then the batch and the two timestamps."""
    opts = TransportReservation._meta
    names = ["origin", "destination", "delivered_on", "period", "quantity", "import_batch"]
    return [opts.get_field(name).column for name in [*names, "created_at", "updated_at"]]


def _copy(cursor, checked: _Checked, batch: ImportBatch, report: Progress) -> None:
    """PostgreSQL ``COPY`` in its text format, ``BATCH_SIZE`` rows per write."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in _copy_columns())
    table = quote(TransportReservation._meta.db_table)
    stamp = batch.imported_at.isoformat()  # see _insert_many
    tail = f"\t{batch.pk}\t{stamp}\t{stamp}\n"
    written = 0
    # Django's cursor passes ``copy`` on to psycopg unwrapped: its errors (a lock timeout,
    # a violated constraint) become Django's here, as those of ``execute`` do.
    with (
        connection.wrap_database_errors,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for chunk in checked.chunks:
            copy.write(chunk.replace(ROW_SEPARATOR, tail))
            written = _written(report, written, chunk.count(ROW_SEPARATOR))
    _written(report, written, 0, final=True)


def _bulk_load_pays(cursor, rows: int) -> bool:
    """Many rows, and many compared to the table (whose indexes are rebuilt whole)."""
    if rows < BULK_LOAD_ROWS:
        return False
    table = TransportReservation._meta.db_table
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
    row = cursor.fetchone()
    return rows * 4 >= (max(int(row[0]), 0) if row else 0)


@contextlib.contextmanager
def indexes_rebuilt_after(cursor, table: str, enabled: bool):
    """Load first, index afterwards (PostgreSQL's "Populating a Database").

    Drops the table's secondary, non-unique indexes, lets the caller load, then
    recreates them from their own definitions (same names, same definition: the schema
    is unchanged afterwards). All inside the caller's transaction: if anything fails,
    the indexes are simply still there. ``DROP INDEX`` locks only ``table`` (until the
    commit, so its readers wait); its foreign keys stay, because dropping or adding one
    also locks the table it refers to, every read of the organisations included. Where
    the database user may not drop the indexes, or the table's exclusive lock is not
    granted within the lock timeout (a long export still reading), the rows are loaded
    with the indexes in place.
    """
    if not enabled:
        yield
        return
    cursor.execute(
        "SELECT index.relname, pg_get_indexdef(index.oid) FROM pg_index x "
        "JOIN pg_class index ON index.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT x.indisunique "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
        "ORDER BY index.relname",
        [table],
    )
    indexes = cursor.fetchall()
    quote = connection.ops.quote_name
    try:
        with transaction.atomic():  # a savepoint: without the rights, load the normal way
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
    except DatabaseError:
        yield
        return
    yield
    # CREATE INDEX is refused while the table has pending trigger events: the deferred
    # checks of its foreign keys, one per row loaded. They run now rather than at commit.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _name, definition in indexes:
        cursor.execute(definition)


def _written(report: Progress, before: int, added: int, *, final: bool = False) -> int:
    after = before + added
    every = getattr(report, "every", PROGRESS_EVERY)
    if final:
        if after % every or not after:
            report("geschreven", after)
    elif after // every > before // every:
        report("geschreven", after)
    return after


# --- export ---------------------------------------------------------------------------------

EXPORT_COLUMNS = ["datum", "periode", "van", "naar", "aantal", "batch"]
EXPORT_CHUNK = 5_000
"""Rows fetched per database round trip (a server-side cursor on PostgreSQL), and per
piece of the streamed response."""


def export_queryset(year: int | None = None):
    """The rows of the export as plain tuples in the order they were stored.

    Libraries come as ids (``export_csv_lines`` knows their codes): no join, and the
    primary key order needs no sort, so the database streams a million rows at once.
    """
    rows = TransportReservation.objects.all()
    if year is not None:
        rows = rows.in_year(year)
    return rows.order_by("pk").values_list(
        "delivered_on", "period", "origin_id", "destination_id", "quantity", "import_batch_id"
    )


def _csv_cell(text: str) -> str:
    """One CSV field as ``csv.writer`` writes it (quoted only when it must be)."""
    if any(char in text for char in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def export_csv_lines(rows, libraries: dict[int, str] | None = None) -> Iterator[str]:
    """CSV text for a StreamingHttpResponse: a BOM and header, then ``EXPORT_CHUNK`` rows a piece.

    ``rows`` is ``export_queryset()``, read with ``.iterator(chunk_size=EXPORT_CHUNK)``
    so memory stays flat; ``libraries`` maps organisation ids to codes (read once when
    not given). Columns ``EXPORT_COLUMNS``: ISO dates, the period as 'dag'/'maand'
    (what the import reads back), library codes, plain numbers. Every text cell goes
    through ``neutralise_formula``, once per distinct value: the rows only look up the
    finished cells.
    """

    def cell(value) -> str:
        return _csv_cell(cells.neutralise_formula(str(value)))

    if libraries is None:
        libraries = dict(Organisation.objects.values_list("pk", "code"))

    def late_code(pk) -> str:  # an organisation added while the export runs
        code = Organisation.objects.filter(pk=pk).values_list("code", flat=True).first()
        return cell(code or pk)

    labels = dict(TransportReservation.Period.choices)
    codes = _Cells(late_code, {pk: cell(code) for pk, code in libraries.items()})
    periods = _Cells(lambda value: cell(labels.get(value, value)))
    dates = _Cells(lambda day: cell(day.isoformat()))
    batches = _Cells(str, {None: ""})

    lines = ["\ufeff" + ",".join(EXPORT_COLUMNS) + "\r\n"]  # BOM: Excel reads UTF-8
    for delivered_on, period, origin, destination, quantity, batch in rows.iterator(
        chunk_size=EXPORT_CHUNK
    ):
        lines.append(
            f"{dates[delivered_on]},{periods[period]},{codes[origin]},{codes[destination]},"
            f"{quantity},{batches[batch]}\r\n"
        )
        if len(lines) >= EXPORT_CHUNK:
            yield "".join(lines)
            lines = []
    yield "".join(lines)


class _Cells(dict):
    """Finished CSV cells by value: a plain lookup per row, ``make`` once per new value."""

    def __init__(self, make: Callable[[object], str], known: dict | None = None):
        super().__init__(known or {})
        self.make = make

    def __missing__(self, value) -> str:
        text = self[value] = self.make(value)
        return text
