"""Yearly aggregation: every declared figure for every year, in a constant number of queries.

One grouped query per source (model and date field) computes all its flow figures
(count, sum, average) for all years at once; a stock figure takes two grouped
queries, a max figure one windowed query; targets one more. The number of queries
depends on the declarations, never on the number of records or years.

``history()`` keeps the result in Django's cache under the data version
(``kpis.core.data_version``), which database triggers change on every write: while nothing
changes, a request costs one query. After a write the same grouped queries run again;
each is built once per process (``_prepared``), since building them (resolving every
conditional aggregate) costs Django more time than the database spends running them.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby

from django.conf import settings
from django.db import models
from django.db.models import Avg, Count, F, Max, Subquery, Sum, Window
from django.db.models.functions import ExtractYear, RowNumber
from django.utils import timezone

from kpis.core import page_cache, year_policy
from kpis.models import (
    ClosedYear,
    Network,
    Target,
    TransportDayTotal,
    TransportMonthTotal,
    TransportReservation,
    TransportYearTotal,
)
from kpis.models.transport import home_library_ids
from kpis.reporting.figures import (
    Figure,
    Kind,
    Section,
    Unit,
    declared_figures,
    report_channels,
    static_figures,
)

Number = int | Decimal
# Below this previous value a percentage change misleads; the change is shown as a number.
SMALL_BASE = 10


@dataclass
class FigureValue:
    """A figure's value in one year, with what the dashboard shows around it."""

    figure: Figure
    year: int
    value: Number | None
    detail: str | None = None
    target: Decimal | None = None
    target_note: str = ""
    previous: Number | None = None
    history: list[tuple[int, Number | None]] = field(default_factory=list)
    # A year in progress: ``previous`` is last year up to the same day (``through``), and
    # the target's pace is the share of it that this part of the year should reach.
    through: datetime.date | None = None
    target_pace: Decimal | None = None

    @property
    def key(self) -> str:
        return self.figure.key

    @property
    def change(self) -> Number | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_percent(self) -> Decimal | None:
        """The change as a share of last year's value; none from a small base (from 1 to
        10 is not "+900%"), where only the absolute change says something."""
        if self.change is None or not self.previous or abs(self.previous) < SMALL_BASE:
            return None
        return (Decimal(self.change) * 100 / Decimal(self.previous)).quantize(
            Decimal("1"), rounding=ROUND_HALF_UP
        )

    @property
    def pace_percent(self) -> Decimal | None:
        """The value against the target's pace so far (a year in progress)."""
        if self.value is None or not self.target_pace:
            return None
        return (Decimal(self.value) * 100 / self.target_pace).quantize(
            Decimal("1"), rounding=ROUND_HALF_UP
        )

    @property
    def target_percent(self) -> Decimal | None:
        if self.value is None or not self.target:
            return None
        return (Decimal(self.value) * 100 / self.target).quantize(
            Decimal("1"), rounding=ROUND_HALF_UP
        )


@dataclass
class YearReport:
    year: int
    years: list[int]
    figures: list[FigureValue]
    # Whether any record is dated in the year (a year with only targets has none).
    has_records: bool = True
    # An open year not yet over: the figures count up to this day (the last with data).
    through: datetime.date | None = None
    # A closed year: the day its figures were published.
    closed_on: datetime.date | None = None

    def __getitem__(self, key: str) -> FigureValue:
        for value in self.figures:
            if value.key == key:
                return value
        raise KeyError(key)

    @property
    def sections(self) -> list[tuple[str, list[FigureValue]]]:
        """(title, figures) per section, in report order: the network's title of the
        section, or the one a closed year was published with."""
        grouped = [
            list(values)
            for _section, values in groupby(self.figures, key=lambda v: v.figure.section)
        ]
        return [(values[0].figure.section_label, values) for values in grouped]

    @property
    def previous_year(self) -> int | None:
        earlier = [y for y in self.years if y < self.year]
        return earlier[-1] if earlier else None

    @property
    def next_year(self) -> int | None:
        later = [y for y in self.years if y > self.year]
        return later[0] if later else None


@dataclass
class History:
    """All figures for all years: ``values[key][year]`` and ``details[key][year]``."""

    figures: list[Figure]
    values: dict[str, dict[int, Number | None]]
    details: dict[str, dict[int, str]]
    targets: dict[str, dict[int, Decimal]]
    target_notes: dict[tuple[str, int], str]
    data_years: list[int]
    # The closed years' figures as published: {year: {key: snapshot row}}, in report order.
    published: dict[int, dict[str, dict]] = field(default_factory=dict)
    closed_on: dict[int, datetime.date] = field(default_factory=dict)
    # The last day with a record, per year.
    last_day: dict[int, datetime.date] = field(default_factory=dict)

    def data(self) -> dict:
        """Everything but the declarations: what the cache keeps (figures hold querysets,
        which are not for pickling)."""
        return {
            "values": self.values,
            "details": self.details,
            "targets": self.targets,
            "target_notes": self.target_notes,
            "data_years": self.data_years,
            "published": self.published,
            "closed_on": self.closed_on,
            "last_day": self.last_day,
        }

    @property
    def years(self) -> list[int]:
        """Years with records or a closing, plus years that only have targets so far;
        never a year after next year."""
        target_years = {year for by_year in self.targets.values() for year in by_year}
        latest = year_policy.latest_plausible_year()
        years = set(self.data_years) | target_years | set(self.published)
        return sorted(year for year in years if year <= latest)

    def value(self, figure: Figure, year: int, *, live: bool = False) -> Number | None:
        if not live and year in self.published:
            return _published_number(self.published[year].get(figure.key, {}).get("value"))
        value = self.values[figure.key].get(year)
        if value is None and figure.kind in (Kind.COUNT, Kind.SUM, Kind.STOCK):
            return 0
        return value

    def recorded(self, figure: Figure, year: int, *, live: bool = False) -> Number | None:
        """The value only if the figure's records existed that year; ``None`` means "not
        registered", so a year before the tool was used never reads as a drop to 0.
        A closed year answers what was published."""
        if not live and year in self.published:
            return _published_number(self.published[year].get(figure.key, {}).get("value"))
        return self.values.get(figure.key, {}).get(year)

    def through(self, year: int, today: datetime.date | None = None) -> datetime.date | None:
        """For an open year that is not over: the day its figures count up to, the last
        day with data (but not after today); ``None`` for a full or closed year."""
        today = today or datetime.date.today()
        if year in self.published or year != today.year:
            return None
        last = self.last_day.get(year)
        return min(last, today) if last else None

    def for_year(
        self, year: int, *, live: bool = False, same_period: History | None = None
    ) -> YearReport:
        """The report of ``year``. A closed year is what was published: its figures, in
        its order, with its values and targets (``live=True``: as the records say now).
        ``same_period``: the figures counted up to ``through(year)`` in every year
        (``period_history``); last year is then compared up to the same day."""
        through = self.through(year) if same_period is not None else None
        pace = _share_of_year(through) if through else None
        published = None if live else self.published.get(year)
        if published is None:
            figures = [(figure, None) for figure in self.figures]
        else:
            declared = {figure.key: figure for figure in self.figures}
            figures = [(_as_published(declared.get(k), row), row) for k, row in published.items()]
        earlier_years = sorted({y for y in [*self.data_years, *self.published] if y <= year})
        values = []
        for figure, row in figures:
            if row is None:
                value = self.value(figure, year, live=live)
                detail = self.details[figure.key].get(year)
                target = self.targets.get(figure.key, {}).get(year)
            else:
                value = _published_number(row.get("value"))
                detail = row.get("detail")
                target = _published_number(row.get("target"))
            target = None if target is None else Decimal(target)
            previous = self.recorded(figure, year - 1, live=live)
            if through and figure.key in same_period.values:
                previous = same_period.recorded(figure, year - 1, live=True)
            values.append(
                FigureValue(
                    figure=figure,
                    year=year,
                    value=value,
                    detail=detail,
                    target=target,
                    target_note=self.target_notes.get((figure.key, year), ""),
                    previous=previous,
                    history=[(y, self.recorded(figure, y, live=live)) for y in earlier_years],
                    through=through,
                    target_pace=_paced(target, pace, figure),
                )
            )
        return YearReport(
            year=year,
            years=self.years,
            figures=values,
            has_records=year in self.data_years or published is not None,
            through=through,
            closed_on=None if live else self.closed_on.get(year),
        )


def _share_of_year(day: datetime.date) -> Decimal:
    first = datetime.date(day.year, 1, 1)
    days = (datetime.date(day.year + 1, 1, 1) - first).days
    return Decimal((day - first).days + 1) / Decimal(days)


def _paced(target: Decimal | None, share: Decimal | None, figure: Figure) -> Decimal | None:
    """The part of a target a year in progress should have reached: flows grow through
    the year; a level (stock), a maximum and an average are the same target all year."""
    if target is None or share is None:
        return None
    if figure.kind in (Kind.COUNT, Kind.SUM):
        return (target * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return target


def _published_number(value) -> Number | None:
    """A snapshot keeps money as an exact string ("263568.00") and counts as numbers."""
    if value is None or isinstance(value, int):
        return value
    return Decimal(str(value))


def _published_section(figure: Figure | None, row: dict) -> Section:
    """The section a published row belongs to: by its key (``section_key``, snapshots
    since the network's titles are data), else by the default title it was published
    with, else the declaration's."""
    if row.get("section_key") in Section.values:
        return Section(row["section_key"])
    by_label = {str(section.label): section for section in Section}
    return by_label.get(row.get("section"), figure.section if figure else Section.SUBSIDIES)


def _as_published(figure: Figure | None, row: dict) -> Figure:
    """The declaration of a published figure, as it was published: its label, section
    (and the section's title), unit and kind from the snapshot; a figure no longer
    declared (a channel removed since) keeps its published row all the same."""
    section = _published_section(figure, row)
    title = row.get("section") or None
    if figure is None:
        return Figure(
            key=row["key"],
            label=row.get("label", row["key"]),
            section=section,
            kind=Kind(row["kind"]),
            unit=Unit(row["unit"]),
            model=None,
            definition="",
            section_title=title,
        )
    return dataclasses.replace(
        figure,
        label=row.get("label", figure.label),
        section=section,
        kind=Kind(row.get("kind", figure.kind)),
        unit=Unit(row.get("unit", figure.unit)),
        section_title=title,
    )


def _aggregate(figure: Figure):
    condition = figure.filter or None
    if figure.kind == Kind.COUNT:
        if figure.field:
            return Count(figure.field, filter=condition, distinct=True)
        return Count("pk", filter=condition)
    if figure.kind == Kind.SUM:
        return Sum(figure.field, filter=condition)
    if figure.kind == Kind.AVERAGE:
        return Avg(figure.field, filter=condition)
    raise ValueError(f"{figure.kind} is not a flow figure")


PREPARED = 256
"""Built querysets kept per process (``_prepared``): a few per source and period."""
_prepared_querysets: OrderedDict[tuple, models.QuerySet] = OrderedDict()
_prepared_lock = threading.Lock()


def _prepared(key: tuple, build: Callable[[], models.QuerySet]) -> models.QuerySet:
    """The queryset ``build()`` makes, built once per process for ``key`` and run anew
    each time (a fresh copy: the kept one is never evaluated).

    ``key`` holds everything the query is made from: the source, the period and each
    figure's kind, field and condition (``Q`` objects compare by their lookups and
    values, so a changed channel or home library list gives a new key; a condition
    holding a queryset never compares equal, and is simply built again)."""
    try:
        with _prepared_lock:  # threads of one process share the dictionary
            queryset = _prepared_querysets[key]
            _prepared_querysets.move_to_end(key)
    except (KeyError, TypeError):  # TypeError: a value in the key that cannot be hashed
        queryset = build()
        try:
            with _prepared_lock:
                _prepared_querysets[key] = queryset
                if len(_prepared_querysets) > PREPARED:
                    _prepared_querysets.popitem(last=False)
        except TypeError:
            pass
    return queryset.all()


def _group_key(group: list[Figure]) -> tuple:
    return tuple((figure.kind, figure.field, figure.filter) for figure in group)


def _decimal_places(figure: Figure) -> int | None:
    """Sums of money keep their cents (263568.00); averages get one decimal (8.0)."""
    if figure.kind == Kind.AVERAGE:
        return 1
    if figure.kind == Kind.SUM:
        return getattr(figure.model._meta.get_field(figure.field), "decimal_places", None)
    return None


def _dated(model, date_field: str, until: datetime.date | None, since=None):
    rows = model._default_manager.filter(**{f"{date_field}__isnull": False})
    if since is not None:
        rows = rows.filter(**{f"{date_field}__gte": since})
    return rows if until is None else rows.filter(**{f"{date_field}__lte": until})


def _by_year(model, date_field: str, until: datetime.date | None = None, since=None):
    return (
        _dated(model, date_field, until, since)
        .annotate(report_year=ExtractYear(date_field))
        .values("report_year")
        .order_by()
    )


def _additive(figure: Figure) -> bool:
    """Per-day values add up to the year's value (not so for distinct counts, averages)."""
    return figure.kind == Kind.SUM or (figure.kind == Kind.COUNT and not figure.field)


def _add_up(per_year: dict[int, dict], year: int, row: dict, aggregates: dict) -> None:
    """Add ``row``'s aggregates to ``year``'s totals (``None``: nothing counted yet)."""
    totals = per_year.setdefault(year, dict.fromkeys(aggregates))
    for name in aggregates:
        if row[name] is not None:
            totals[name] = row[name] if totals[name] is None else totals[name] + row[name]


def _note_last_day(last_day: dict[int, datetime.date], day: datetime.date | None) -> None:
    if day is not None and day > last_day.get(day.year, datetime.date.min):
        last_day[day.year] = day


def _by_day_summed_per_year(
    model, date_field: str, aggregates: dict, until=None, last_day=None, since=None
) -> list[dict]:
    """``_by_year(...).annotate(**aggregates)`` for additive aggregates, grouped by the
    date itself and added up per year here: grouping on a plain date is much cheaper for
    the database than computing EXTRACT(YEAR ...) for every row, and a year has at most
    366 days to add up."""
    per_year: dict[int, dict] = {}
    rows = _dated(model, date_field, until, since).values(date_field).order_by()
    for row in rows.annotate(**aggregates):
        day = row[date_field]
        if last_day is not None:
            _note_last_day(last_day, day)
        _add_up(per_year, day.year, row, aggregates)
    return [{"report_year": year, **totals} for year, totals in per_year.items()]


# Sources that the database also keeps as summaries (``kpis.transport_summary``): per
# year for whole years, per month and per day for a year read up to a day; for figures
# that only sum the summarised fields.
@dataclass(frozen=True)
class Summary:
    per_year: type[models.Model]  # with an integer field "year"
    per_month: type[models.Model]  # with a date field "month" (the first of the month)
    per_day: type[models.Model]  # with a date field "day"
    fields: frozenset[str]


SUMMARIES = {
    (TransportReservation, "delivered_on"): Summary(
        TransportYearTotal, TransportMonthTotal, TransportDayTotal, frozenset({"quantity"})
    ),
}


def _from_summary(group: list[Figure], model, date_field: str, use: bool) -> Summary | None:
    summary = SUMMARIES.get((model, date_field)) if use else None
    if summary and all(f.kind == Kind.SUM and f.field in summary.fields for f in group):
        return summary
    return None


def _summed(
    model, date_field, summary: Summary, aggregates, until, last_day, since, key=()
) -> list[dict]:
    """``_by_day_summed_per_year`` read from the summaries. Whole years: one grouped
    query on the yearly summary, with the last day with data from the rows' date index.
    Up to ``until`` (from ``since``): the monthly and the daily summary. ``key``: what
    the aggregates are made of (``_group_key``), for ``_prepared``."""
    if until is None:

        def whole_years():
            newest = model._default_manager.order_by(f"-{date_field}").values(date_field)[:1]
            return (
                summary.per_year.objects.values("year")
                .order_by()
                .annotate(**aggregates, last=Subquery(newest))
            )

        rows = _prepared(("summed", summary, date_field, key), whole_years)
        per_year: dict[int, dict] = {}
        for row in rows:
            _add_up(per_year, row["year"], row, aggregates)
            _note_last_day(last_day, row["last"])
        return [{"report_year": year, **totals} for year, totals in per_year.items()]
    # Up to a day: whole months from the monthly summary and, for the month of the day,
    # whichever is shorter from the daily one: its days up to the day (added), or the
    # whole month less its days after the day (subtracted).
    first = until.replace(day=1)
    last = (first + datetime.timedelta(days=31)).replace(day=1) - datetime.timedelta(days=1)
    subtract = (last - until).days < until.day

    def months():
        rows = summary.per_month.objects.filter(month__gte=since)
        rows = rows.filter(month__lte=first) if subtract else rows.filter(month__lt=first)
        return rows.values("month").order_by().annotate(**aggregates)

    def days():
        rows = summary.per_day.objects.filter(
            **(
                {"day__gt": until, "day__lte": last}
                if subtract
                else {"day__gte": first, "day__lte": until}
            )
        )
        return rows.values("day").order_by().annotate(**aggregates)

    per_year = {}
    for row in _prepared(("months", summary, since, until, key), months):
        _add_up(per_year, row["month"].year, row, aggregates)
    for row in _prepared(("days", summary, until, key), days):
        if subtract:
            row = {name: None if row[name] is None else -row[name] for name in aggregates}
        _add_up(per_year, until.year, row, aggregates)
    if subtract and until.year in per_year:
        # Every summarised row counts at least 1 (a database constraint): a sum that
        # the subtraction brought to 0 had no rows up to the day, as the rows would say.
        totals = per_year[until.year]
        for name, total in totals.items():
            if total == 0:
                totals[name] = None
        if all(total is None for total in totals.values()):
            del per_year[until.year]
    return [{"report_year": year, **totals} for year, totals in per_year.items()]


def _flow_values(
    figures: list[Figure], values, years: set[int], until, last_day, summaries=True
) -> None:
    """Counts, sums and averages per year. With ``until`` only ``until``'s own year is
    counted (up to that day): the year before a year in progress, which is all that the
    comparison with the same period reads."""
    since = None if until is None else datetime.date(until.year, 1, 1)
    sources: dict[tuple, list[Figure]] = defaultdict(list)
    for figure in figures:
        sources[(figure.model, figure.year_field)].append(figure)
    for (model, date_field), group in sources.items():
        aggregates = {f"figure_{i}": _aggregate(figure) for i, figure in enumerate(group)}
        places = {f.key: _decimal_places(f) for f in group}
        summary = _from_summary(group, model, date_field, summaries)
        key = _group_key(group)
        if summary:
            rows = _summed(model, date_field, summary, aggregates, until, last_day, since, key)
        elif (model, date_field) in SUMMARIES and all(_additive(f) for f in group):
            # a big table read raw (summaries off): grouping by day is the cheap way
            rows = _by_day_summed_per_year(model, date_field, aggregates, until, last_day, since)
        else:
            rows = _prepared(
                ("flows", model, date_field, until, since, key),
                functools.partial(_flows_by_year, model, date_field, aggregates, until, since),
            )
        for row in rows:
            year = row["report_year"]
            years.add(year)
            _note_last_day(last_day, row.get("last"))
            for i, figure in enumerate(group):
                value = row[f"figure_{i}"]
                if value is not None and places[figure.key] is not None:
                    value = Decimal(value).quantize(
                        Decimal(1).scaleb(-places[figure.key]), rounding=ROUND_HALF_UP
                    )
                values[figure.key][year] = value


def _flows_by_year(model, date_field: str, aggregates: dict, until, since) -> models.QuerySet:
    return _by_year(model, date_field, until, since).annotate(**aggregates, last=Max(date_field))


def _stock_values(figure: Figure, values, years: set[int], until, last_day) -> None:
    """Level on 31 December (with ``until``: on that day) by the model's stock rule
    (``StockRule``): records started by then minus those ended by then, counted per
    year in two grouped queries."""
    rule = figure.model.stock
    key = (figure.model, rule.start, rule.end, until, figure.filter)
    started = {}
    for year, n, last in _prepared(
        ("started", *key),
        lambda: (
            _by_year(figure.model, rule.start, until)
            .filter(figure.filter)
            .annotate(n=Count("pk"), last=Max(rule.start))
            .values_list("report_year", "n", "last")
        ),
    ):
        started[year] = n
        _note_last_day(last_day, last)
    ended = dict(
        _prepared(
            ("ended", *key),
            lambda: (
                _by_year(figure.model, rule.end, until)
                .filter(figure.filter)
                .annotate(n=Count("pk"))
                .values_list("report_year", "n")
            ),
        )
    )
    years.update(started)
    values[figure.key]["started"] = started
    values[figure.key]["ended"] = ended


def _fill_stock(figure: Figure, values, years: set[int]) -> None:
    events = values[figure.key]
    started, ended = events.pop("started"), events.pop("ended")
    events.update(figure.model.stock.level_at_year_ends(started, ended, years))


def _max_values(figure: Figure, values, details, years: set[int], until) -> None:
    date_field = figure.year_field
    key = ("max", figure.model, date_field, figure.field, figure.title_field, until, figure.filter)
    rows = _prepared(
        key,
        lambda: (
            _by_year(figure.model, date_field, until)
            .filter(figure.filter)
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[ExtractYear(date_field)],
                    order_by=[F(figure.field).desc(), F(date_field).asc(), F("pk").asc()],
                )
            )
            .filter(rank=1)
            .values_list("report_year", figure.field, figure.title_field)
        ),
    )
    for year, value, title in rows:
        years.add(year)
        values[figure.key][year] = value
        details[figure.key][year] = title


def history(figures: list[Figure] | None = None) -> History:
    """Every figure for every year that has records (and the targets).

    The declared figures come from the cache when the data has not changed since they
    were computed: one query for the data version (``kpis.core.data_version``) instead of
    one per source. Passing ``figures`` computes exactly those, uncached."""
    if figures is not None:
        return compute_history(figures)
    return _cached_history("kpis.history", None)


def period_history(until: datetime.date) -> History:
    """``history()`` for ``until``'s year, counting only records dated up to that day:
    last year up to the day a year in progress has reached. Cached the same way."""
    return _cached_history(f"kpis.period:{until.isoformat()}", until)


def _cached_history(name: str, until: datetime.date | None) -> History:
    """Computed once per data version, by one worker at a time (``single_flight``: the
    others wait for its result instead of all recomputing after a write)."""
    version = page_cache.current_version() if settings.BNF_FIGURE_CACHE else None
    network = Network.objects.current(version)
    computed = None

    def compute():
        nonlocal computed
        channels = report_channels()
        figures = declared_figures(channels, home_library_ids(), network)
        computed = compute_history(figures, until=until)
        return channels, computed.data()

    if version is None:
        compute()
        return computed
    key = f"{name}:{version}:{_declarations_fingerprint()}"
    channels, data = page_cache.single_flight(key, compute, settings.BNF_FIGURE_CACHE_SECONDS)
    if computed is not None:
        return computed
    return History(declared_figures(channels, network=network), **data)


@functools.cache
def _declarations_fingerprint() -> str:
    """Changes with the code's declarations, so that a cache shared by processes of
    different releases never mixes their figures; the channel figures and the network
    (its province) are data, and covered by the data version."""
    parts = [
        repr(
            (
                figure.key,
                figure.kind,
                figure.model._meta.label,
                figure.field,
                figure.year_field,
                figure.end_field,
                figure.title_field,
                str(figure.model._default_manager.filter(figure.filter).query),
            )
        )
        for figure in static_figures()
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def compute_history(
    figures: list[Figure], until: datetime.date | None = None, *, summaries: bool = True
) -> History:
    """``history()`` without the cache: one grouped query per source (a summarised
    source reads its summary, ``SUMMARIES``; ``summaries=False`` reads the rows). ``until``:
    the figures of that day's year counted up to that day, stocks at their level on it
    (the year before a year in progress, for the comparison with the same period:
    ``period_history``); without targets and closings, which that comparison does not
    read."""
    values: dict[str, dict] = {f.key: {} for f in figures}
    details: dict[str, dict] = {f.key: {} for f in figures}
    years: set[int] = set()
    last_day: dict[int, datetime.date] = {}

    flows = [f for f in figures if f.kind in (Kind.COUNT, Kind.SUM, Kind.AVERAGE)]
    _flow_values(flows, values, years, until, last_day, summaries)
    stocks = [f for f in figures if f.kind == Kind.STOCK]
    for figure in stocks:
        _stock_values(figure, values, years, until, last_day)
    for figure in figures:
        if figure.kind == Kind.MAX:
            _max_values(figure, values, details, years, until)
    for figure in stocks:
        _fill_stock(figure, values, years)

    targets: dict[str, dict[int, Decimal]] = defaultdict(dict)
    notes: dict[tuple[str, int], str] = {}
    published, closed_on = {}, {}
    if until is not None:  # a period's values are read as recorded (live): no more needed
        return History(figures, values, details, {}, notes, sorted(years), last_day=last_day)
    for key, year, value, note in Target.objects.values_list("key", "year", "value", "note"):
        targets[key][year] = value
        notes[(key, year)] = note
    for closed in ClosedYear.objects.only("year", "snapshot", "closed_at").order_by("year"):
        published[closed.year] = {row["key"]: row for row in closed.snapshot}
        closed_on[closed.year] = timezone.localdate(closed.closed_at)
    return History(
        figures,
        values,
        details,
        dict(targets),
        notes,
        sorted(years),
        published,
        closed_on,
        last_day,
    )


def declared_figures_now() -> list[Figure]:
    """Every declared figure, with the fastest transport filter (two queries)."""
    return declared_figures(report_channels(), home_library_ids())


def year_report(year: int, all_years: History | None = None) -> YearReport:
    """The report of ``year`` as the pages show it: a year in progress is compared with
    last year up to the same day (one more cached pass, ``period_history``)."""
    all_years = all_years or history()
    through = all_years.through(year)
    if through is None:
        return all_years.for_year(year)
    same_day = _same_day_a_year_earlier(through)
    return all_years.for_year(year, same_period=period_history(same_day))


def _same_day_a_year_earlier(day: datetime.date) -> datetime.date:
    if (day.month, day.day) == (2, 29):
        return datetime.date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)
