"""Transport per day, per month and per year and pair of libraries, kept by the database
beside the raw rows.

The yearly figures read these summaries instead of millions of reservation rows: the
quantity and the number of rows per (year, origin, destination) for whole years, per
(month, origin, destination) for the charts and the whole months of a period up to a
day (last year up to the day a year in progress has reached), per (day, origin,
destination) for the days of that period's last month. Which pairs
count as "within the province" is still decided when the figures are read, from the
libraries' provinces, so moving a library to another province shows at once.

Triggers keep them in the same transaction as the write, on every path (the admin, the
imports, COPY, ``bulk_create``, ``update()``, raw SQL, other processes):

- PostgreSQL: statement-level triggers with transition tables add the new rows and
  subtract the old ones per key, in key order and table by table (so two loads never
  deadlock on them), and drop keys whose rows are all gone; a TRUNCATE empties them too.
- SQLite: row-level triggers do the same per row.

``install()`` (after every ``migrate`` and ``flush``) creates the tables and the
triggers and builds a summary from the raw rows when its table is new; ``rebuild()``
builds both anew.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections

SOURCE = "kpis_transportreservation"
TRIGGER = "bnf_transport_month"  # the triggers' names, from when there was one summary


@dataclass(frozen=True)
class Level:
    """One summary table: its name, its period column and how a delivery date maps to it."""

    table: str
    column: str
    pg_type: str
    sqlite_type: str

    def pg_period(self, date: str) -> str:
        if self.column == "day":
            return date
        if self.column == "month":
            return f"date_trunc('month', {date})::date"
        return f"EXTRACT(YEAR FROM {date})::integer"

    def sqlite_period(self, date: str) -> str:
        if self.column == "day":
            return date
        if self.column == "month":
            return f"substr({date}, 1, 7) || '-01'"
        return f"CAST(substr({date}, 1, 4) AS integer)"

    @property
    def key(self) -> str:
        return f"{self.column}, origin_id, destination_id"

    def create(self, quantity_type: str, period_type: str) -> list[str]:
        # The partial index lets the prune after a write find emptied keys at once.
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table} ({self.column} {period_type} NOT NULL, "
            f"origin_id integer NOT NULL, destination_id integer NOT NULL, "
            f"quantity {quantity_type} NOT NULL, row_count {quantity_type} NOT NULL, "
            f"PRIMARY KEY ({self.key}))",
            f"CREATE INDEX IF NOT EXISTS {self.table}_empty ON {self.table} ({self.column}) "
            "WHERE row_count = 0",
        ]

    @property
    def prune(self) -> str:
        return f"DELETE FROM {self.table} WHERE row_count = 0;"


DAY = Level("bnf_transport_day", "day", "date", "date")
MONTH = Level("bnf_transport_month", "month", "date", "date")
YEAR = Level("bnf_transport_year", "year", "integer", "integer")
LEVELS = (DAY, MONTH, YEAR)
DAY_TABLE = DAY.table  # the daily summary (the last month of a period up to a day)
TABLE = MONTH.table  # the monthly summary (the charts, whole months of such a period)
YEAR_TABLE = YEAR.table  # the yearly summary (whole years)


def _pg_add(level: Level, rows: str, sign: str) -> str:
    return (
        f"INSERT INTO {level.table} AS s ({level.key}, quantity, row_count) "
        f"SELECT {level.pg_period('delivered_on')}, origin_id, destination_id, "
        f"{sign}sum(quantity), {sign}count(*) FROM {rows} "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 "
        f"ON CONFLICT ({level.key}) DO UPDATE SET "
        "quantity = s.quantity + EXCLUDED.quantity, row_count = s.row_count + EXCLUDED.row_count;"
    )


def _postgresql() -> list[str]:
    statements = [s for level in LEVELS for s in level.create("bigint", level.pg_type)]
    bodies = {
        "insert": "".join(_pg_add(level, "bnf_new", "") for level in LEVELS),
        "update": "".join(
            _pg_add(level, "bnf_old", "-") + _pg_add(level, "bnf_new", "") + level.prune
            for level in LEVELS
        ),
        "delete": "".join(_pg_add(level, "bnf_old", "-") + level.prune for level in LEVELS),
    }
    for op, body in bodies.items():
        function = f"{TRIGGER}_{op}"
        statements.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$"
        )
        referencing = {
            "insert": "NEW TABLE AS bnf_new",
            "update": "OLD TABLE AS bnf_old NEW TABLE AS bnf_new",
            "delete": "OLD TABLE AS bnf_old",
        }[op]
        statements.append(
            f"CREATE OR REPLACE TRIGGER {TRIGGER}_{op} AFTER {op.upper()} ON {SOURCE} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    truncate = " ".join(f"TRUNCATE {level.table};" for level in LEVELS)
    statements += [
        f"CREATE OR REPLACE FUNCTION {TRIGGER}_truncate() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN {truncate} RETURN NULL; END $$",
        f"CREATE OR REPLACE TRIGGER {TRIGGER}_truncate AFTER TRUNCATE ON {SOURCE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}_truncate()",
    ]
    return statements


def _sqlite_match(level: Level, row: str) -> str:
    return (
        f"{level.column} = {level.sqlite_period(f'{row}.delivered_on')} "
        f"AND origin_id = {row}.origin_id AND destination_id = {row}.destination_id"
    )


def _sqlite_add(level: Level, row: str, sign: str) -> str:
    return (
        f"UPDATE {level.table} SET quantity = quantity {sign} {row}.quantity, "
        f"row_count = row_count {sign} 1 WHERE {_sqlite_match(level, row)};"
    )


def _sqlite_insert_key(level: Level, row: str) -> str:
    # An UPDATE after a plain insert of the key: an upsert here would take the outer
    # statement's conflict rule instead of its own.
    return (
        f"INSERT INTO {level.table} ({level.key}, quantity, row_count) "
        f"SELECT {level.sqlite_period(f'{row}.delivered_on')}, {row}.origin_id, "
        f"{row}.destination_id, 0, 0 WHERE NOT EXISTS "
        f"(SELECT 1 FROM {level.table} WHERE {_sqlite_match(level, row)});"
    )


def _sqlite() -> list[str]:
    statements = [s for level in LEVELS for s in level.create("integer", level.sqlite_type)]
    bodies = {
        "insert": "".join(
            _sqlite_insert_key(level, "NEW") + _sqlite_add(level, "NEW", "+") for level in LEVELS
        ),
        "update": "".join(
            _sqlite_add(level, "OLD", "-")
            + _sqlite_insert_key(level, "NEW")
            + _sqlite_add(level, "NEW", "+")
            + level.prune
            for level in LEVELS
        ),
        "delete": "".join(_sqlite_add(level, "OLD", "-") + level.prune for level in LEVELS),
    }
    for op, body in bodies.items():
        name = f'"{TRIGGER}_{op}"'
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {SOURCE} FOR EACH ROW BEGIN {body} END",
        ]
    return statements


def _exists(cursor, vendor: str, table: str) -> bool:
    if vendor == "postgresql":
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
    else:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = %s", [table]
        )
    return bool(cursor.fetchone()[0])


def install(using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the tables and their triggers (idempotent); fill a new table from the rows."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    with connection.cursor() as cursor:
        new = [level for level in LEVELS if not _exists(cursor, connection.vendor, level.table)]
        for statement in _postgresql() if connection.vendor == "postgresql" else _sqlite():
            cursor.execute(statement)
    if new:
        rebuild(using, new)


def install_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    install(using)


def rebuild(using: str = DEFAULT_DB_ALIAS, levels=LEVELS) -> None:
    """The summaries (all, or ``levels``) anew from the raw rows, one statement each."""
    connection = connections[using]
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for level in levels:
            period = level.pg_period if postgres else level.sqlite_period
            cursor.execute(f"DELETE FROM {level.table}")
            cursor.execute(
                f"INSERT INTO {level.table} ({level.key}, quantity, row_count) "
                f"SELECT {period('delivered_on')}, origin_id, destination_id, sum(quantity), "
                f"count(*) FROM {SOURCE} GROUP BY 1, 2, 3"
            )
