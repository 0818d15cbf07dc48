"""A complete, re-importable archive of the data, and restoring it into an empty database.

The archive is a ZIP file with three members, plus the evidence files:

``manifest.json``
    format, moment, database, the last migration of every app, and the number of
    records per model (``restore_data`` checks them after loading);
``groups.json``
    the auth groups by name (the roles exist already in a migrated database, possibly
    with other ids, so they are matched by name);
``data.json``
    everything else as a Django fixture: the records of ``kpis``, ``projects`` and
    ``subsidies`` (closed years and import batches included; not the report PDFs made
    on request, ``kpis.core.data_version.DERIVED_MODELS``), user accounts (with
    password hashes: keep archives as safe as the database), the audit trail and the
    admin's own action log. Primary keys are kept, so the audit trail keeps pointing
    at its records; content types and permissions are written by natural key, as
    they get other ids in every database;
``files/<name>``
    the content of every evidence file (``kpis.Evidence``), under its name in the
    evidence storage. Restoring writes each one back under that name, after checking it
    against the checksum of its row; a file the storage already holds with other content
    is never overwritten (the restore is refused). A file that was missing from the
    storage at backup time is listed in the manifest (``missing_files``).

The writing happens in one read transaction (repeatable read on PostgreSQL), so the
archive is one consistent moment even while people keep working.

Restoring streams the fixtures (one object at a time from the ZIP, never a whole file
in memory), turns each batch of ``BATCH_SIZE`` records of a model into instances with
Django's own deserializer and writes them with ``bulk_create``, their many-to-many links
likewise; all in one transaction. The values are stored exactly as archived, as
``loaddata`` would (no new "aangemaakt/gewijzigd op" moments). Closed years are written
last, after every registration: a year that is closed refuses writes of its records.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
import json
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import django
from django.apps import apps
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files import File
from django.core.management.color import no_style
from django.core.serializers import base as serializer_base
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.python import Deserializer as PythonDeserializer
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext

from kpis.core import data_version, year_policy

FORMAT = "bnf-backup/1"
OUR_APPS = ("kpis", "projects", "subsidies")
GROUPS_MEMBER = "groups.json"
DATA_MEMBER = "data.json"
MANIFEST_MEMBER = "manifest.json"
FILES_PREFIX = "files/"
# Records per INSERT statement when restoring (and per deserialized batch in memory).
BATCH_SIZE = 5000
# Read from the archive this many characters at a time.
CHUNK_SIZE = 1 << 20


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
    """Every model whose records go into the archive, in an order loaddata can follow,
    closed years last (see ``loaded_last``)."""
    from auditlog.models import LogEntry as AuditLogEntry

    ours = [
        model
        for label in OUR_APPS
        for model in apps.get_app_config(label).get_models()
        # Output made from the data (a report PDF) is made again when asked for.
        if not model._meta.proxy and model._meta.managed and not data_version.is_derived(model)
    ]
    models = [get_user_model(), Group, *ours, AuditLogEntry, AdminLogEntry]
    ordered = serializers.sort_dependencies([(None, models)], allow_cycles=True)
    last = loaded_last()
    return [model for model in ordered if model not in last] + last


def loaded_last() -> list[type]:
    """Models restored after all others, whatever their place in an (older) archive.

    A closed year refuses writes of records dated in it, so the registrations go in
    first and the closed years after them. They only point at users, which come first.
    """
    return [apps.get_model("kpis", "ClosedYear")]


# Records a migrated database already has, that the archive's replace: the network's
# identity (one row, made by migration 0010; kpis.models.network).
REPLACED = ("kpis.network",)


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
                files, missing = _write_files(archive)
                manifest = {
                    "format": FORMAT,
                    "created_at": timezone.now().isoformat(),
                    "database": connection.vendor,
                    "django": django.get_version(),
                    "migrations": applied_migrations(),
                    "counts": {
                        model._meta.label_lower: counts[model._meta.label_lower] for model in models
                    },
                    "files": files,
                    "missing_files": missing,
                }
                archive.writestr(
                    MANIFEST_MEMBER, json.dumps(manifest, indent=1, ensure_ascii=False)
                )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def _evidence():
    model = apps.get_model("kpis", "Evidence")
    return model, model._meta.get_field("file").storage


def _write_files(archive: zipfile.ZipFile) -> tuple[int, list[str]]:
    """Every evidence file into ``files/``, stored as it is (PDFs and photos are
    compressed already); returns the number written and the names the storage lacked."""
    model, storage = _evidence()
    written, missing = 0, []
    names = model._base_manager.exclude(file="").order_by("pk").values_list("file", flat=True)
    for name in names.iterator():
        try:
            source = storage.open(name, "rb")
        except FileNotFoundError:
            missing.append(name)
            continue
        info = zipfile.ZipInfo(FILES_PREFIX + name, date_time=timezone.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED
        with source, archive.open(info, "w", force_zip64=True) as target:
            shutil.copyfileobj(source, target, CHUNK_SIZE)
        written += 1
    return written, missing


def _restore_files(archive: zipfile.ZipFile, manifest: dict, written: list[str]) -> None:
    """Write the evidence files of the restored rows into the storage, under their own
    names; ``written`` collects what was written (removed again if the restore fails)."""
    model, storage = _evidence()
    members = {
        info.filename.removeprefix(FILES_PREFIX): info
        for info in archive.infolist()
        if info.filename.startswith(FILES_PREFIX)
    }
    missing_ok = set(manifest.get("missing_files") or ())
    rows = model._base_manager.exclude(file="").order_by("pk").values_list("file", "checksum")
    for name, checksum in rows.iterator():
        info = members.get(name)
        if info is None:
            if name in missing_ok:
                continue
            raise BackupError(f"Het archief mist het bestand '{name}' van een bewijsstuk.")
        with tempfile.SpooledTemporaryFile(CHUNK_SIZE * 8) as copy, archive.open(info) as source:
            digest = hashlib.sha256()
            for chunk in iter(lambda: source.read(CHUNK_SIZE), b""):
                digest.update(chunk)
                copy.write(chunk)
            if digest.hexdigest() != checksum:
                raise BackupError(
                    f"Het bestand '{name}' in het archief klopt niet met zijn controlegetal."
                )
            try:
                if storage.exists(name):
                    with storage.open(name, "rb") as present:
                        same = _sha256(present) == checksum
                    if same:
                        continue
                    raise BackupError(
                        f"De opslag voor bewijsstukken heeft al een ander bestand '{name}'; "
                        "herstel in een lege opslag."
                    )
                copy.seek(0)
                saved = storage.save(name, File(copy, name=name))
            except SuspiciousFileOperation as error:
                raise BackupError(f"Ongeldige bestandsnaam in het archief: {error}") from None
            written.append(saved)
            if saved != name:
                raise BackupError(f"Het bestand '{name}' kon niet onder zijn eigen naam terug.")


def _sha256(stream) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK_SIZE), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _remove_files(names: list[str]) -> None:
    _model, storage = _evidence()
    for name in names:
        storage.delete(name)


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
    """Records already in the database, per archived model (what the migrations make
    does not count: groups are matched by name, the network's identity replaced)."""
    found = {}
    for label in manifest["counts"]:
        if label == "auth.group" or label in REPLACED:
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
    same id are then overwritten, the others added; an overwritten record's
    many-to-many links become the archived ones). All or nothing, in one transaction:
    on any error (also a ``ValidationError`` or ``IntegrityError`` from a write, such
    as a closed year refusing its records) the database is left as it was and the
    error is raised as it came. The audit log is off meanwhile: the archive brings its
    own.

    Groups are matched by name and saved one by one, as ``loaddata`` does (a handful).
    All other records are written per model in batches of ``BATCH_SIZE`` with the
    model's own ``bulk_create`` (``kpis.backup.restoring_queryset``), with ``force`` as
    an upsert on the primary key (``update_conflicts``: every other column overwritten).
    Afterwards the foreign keys are checked, the counts compared with the manifest and
    the id sequences set past the highest restored id (PostgreSQL).
    """
    from auditlog.context import disable_auditlog

    manifest = read_manifest(path)
    check_migrations(manifest)
    for label in manifest["counts"]:
        _model(label)
    if not force:
        found = existing_records(manifest)
        if found:
            listed = ", ".join(f"{label}: {count}" for label, count in sorted(found.items()))
            raise BackupError(
                "De database is niet leeg; herstel alleen in een lege, gemigreerde database "
                f"(of gebruik --force om samen te voegen). Aanwezig: {listed}."
            )
    # Content types and permissions are found by natural key: from the database, not from
    # a process cache that a flush (ids made anew) may have left behind.
    ContentType.objects.clear_cache()
    loader = _Loader(force=force)
    written: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive, disable_auditlog(), transaction.atomic():
            try:
                with _text(archive, GROUPS_MEMBER) as stream:
                    loader.save_one_by_one(json_array_items(stream))
                with _text(archive, DATA_MEMBER) as stream:
                    loader.load(json_array_items(stream))
                loader.finish()
            except serializer_base.DeserializationError as error:
                raise BackupError(f"Het archief is beschadigd of onleesbaar: {error}") from error
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
            _restore_files(archive, manifest, written)
            reset_sequences(archived_models())
    except BaseException:
        _remove_files(written)  # the rows they belong to are rolled back
        raise
    return counts


def restore_failure_message(error: Exception) -> str:
    """A write refused during ``restore_archive`` (``ValidationError``, a database
    error), as the Dutch sentence ``restore_data`` ends with."""
    refusal = year_policy.refusal_from(error)
    if refusal is not None:
        error = refusal  # the year policy's own sentence, not the database's marker
    if isinstance(error, ValidationError):
        detail = " ".join(str(message) for message in error.messages)
    else:
        detail = str(error).strip()

    if isinstance(error, year_policy.ClosedYearError):
        return gettext(
            "Herstel geweigerd: de back-up bevat records uit een afgesloten jaar van deze "
            "database. Er is niets gewijzigd. Heropen dat jaar eerst, of herstel in een lege "
            "database. (%(detail)s)"
        ) % {"detail": detail}
    return gettext("Herstel mislukt, er is niets gewijzigd: %(detail)s") % {"detail": detail}


RESTORE_ERRORS = (ValidationError, DatabaseError)


def reset_sequences(models: Iterable[type]) -> None:
    """Set the id sequences past the highest id (PostgreSQL; SQLite keeps up by itself),
    so that records made after a restore get new ids."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _text(archive: zipfile.ZipFile, name: str) -> io.TextIOWrapper:
    """An archive member as text, read as it is unpacked."""
    return io.TextIOWrapper(archive.open(name), encoding="utf-8")


_SPACE = re.compile(r"\s*")


def json_array_items(stream, chunk_size: int = CHUNK_SIZE) -> Iterator:
    """The items of the JSON array in the text ``stream``, one at a time.

    A fixture is one JSON array (written on one line); ``json.load`` would hold all of
    it, and all its objects, in memory at once. This reads ``chunk_size`` characters
    at a time and decodes each item as soon as it is complete.
    """
    decoder = json.JSONDecoder()
    buffer, position, at_end = "", 0, False
    expecting = "["  # then "item" (or "]" for an empty array), then "," or "]"

    def read_more():
        nonlocal buffer, position, at_end
        chunk = stream.read(chunk_size)
        buffer, position, at_end = buffer[position:] + chunk, 0, not chunk

    while True:
        position = _SPACE.match(buffer, position).end()
        if position == len(buffer):
            if at_end:
                raise serializer_base.DeserializationError("De JSON-lijst is niet afgesloten.")
            read_more()
            continue
        char = buffer[position]
        if expecting == "[":
            if char != "[":
                raise serializer_base.DeserializationError("Geen JSON-lijst.")
            position += 1
            expecting = "first"
        elif char == "]" and expecting in ("first", ","):
            return
        elif expecting == ",":
            if char != ",":
                raise serializer_base.DeserializationError(f"Onverwacht teken {char!r}.")
            position += 1
            expecting = "item"
        else:
            try:
                item, end = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError as error:
                if at_end:
                    raise serializer_base.DeserializationError(str(error)) from error
                read_more()  # an item cut off by the chunk: read on, decode it again
                continue
            position = end
            expecting = ","
            yield item


class ArchiveDeserializer(PythonDeserializer):
    """Django's deserializer (what ``loaddata`` uses behind the JSON), with every natural
    key (a user's name, a content type, a permission) looked up once per restore
    instead of once per record that refers to it."""

    def __init__(self, objects, *, natural_keys: dict, **options):
        super().__init__(objects, **options)
        self.natural_keys = natural_keys

    def _handle_object(self, obj):
        try:
            yield from super()._handle_object(obj)
        except (GeneratorExit, serializer_base.DeserializationError):
            raise
        except Exception as error:  # as the JSON deserializer reports a malformed object
            raise serializer_base.DeserializationError(f"{obj!r:.200}: {error}") from error

    @staticmethod
    def _has_natural_keys(model) -> bool:
        return hasattr(model._default_manager, "get_by_natural_key")

    def _handle_fk_field_node(self, field, field_value):
        model = field.remote_field.model
        if not (isinstance(field_value, list) and self._has_natural_keys(model)):
            return super()._handle_fk_field_node(field, field_value)
        key = ("fk", model, field.remote_field.field_name, tuple(field_value))
        if key not in self.natural_keys:
            found = super()._handle_fk_field_node(field, field_value)
            if found == serializer_base.DEFER_FIELD:
                return found
            self.natural_keys[key] = found
        return self.natural_keys[key]

    def _handle_m2m_field_node(self, field, field_value):
        model = field.remote_field.model
        if not (isinstance(field_value, list) and self._has_natural_keys(model)):
            return super()._handle_m2m_field_node(field, field_value)
        values = []
        for value in field_value:
            key = ("m2m", model, tuple(value) if isinstance(value, list) else value)
            if key not in self.natural_keys:
                found = super()._handle_m2m_field_node(field, [value])
                if found == serializer_base.DEFER_FIELD:
                    return found
                self.natural_keys[key] = found[0]
            values.append(self.natural_keys[key])
        return values


class _RawInsert:
    """``bulk_create`` storing the values as they are, like ``loaddata``'s raw save:
    ``auto_now``/``auto_now_add`` moments are the archived ones, not the restore's."""

    def _insert(self, *args, **kwargs):
        kwargs["raw"] = True
        return super()._insert(*args, **kwargs)


@functools.cache
def _raw_insert_class(queryset_class: type) -> type:
    return type(f"Restoring{queryset_class.__name__}", (_RawInsert, queryset_class), {})


def restoring_queryset(model):
    """The model's own queryset (so its own ``bulk_create`` and whatever it checks,
    such as closed years), writing raw values."""
    queryset = model._default_manager.db_manager(DEFAULT_DB_ALIAS).get_queryset()
    queryset.__class__ = _raw_insert_class(type(queryset))
    return queryset


class _Loader:
    """Writes streamed fixture objects in batches per model; see ``restore_archive``."""

    def __init__(self, *, force: bool):
        self.force = force
        self.natural_keys: dict = {}
        self.last_labels = {model._meta.label_lower for model in loaded_last()}
        self.held: list[dict] = []

    def deserialize(self, items: list[dict]):
        return ArchiveDeserializer(items, natural_keys=self.natural_keys, using=DEFAULT_DB_ALIAS)

    def save_one_by_one(self, items: Iterable[dict]) -> None:
        """Save each object as ``loaddata`` does (groups: matched by their name)."""
        for deserialized in self.deserialize(list(items)):
            deserialized.save(using=DEFAULT_DB_ALIAS)

    def load(self, items: Iterable[dict]) -> None:
        """Write ``items`` (fixture objects, model after model) in batches per model;
        the natural keys in a batch refer to records written before it."""
        batch: list[dict] = []
        batch_label = None
        for item in items:
            label = str(item.get("model", "")).lower() if isinstance(item, dict) else ""
            if label in self.last_labels:
                self.held.append(item)
                continue
            if batch and (len(batch) >= BATCH_SIZE or label != batch_label):
                self.write(batch)
                batch = []
            batch.append(item)
            batch_label = label
        if batch:
            self.write(batch)

    def finish(self) -> None:
        """Write what was held back until everything else was in (the closed years),
        then check every foreign key."""
        held, self.held = self.held, []
        for model in loaded_last():
            label = model._meta.label_lower
            items = [item for item in held if item["model"].lower() == label]
            for start in range(0, len(items), BATCH_SIZE):
                self.write(items[start : start + BATCH_SIZE])
        tables = {model._meta.db_table for model in archived_models()}
        for model in archived_models():
            tables.update(field.m2m_db_table() for field in model._meta.many_to_many)
        connection.check_constraints(table_names=sorted(tables))

    def write(self, items: list[dict]) -> None:
        objects = list(self.deserialize(items))
        by_model: dict[type, list] = {}
        for deserialized in objects:
            by_model.setdefault(type(deserialized.object), []).append(deserialized)
        for model, group in by_model.items():
            self.write_model(model, group)

    def write_model(self, model, objects: list) -> None:
        opts = model._meta
        options = {}
        replace = self.force or opts.label_lower in REPLACED
        if replace:
            update_fields = [
                field.name
                for field in opts.concrete_fields
                if not field.primary_key and not field.generated
            ]
            if update_fields:
                options = {
                    "update_conflicts": True,
                    "unique_fields": [opts.pk.name],
                    "update_fields": update_fields,
                }
            else:
                options = {"ignore_conflicts": True}
        restoring_queryset(model).bulk_create(
            [deserialized.object for deserialized in objects], batch_size=BATCH_SIZE, **options
        )
        for field in opts.many_to_many:
            through = field.remote_field.through
            with_links = [obj for obj in objects if field.name in obj.m2m_data]
            if not through._meta.auto_created or not with_links:
                continue
            source = through._meta.get_field(field.m2m_field_name()).attname
            target = through._meta.get_field(field.m2m_reverse_field_name()).attname
            if replace:  # the archived links replace the present ones, like .set()
                ids = [obj.object.pk for obj in with_links]
                for start in range(0, len(ids), BATCH_SIZE):
                    through._base_manager.filter(
                        **{f"{source}__in": ids[start : start + BATCH_SIZE]}
                    ).delete()
            links = [
                through(**{source: obj.object.pk, target: pk})
                for obj in with_links
                for pk in obj.m2m_data[field.name]
            ]
            through._base_manager.bulk_create(links, batch_size=BATCH_SIZE)
