"""A data version: a number that changes with every committed write to a registration table.

The yearly figures are cached under this number (``kpis.reporting.history``), so a cached
answer can never outlive the data it was computed from. The number is kept by database
triggers, not by Django signals, so that every way of writing counts: the admin, the
imports, queryset ``update()``/``delete()``, ``bulk_create``, COPY, raw SQL, ``loaddata``,
``flush`` and other processes.

- PostgreSQL: one statement-level trigger per table (INSERT, UPDATE, DELETE, TRUNCATE)
  sets the version to the next value of a sequence. A sequence never hands out a number
  twice, so a rolled-back write cannot leave a number behind that later means other
  data. The version row is updated inside the writing transaction, so readers see the
  new number exactly when they can see the new data.
- SQLite (the embedded default): row-level triggers set it to a random 64-bit number.

Watched are all tables of the apps in ``TRACKED_APPS``, including many-to-many tables:
anything a figure can read. They are (re)installed after every ``migrate`` and ``flush``
(``post_migrate``), so a new registration type is watched without further work.
"""

from __future__ import annotations

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections

TABLE = "bnf_data_version"
SEQUENCE = "bnf_data_version_seq"
FUNCTION = "bnf_bump_data_version"
TRIGGER = "bnf_data_version"
TRACKED_APPS = ("kpis", "projects", "subsidies")


def tracked_tables() -> list[str]:
    tables = set()
    for label in TRACKED_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                tables.add(model._meta.db_table)
    return sorted(tables)


def supported(using: str = DEFAULT_DB_ALIAS) -> bool:
    return connections[using].vendor in ("postgresql", "sqlite")


def install(using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the version table and the triggers (idempotent)."""
    connection = connections[using]
    if not supported(using):
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} "
                "(id smallint PRIMARY KEY CHECK (id = 1), token bigint NOT NULL)"
            )
            cursor.execute(
                f"INSERT INTO {TABLE} (id, token) VALUES (1, nextval('{SEQUENCE}')) "
                "ON CONFLICT (id) DO NOTHING"
            )
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                f"UPDATE {TABLE} SET token = nextval('{SEQUENCE}') WHERE id = 1; "
                "RETURN NULL; END $$"
            )
            for table in tracked_tables():
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {TRIGGER} "
                    f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {quote(table)} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
                )
        else:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} "
                "(id integer PRIMARY KEY CHECK (id = 1), token integer NOT NULL)"
            )
            cursor.execute(f"INSERT OR IGNORE INTO {TABLE} (id, token) VALUES (1, random())")
            for table in tracked_tables():
                for event in ("INSERT", "UPDATE", "DELETE"):
                    name = quote(f"{TRIGGER}_{table}_{event.lower()}")
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {quote(table)} "
                        f"BEGIN UPDATE {TABLE} SET token = random() WHERE id = 1; END"
                    )


def current(using: str = DEFAULT_DB_ALIAS) -> int | None:
    """The data version now, or ``None`` where there is none (another database, or the
    version row is gone until the next ``migrate``): then nothing may be cached."""
    if not supported(using):
        return None
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT token FROM {TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def install_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    install(using)
