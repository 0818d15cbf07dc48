"""Import batches of any kind of record: recording an admin import, and undoing a batch.

Every confirmed import makes one ``ImportBatch`` (file name, SHA-256, who, when, which
model, how many rows new, changed and unchanged). The fast transport import
(``kpis.transport_import``) stamps its rows with the batch in their own column; an
admin import through django-import-export (``kpis.core.resources.BnfResource``) lists
the records it created or changed in ``ImportBatchRange``, as runs of consecutive ids
(the new records of a file take their ids from one sequence call, so they are nearly
always one run), written with ``COPY`` on PostgreSQL (``bulk_create`` elsewhere) in the
import's own transaction, after the records themselves (``record_admin_import``). Read
back, a few runs are ``pk BETWEEN`` conditions, many runs a subquery
(``listed_records``).

Undoing (``undo_batch``, one path for both kinds) deletes the rows the batch *created*
and the batch itself, in one transaction, and is refused, with nothing deleted:

- while one of the rows' report years is closed (the year policy's Dutch message);
- when a created row was changed after the import (its ``updated_at`` is later than
  the batch's ``imported_at``): undoing would throw that work away unseen
  (``UndoRefused``);
- when another record still refers to a created row that may not go with it (a
  protected relation, e.g. a channel used by posts imported later; ``UndoRefused``);
- when a lock is not granted within ``BNF_IMPORT_LOCK_TIMEOUT`` (``DatabaseBusy``).

Records the import *changed* (``updated_count``) are not put back: the batch does not
keep their earlier values (the audit trail does, per record). The undo page says how
many stay as they are now.

Transport rows go with one ``DELETE ... WHERE import_batch_id = ...``, as before. Listed
records go through Django's deletion (so their many-to-many rows and cascades go too),
with django-auditlog's per-object signal muted: instead, one "deleted" audit entry per
record is written in bulk (``kpis.core.audit.write_entries``) with the batch in its
``additional_data``, and the batch's own deletion entry stands for the whole. Their
evidence goes in a few queries per kind beforehand (``kpis.evidence.removed_in_bulk``),
not one query per record from the delete signal.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import operator
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError, connection, router, transaction
from django.db.models import (
    Max,
    Min,
    OuterRef,
    ProtectedError,
    Q,
    RestrictedError,
    Subquery,
    Value,
)
from django.db.models.deletion import Collector
from django.utils.translation import gettext as _

from kpis import evidence
from kpis.core import audit, year_policy
from kpis.core.year_policy import ensure_years_open
from kpis.models import Evidence, ImportBatch, ImportBatchRange
from kpis.transport_import import DatabaseBusy, _busy_message, _waiting_for_locks

logger = logging.getLogger(__name__)

SOURCE_ADMIN = "admin"
SOURCE_COMMAND = "opdrachtregel"
COPY_ROWS = 5_000
INLINE_RANGES = 50
"""Up to this many runs a batch's records are read as ``pk BETWEEN`` conditions joined by
``OR``; beyond it through a subquery on the runs: SQLite refuses an expression deeper
than 1,000 terms, and one condition per run of 20,000 would be a very long query."""


class UndoRefused(Exception):
    """The batch cannot be undone as it is now; nothing was deleted. Dutch message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- recording an admin import -------------------------------------------------------


def record_admin_import(
    model, created: list[int], updated: list[int], skipped: int, **details
) -> ImportBatch | None:
    """The batch of a django-import-export import that has just written its rows.

    ``created``/``updated``: the ids of the records the import made and changed;
    ``details``: ``file_name``, ``checksum``, ``user``, ``source``. An import that made
    and changed nothing (the same file again) leaves no batch: there is nothing to undo.
    Call it inside the import's transaction, after the records are written: a created
    record's ``updated_at`` is then never later than the batch's ``imported_at``.
    """
    if not created and not updated:
        return None
    batch = ImportBatch.objects.create(
        model_label=model._meta.label_lower,
        file_name=(details.get("file_name") or _("bestand"))[:255],
        checksum=details.get("checksum") or "",
        imported_by=details.get("user"),
        row_count=len(created),
        updated_count=len(updated),
        skipped_count=skipped,
        source=details.get("source") or SOURCE_ADMIN,
        same_file_again=True,
    )
    content_type = ContentType.objects.get_for_model(model)
    runs = [(*run, True) for run in id_runs(created)] + [(*run, False) for run in id_runs(updated)]
    _write_ranges(batch, content_type, runs)
    return batch


def id_runs(ids: Iterable[int]) -> list[tuple[int, int]]:
    """``ids`` as runs of consecutive numbers, ``[(first, last), ...]`` in order."""
    runs: list[list[int]] = []
    for pk in sorted(set(ids)):
        if runs and pk == runs[-1][1] + 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    return [(first, last) for first, last in runs]


def checksum_of(dataset) -> str:
    """SHA-256 of the file as read (``kpis.core.cells``), or of its rows when there was no file."""
    inspection = getattr(dataset, "inspection", None)
    if inspection is not None:
        return inspection.sha256
    return hashlib.sha256(dataset.export("csv").encode("utf-8")).hexdigest()


def _write_ranges(batch, content_type, runs: list[tuple[int, int, bool]]) -> None:
    """Write the runs ``(first_id, last_id, created)`` of ``batch``."""
    using = router.db_for_write(ImportBatchRange)
    if connection.vendor != "postgresql" or using != "default":
        ImportBatchRange.objects.using(using).bulk_create(
            [
                ImportBatchRange(
                    batch=batch,
                    content_type=content_type,
                    first_id=first,
                    last_id=last,
                    created=new,
                )
                for first, last, new in runs
            ],
            batch_size=COPY_ROWS,
        )
        return
    opts = ImportBatchRange._meta
    quote = connection.ops.quote_name
    names = ("batch", "content_type", "first_id", "last_id", "created")
    columns = ", ".join(quote(opts.get_field(name).column) for name in names)
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for first, last, new in runs:
            copy.write_row((batch.pk, content_type.pk, first, last, new))


# --- reading a batch ------------------------------------------------------------------


def _batch_keys() -> list:
    """The foreign keys to ``ImportBatch`` on records a batch brings (transport)."""
    return [
        relation.field
        for relation in ImportBatch._meta.related_objects
        if relation.one_to_many
        and relation.field.concrete
        and relation.related_model is not ImportBatchRange
    ]


def _listed_kinds(batch: ImportBatch) -> list[tuple[type, object]]:
    """``(model, queryset of the created records)`` for the records listed for ``batch``."""
    type_ids = (
        ImportBatchRange.objects.filter(batch=batch, created=True)
        .values_list("content_type", flat=True)
        .distinct()
        .order_by()
    )
    kinds = []
    for type_id in type_ids:
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:  # a model removed since: nothing left to delete
            continue
        kinds.append((model, listed_records(batch, model)))
    return kinds


def listed_records(batch: ImportBatch, model, *, created: bool = True):
    """The records of ``model`` that ``batch`` lists as created (or, ``created=False``,
    as changed), as a queryset; reading the runs takes a query (two for many runs)."""
    ranges = ImportBatchRange.objects.filter(
        batch=batch,
        content_type=ContentType.objects.get_for_model(model),
        # ``created = true``, not Django's bare ``created``: SQLite seeks in the runs'
        # index only on a comparison.
        created=Value(created),
    )
    records = model._default_manager
    runs = list(ranges.order_by("first_id").values_list("first_id", "last_id")[: INLINE_RANGES + 1])
    if not runs:
        return records.none()
    if len(runs) <= INLINE_RANGES:
        return records.filter(functools.reduce(operator.or_, (Q(pk__range=run) for run in runs)))
    # The runs of one batch and kind never overlap (``id_runs``): a record is listed when
    # the run that starts last at or before it also ends at or after it, one step in the
    # runs' index per record (a plain EXISTS would scan the runs before it, per record).
    span = ranges.aggregate(first=Min("first_id"), last=Max("last_id"))
    run_end = (
        ranges.filter(first_id__lte=OuterRef("pk")).order_by("-first_id").values("last_id")[:1]
    )
    return records.filter(pk__range=(span["first"], span["last"]), pk__lte=Subquery(run_end))


def batch_rows_by_model(batch: ImportBatch) -> list[tuple[type, object]]:
    """``(model, queryset)``: the records undoing ``batch`` deletes, per kind."""
    keyed = [
        (key.model, key.model._default_manager.filter(**{key.name: batch})) for key in _batch_keys()
    ]
    return keyed + _listed_kinds(batch)


def batch_years(batch: ImportBatch) -> set[int]:
    """The report years the rows of ``batch`` count in."""
    years: set[int] = set()
    for model, rows in batch_rows_by_model(batch):
        if hasattr(model, "report_date_field"):
            years.update(rows.report_years())
    return years


def changed_since(batch: ImportBatch) -> int:
    """How many rows the batch created were changed after it (``updated_at``)."""
    return sum(
        rows.filter(updated_at__gt=batch.imported_at).count()
        for model, rows in batch_rows_by_model(batch)
        if hasattr(model, "updated_at")
    )


def changed_message(count: int) -> str:
    return _(
        "%(count)s rij(en) van deze import zijn daarna nog gewijzigd; ongedaan maken zou die "
        "wijzigingen ongezien weggooien. Er is niets verwijderd. Verwijder die rijen zo "
        "nodig met de hand."
    ) % {"count": count}


# --- undoing -----------------------------------------------------------------------------


def undo_batch(batch: ImportBatch) -> int:
    """Delete ``batch`` and every row it created; returns the number of rows deleted.

    Refused with nothing deleted: ``ClosedYearError`` (a closed year), ``UndoRefused``
    (a row changed since, or still needed by another record), ``DatabaseBusy`` (a lock
    not granted within ``BNF_IMPORT_LOCK_TIMEOUT``); ``ImportBatch.DoesNotExist`` when
    it was undone meanwhile.
    """
    deleted = 0
    quote = connection.ops.quote_name
    try:
        with (
            year_policy.db_refusals(),  # a closing that came in between
            transaction.atomic(),
            connection.cursor() as cursor,
            _waiting_for_locks(cursor),
        ):
            batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
            ensure_years_open(batch_years(batch))
            changed = changed_since(batch)
            if changed:
                raise UndoRefused(changed_message(changed))
            for key in _batch_keys():
                # Their evidence first (the raw DELETE below sends no signals); through
                # the ORM, so the stored files go when this commits.
                rows = key.model._base_manager.filter(**{key.name: batch.pk}).values("pk")
                Evidence.objects.filter(
                    content_type=ContentType.objects.get_for_model(key.model),
                    object_id__in=rows,
                ).delete()
                # Not one by one through Django's collector: a million transport rows.
                table, column = quote(key.model._meta.db_table), quote(key.column)
                cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [batch.pk])
                deleted += cursor.rowcount
            for model, rows in _listed_kinds(batch):
                deleted += _delete_listed(batch, model, list(rows))
            ranges_table = quote(ImportBatchRange._meta.db_table)
            batch_column = quote(ImportBatchRange._meta.get_field("batch").column)
            cursor.execute(f"DELETE FROM {ranges_table} WHERE {batch_column} = %s", [batch.pk])
            batch.delete()
    except OperationalError as error:
        logger.warning("Importbatch %s niet ongedaan gemaakt: %s", batch.pk, error)
        raise DatabaseBusy(_busy_message(error, done=_("er is niets verwijderd"))) from error
    return deleted


def _delete_listed(batch: ImportBatch, model, instances: list) -> int:
    """Delete ``instances`` (with what cascades), one audit entry each written in bulk."""
    from auditlog.context import disable_auditlog
    from auditlog.models import LogEntry

    if not instances:
        return 0
    changes = audit.CreatedChanges(model)
    entries = [
        (
            obj.pk,
            str(obj),
            LogEntry.Action.DELETE,
            {name: [after, before] for name, (before, after) in changes(obj).items()},
        )
        for obj in instances
    ]
    collector = Collector(using=router.db_for_write(model), origin=batch)
    try:
        collector.collect(instances)
    except (ProtectedError, RestrictedError) as error:
        blocking = (
            error.protected_objects
            if isinstance(error, ProtectedError)
            else (error.restricted_objects)
        )
        example = next(iter(blocking), None)
        raise UndoRefused(
            _(
                "Deze import kan niet ongedaan worden gemaakt: andere records gebruiken nog "
                "%(what)s uit dit bestand (bijvoorbeeld '%(example)s'). Er is niets verwijderd."
            )
            % {"what": model._meta.verbose_name_plural, "example": example}
        ) from None
    # What the collector found is all it deletes (a kind with evidence has a delete
    # signal, so none goes by a plain DELETE): their evidence first, in bulk.
    with disable_auditlog(), evidence.removed_in_bulk(collector.data):
        _total, per_model = collector.delete()
    audit.write_entries(
        model,
        entries,
        {"path": audit.IMPORT, "file": batch.file_name, "undone_batch": batch.pk},
    )
    return per_model.get(model._meta.label, 0)
