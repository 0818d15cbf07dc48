"""What is missing for a year: the one list behind the closing page, the coordinators'
monthly digest (``kpis.reminders``) and the admin start page.

``year_checklist(year)`` gives the warnings before a year is closed; ``missing_for_adviser``
the short list an adviser sees. Each item says what is wrong in Dutch, with a count, and
links to the admin list that shows exactly those records (where there are records to
show). Whatever the amount of data, a checklist costs a small, fixed number of queries:
the counts come in one UNION query, the months with website statistics and with
transport in one query each, the figures from the cached yearly aggregation
(``kpis.reporting.aggregation.history``).
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.apps import apps
from django.db.models import CharField, Count, Q, Value
from django.urls import NoReverseMatch, reverse
from django.utils.dates import MONTHS
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpis.models import (
    ChannelStatistic,
    InformationPoint,
    KnowledgeCircle,
    ReportDated,
    TransportMonthTotal,
    TransportReservation,
)
from kpis.reporting import aggregation, figures
from kpis.templatetags.kpi_format import figure_value
from projects.models import ProjectApplication
from subsidies.models import Subsidy

WARNING = "warning"
INFO = "info"

# A figure is "far from target" below this share of its target (a year in progress: of
# the part of the target it should have reached by now, the target's pace).
FAR_FROM_TARGET = Decimal("0.75")

# The figure whose records are the website statistics; the months check reads its filter.
WEBSITE_FIGURE = "communication.website_views"


@dataclass(frozen=True)
class ChecklistItem:
    """One thing that is missing or looks wrong.

    ``key`` is stable (for tests, for remembering what was acknowledged); ``message`` is
    Dutch and includes the count; ``url`` is the admin list of exactly those records, or
    ``None`` when there are no records to show (a month without statistics)."""

    key: str
    message: str
    count: int
    url: str | None = None
    severity: str = WARNING

    def __str__(self):
        return self.message

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "message": self.message,
            "count": self.count,
            "severity": self.severity,
        }


def fingerprint(items: list[ChecklistItem]) -> str:
    """A short code for exactly these warnings (keys and counts): the closing page sends
    it along, so that a coordinator acknowledges what they saw, not what came after."""
    text = "\n".join(f"{item.key}:{item.count}" for item in items)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def year_checklist(year: int, today: datetime.date | None = None) -> list[ChecklistItem]:
    """The warnings before closing ``year``, in a fixed order: records dated after
    ``today``, applications without outcome, IDO points sharing a location, kenniskringen
    without meetings, months without website statistics or transport, figures far from
    target. An empty list: nothing to warn about."""
    today = today or datetime.date.today()
    counted = _counts(_year_counts(year, today))
    items = [item for item in counted if item.count]
    items += _missing_months(year, today)
    far = far_from_target(year, today)
    if far:
        items.append(far)
    return items


def missing_for_adviser(user, today: datetime.date | None = None) -> list[ChecklistItem]:
    """The short list for an adviser's start page and reminder: no website statistics
    for last month, kenniskringen without meetings this year, and the applications
    without outcome that ``user`` registered (is the adviser of)."""
    today = today or datetime.date.today()
    parts = [
        _Count(
            "kenniskringen.without_meetings",
            KnowledgeCircle.objects.without_meetings_in(today.year),
            lambda n: (
                ngettext(
                    "%(count)s kenniskring zonder bijeenkomsten in %(year)s",
                    "%(count)s kenniskringen zonder bijeenkomsten in %(year)s",
                    n,
                )
                % {"count": n, "year": today.year}
            ),
            _changelist(KnowledgeCircle, no_meetings_in=today.year),
        ),
        *_own_applications(user),
    ]
    items = [item for item in _counts(parts) if item.count]
    last_month = _month_start(today) - datetime.timedelta(days=1)
    covered = _website_months(last_month.year)
    if last_month.month not in covered:
        items.insert(
            0,
            ChecklistItem(
                key="website.last_month_missing",
                message=_("Geen websitestatistieken voor %(month)s")
                % {"month": _month_name(last_month)},
                count=1,
                url=_changelist(
                    ChannelStatistic, year=last_month.year, **_website_figure().admin_params
                ),
            ),
        )
    return items


@dataclass(frozen=True)
class Progress:
    """A figure with a target in a year: its value, what it should be by now (the whole
    target, or for a year in progress its pace) and the value as a share of that."""

    value: aggregation.FigureValue
    expected: Decimal
    share: Decimal | None
    in_progress: bool

    @property
    def far(self) -> bool:
        return self.share is not None and self.share < FAR_FROM_TARGET

    @property
    def percent(self) -> int | None:
        if self.share is None:
            return None
        return int((self.share * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def describe(self) -> str:
        """'trainingen: 3 van 20 (15%)', or in a year in progress 'trainingen: 3, op
        schema zou 10 zijn (30%)'."""
        figure = self.value.figure
        shown = {
            "label": figure.label,
            "value": figure_value(self.value.value, figure),
            "expected": figure_value(self.expected, figure),
            "target": figure_value(self.value.target, figure),
            "percent": self.percent if self.percent is not None else "–",
        }
        if self.in_progress:
            return (
                _(
                    "%(label)s: %(value)s, op schema zou %(expected)s zijn "
                    "(%(percent)s%%; streefwaarde %(target)s)"
                )
                % shown
            )
        return _("%(label)s: %(value)s van %(target)s (%(percent)s%%)") % shown


def target_progress(year: int, today: datetime.date | None = None) -> list[Progress]:
    """Every figure of ``year`` that has a target, against that target or, for a year in
    progress, against its pace: the dashboard's rule (``kpis.reporting.aggregation``) up to the last
    day with data, but never after ``today``. One query while the figures are cached."""
    today = today or datetime.date.today()
    history = aggregation.history()
    report = history.for_year(year)
    in_progress = year == today.year and year not in history.published
    day = (history.through(year, today) or today) if in_progress else None
    share_of_year = aggregation._share_of_year(day) if day else None
    found = []
    for value in report.figures:
        if value.target is None or value.value is None:
            continue
        expected = value.target
        if share_of_year is not None:
            expected = aggregation._paced(value.target, share_of_year, value.figure)
        share = Decimal(value.value) / expected if expected else None
        found.append(Progress(value, expected, share, in_progress))
    return found


def far_from_target(year: int, today: datetime.date | None = None) -> ChecklistItem | None:
    """One item listing the figures below ``FAR_FROM_TARGET`` of their target (pace),
    linking to the year's dashboard, where they stand next to their targets."""
    far = [progress for progress in target_progress(year, today) if progress.far]
    if not far:
        return None
    in_progress = far[0].in_progress
    threshold = int(FAR_FROM_TARGET * 100)
    if in_progress:
        head = ngettext(
            "%(count)s cijfer ver achter op het schema van de streefwaarde (minder dan "
            "%(threshold)s%%)",
            "%(count)s cijfers ver achter op het schema van de streefwaarde (minder dan "
            "%(threshold)s%%)",
            len(far),
        )
    else:
        head = ngettext(
            "%(count)s cijfer ver onder de streefwaarde (minder dan %(threshold)s%%)",
            "%(count)s cijfers ver onder de streefwaarde (minder dan %(threshold)s%%)",
            len(far),
        )
    details = "; ".join(progress.describe() for progress in far)
    return ChecklistItem(
        key="targets.far_below",
        message=f"{head % {'count': len(far), 'threshold': threshold}}: {details}",
        count=len(far),
        url=reverse("kpis:dashboard", args=[year]),
        severity=INFO,
    )


# --- counts in one query -------------------------------------------------------------


@dataclass
class _Count:
    key: str
    queryset: object
    message: object  # count -> Dutch text
    url: str | None
    severity: str = WARNING


def _counts(parts: list[_Count]) -> list[ChecklistItem]:
    """Every part's count in one UNION ALL query (one row per part, none skipped)."""
    if not parts:
        return []
    queries = [
        part.queryset.order_by()
        .values(checklist_key=Value(part.key, output_field=CharField()))
        .annotate(n=Count("pk"))
        for part in parts
    ]
    rows = dict(queries[0].union(*queries[1:], all=True).values_list("checklist_key", "n"))
    return [
        ChecklistItem(
            key=part.key,
            message=part.message(rows.get(part.key, 0)),
            count=rows.get(part.key, 0),
            url=part.url,
            severity=part.severity,
        )
        for part in parts
    ]


def _year_counts(year: int, today: datetime.date) -> list[_Count]:
    after = datetime.date(year + 1, 1, 1)
    parts = []
    if after > today + datetime.timedelta(days=1):  # the year has days after today
        parts += _future_records(year, today)
    year_end = after - datetime.timedelta(days=1)
    parts += [
        _Count(
            "subsidies.without_outcome",
            # Awarded later, a pending application still counts in the year of its award.
            Subsidy.objects.filter(status=Subsidy.Status.APPLIED, applied_on__lt=after),
            lambda n: (
                ngettext(
                    "%(count)s subsidieaanvraag tot en met %(year)s zonder uitkomst (nog "
                    "'aangevraagd')",
                    "%(count)s subsidieaanvragen tot en met %(year)s zonder uitkomst (nog "
                    "'aangevraagd')",
                    n,
                )
                % {"count": n, "year": year}
            ),
            _changelist(Subsidy, status__exact="applied", applied_on__lte=year_end.isoformat()),
        ),
        _Count(
            "projects.applications_without_outcome",
            ProjectApplication.objects.in_year(year).filter(
                outcome=ProjectApplication.Outcome.PENDING
            ),
            lambda n: (
                ngettext(
                    "%(count)s projectaanvraag uit %(year)s zonder uitkomst (nog 'in behandeling')",
                    "%(count)s projectaanvragen uit %(year)s zonder uitkomst "
                    "(nog 'in behandeling')",
                    n,
                )
                % {"count": n, "year": year}
            ),
            _changelist(ProjectApplication, year=year, outcome__exact="pending"),
        ),
        _Count(
            "ido.same_location",
            InformationPoint.objects.sharing_location_in(year),
            lambda n: (
                ngettext(
                    "%(count)s informatiepunt was in %(year)s tegelijk open met een ander op "
                    "dezelfde locatie",
                    "%(count)s informatiepunten waren in %(year)s tegelijk open met een ander op "
                    "dezelfde locatie",
                    n,
                )
                % {"count": n, "year": year}
            ),
            _changelist(InformationPoint, same_location_in=year),
        ),
        _Count(
            "kenniskringen.without_meetings",
            KnowledgeCircle.objects.without_meetings_in(year),
            lambda n: (
                ngettext(
                    "%(count)s kenniskring zonder bijeenkomsten in %(year)s",
                    "%(count)s kenniskringen zonder bijeenkomsten in %(year)s",
                    n,
                )
                % {"count": n, "year": year}
            ),
            _changelist(KnowledgeCircle, no_meetings_in=year),
        ),
    ]
    return parts


def _future_records(year: int, today: datetime.date) -> list[_Count]:
    """Per registration type: records of ``year`` dated after ``today``."""
    after = datetime.date(year + 1, 1, 1)
    parts = []
    for model in sorted(_report_dated_models(), key=lambda m: m._meta.label):
        field = model.report_date_field
        opts = model._meta
        day = date_format(today, "d-m-Y")

        def message(n, opts=opts, day=day):
            what = opts.verbose_name if n == 1 else opts.verbose_name_plural
            return _("%(count)s %(what)s met een datum na vandaag (%(day)s)") % {
                "count": n,
                "what": what,
                "day": day,
            }

        parts.append(
            _Count(
                f"future.{opts.app_label}.{opts.model_name}",
                model._default_manager.filter(
                    Q(**{f"{field}__gt": today}) & Q(**{f"{field}__lt": after})
                ),
                message,
                _changelist(model, year=year, **{f"{field}__gt": today.isoformat()}),
            )
        )
    return parts


def _own_applications(user) -> list[_Count]:
    return [
        _Count(
            "subsidies.own_without_outcome",
            Subsidy.objects.filter(status=Subsidy.Status.APPLIED, adviser=user),
            lambda n: (
                ngettext(
                    "%(count)s subsidieaanvraag van jou zonder uitkomst (nog 'aangevraagd')",
                    "%(count)s subsidieaanvragen van jou zonder uitkomst (nog 'aangevraagd')",
                    n,
                )
                % {"count": n}
            ),
            _changelist(Subsidy, status__exact="applied", adviser__id__exact=user.pk),
        ),
        _Count(
            "projects.own_applications_without_outcome",
            ProjectApplication.objects.filter(
                outcome=ProjectApplication.Outcome.PENDING, adviser=user
            ),
            lambda n: (
                ngettext(
                    "%(count)s projectaanvraag van jou zonder uitkomst (nog 'in behandeling')",
                    "%(count)s projectaanvragen van jou zonder uitkomst (nog 'in behandeling')",
                    n,
                )
                % {"count": n}
            ),
            _changelist(ProjectApplication, outcome__exact="pending", adviser__id__exact=user.pk),
        ),
    ]


def _report_dated_models() -> list:
    return [model for model in apps.get_models() if issubclass(model, ReportDated)]


# --- months ----------------------------------------------------------------------------


def _months_due(year: int, today: datetime.date) -> list[int]:
    """The months of ``year`` that are over by ``today``: all twelve for a past year."""
    if year < today.year:
        return list(range(1, 13))
    if year > today.year:
        return []
    return list(range(1, today.month))


def _missing_months(year: int, today: datetime.date) -> list[ChecklistItem]:
    due = _months_due(year, today)
    if not due:
        return []
    website, transport = _website_months(year), _transport_months(year)
    kinds = [
        (
            "website.months_missing",
            [m for m in due if m not in website],
            (
                "Geen websitestatistieken voor %(count)s maand van %(year)s: %(months)s",
                "Geen websitestatistieken voor %(count)s maanden van %(year)s: %(months)s",
            ),
            _changelist(ChannelStatistic, year=year, **_website_figure().admin_params),
        ),
        (
            "transport.months_missing",
            [m for m in due if m not in transport],
            (
                "Geen transportrijen voor %(count)s maand van %(year)s: %(months)s",
                "Geen transportrijen voor %(count)s maanden van %(year)s: %(months)s",
            ),
            _changelist(TransportReservation, year=year),
        ),
    ]
    return [
        ChecklistItem(
            key=key,
            message=ngettext(singular, plural, len(missing))
            % {"count": len(missing), "year": year, "months": _month_list(missing)},
            count=len(missing),
            url=url,
        )
        for key, missing, (singular, plural), url in kinds
        if missing
    ]


def _website_figure() -> figures.Figure:
    return next(f for f in figures.static_figures() if f.key == WEBSITE_FIGURE)


def _website_months(year: int) -> set[int]:
    """Months of ``year`` that a website statistic covers (a period may span several)."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    periods = (
        ChannelStatistic.objects.filter(_website_figure().filter)
        .filter(period_start__lte=last, period_end__gte=first)
        .values_list("period_start", "period_end")
    )
    months = set()
    for start, end in periods:
        start, end = max(start, first), min(end, last)
        months.update(range(start.month, end.month + 1))
    return months


def _transport_months(year: int) -> set[int]:
    """Months of ``year`` with transport rows, from the monthly summary the database
    keeps (``kpis.transport_summary``): at most twelve distinct months to read."""
    months = (
        TransportMonthTotal.objects.filter(
            month__gte=datetime.date(year, 1, 1), month__lt=datetime.date(year + 1, 1, 1)
        )
        .order_by()
        .values_list("month", flat=True)
        .distinct()
    )
    return {month.month for month in months}


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _month_name(day: datetime.date) -> str:
    return f"{MONTHS[day.month]} {day.year}"


def _month_list(months: list[int]) -> str:
    return ", ".join(str(MONTHS[m]) for m in months)


def _changelist(model, **params) -> str | None:
    opts = model._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(params)}" if params else url


__all__ = [
    "FAR_FROM_TARGET",
    "INFO",
    "WARNING",
    "ChecklistItem",
    "Progress",
    "far_from_target",
    "fingerprint",
    "missing_for_adviser",
    "target_progress",
    "year_checklist",
]
