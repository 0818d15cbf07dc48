"""Audit trail: who created, changed or deleted what, when, and by which path.

Built on django-auditlog: one ``auditlog.LogEntry`` per create, change or delete of a
registered model, with the changed fields before and after (many-to-many fields too),
the user and the moment. ``register_models()`` (called from ``KpisConfig.ready``)
registers, in one place, every model of the apps ``kpis``, ``projects`` and
``subsidies`` (registrations, reference data, targets, closed years, import batches)
plus user accounts and groups; not output made from the data (a report PDF, see
``kpis.core.data_version.DERIVED_MODELS``).

The path a change came by is kept in the entry's ``additional_data["path"]``:

``admin``
    a request in the admin (set for every request by ``AuditMiddleware``);
``import``
    a file import: django-import-export's import views and the fast transport import
    in the admin (recognised by their URL name, ``..._import``/``..._process_import``),
    or code that wraps its import in ``audit_context(IMPORT)``. An ``ImportBatch``
    always counts as an import: the fast import writes its rows with ``bulk_create``,
    which sends no signals, so the batch's entry (file, checksum, rows, who) stands
    for the rows;
``command``
    a management command: wrap its work in ``audit_context(COMMAND, command="name",
    actor=user)``. Anything written outside a request counts as ``command`` too,
    because on a server that can only be ``manage.py`` (a command or the shell).

Writes by ``loaddata``-style raw saves are audited like any other command; a restore
(``restore_data``) switches the log off because the archive brings its own.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import itertools
import json
import uuid
from contextvars import ContextVar

from auditlog.cid import correlation_id, get_cid
from auditlog.context import set_actor, set_extra_data
from auditlog.diff import model_instance_diff
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import pre_save
from django.utils.encoding import smart_str
from django.utils.translation import gettext_lazy as _

from kpis.core import data_version

_json_text = json.encoder.encode_basestring_ascii  # one text as JSON, as json.dumps writes it

ADMIN = "admin"
IMPORT = "import"
COMMAND = "command"
WEB = "web"

PATH_LABELS = {
    ADMIN: _("admin"),
    IMPORT: _("import"),
    COMMAND: _("opdrachtregel"),
    WEB: _("website"),
}

AUDITED_APPS = ("kpis", "projects", "subsidies")
# Fields every save changes; the entry's own timestamp already says when.
UNTRACKED_FIELDS = ("created_at", "updated_at")

_context: ContextVar[dict | None] = ContextVar("bnf_audit_context", default=None)
# Who and from where, for entries written in bulk (django-auditlog's own context value
# outlives its block, so it cannot be read safely from outside its signal handler).
_origin: ContextVar[dict | None] = ContextVar("bnf_audit_origin", default=None)


def audited_models() -> list[type]:
    """Every model whose changes are logged."""
    models = [
        model
        for label in AUDITED_APPS
        for model in apps.get_app_config(label).get_models()
        # A summary is no record, nor is output made from the data (a report PDF).
        if not model._meta.proxy and model._meta.managed and not data_version.is_derived(model)
    ]
    return [*models, get_user_model(), Group]


def register_models() -> None:
    """Register every audited model with django-auditlog (idempotent)."""
    user_model = get_user_model()
    for model in audited_models():
        if auditlog.contains(model):
            continue
        m2m = {field.name for field in model._meta.many_to_many}
        if model is user_model:
            # Logins are not changes; a new password shows as changed, masked.
            auditlog.register(
                model, exclude_fields=["last_login"], mask_fields=["password"], m2m_fields=m2m
            )
        else:
            # Binary content (an archived report PDF) is no text for the log; the
            # checksum beside it is logged instead.
            binary = [
                f.name
                for f in model._meta.concrete_fields
                if f.get_internal_type() == "BinaryField"
            ]
            auditlog.register(model, exclude_fields=[*UNTRACKED_FIELDS, *binary], m2m_fields=m2m)
    pre_save.connect(_add_path, sender=LogEntry, dispatch_uid="bnf_audit_path")


def current_path() -> str:
    context = _context.get()
    return context["path"] if context else COMMAND


def _add_path(sender, instance, **kwargs):
    """Stamp a new log entry with the path (and command name) of the current context."""
    if instance.pk is not None:
        return
    data = dict(instance.additional_data or {})
    context = _context.get() or {"path": COMMAND}
    for key, value in context.items():
        data.setdefault(key, value)
    batch_model = _import_batch()
    if instance.content_type_id and instance.content_type.model_class() is batch_model:
        # The batch stands for its rows (written in bulk, without entries of their own),
        # and names its importer even when a command made it.
        data["path"] = IMPORT
        if instance.actor_id is None and instance.action == LogEntry.Action.CREATE:
            batch = batch_model._base_manager.filter(pk=instance.object_id).first()
            if batch is not None and batch.imported_by_id:
                instance.actor_id = batch.imported_by_id
    instance.additional_data = data


def _import_batch():
    return apps.get_model("kpis", "ImportBatch")


@contextlib.contextmanager
def audit_context(path: str, *, actor=None, **details):
    """Log the changes made inside the block as coming by ``path``, by ``actor``.

    ``details`` (for example ``command="backup_data"``) go into every entry's
    ``additional_data``. Contexts nest; the innermost one counts. Without an
    ``actor`` the entries keep the user of an enclosing request, if any.
    """
    token = _context.set({"path": path, **details})
    origin_token = _origin.set({"actor": actor}) if actor is not None else None
    cid_token = None if correlation_id.get() else correlation_id.set(uuid.uuid4().hex)
    try:
        if actor is not None:
            with set_actor(actor):
                yield
        else:
            yield
    finally:
        if cid_token is not None:
            correlation_id.reset(cid_token)
        if origin_token is not None:
            _origin.reset(origin_token)
        _context.reset(token)


def imports_files(view):
    """Mark a view that imports a file: what it writes is logged as coming by import."""

    @functools.wraps(view)
    def importing(*args, **kwargs):
        with audit_context(IMPORT):
            return view(*args, **kwargs)

    return importing


def command_context(command: str, actor=None):
    """``audit_context`` for a management command: ``with command_context("naam"):``."""
    return audit_context(COMMAND, actor=actor, command=command)


def _entry_context() -> dict:
    """Actor, address and correlation id of the current request or ``audit_context``:
    what django-auditlog fills in itself on entries it saves one by one."""
    context = _origin.get() or {}
    actor = context.get("actor")
    return {
        "actor": actor if getattr(actor, "pk", None) else None,
        "actor_email": getattr(actor, "email", None) or None,
        "remote_addr": context.get("remote_addr"),
        "cid": get_cid(),
    }


def _m2m_text(objects) -> str:
    return ", ".join(sorted(str(obj) for obj in objects))


def log_import_result(result, model, *, file_name: str | None = None) -> int:
    """Audit entries for the rows of a django-import-export result, path ``import``.

    For resources that write with ``use_bulk`` (``bulk_create``/``bulk_update`` send no
    signals, so django-auditlog sees nothing): call it after the rows are written, not
    on a dry run. A new row gets a "created" entry with its values, a changed row a
    "changed" entry with before and after, a deleted row a "deleted" entry. The values
    before come from ``row.original`` (import-export without ``skip_diff``) or from
    ``instance._import_original``, a dict of field name to value (attribute value for a
    foreign key, a set of primary keys for a many-to-many field), as
    ``kpis.core.resources.BnfResource`` keeps it. Many-to-many values of the new state
    come from ``instance._import_m2m`` (field name to objects) when set. Returns the
    number of entries written.

    A "created" entry holds what django-auditlog's own signal would store for a create
    (``created_changes``), worked out from the row's values without auditlog's diff of
    every field against nothing; changed and deleted rows use auditlog's diff. The
    entries are written in one go: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere
    (``write_entries``).
    """
    if not auditlog.contains(model):
        return 0
    from import_export.results import RowResult

    actions = {
        RowResult.IMPORT_TYPE_NEW: LogEntry.Action.CREATE,
        RowResult.IMPORT_TYPE_UPDATE: LogEntry.Action.UPDATE,
        RowResult.IMPORT_TYPE_DELETE: LogEntry.Action.DELETE,
    }
    rows = [
        row
        for row in result
        if row.import_type in actions and getattr(row, "instance", None) is not None
    ]
    if not rows:
        return 0
    excluded = auditlog.get_model_fields(model)["exclude_fields"]
    m2m_fields = [field for field in model._meta.many_to_many if field.name not in excluded]
    additional_data = {
        **(_context.get() or {}),
        "path": IMPORT,
        **({"file": file_name} if file_name else {}),
    }
    # All worked out before the writing starts: a record's text or its many-to-many
    # values may need a query, and none can run while a ``COPY`` is open.
    entries = list(_import_entries(rows, actions, m2m_fields, CreatedChanges(model)))
    return write_entries(model, entries, additional_data)


def _import_entries(rows, actions, m2m_fields, created_changes):
    """``(pk, repr, action, changes)`` for each row of an import that changed something."""
    names = _related_names(rows, m2m_fields)
    for row in rows:
        instance, action = row.instance, actions[row.import_type]
        before = _before(row, instance)
        if action == LogEntry.Action.DELETE:
            changes = model_instance_diff(before or instance, None)
        elif action == LogEntry.Action.CREATE and before is None:
            changes = created_changes(instance)
            # A new record has the many-to-many values its row gave, written after it;
            # a file without the column gave it none.
            pending = getattr(instance, "_import_m2m", None) or {}
            for field in m2m_fields:
                if pending.get(field.name):
                    changes[field.name] = ["None", _m2m_text(pending[field.name])]
        else:
            changes = model_instance_diff(before, instance) or {}
            changes.update(_m2m_changes(row, instance, m2m_fields, names))
            if action == LogEntry.Action.UPDATE and not changes:
                continue
        pk = instance.pk if instance.pk is not None else getattr(row, "object_id", None)
        yield pk, str(instance), action, changes


class CreatedChanges:
    """The ``changes`` of a "created" entry for a record of ``model``, as django-auditlog
    stores them when its signal logs a create (``model_instance_diff(None, instance)``):
    ``{field: ["None", value as text]}`` for every logged field with a value, foreign
    keys by id (also an empty one: ``["None", "None"]``, as auditlog has it).

    The fields and how to read each are worked out once per model instead of per row;
    a field auditlog treats specially (a date-time, JSON, a masked field, a field that
    is no column, a reverse relation with a ``related_name``) is read by auditlog's own
    ``get_field_value``. Reverse relations auditlog finds empty for a new record are
    skipped without asking (a reverse one-to-one would cost a query per row).
    """

    PLAIN, KEY, AUDITLOG = "plain", "key", "auditlog"

    def __init__(self, model):
        from auditlog.diff import track_field
        from django.conf import settings
        from django.db.models import DateTimeField, JSONField

        options = auditlog.get_model_fields(model)
        include, exclude = options["include_fields"], options["exclude_fields"]
        masked = options["mask_fields"]
        keys_as_ids = not settings.AUDITLOG_USE_FK_STRING_REPRESENTATION
        # Values as JSON instead of text: auditlog's diff itself, per row.
        self.as_json = settings.AUDITLOG_STORE_JSON_CHANGES
        self.fields = []
        for field in model._meta.get_fields():
            if not track_field(field):
                continue
            if field.auto_created and not field.concrete and not self._logged_reverse(field):
                continue
            if (include and field.name not in include) or field.name in exclude:
                continue
            if (
                field.name in masked
                or not field.concrete
                or isinstance(field, DateTimeField | JSONField)
            ):
                how = self.AUDITLOG
            elif keys_as_ids and (field.one_to_one or field.many_to_one):
                how = self.KEY
            else:
                how = self.PLAIN
            self.fields.append((field, getattr(field, "attname", None), how))
        self.masked = masked
        self.mask = None
        if masked:
            from auditlog.diff import get_mask_function

            self.mask = get_mask_function(options.get("mask_callable"))

    @staticmethod
    def _logged_reverse(relation) -> bool:
        """Whether auditlog logs something for a reverse relation of a new record.

        It reads the attribute named after the relation: with a ``related_name`` that
        is the related manager, logged as its name (``kpis.ChannelPost.None``); without
        one there is no such attribute, and a reverse one-to-one has no record yet
        (auditlog spends a query to find that out): nothing logged.
        """
        return not relation.one_to_one and hasattr(relation.model, relation.name)

    def __call__(self, instance) -> dict:
        from auditlog.diff import get_field_value

        if self.as_json:
            return model_instance_diff(None, instance, use_json_for_changes=True) or {}
        changes = {}
        for field, attname, how in self.fields:
            if how == self.KEY:
                value = getattr(instance, attname)
                changes[field.name] = ["None", "None" if value is None else str(value)]
                continue
            if how == self.PLAIN:
                value = getattr(instance, attname)
                text = value if isinstance(value, str) else smart_str(value)
                if text == "None":
                    continue
            else:
                # Exactly auditlog's test: the value differs from a missing record's
                # (an empty date-time is logged as "None" -> "None", as auditlog has it).
                value = get_field_value(instance, field)
                if value == get_field_value(None, field):
                    continue
                text = smart_str(value)
            if field.name in self.masked:
                changes[field.name] = [self.mask("None"), self.mask(text)]
            else:
                changes[field.name] = ["None", text]
        return changes


COPY_ROWS = 5000
"""Audit entries per ``bulk_create`` batch where there is no ``COPY``."""


def write_entries(model, entries, additional_data: dict) -> int:
    """Write audit entries ``(pk, repr, action, changes)`` of records of ``model``;
    returns how many. ``entries`` may be any iterable, but making one may not query the
    database (on PostgreSQL it is read while the ``COPY`` runs).

    Who, from where and the correlation id come from the current request or
    ``audit_context`` (``_entry_context``); every entry gets the same moment. On
    PostgreSQL one ``COPY`` into auditlog's table: Django's ``bulk_create`` there sends
    each column as an array (``UNNEST``) that psycopg quotes value by value in Python,
    the slowest part of a large import.
    """
    from django.db import connections, router
    from django.utils import timezone

    entries = iter(entries)
    first = next(entries, None)
    if first is None:
        return 0
    entries = itertools.chain([first], entries)
    context = _entry_context()
    actor = context["actor"]
    common = {
        "content_type_id": ContentType.objects.get_for_model(model).pk,
        "actor_id": actor.pk if actor is not None else None,
        "actor_email": context["actor_email"],
        "remote_addr": context["remote_addr"],
        "cid": context["cid"],
        "timestamp": timezone.now(),
        "additional_data": additional_data,
    }
    using = router.db_for_write(LogEntry)
    connection = connections[using]
    if connection.vendor != "postgresql":
        written = LogEntry.objects.using(using).bulk_create(
            [
                LogEntry(
                    **common,
                    object_pk=str(pk),
                    object_id=pk if isinstance(pk, int) else None,
                    object_repr=text,
                    action=action,
                    changes=changes,
                )
                for pk, text, action, changes in entries
            ],
            batch_size=COPY_ROWS,
        )
        return len(written)
    opts = LogEntry._meta
    names = [*common, "object_pk", "object_id", "object_repr", "action", "changes", "changes_text"]
    columns = ", ".join(connection.ops.quote_name(opts.get_field(n).column) for n in names)
    table = connection.ops.quote_name(opts.db_table)
    start = [*common.values()]
    start[-1] = json.dumps(additional_data)
    count = 0
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for pk, text, action, changes in entries:
            copy.write_row(
                (
                    *start,
                    str(pk),
                    pk if isinstance(pk, int) else None,
                    text,
                    action,
                    changes_json(changes),
                    "",
                )
            )
            count += 1
    return count


def changes_json(changes: dict) -> str:
    """``changes`` as JSON, as ``json.dumps`` writes it: for the usual entry (each field
    a pair of texts) joined from the texts' JSON, without ``json.dumps``'s set-up per
    entry, a good part of a large import's audit work."""
    quote = _json_text
    try:
        return (
            "{"
            + ", ".join(
                f"{quote(name)}: [{quote(before)}, {quote(after)}]"
                for name, (before, after) in changes.items()
            )
            + "}"
        )
    except (TypeError, ValueError):  # not two texts: a value of another type
        return json.dumps(changes)


def _before(row, instance):
    """The record as it was before the import (a model instance), or None if new."""
    original = getattr(row, "original", None)
    if original is not None and original.pk is not None:
        return original
    snapshot = getattr(instance, "_import_original", None)
    if snapshot is None:
        return None
    old = copy.copy(instance)
    for name, value in snapshot.items():
        field = instance._meta.get_field(name)
        if not field.many_to_many:
            setattr(old, field.attname, value)
    return old


def _related_names(rows, m2m_fields) -> dict:
    """``{(field name, pk): str(object)}`` for the many-to-many values the rows had before."""
    names = {}
    for field in m2m_fields:
        pks = set()
        for row in rows:
            snapshot = getattr(row.instance, "_import_original", None) or {}
            pks.update(snapshot.get(field.name) or ())
        for obj in field.related_model._base_manager.filter(pk__in=pks):
            names[(field.name, obj.pk)] = str(obj)
    return names


def _m2m_changes(row, instance, m2m_fields, names) -> dict:
    changes = {}
    pending = getattr(instance, "_import_m2m", None) or {}
    snapshot = getattr(instance, "_import_original", None) or {}
    for field in m2m_fields:
        if field.name in pending:
            after = pending[field.name]
        elif row.import_type == "new" and instance.pk is not None:
            after = list(getattr(instance, field.name).all())
        else:
            continue
        before_pks = set(snapshot.get(field.name) or ())
        if {obj.pk for obj in after} == before_pks:
            continue
        before = _m2m_text(names.get((field.name, pk), pk) for pk in before_pks)
        if not before and not after:
            continue
        changes[field.name] = [before or "None", _m2m_text(after) or "None"]
    return changes


class AuditMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware (the user on every entry) plus the path and a
    correlation id per request, and the client address as the login throttle sees it."""

    @staticmethod
    def _get_remote_addr(request):
        from bnf.security import client_ip

        return client_ip(request)

    def __call__(self, request):
        extra = self.get_extra_data(request)
        token = _context.set({"path": WEB})
        origin_token = _origin.set(extra)
        cid_token = correlation_id.set(uuid.uuid4().hex)
        try:
            with set_extra_data(context_data=extra):
                return self.get_response(request)
        finally:
            correlation_id.reset(cid_token)
            _origin.reset(origin_token)
            _context.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match and match.namespace == "admin":
            # An import view says so itself (``imports_files``); the rest is the admin.
            _context.set({"path": ADMIN})
        return None
