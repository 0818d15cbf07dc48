"""Closing and reopening report years; comparing live figures with what was published."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kpis import exports, reporting
from kpis.models import ClosedYear, YearReopening
from kpis.models.base import ClosedYearError

T = TypeVar("T")


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
    return _compare(closed.snapshot, snapshot_rows(report))


def _compare(published_rows: list[dict], live_rows: list[dict]) -> list[Difference]:
    published = {row["key"]: row for row in published_rows}
    live = {row["key"]: row for row in live_rows}
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


def refuse_changes_to_closed_figures(write: Callable[[], T]) -> T:
    """Run ``write`` (a change to reference data that figures read through: a library's
    province or joining date, a channel's flags, a support kind's or fund's code) and
    keep it only if no figure of a closed year changes; otherwise undo it and raise
    ``ClosedYearError`` naming the year, the figure and both values.

    Registrations are refused by their own date (``ReportDated``); this covers what a
    date cannot: a change elsewhere that recounts a published year. One query when no
    year is closed; otherwise the figures before (usually cached) and after the write.
    """
    return _run_checked(write, keep=True)


def check_changes_to_closed_figures(write: Callable[[], object]) -> None:
    """``refuse_changes_to_closed_figures`` as a trial: the write is always undone.
    For forms, to show the refusal before anything is saved."""
    _run_checked(write, keep=False)


class _TrialOver(Exception):
    pass


def _run_checked(write, *, keep: bool):
    closed_years = list(ClosedYear.objects.order_by("year").values_list("year", flat=True))
    if not closed_years:
        return write() if keep else None
    before = reporting.history()
    try:
        with transaction.atomic():
            result = write()
            after = reporting.history()
            for year in closed_years:
                _refuse_if_changed(year, before.for_year(year), after.for_year(year))
            if not keep:
                raise _TrialOver
    except _TrialOver:
        return None
    return result


def _refuse_if_changed(year: int, before, after) -> None:
    changed = _compare(snapshot_rows(before), snapshot_rows(after))
    if changed:
        first = changed[0]
        raise ClosedYearError(
            _(
                "Deze wijziging verandert een vastgesteld cijfer van %(year)s: %(label)s "
                "gaat van %(before)s naar %(after)s. Een coördinator kan het jaar eerst "
                "heropenen."
            )
            % {
                "year": year,
                "label": first.label,
                "before": _shown(first.published),
                "after": _shown(first.live),
            },
            code="closed_year",
        )


def _shown(value) -> str:
    if value is None:
        return "–"
    return number_format(Decimal(str(value)), use_l10n=True, force_grouping=True)
