"""A complete, re-importable archive of the data, and restoring it into an empty database.

The archive is a ZIP file with three members:

``manifest.json``
    format, moment, database, the last migration of every app, and the number of
    records per model (``restore_data`` checks them after loading);
``groups.json``
    the auth groups by name (the roles exist already in a migrated database, possibly
    with other ids, so they are matched by name);
``data.json``
    everything else as a Django fixture: the records of ``kpis``, ``projects`` and
    ``subsidies`` (closed years and import batches included), user accounts (with
    password hashes: keep archives as safe as the database), the audit trail and the
    admin's own action log. Primary keys are kept, so the audit trail keeps pointing
    at its records; content types and permissions are written by natural key, as
    they get other ids in every database.

The writing happens in one read transaction (repeatable read on PostgreSQL), so the
archive is one consistent moment even while people keep working.
"""

from __future__ import annotations

import datetime
import io
import json
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import django
from django.apps import apps
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "bnf-backup/1"
OUR_APPS = ("kpis", "projects", "subsidies")
GROUPS_MEMBER = "groups.json"
DATA_MEMBER = "data.json"
MANIFEST_MEMBER = "manifest.json"


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, but moments keep their microseconds (it cuts them to
    milliseconds, so a restored audit trail or closing time would differ)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """The archive cannot be written or restored; the message says why, in Dutch."""


def archived_models() -> list[type]:
    """Every model whose records go into the archive, in an order loaddata can follow."""
    from auditlog.models import LogEntry as AuditLogEntry

    ours = [
        model
        for label in OUR_APPS
        for model in apps.get_app_config(label).get_models()
        if not model._meta.proxy and model._meta.managed
    ]
    models = [get_user_model(), Group, *ours, AuditLogEntry, AdminLogEntry]
    return serializers.sort_dependencies([(None, models)], allow_cycles=True)


def _records(model) -> Iterator:
    """All records of ``model`` by primary key, with what the serializer will ask for."""
    related = [
        field.name
        for field in model._meta.concrete_fields
        if field.many_to_one and hasattr(field.related_model, "natural_key")
    ]
    many = [
        field.name
        for field in model._meta.many_to_many
        if field.remote_field.through._meta.auto_created
    ]
    if model is Group:
        many = ["permissions__content_type"]
    elif model is get_user_model():
        many = ["groups", "user_permissions__content_type"]
    queryset = model._base_manager.select_related(*related).prefetch_related(*many)
    return queryset.order_by("pk").iterator(chunk_size=2000)


def _counted(models, counts: Counter) -> Iterator:
    for model in models:
        for record in _records(model):
            counts[model._meta.label_lower] += 1
            yield record


def _write_fixture(archive: zipfile.ZipFile, name: str, objects, *, natural_primary: bool):
    with archive.open(name, "w", force_zip64=True) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8")
        serializers.serialize(
            "json",
            objects,
            stream=text,
            use_natural_foreign_keys=True,
            use_natural_primary_keys=natural_primary,
            cls=ExactJSONEncoder,
            indent=None,
        )
        text.flush()
        text.detach()


def applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def write_archive(path: str | Path) -> dict:
    """Write the archive to ``path`` (which must not exist yet); returns the manifest."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"'{path}' bestaat al; kies een nieuwe naam.")
    models = archived_models()
    counts: Counter = Counter()
    partial = path.with_name(path.name + ".deel")
    try:
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                _write_fixture(
                    archive, GROUPS_MEMBER, _counted([Group], counts), natural_primary=True
                )
                rest = [model for model in models if model is not Group]
                _write_fixture(archive, DATA_MEMBER, _counted(rest, counts), natural_primary=False)
                manifest = {
                    "format": FORMAT,
                    "created_at": timezone.now().isoformat(),
                    "database": connection.vendor,
                    "django": django.get_version(),
                    "migrations": applied_migrations(),
                    "counts": {
                        model._meta.label_lower: counts[model._meta.label_lower] for model in models
                    },
                }
                archive.writestr(
                    MANIFEST_MEMBER, json.dumps(manifest, indent=1, ensure_ascii=False)
                )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def read_manifest(path: str | Path) -> dict:
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST_MEMBER))
            missing = {GROUPS_MEMBER, DATA_MEMBER} - set(archive.namelist())
    except FileNotFoundError:
        raise BackupError(f"'{path}' bestaat niet.") from None
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise BackupError(f"'{path}' is geen back-up van deze applicatie.") from None
    if manifest.get("format") != FORMAT or missing:
        raise BackupError(f"'{path}' is geen back-up in het formaat {FORMAT}.")
    return manifest


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        raise BackupError(f"De back-up bevat '{label}', dat deze versie niet kent.") from None


def existing_records(manifest: dict) -> dict[str, int]:
    """Records already in the database, per archived model (groups made by the
    migrations do not count: they are matched by name)."""
    found = {}
    for label in manifest["counts"]:
        if label == "auth.group":
            continue
        count = _model(label)._base_manager.count()
        if count:
            found[label] = count
    return found


def check_migrations(manifest: dict) -> None:
    here = applied_migrations()
    labels = {app_config.label for app_config in apps.get_app_configs()}
    missing = [
        f"{app_label}.{name}"
        for app_label, names in manifest["migrations"].items()
        for name in names
        if app_label in labels and name not in here.get(app_label, [])
    ]
    if missing:
        raise BackupError(
            "De database loopt achter op de back-up; voer eerst 'manage.py migrate' uit "
            f"(ontbreekt o.a.: {', '.join(missing[:5])})."
        )


def restore_archive(path: str | Path, *, force: bool = False) -> dict[str, int]:
    """Load the archive into this database; returns the number of records per model.

    Refuses a database that already has records (unless ``force``: records with the
    same id are then overwritten, the others added). All or nothing: on any error the
    database is left as it was. The audit log is off meanwhile: the archive brings
    its own.
    """
    from auditlog.context import disable_auditlog

    manifest = read_manifest(path)
    check_migrations(manifest)
    if not force:
        found = existing_records(manifest)
        if found:
            listed = ", ".join(f"{label}: {count}" for label, count in sorted(found.items()))
            raise BackupError(
                "De database is niet leeg; herstel alleen in een lege, gemigreerde database "
                f"(of gebruik --force om samen te voegen). Aanwezig: {listed}."
            )
    with tempfile.TemporaryDirectory() as folder:
        with zipfile.ZipFile(path) as archive:
            groups = archive.extract(GROUPS_MEMBER, folder)
            data = archive.extract(DATA_MEMBER, folder)
        with disable_auditlog(), transaction.atomic():
            call_command("loaddata", groups, data, verbosity=0, database=DEFAULT_DB_ALIAS)
            counts = {label: _model(label)._base_manager.count() for label in manifest["counts"]}
            short = {
                label: (expected, counts[label])
                for label, expected in manifest["counts"].items()
                if counts[label] < expected
                or (not force and label != "auth.group" and counts[label] != expected)
            }
            if short:
                raise BackupError(
                    "Na het laden klopt het aantal records niet (verwacht, gevonden): "
                    + ", ".join(f"{label} {pair}" for label, pair in sorted(short.items()))
                )
    return counts
