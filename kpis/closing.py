"""Closing and reopening report years; comparing live figures with what was published."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kpis import exports, reporting
from kpis.models import ClosedYear, YearReopening


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


def snapshot_rows(report: reporting.YearReport) -> list[dict]:
    """The figures as JSON-safe rows (money as exact strings), like the exports."""
    return [{k: _plain(v) for k, v in row.items()} for row in exports.figure_rows(report)]


def close_year(year: int, user) -> ClosedYear:
    """Close ``year``: freeze its records and store its figures as published."""
    with transaction.atomic():
        if ClosedYear.objects.select_for_update().filter(year=year).exists():
            raise ValidationError(_("Het jaar %(year)s is al afgesloten.") % {"year": year})
        report = reporting.history().for_year(year)
        return ClosedYear.objects.create(year=year, closed_by=user, snapshot=snapshot_rows(report))


def reopen_year(year: int, user, reason: str) -> YearReopening:
    """Reopen ``year``; the reason and the published snapshot go into the log."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Geef een reden voor het heropenen."))
    with transaction.atomic():
        closed = ClosedYear.objects.select_for_update().filter(year=year).first()
        if closed is None:
            raise ValidationError(_("Het jaar %(year)s is niet afgesloten.") % {"year": year})
        reopening = YearReopening.objects.create(
            year=year,
            reopened_by=user,
            reason=reason,
            closed_at=closed.closed_at,
            snapshot=closed.snapshot,
        )
        closed.delete()
    return reopening


@dataclass
class Difference:
    key: str
    label: str
    published: object
    live: object


def differences(closed: ClosedYear, report: reporting.YearReport) -> list[Difference]:
    """Figures whose live value no longer equals the published one (should never happen)."""
    published = {row["key"]: row for row in closed.snapshot}
    live = {row["key"]: row for row in snapshot_rows(report)}
    found = []
    for key in [*published, *(k for k in live if k not in published)]:
        before, now = published.get(key, {}), live.get(key, {})
        if not _same(before.get("value"), now.get("value")):
            label = now.get("label") or before.get("label")
            found.append(Difference(key, label, before.get("value"), now.get("value")))
    return found


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return Decimal(str(a)) == Decimal(str(b))
