"""Evidence per record: who may see, add and remove it, and where its files go when rows go.

One access rule, asked by every view (the record's form, the evidence pages, the
download): a person sees evidence when they are active staff, may see evidence
(``kpis.view_evidence``) and may see records of that kind; they add or remove it when
they may (``kpis.add_evidence``/``kpis.delete_evidence``) and may change records of
that kind. A closed year does not matter: evidence counts in no figure (see
``kpis.core.year_policy``), so a late award letter can still be attached to a published
year's record. The roles get these permissions in migration ``0014_evidence``.

A stored file is removed when its row is deleted, after the transaction commits (a
rolled-back deletion keeps it). Deleting a record deletes its evidence (one query per
deleted record, through Django's delete signal; for many records at once, such as an
undone import batch, a few queries per kind beforehand: ``removed_in_bulk``). Rows
removed with raw SQL leave their evidence behind, unreachable: the download of evidence
whose record is gone answers 404.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

from django.apps import apps
from django.contrib.auth import get_permission_codename
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connections, router, transaction
from django.db.models.signals import post_delete
from django.http import Http404

from kpis.models import Evidence, ReportDated


def _may(user, model, action: str) -> bool:
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")


def is_staff_member(user) -> bool:
    return bool(user.is_active and user.is_staff)


def may_handle_evidence(user, action: str) -> bool:
    """Whether ``user`` may ``action`` ("view", "add", "delete") evidence at all."""
    return is_staff_member(user) and user.has_perm(f"kpis.{action}_evidence")


def may_see_evidence_of(user, model) -> bool:
    """Whether ``user`` sees (and downloads) the evidence of records of ``model``."""
    return may_handle_evidence(user, "view") and (
        _may(user, model, "view") or _may(user, model, "change")
    )


def may_add_evidence_to(user, model) -> bool:
    return may_handle_evidence(user, "add") and _may(user, model, "change")


def may_remove_evidence_of(user, model) -> bool:
    return may_handle_evidence(user, "delete") and _may(user, model, "change")


def evidence_models() -> list[type]:
    """The models whose records can have evidence: every report-dated one."""
    return [model for model in apps.get_models() if issubclass(model, ReportDated)]


def visible_content_types(user) -> list[int]:
    """Ids of the content types whose evidence ``user`` may see."""
    models = [model for model in evidence_models() if may_see_evidence_of(user, model)]
    return [ct.pk for ct in ContentType.objects.get_for_models(*models).values()]


def record_for(label: str):
    """The record named ``kpis.training:12`` (``Evidence.record_label``), or 404."""
    model_label, _sep, pk = label.rpartition(":")
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        raise Http404 from None
    if not issubclass(model, ReportDated) or not pk.isdigit():
        raise Http404
    record = model._base_manager.filter(pk=int(pk)).first()
    if record is None:
        raise Http404
    return record


def evidence_for(user, pk) -> Evidence:
    """The evidence ``pk`` if ``user`` may see it: 404 when it (or its record) is gone,
    403 when the user may not."""
    evidence = Evidence.objects.filter(pk=pk).first()
    model = evidence.record_model() if evidence is not None else None
    if model is None:
        raise Http404
    if not may_see_evidence_of(user, model):
        raise PermissionDenied
    if not model._base_manager.filter(pk=evidence.object_id).exists():
        raise Http404
    return evidence


# --- rows that go ----------------------------------------------------------------------


def remove_stored_file(sender, instance: Evidence, using=None, **kwargs) -> None:
    name = instance.file.name
    if name:
        storage = instance.file.storage
        transaction.on_commit(lambda: storage.delete(name), using=using)


# ``{model: ids}`` of records whose evidence ``removed_in_bulk`` has already deleted.
_removed: ContextVar[dict | None] = ContextVar("bnf_evidence_removed", default=None)


def remove_evidence_of_record(sender, instance, **kwargs) -> None:
    removed = _removed.get()
    if removed and instance.pk in removed.get(sender, ()):
        return
    content_type = ContentType.objects.get_for_model(sender)
    Evidence.objects.filter(content_type=content_type, object_id=instance.pk).delete()


@contextlib.contextmanager
def removed_in_bulk(records: dict):
    """Delete the evidence of many records that the block deletes, ahead of them.

    ``records``: ``{model: instances}``, as Django's deletion ``Collector`` holds them
    (its ``data``). Their evidence goes now, through the ORM (so the stored files go at
    the commit), in a few queries per kind instead of one query per record from the
    delete signal; inside the block the signal skips those records. Use it inside the
    transaction that deletes the records: rolled back, the evidence and its files stay.
    """
    using = router.db_for_write(Evidence)
    removed = {}
    for model, instances in records.items():
        if not issubclass(model, ReportDated):
            continue
        pks = [obj.pk for obj in instances]
        content_type = ContentType.objects.get_for_model(model)
        size = max(1, connections[using].ops.bulk_batch_size(["object_id"], pks))
        for start in range(0, len(pks), size):
            Evidence.objects.using(using).filter(
                content_type=content_type, object_id__in=pks[start : start + size]
            ).delete()
        removed[model] = frozenset(pks)
    token = _removed.set({**(_removed.get() or {}), **removed})
    try:
        yield
    finally:
        _removed.reset(token)


def connect_signals() -> None:
    """Called once from ``KpisConfig.ready``."""
    post_delete.connect(remove_stored_file, sender=Evidence, dispatch_uid="bnf_evidence_file")
    for model in evidence_models():
        post_delete.connect(
            remove_evidence_of_record,
            sender=model,
            dispatch_uid=f"bnf_evidence_of_{model._meta.label_lower}",
        )
