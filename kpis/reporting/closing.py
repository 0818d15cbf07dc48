"""Closing and reopening report years; comparing live figures with what was published.

Also the reporting layer's part of the year policy (``kpis.core.year_policy``): which columns
decide the years a table's rows count in, derived from the figure declarations
(``year_rules``), and the check that a change to reference data leaves the published
figures alone (``run_checked``). Both are registered at start-up (``kpis.apps``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kpis.core import data_version, year_policy
from kpis.core.year_policy import ClosedYearError, YearRule
from kpis.models import Channel, ClosedYear, ReportDated, Target, YearReopening
from kpis.reporting import aggregation, exports, figures, report_pdf

T = TypeVar("T")


def year_rules() -> list[YearRule]:
    """The years each table's rows count in, from the declarations: every registration
    by its report date; every figure's source by the figure's date field and, for a
    stock, its end field; targets by their year. One sample channel with every option
    brings the shape of the per-channel figures, without reading the database."""
    sample = Channel(pk=0, slug="_", name="_", report_posts=True, report_engagement=True)
    declared = figures.static_figures() + figures.channel_figures([sample])
    rules = [
        YearRule(model, model.report_date_field)
        for model in apps.get_models()
        if issubclass(model, ReportDated)
    ]
    for figure in declared:
        rule = YearRule(
            figure.model,
            figure.year_field,
            figure.end_field,
            whole_row=issubclass(figure.model, ReportDated),
        )
        if rule.end is not None:
            # A stock's span starts in its start's year: it covers the plain date rule.
            plain = (rule.model, rule.start, None)
            rules = [r for r in rules if (r.model, r.start, r.end) != plain]
        rules.append(rule)
    rules.append(YearRule(Target, "year", year_number=True))
    return rules


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


def snapshot_rows(report: aggregation.YearReport) -> list[dict]:
    """The figures as JSON-safe rows (money as exact strings), like the exports, with
    the section's key beside its title: a closed year keeps the titles (and labels) it
    was published with, whatever the network calls its sections later."""
    return [
        {**{k: _plain(v) for k, v in row.items()}, "section_key": item.figure.section.value}
        for row, item in zip(exports.figure_rows(report), report.figures, strict=True)
    ]


def figure_tables() -> list[str]:
    """Every table a figure can read: those of the tracked apps (``kpis.core.data_version``)."""
    return data_version.tracked_tables()


def close_year(year: int, user, acknowledged: list[dict] | None = None) -> ClosedYear:
    """Close ``year``: freeze its records and store its figures as published.

    ``acknowledged``: the checklist warnings the coordinator saw and accepted on the
    closing page (``kpis.reporting.checklist``), stored with the closing.

    On PostgreSQL the figure tables are locked in SHARE mode first: the closing waits
    for transactions that are writing to commit (their rows are then in the snapshot)
    and holds new writes until it has committed (they are then refused, as the year is
    closed). Without the lock a write committed during the snapshot could be left out of
    it and yet land in the closed year."""
    if year > year_policy.latest_plausible_year():
        raise ValidationError(
            _("Het jaar %(year)s is nog niet begonnen en kan niet worden afgesloten.")
            % {"year": year}
        )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            tables = ", ".join(connection.ops.quote_name(t) for t in figure_tables())
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN SHARE MODE")
        if ClosedYear.objects.select_for_update().filter(year=year).exists():
            raise ValidationError(_("Het jaar %(year)s is al afgesloten.") % {"year": year})
        history = aggregation.compute_history(aggregation.declared_figures_now())
        rows = snapshot_rows(history.for_year(year, live=True))
        closed_at = timezone.now()
        pdf = published_report_pdf(year, rows, closed_at, history)
        return ClosedYear.objects.create(
            year=year,
            closed_by=user,
            closed_at=closed_at,
            snapshot=rows,
            report_pdf=pdf,
            report_pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            acknowledged_warnings=acknowledged,
        )


def published_report_pdf(year: int, rows: list[dict], closed_at, history) -> bytes:
    """The report PDF as it is published: from the snapshot ``rows``, dated ``closed_at``
    (made once, at closing; the database refuses to replace it, ``kpis.core.year_policy``)."""
    history.published[year] = {row["key"]: row for row in rows}
    history.closed_on[year] = timezone.localdate(closed_at)
    return report_pdf.render_pdf(report_pdf.report_document(history.for_year(year), history))


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
            report_pdf=closed.report_pdf,
            report_pdf_sha256=closed.report_pdf_sha256,
        )
        closed.delete()
    return reopening


@dataclass
class Difference:
    key: str
    label: str
    published: object
    live: object


def differences(closed: ClosedYear, live: aggregation.YearReport) -> list[Difference]:
    """Figures whose live value (``history().for_year(year, live=True)``) no longer
    equals the published one: the drift list staff see on a closed year."""
    return _compare(closed.snapshot, snapshot_rows(live))


def _compare(published_rows: list[dict], live_rows: list[dict]) -> list[Difference]:
    """A figure that exists on one side only with 0 or no value is no change: a channel
    added after the closing has no posts in the closed year."""
    published = {row["key"]: row for row in published_rows}
    live = {row["key"]: row for row in live_rows}
    found = []
    for key in [*published, *(k for k in live if k not in published)]:
        before, now = published.get(key), live.get(key)
        if before is None or now is None:
            if _is_nothing((before or now).get("value")):
                continue
            before, now = before or {}, now or {}
        if not _same(before.get("value"), now.get("value")):
            label = now.get("label") or before.get("label")
            found.append(Difference(key, label, before.get("value"), now.get("value")))
    return found


def _is_nothing(value) -> bool:
    return value is None or Decimal(str(value)) == 0


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return Decimal(str(a)) == Decimal(str(b))


def refuse_changes_to_closed_figures(write: Callable[[], T]) -> T:
    """Run ``write`` (a change to reference data that figures read through: a library's
    province or joining date, a channel's flags, a support kind's or fund's code) and
    keep it only if no figure of a closed year changes; otherwise undo it and raise
    ``ClosedYearError`` naming the year, the figure and both values.

    Registrations are refused by the database by their own dates (``kpis.core.year_policy``);
    this covers what a date cannot: a change elsewhere that recounts a published year.
    One query when no year is closed; otherwise the figures before (usually cached) and
    after the write.
    """
    return run_checked(write, keep=True)


class _TrialOver(Exception):
    pass


def run_checked(write, keep: bool):
    """The reference-data guard the models call through ``year_policy``."""
    closed_years = year_policy.closed_years()
    if not closed_years:
        return write() if keep else None
    before = aggregation.history()
    try:
        with year_policy.db_refusals(), transaction.atomic():
            result = write()
            after = aggregation.compute_history(aggregation.declared_figures_now())
            for year in closed_years:
                _refuse_if_changed(
                    year, before.for_year(year, live=True), after.for_year(year, live=True)
                )
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
