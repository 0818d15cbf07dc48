"""Transport per month and pair of libraries, kept by the database beside the raw rows.

The yearly figures read this summary instead of millions of reservation rows: the
quantity and the number of rows per (month, origin, destination). Which pairs count as
"within the province" is still decided when the figures are read, from the libraries'
provinces, so moving a library to another province shows at once.

Triggers keep it in the same transaction as the write, on every path (the admin, the
imports, COPY, ``bulk_create``, ``update()``, raw SQL, other processes):

- PostgreSQL: statement-level triggers with transition tables add the new rows and
  subtract the old ones per key, in key order (so two loads never deadlock on it), and
  drop keys whose rows are all gone; a TRUNCATE empties it too.
- SQLite: row-level triggers do the same per row.

``install()`` (after every ``migrate`` and ``flush``) creates the table and the triggers
and builds the summary from the raw rows when it is new; ``rebuild()`` builds it anew.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

TABLE = "bnf_transport_month"
SOURCE = "kpis_transportreservation"
TRIGGER = "bnf_transport_month"


def _pg_month(column: str) -> str:
    return f"date_trunc('month', {column})::date"


def _pg_add(rows: str, sign: str) -> str:
    return (
        f"INSERT INTO {TABLE} AS s (month, origin_id, destination_id, quantity, row_count) "
        f"SELECT {_pg_month('delivered_on')}, origin_id, destination_id, "
        f"{sign}sum(quantity), {sign}count(*) FROM {rows} "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 "
        "ON CONFLICT (month, origin_id, destination_id) DO UPDATE SET "
        "quantity = s.quantity + EXCLUDED.quantity, row_count = s.row_count + EXCLUDED.row_count;"
    )


_PG_PRUNE = f"DELETE FROM {TABLE} WHERE row_count = 0;"


def _postgresql() -> list[str]:
    create = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (month date NOT NULL, origin_id integer NOT NULL, "
        "destination_id integer NOT NULL, quantity bigint NOT NULL, row_count bigint NOT NULL, "
        "PRIMARY KEY (month, origin_id, destination_id))"
    )
    bodies = {
        "insert": _pg_add("bnf_new", ""),
        "update": _pg_add("bnf_old", "-") + _pg_add("bnf_new", "") + _PG_PRUNE,
        "delete": _pg_add("bnf_old", "-") + _PG_PRUNE,
    }
    statements = [create]
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
    statements += [
        f"CREATE OR REPLACE FUNCTION {TRIGGER}_truncate() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN TRUNCATE {TABLE}; RETURN NULL; END $$",
        f"CREATE OR REPLACE TRIGGER {TRIGGER}_truncate AFTER TRUNCATE ON {SOURCE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}_truncate()",
    ]
    return statements


def _sqlite_add(row: str, sign: str) -> str:
    month = f"substr({row}.delivered_on, 1, 7) || '-01'"
    return (
        f"UPDATE {TABLE} SET quantity = quantity {sign} {row}.quantity, "
        f"row_count = row_count {sign} 1 WHERE month = {month} "
        f"AND origin_id = {row}.origin_id AND destination_id = {row}.destination_id;"
    )


def _sqlite_insert_key(row: str) -> str:
    # An UPDATE after a plain insert of the key: an upsert here would take the outer
    # statement's conflict rule instead of its own.
    month = f"substr({row}.delivered_on, 1, 7) || '-01'"
    return (
        f"INSERT INTO {TABLE} (month, origin_id, destination_id, quantity, row_count) "
        f"SELECT {month}, {row}.origin_id, {row}.destination_id, 0, 0 WHERE NOT EXISTS "
        f"(SELECT 1 FROM {TABLE} WHERE month = {month} AND origin_id = {row}.origin_id "
        f"AND destination_id = {row}.destination_id);"
    )


_SQLITE_PRUNE = f"DELETE FROM {TABLE} WHERE row_count = 0;"


def _sqlite() -> list[str]:
    create = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (month date NOT NULL, origin_id integer NOT NULL, "
        "destination_id integer NOT NULL, quantity integer NOT NULL, "
        "row_count integer NOT NULL, PRIMARY KEY (month, origin_id, destination_id))"
    )
    bodies = {
        "insert": _sqlite_insert_key("NEW") + _sqlite_add("NEW", "+"),
        "update": _sqlite_add("OLD", "-")
        + _sqlite_insert_key("NEW")
        + _sqlite_add("NEW", "+")
        + _SQLITE_PRUNE,
        "delete": _sqlite_add("OLD", "-") + _SQLITE_PRUNE,
    }
    statements = [create]
    for op, body in bodies.items():
        name = f'"{TRIGGER}_{op}"'
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {op.upper()} ON {SOURCE} FOR EACH ROW BEGIN {body} END",
        ]
    return statements


def _exists(cursor, vendor: str) -> bool:
    if vendor == "postgresql":
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE])
    else:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = %s", [TABLE]
        )
    return bool(cursor.fetchone()[0])


def install(using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the table and its triggers (idempotent); fill a new table from the rows."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    with connection.cursor() as cursor:
        new = not _exists(cursor, connection.vendor)
        for statement in _postgresql() if connection.vendor == "postgresql" else _sqlite():
            cursor.execute(statement)
    if new:
        rebuild(using)


def install_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    install(using)


def rebuild(using: str = DEFAULT_DB_ALIAS) -> None:
    """The summary anew from the raw rows (one statement each)."""
    connection = connections[using]
    month = (
        _pg_month("delivered_on")
        if connection.vendor == "postgresql"
        else "substr(delivered_on, 1, 7) || '-01'"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(
            f"INSERT INTO {TABLE} (month, origin_id, destination_id, quantity, row_count) "
            f"SELECT {month}, origin_id, destination_id, sum(quantity), count(*) "
            f"FROM {SOURCE} GROUP BY 1, 2, 3"
        )
