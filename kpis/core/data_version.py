"""A data version: a number that changes with every committed write to a registration table.

The yearly figures are cached under this number
(``kpis.reporting.aggregation.history``), so a cached answer can never outlive the
data it was computed from. The number is kept by database triggers, not by Django
signals, so that every way of writing counts: the admin, the imports, queryset
``update()``/``delete()``, ``bulk_create``, COPY, raw SQL, ``loaddata``, ``flush`` and
other processes.

- PostgreSQL: one statement-level trigger per table (INSERT, UPDATE, DELETE, TRUNCATE)
  sets the row of its connection's *slot* (the backend's process id modulo ``SLOTS``) to
  the next value of a sequence, inside the writing transaction. Writers on different
  connections touch different rows, so they do not queue behind one row lock (a long
  import no longer holds up every other write). The version a reader sees is the install
  marker plus the sum of the committed slot values: every commit raises one slot to a
  number never handed out before, so the sum grows with every commit and a reader sees a
  new version exactly when it can see the new data; a rolled-back write changes nothing.
- SQLite (the embedded default, one writer at a time): row-level triggers set the one
  slot to a random 64-bit number.

Watched are all tables of the apps in ``TRACKED_APPS``, including many-to-many tables:
anything a figure can read. They are (re)installed after every ``migrate`` and ``flush``
(``post_migrate``), so a new registration type is watched without further work. Not
watched are the ``DERIVED_MODELS``: output made from the data under a data version (a
report PDF). Storing one must not change the version it was made from, or it would be
out of date the moment it is stored.
"""

from __future__ import annotations

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections

TABLE = "bnf_data_versions"
OLD_TABLE = "bnf_data_version"  # one row for all writers, before the slots
MARKER = -1  # the slot install() writes: a new epoch at every migrate
SLOTS = 64
SEQUENCE = "bnf_data_version_seq"
FUNCTION = "bnf_bump_data_version"
TRIGGER = "bnf_data_version"
TRACKED_APPS = ("kpis", "projects", "subsidies")
# Made from the data, never read by a figure: not watched here, and no record for the
# audit trail (kpis.core.audit) or the backup (kpis.backup) either; it can be made again.
DERIVED_MODELS = ("kpis.ReportBuild",)


def is_derived(model) -> bool:
    return model._meta.label in DERIVED_MODELS


def _tables(derived: bool) -> list[str]:
    tables = set()
    for label in TRACKED_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy and is_derived(model) == derived:
                tables.add(model._meta.db_table)
    return sorted(tables)


def tracked_tables() -> list[str]:
    return _tables(derived=False)


def supported(using: str = DEFAULT_DB_ALIAS) -> bool:
    return connections[using].vendor in ("postgresql", "sqlite")


def install(using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the version table and the triggers (idempotent)."""
    connection = connections[using]
    if not supported(using):
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {OLD_TABLE}")
        create = (
            f"CREATE TABLE IF NOT EXISTS {TABLE} (slot smallint PRIMARY KEY, token bigint NOT NULL)"
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
            cursor.execute(create)
            cursor.execute(
                f"INSERT INTO {TABLE} (slot, token) VALUES ({MARKER}, nextval('{SEQUENCE}')) "
                "ON CONFLICT (slot) DO UPDATE SET token = EXCLUDED.token"
            )
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                f"INSERT INTO {TABLE} (slot, token) "
                f"VALUES (pg_backend_pid() % {SLOTS}, nextval('{SEQUENCE}')) "
                "ON CONFLICT (slot) DO UPDATE SET token = EXCLUDED.token; "
                "RETURN NULL; END $$"
            )
            for table in _tables(derived=True):  # left from before it was derived
                cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote(table)}")
            for table in tracked_tables():
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {TRIGGER} "
                    f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {quote(table)} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
                )
        else:
            cursor.execute(create)
            cursor.execute(
                f"INSERT OR REPLACE INTO {TABLE} (slot, token) VALUES ({MARKER}, random())"
            )
            cursor.execute(f"INSERT OR IGNORE INTO {TABLE} (slot, token) VALUES (0, random())")
            for table in _tables(derived=True):  # left from before it was derived
                for event in ("INSERT", "UPDATE", "DELETE"):
                    cursor.execute(
                        f"DROP TRIGGER IF EXISTS {quote(f'{TRIGGER}_{table}_{event.lower()}')}"
                    )
            for table in tracked_tables():
                for event in ("INSERT", "UPDATE", "DELETE"):
                    name = quote(f"{TRIGGER}_{table}_{event.lower()}")
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cursor.execute(
                        f"CREATE TRIGGER {name} AFTER {event} ON {quote(table)} "
                        # An UPDATE: an INSERT here would take the outer statement's
                        # conflict rule (a many-to-many add ignores conflicts).
                        f"BEGIN UPDATE {TABLE} SET token = random() WHERE slot = 0; END"
                    )


def current(using: str = DEFAULT_DB_ALIAS) -> str | None:
    """The data version now, or ``None`` where there is none (another database, or the
    install marker is gone until the next ``migrate``): then nothing may be cached."""
    if not supported(using):
        return None
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT slot, token FROM {TABLE}")
        tokens = dict(cursor.fetchall())
    marker = tokens.pop(MARKER, None)
    if marker is None:
        return None
    return f"{marker}:{sum(tokens.values())}"


def install_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    install(using)
