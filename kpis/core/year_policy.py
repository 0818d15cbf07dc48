"""The year policy: which report years a write touches, and whether they are open.

One home for the rule that a closed (published) year does not move. The rule itself is
kept by the database: triggers on every table a figure reads compute, from the old and
the new row, the years the row counts in and refuse the write when one is closed, on
every path (admin, imports, COPY, the ORM, raw SQL, ``loaddata``, restore, other
processes). Python asks the same question first only to say it in a sentence a person
understands, and turns the database's refusal into that same sentence.

Which columns decide a table's years is not listed here by hand: the reporting layer
derives it from the figure declarations (``kpis.reporting.closing.year_rules``) and registers it
at start-up (``register``), so this module, and the models that use it, never import
the reporting layer.

- A row counts in the year of its report date; a stock (``end`` given) in every year
  from its start to its end, open-ended while the end is empty.
- For a registration (``whole_row``) any change counts: its record is frozen with its
  year. For reference data with a date (a library's joining date) only a change of the
  date itself, or adding or removing the row.
- Targets count in their ``year``.
- Nothing may be dated after 31 December of next year (``latest_plausible_year``).
- Evidence attached to a record (``kpis.Evidence``: a file or a link) counts in no
  figure and is not guarded: it may be added to, and removed from, a record of a closed
  year, which itself stays as it is. A published figure often gets its proof later (the
  award letter arrives after the report); the audit trail keeps both steps.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.utils.translation import gettext

CLOSED_MARK = "bnf-closed-year"
IMPLAUSIBLE_MARK = "bnf-implausible-date"
FROZEN_MARK = "bnf-snapshot-frozen"
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a closing can name (see SQLite below)
CLOSED_TABLE = "kpis_closedyear"


class ClosedYearError(ValidationError):
    """A write that would change the figures of a year whose report is published."""


class ImplausibleDateError(ValidationError):
    """A date after 31 December of next year: a typo, not a registration."""


def closed_year_message(year: int | None) -> str:
    if year is None:
        return gettext(
            "Deze wijziging raakt een afgesloten jaar: registraties uit dat jaar kunnen niet "
            "meer worden toegevoegd, gewijzigd of verwijderd. Een coördinator kan het jaar "
            "heropenen."
        )
    return gettext(
        "Het jaar %(year)s is afgesloten: registraties uit dat jaar kunnen niet meer "
        "worden toegevoegd, gewijzigd of verwijderd. Een coördinator kan het jaar heropenen."
    ) % {"year": year}


def implausible_date_message() -> str:
    return gettext(
        "Een datum na 31 december %(year)s kan niet: registreer wat er gebeurd is of dit "
        "en volgend jaar gepland staat."
    ) % {"year": latest_plausible_year()}


def frozen_snapshot_message() -> str:
    return gettext(
        "De vastgestelde cijfers van een afgesloten jaar kunnen niet worden vervangen. "
        "Heropen het jaar en sluit het opnieuw af."
    )


def latest_plausible_year(today: datetime.date | None = None) -> int:
    return (today or datetime.date.today()).year + 1


# --- the rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class YearRule:
    """``model``'s rows count in the year(s) that ``start`` (and ``end``) say."""

    model: type[models.Model]
    start: str
    end: str | None = None
    whole_row: bool = True
    year_number: bool = False  # ``start`` is a year (targets), not a date

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.start,) if self.end is None else (self.start, self.end)

    def span(self, values: dict) -> tuple[int, float] | None:
        """The first and last year a row with these field values counts in."""
        start = values.get(self.start)
        if start is None:
            return None
        first = start if self.year_number else start.year
        if self.end is None:
            return first, first
        end = values.get(self.end)
        return first, float("inf") if end is None else end.year


_rules: dict[type[models.Model], list[YearRule]] = {}
_rule_fields: dict[type[models.Model], frozenset[str]] = {}  # worked out from _rules


def register(rules: Iterable[YearRule]) -> None:
    """Replace the rules (the reporting layer calls this once, at start-up)."""
    by_model: dict[type[models.Model], list[YearRule]] = {}
    for rule in rules:
        if rule not in by_model.setdefault(rule.model, []):
            by_model[rule.model].append(rule)
    _rules.clear()
    _rules.update(by_model)
    _rule_fields.clear()


def rules_for(model: type[models.Model]) -> list[YearRule]:
    return _rules.get(model._meta.concrete_model, [])


def guarded_models() -> list[type[models.Model]]:
    return list(_rules)


def rule_fields(model) -> frozenset[str]:
    """The fields that decide the years of ``model``'s rows (asked for every row)."""
    names = _rule_fields.get(model)
    if names is None:
        names = frozenset(name for rule in rules_for(model) for name in rule.fields)
        _rule_fields[model] = names
    return names


def row_values(instance: models.Model, names: Iterable[str]) -> dict:
    get_field = instance._meta.get_field
    return {name: getattr(instance, get_field(name).attname) for name in names}


# --- Python checks, for a clear message before the database says no ---------------------


_known_closed: ContextVar[frozenset[int] | None] = ContextVar("known_closed", default=None)
# The rows ``ensure_write_allowed`` let through while the closed years are known: the
# same answer again for the next row with the same dates (an import's rows share few).
_allowed: ContextVar[set | None] = ContextVar("allowed_writes", default=None)


@contextlib.contextmanager
def closed_years_known(years: Iterable[int]) -> Iterator[None]:
    """Within this block the checks use ``years`` as the closed years instead of asking
    the database each time: an import reads them once per file, not once per row."""
    token = _known_closed.set(frozenset(years))
    allowed_token = _allowed.set(set())
    try:
        yield
    finally:
        _allowed.reset(allowed_token)
        _known_closed.reset(token)


def closed_years(using: str = DEFAULT_DB_ALIAS) -> list[int]:
    known = _known_closed.get()
    if known is not None:
        return sorted(known)
    model = apps.get_model("kpis", "ClosedYear")
    return list(model.objects.using(using).order_by("year").values_list("year", flat=True))


def _refuse_first(years: Iterable[int]) -> None:
    first = min(years, default=None)
    if first is not None:
        raise ClosedYearError(closed_year_message(first), code="closed_year")


def ensure_years_open(years: Iterable[int | None], using: str = DEFAULT_DB_ALIAS) -> None:
    """Refuse (ClosedYearError) if any of ``years`` is closed. One query, or none."""
    years = {year for year in years if year}
    if not years:
        return
    known = _known_closed.get()
    if known is not None:
        return _refuse_first(years & known)
    model = apps.get_model("kpis", "ClosedYear")
    first = (
        model.objects.using(using)
        .filter(year__in=years)
        .order_by("year")
        .values_list("year", flat=True)
        .first()
    )
    _refuse_first([] if first is None else [first])


def ensure_spans_open(spans: Iterable[tuple[int, float] | None], using=DEFAULT_DB_ALIAS) -> None:
    """Refuse if any closed year lies within one of ``spans``. One query, or none."""
    spans = [span for span in spans if span]
    if not spans:
        return
    known = _known_closed.get()
    if known is not None:
        return _refuse_first(y for y in known if any(a <= y <= b for a, b in spans))
    condition = models.Q()
    for first, last in spans:
        condition |= (
            models.Q(year__gte=first)
            if last == float("inf")
            else models.Q(year__gte=first, year__lte=last)
        )
    model = apps.get_model("kpis", "ClosedYear")
    touched = model.objects.using(using).filter(condition).order_by("year")
    first_closed = touched.values_list("year", flat=True).first()
    _refuse_first([] if first_closed is None else [first_closed])


def ensure_plausible(model, values: dict) -> None:
    """Refuse a date after 31 December of next year in the fields that decide years."""
    latest = latest_plausible_year()
    for rule in rules_for(model):
        if rule.year_number:
            continue
        for name in rule.fields:
            value = values.get(name)
            if value is not None and value.year > latest:
                raise ImplausibleDateError(
                    {name: implausible_date_message()}, code="implausible_date"
                )


def spans(model, values: dict, *, changed_from: dict | None = None) -> list:
    """The spans of years a row with ``values`` counts in, by every rule of its model.
    With ``changed_from`` (the stored values), a rule that is not ``whole_row`` only
    counts when one of its own fields changed."""
    found = []
    for rule in rules_for(model):
        if (
            changed_from is not None
            and not rule.whole_row
            and all(changed_from.get(name) == values.get(name) for name in rule.fields)
        ):
            continue
        found.append(rule.span(values))
    return found


def ensure_write_allowed(model, new: dict | None, stored: dict | None, using=DEFAULT_DB_ALIAS):
    """The check for one row: ``new`` (None when deleting) and ``stored`` (None when
    adding) are the row's values of the fields the rules read. Within
    ``closed_years_known`` a row with the same values as one allowed before is allowed
    without working it out again (the answer depends only on them and those years)."""
    allowed = _allowed.get()
    if allowed is not None:
        key = (
            model,
            None if new is None else tuple(new.items()),
            None if stored is None else tuple(stored.items()),
        )
        if key in allowed:
            return
    _ensure_write_allowed(model, new, stored, using)
    if allowed is not None:
        allowed.add(key)


def _ensure_write_allowed(model, new, stored, using):
    if new is not None:
        ensure_plausible(model, new)
    touched = []
    if new is not None:
        touched += spans(model, new, changed_from=stored)
    if stored is not None:
        touched += spans(model, stored, changed_from=new)
    ensure_spans_open(touched, using)


# --- the database's refusal, as the same sentence --------------------------------------

_CLOSED_RE = re.compile(CLOSED_MARK + r"(?::(\d{4}))?")


def refusal_from(error: BaseException) -> ValidationError | None:
    """The ClosedYearError (or ImplausibleDateError) a database error stands for, if any."""
    if isinstance(error, ClosedYearError | ImplausibleDateError):
        return error
    # Django's wrapped errors, and the driver's own (COPY goes to psycopg directly).
    driver_error = type(error).__module__.split(".")[0] in ("psycopg", "sqlite3")
    if not (isinstance(error, DatabaseError) or driver_error):
        return None
    text = str(error)
    match = _CLOSED_RE.search(text)
    if match:
        year = int(match.group(1)) if match.group(1) else None
        return ClosedYearError(closed_year_message(year), code="closed_year")
    if IMPLAUSIBLE_MARK in text:
        return ImplausibleDateError(implausible_date_message(), code="implausible_date")
    if FROZEN_MARK in text:
        return ClosedYearError(frozen_snapshot_message(), code="closed_year")
    return None


@contextlib.contextmanager
def db_refusals(savepoint_on: str | None = None) -> Iterator[None]:
    """Raise the database's refusal of a write as ClosedYearError/ImplausibleDateError.

    ``savepoint_on`` (a database alias) runs the write in a savepoint, so that a refusal
    leaves the caller's transaction usable: for bulk writes, which Python does not check
    first."""
    try:
        if savepoint_on is None:
            yield
        else:
            with transaction.atomic(using=savepoint_on):
                yield
    except Exception as error:
        refusal = refusal_from(error)
        if refusal is None:
            raise
        raise refusal from error


# --- reference data: a change with no date that can still recount a closed year --------

ReferenceGuard = Callable[[Callable[[], object], bool], object]
_reference_guard: list[ReferenceGuard] = []


def register_reference_guard(guard: ReferenceGuard) -> None:
    """The reporting layer's check ``guard(write, keep)``: run ``write`` and keep it only
    if no published figure changes (``kpis.reporting.closing.run_checked``)."""
    _reference_guard[:] = [guard]


def guard_reference_write(write: Callable[[], object], *, keep: bool = True):
    if not _reference_guard:
        return write() if keep else None
    return _reference_guard[0](write, keep)


# --- the triggers ----------------------------------------------------------------------

TRIGGER = "bnf_year_guard"


def install(using: str = DEFAULT_DB_ALIAS) -> None:
    """Create (or replace) the triggers for the registered rules. Idempotent."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    statements = _postgresql() if connection.vendor == "postgresql" else _sqlite()
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    install(using)


def _tables() -> list[tuple[str, str, list[YearRule]]]:
    return sorted(
        (model._meta.db_table, model._meta.pk.column, rules)
        for model, rules in _rules.items()
        if model._meta.managed
    )


def _column(rule: YearRule, name: str) -> str:
    return rule.model._meta.get_field(name).column


def _pg_year(expression: str, rule: YearRule) -> str:
    return expression if rule.year_number else f"extract(year FROM {expression})::int"


def _touches(rule: YearRule, row: str, year_of: Callable[[str, YearRule], str]) -> str:
    """SQL: row ``row`` counts in closed year ``c.year`` (``year_of``: the database's way
    to take the year of a date column)."""
    start = year_of(f"{row}.{_column(rule, rule.start)}", rule)
    if rule.end is None:
        return f"{start} = c.year"
    end = year_of(f"{row}.{_column(rule, rule.end)}", rule)
    return f"({start} <= c.year AND ({end} IS NULL OR {end} >= c.year))"


def _pg_touches(rule: YearRule, alias: str) -> str:
    return _touches(rule, alias, _pg_year)


def _pg_late(rule: YearRule, alias: str) -> str | None:
    if rule.year_number:
        return None
    return " OR ".join(f"{alias}.{_column(rule, name)} >= late" for name in rule.fields)


def _pg_changed(rule: YearRule) -> str:
    return " OR ".join(
        f"o.{_column(rule, name)} IS DISTINCT FROM n.{_column(rule, name)}" for name in rule.fields
    )


def _postgresql() -> list[str]:
    """One function per table, and statement-level triggers with transition tables: a
    COPY of a million rows runs the check once, as one join against the closed years."""
    statements = []
    for table, pk, rules in _tables():
        function = f"{TRIGGER}_{table}"
        late_checks, closed_checks = [], []
        for rule in rules:
            late = _pg_late(rule, "r")
            if late:
                # Nested: a DELETE has no bnf_new to plan the query against.
                late_checks.append(
                    "IF TG_OP <> 'DELETE' THEN IF EXISTS "
                    f"(SELECT 1 FROM bnf_new r WHERE {late}) THEN "
                    f"RAISE EXCEPTION '{IMPLAUSIBLE_MARK}' USING ERRCODE = 'check_violation'; "
                    "END IF; END IF;"
                )
            updated = "SELECT * FROM bnf_old UNION ALL SELECT * FROM bnf_new"
            if not rule.whole_row:
                pair = f"bnf_old o JOIN bnf_new n ON o.{pk} = n.{pk} WHERE {_pg_changed(rule)}"
                updated = f"SELECT o.* FROM {pair} UNION ALL SELECT n.* FROM {pair}"
            touches = _pg_touches(rule, "r")
            for op, rows in (
                ("INSERT", "SELECT * FROM bnf_new"),
                ("DELETE", "SELECT * FROM bnf_old"),
                ("UPDATE", updated),
            ):
                closed_checks.append(
                    f"IF TG_OP = '{op}' THEN "
                    f"SELECT min(c.year) INTO y FROM {CLOSED_TABLE} c, ({rows}) r "
                    f"WHERE {touches}; "
                    f"IF y IS NOT NULL THEN RAISE EXCEPTION '{CLOSED_MARK}:%', y "
                    "USING ERRCODE = 'check_violation'; END IF; END IF;"
                )
        statements.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE y integer; "
            "late date := make_date(extract(year FROM current_date)::int + 2, 1, 1); "
            f"BEGIN {' '.join(late_checks)} "
            f"IF NOT EXISTS (SELECT 1 FROM {CLOSED_TABLE}) THEN RETURN NULL; END IF; "
            f"{' '.join(closed_checks)} "
            "RETURN NULL; END $$"
        )
        for op, referencing in (
            ("INSERT", "NEW TABLE AS bnf_new"),
            ("UPDATE", "OLD TABLE AS bnf_old NEW TABLE AS bnf_new"),
            ("DELETE", "OLD TABLE AS bnf_old"),
        ):
            statements.append(
                f'CREATE OR REPLACE TRIGGER {TRIGGER}_{op.lower()} AFTER {op} ON "{table}" '
                f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    statements += _pg_snapshot_guard()
    return statements


def _pg_snapshot_guard() -> list[str]:
    return [
        f"CREATE OR REPLACE FUNCTION {TRIGGER}_snapshot() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN "
        "IF OLD.year <> NEW.year OR OLD.snapshot::text <> NEW.snapshot::text "
        "OR OLD.closed_at <> NEW.closed_at "
        # The report PDF archived at closing.
        "OR OLD.report_pdf_sha256 <> NEW.report_pdf_sha256 "
        "OR OLD.report_pdf IS DISTINCT FROM NEW.report_pdf THEN "
        f"RAISE EXCEPTION '{FROZEN_MARK}' USING ERRCODE = 'check_violation'; END IF; "
        "RETURN NEW; END $$",
        f"CREATE OR REPLACE TRIGGER {TRIGGER}_snapshot BEFORE UPDATE ON {CLOSED_TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER}_snapshot()",
    ]


def _sqlite_year(expression: str, rule: YearRule) -> str:
    return expression if rule.year_number else f"CAST(substr({expression}, 1, 4) AS INTEGER)"


def _sqlite_touches(rule: YearRule, row: str) -> str:
    return _touches(rule, row, _sqlite_year)


# SQLite's RAISE takes only a literal message: the year goes in by a CASE over the years
# a closing can name.
_SQLITE_YEAR_CASES = " ".join(
    f"WHEN {year} THEN RAISE(ABORT, '{CLOSED_MARK}:{year}')"
    for year in range(FIRST_YEAR, LAST_YEAR + 1)
)


def _sqlite_refusal(rule: YearRule, row: str) -> str:
    closed = f"FROM {CLOSED_TABLE} c WHERE {_sqlite_touches(rule, row)}"
    return (
        f"SELECT CASE (SELECT min(c.year) {closed}) {_SQLITE_YEAR_CASES} "
        f"ELSE RAISE(ABORT, '{CLOSED_MARK}') END WHERE EXISTS (SELECT 1 {closed});"
    )


def _sqlite_late(rule: YearRule) -> str:
    if rule.year_number:
        return ""
    late = " OR ".join(
        f"NEW.{_column(rule, name)} >= (CAST(strftime('%Y', 'now') AS INTEGER) + 2) || '-01-01'"
        for name in rule.fields
    )
    return f"SELECT RAISE(ABORT, '{IMPLAUSIBLE_MARK}') WHERE {late};"


def _sqlite() -> list[str]:
    """Row-level BEFORE triggers: the row is refused before it is written."""
    statements = []
    for table, _pk, rules in _tables():
        for op in ("insert", "update", "delete"):
            name = f'"{TRIGGER}_{table}_{op}"'
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
            body = []
            for rule in rules:
                if op != "delete":
                    body.append(_sqlite_late(rule))
                if op == "update" and not rule.whole_row:
                    changed = " OR ".join(
                        f"OLD.{_column(rule, n)} IS NOT NEW.{_column(rule, n)}" for n in rule.fields
                    )
                    body.append(
                        _sqlite_refusal(rule, "OLD").replace(
                            "WHERE EXISTS", f"WHERE ({changed}) AND EXISTS"
                        )
                    )
                    body.append(
                        _sqlite_refusal(rule, "NEW").replace(
                            "WHERE EXISTS", f"WHERE ({changed}) AND EXISTS"
                        )
                    )
                    continue
                if op != "insert":
                    body.append(_sqlite_refusal(rule, "OLD"))
                if op != "delete":
                    body.append(_sqlite_refusal(rule, "NEW"))
            statements.append(
                f'CREATE TRIGGER {name} BEFORE {op.upper()} ON "{table}" FOR EACH ROW '
                f"BEGIN {' '.join(part for part in body if part)} END"
            )
    statements += [
        f'DROP TRIGGER IF EXISTS "{TRIGGER}_snapshot"',
        f'CREATE TRIGGER "{TRIGGER}_snapshot" BEFORE UPDATE ON {CLOSED_TABLE} FOR EACH ROW '
        "WHEN OLD.year IS NOT NEW.year OR OLD.snapshot IS NOT NEW.snapshot "
        "OR OLD.closed_at IS NOT NEW.closed_at "
        "OR OLD.report_pdf_sha256 IS NOT NEW.report_pdf_sha256 "
        "OR OLD.report_pdf IS NOT NEW.report_pdf "
        f"BEGIN SELECT RAISE(ABORT, '{FROZEN_MARK}'); END",
    ]
    return statements
