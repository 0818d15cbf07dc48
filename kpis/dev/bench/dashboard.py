"""The dashboard at one size: cached, after a write, and the hand-written SQL floors.

Measured through ``django.test.Client`` as an anonymous visitor with ``DEBUG`` off:

- *cached*: the data unchanged since the last request, so the page cache answers (what
  visitors mostly get); ``figures.json`` the same way, for comparison;
- *after a write*: one transport row changed (one ``UPDATE``, untimed, its quantity up
  and down by one in turn) just before each request: the data version moves, so the
  page, the figures and the chart data are computed anew, as for the first visitor
  after an edit;
- both for a full year and, when the data reach into this year, for the year in
  progress, whose page also compares last year up to the same day (a second pass);
- the *summary floor*: the best hand-written SQL for the same figures that reads the
  transport summaries (``kpis.transport_summary``: per year for the figures, per month
  for the chart) as the dashboard does, plus one grouped query per other source and the chart data;
- the *raw floor*: the same, with transport read from the reservation rows themselves
  (the fastest of a few formulations).

Every hand-written transport formulation is checked against
``kpis.reporting.aggregation.history()``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from kpis import transport_summary
from kpis.dev.bench.common import LoadRecorder, interleaved_medians_ms
from kpis.models import (
    Channel,
    ChannelPost,
    ChannelStatistic,
    InformationPoint,
    KnowledgeCircleMeeting,
    Network,
    Organisation,
    Publication,
    SupportActivity,
    SupportKind,
    Target,
    Testimonial,
    Training,
    TransportReservation,
)
from kpis.reporting import aggregation
from projects.models import Fund, GuidedTrajectory, Project, ProjectApplication
from subsidies.models import Funder, Subsidy


@dataclass
class DashboardRow:
    size: int
    load_s: float = 0.0
    table_mb: float | None = None
    cached_ms: float = 0.0
    cached_queries: int = 0
    after_write_ms: float = 0.0
    after_write_queries: int = 0
    after_write_sql_ms: float = 0.0
    # the year in progress (this year, compared with last year up to the same day)
    progress_year: int | None = None
    progress_cached_ms: float | None = None
    progress_after_write_ms: float | None = None
    progress_after_write_queries: int | None = None
    json_ms: float = 0.0
    admin_ms: float | None = None
    summary_transport_ms: float = 0.0
    raw_transport_ms: float = 0.0
    other_ms: float = 0.0
    raw_variants: dict[str, float] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)

    @property
    def summary_floor_ms(self) -> float:
        return self.summary_transport_ms + self.other_ms

    @property
    def raw_floor_ms(self) -> float:
        return self.raw_transport_ms + self.other_ms

    @staticmethod
    def ratio(a: float, b: float) -> float:
        return a / b if b else float("nan")

    @property
    def after_write_per_summary_floor(self) -> float:
        return self.ratio(self.after_write_ms, self.summary_floor_ms)

    @property
    def after_write_per_raw_floor(self) -> float:
        return self.ratio(self.after_write_ms, self.raw_floor_ms)

    @property
    def cached_per_json(self) -> float:
        return self.ratio(self.cached_ms, self.json_ms)

    def as_dict(self) -> dict:
        data = asdict(self)
        for name in (
            "summary_floor_ms",
            "raw_floor_ms",
            "after_write_per_summary_floor",
            "after_write_per_raw_floor",
            "cached_per_json",
        ):
            data[name] = getattr(self, name)
        return data


class RawSQL:
    """Hand-written SQL for the same figures: the floors the ORM is compared with."""

    def __init__(self, year: int):
        self.year_shown = year
        self.postgres = connection.vendor == "postgresql"
        self.quote = connection.ops.quote_name
        self.home = Network.objects.current().home_province

    def table(self, model) -> str:
        return self.quote(model._meta.db_table)

    def year(self, column: str) -> str:
        if self.postgres:
            return f"EXTRACT(YEAR FROM {column})::int"
        return f"CAST(strftime('%%Y', {column}) AS integer)"

    def run(self, sql: str, params=()) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchall()

    def home_ids(self) -> str:
        org = self.table(Organisation)
        ids = [pk for (pk,) in self.run(f"SELECT id FROM {org} WHERE province = %s", [self.home])]
        return ", ".join(str(int(pk)) for pk in ids) or "NULL"

    def year_bounds(self) -> list[str]:
        return [f"{self.year_shown}-01-01", f"{self.year_shown + 1}-01-01"]

    def per_year(self, rows) -> dict[int, tuple[int, int]]:
        return {int(year): (int(within or 0), int(inter or 0)) for year, within, inter in rows}

    def sums(self, ids: str) -> str:
        """The within-province and the interprovincial sum, named ``within`` and ``inter``."""
        return (
            f"SUM(quantity) FILTER (WHERE origin_id IN ({ids}) AND destination_id IN ({ids})) "
            f"AS within, SUM(quantity) FILTER (WHERE (origin_id IN ({ids})) "
            f"<> (destination_id IN ({ids}))) AS inter"
        )

    # -- transport from the summary the database keeps --

    def transport_summary(self) -> dict[int, tuple[int, int]]:
        """Per year from the yearly summary, the newest day from the rows' date index
        and the shown year's months for the chart from the monthly summary: what the
        dashboard needs, by hand."""
        ids = self.home_ids()
        rows = self.run(
            f"SELECT year, {self.sums(ids)} FROM {transport_summary.YEAR_TABLE} GROUP BY 1", []
        )
        t = self.table(TransportReservation)
        self.run(f"SELECT delivered_on FROM {t} ORDER BY delivered_on DESC LIMIT 1")
        self.run(
            f"SELECT month, {self.sums(ids)} FROM {transport_summary.TABLE} "
            "WHERE month >= %s AND month < %s GROUP BY 1",
            [f"{self.year_shown - 1}-01-01", f"{self.year_shown + 1}-01-01"],  # as the chart
        )
        return self.per_year(rows)

    # -- transport from the raw rows: a few formulations, the fastest counts --

    def raw_variants(self) -> dict[str, Callable[[], dict[int, tuple[int, int]]]]:
        return {"join, per jaar": self.raw_join, "id-lijst, per dag": self.raw_ids_per_day}

    def chart_from_rows(self, ids: str) -> None:
        t = self.table(TransportReservation)
        month = (
            "date_trunc('month', delivered_on)" if self.postgres else "substr(delivered_on, 1, 7)"
        )
        self.run(
            f"SELECT {month}, {self.sums(ids)} FROM {t} "
            "WHERE delivered_on >= %s AND delivered_on < %s GROUP BY 1",
            self.year_bounds(),
        )

    def raw_join(self) -> dict[int, tuple[int, int]]:
        t, org = self.table(TransportReservation), self.table(Organisation)
        rows = self.run(
            f"SELECT {self.year('t.delivered_on')} AS year, "
            "SUM(t.quantity) FILTER (WHERE o.province = %s AND d.province = %s), "
            "SUM(t.quantity) FILTER (WHERE (o.province = %s) <> (d.province = %s)) "
            f"FROM {t} t JOIN {org} o ON o.id = t.origin_id "
            f"JOIN {org} d ON d.id = t.destination_id GROUP BY 1",
            [self.home] * 4,
        )
        self.chart_from_rows(self.home_ids())
        return self.per_year(rows)

    def raw_ids_per_day(self) -> dict[int, tuple[int, int]]:
        """The home province's library ids first (tiny), then no join at all; group by
        day (a cheap key) and roll the days up into years."""
        t, ids = self.table(TransportReservation), self.home_ids()
        rows = self.run(
            f"SELECT {self.year('day')} AS year, SUM(within), SUM(inter) FROM ("
            f"SELECT delivered_on AS day, {self.sums(ids)} "
            f"FROM {t} GROUP BY delivered_on) per_day GROUP BY 1",
            [],
        )
        self.chart_from_rows(ids)
        return self.per_year(rows)

    # -- the other sources: one grouped query each, like the dashboard --

    def other_statements(self) -> list[tuple[str, list]]:
        y, table, q = self.year, self.table, self.quote
        start, end = self.year_bounds()
        return [
            (
                f"SELECT id, name, slug, audience, report_posts, report_engagement "
                f"FROM {table(Channel)} ORDER BY {q('order')}, name",
                [],
            ),
            (
                f"SELECT {y('awarded_on')}, COUNT(*), SUM(amount) FROM {table(Subsidy)} "
                "WHERE status = %s AND awarded_on IS NOT NULL GROUP BY 1",
                [Subsidy.Status.AWARDED.value],
            ),
            (
                f"SELECT {y('a.carried_out_on')}, k.slug, COUNT(*) "
                f"FROM {table(SupportActivity)} a JOIN {table(SupportKind)} k "
                "ON k.id = a.kind_id GROUP BY 1, 2",
                [],
            ),
            (
                f"SELECT {y('started_on')}, COUNT(*) FILTER (WHERE kind = %s) "
                f"FROM {table(Project)} GROUP BY 1",
                [Project.Kind.PROVINCIAL.value],
            ),
            (
                f"SELECT {y('joined_network_on')}, COUNT(*) FROM {table(Organisation)} "
                "WHERE joined_network_on IS NOT NULL GROUP BY 1",
                [],
            ),
            (
                f"SELECT {y('a.submitted_on')}, COUNT(*), COUNT(*) FILTER (WHERE f.slug = %s) "
                f"FROM {table(ProjectApplication)} a JOIN {table(Fund)} f "
                "ON f.id = a.fund_id GROUP BY 1",
                ["innovatiefonds"],
            ),
            (f"SELECT {y('started_on')}, COUNT(*) FROM {table(GuidedTrajectory)} GROUP BY 1", []),
            (
                f"SELECT {y('s.period_start')}, SUM(s.views) FROM {table(ChannelStatistic)} s "
                f"JOIN {table(Channel)} c ON c.id = s.channel_id WHERE c.slug = %s GROUP BY 1",
                ["website"],
            ),
            (
                f"SELECT {y('published_on')}, channel_id, COUNT(*), SUM(views), SUM(likes) "
                f"FROM {table(ChannelPost)} GROUP BY 1, 2",
                [],
            ),
            (
                "SELECT year, channel_id, views, title FROM ("
                f"SELECT {y('published_on')} AS year, channel_id, views, title, ROW_NUMBER() "
                f"OVER (PARTITION BY channel_id, {y('published_on')} "
                "ORDER BY views DESC, published_on, id) AS place "
                f"FROM {table(ChannelPost)}) ranked WHERE place = 1",
                [],
            ),
            (
                f"SELECT {y('published_on')}, kind, COUNT(*) FROM {table(Publication)} "
                "GROUP BY 1, 2",
                [],
            ),
            (f"SELECT {y('held_on')}, COUNT(*) FROM {table(Training)} GROUP BY 1", []),
            (
                f"SELECT {y('held_on')}, COUNT(DISTINCT circle_id) "
                f"FROM {table(KnowledgeCircleMeeting)} GROUP BY 1",
                [],
            ),
            (f"SELECT {y('opened_on')}, COUNT(*) FROM {table(InformationPoint)} GROUP BY 1", []),
            (
                f"SELECT {y('closed_on')}, COUNT(*) FROM {table(InformationPoint)} "
                "WHERE closed_on IS NOT NULL GROUP BY 1",
                [],
            ),
            (f"SELECT {q('key')}, year, value, note FROM {table(Target)}", []),
            (
                f"SELECT f.name, SUM(s.amount), COUNT(*) FROM {table(Subsidy)} s "
                f"JOIN {table(Funder)} f ON f.id = s.funder_id WHERE s.status = %s "
                "AND s.awarded_on >= %s AND s.awarded_on < %s GROUP BY 1",
                [Subsidy.Status.AWARDED.value, start, end],
            ),
            (
                f"SELECT q.id, q.text, q.person, q.role, q.context, o.name "
                f"FROM {table(Testimonial)} q LEFT JOIN {table(Organisation)} o "
                "ON o.id = q.organisation_id WHERE q.publication_allowed "
                "AND q.given_on >= %s AND q.given_on < %s ORDER BY q.given_on DESC",
                [start, end],
            ),
        ]

    def others(self) -> None:
        for sql, params in self.other_statements():
            self.run(sql, params)


def transport_mismatch(name: str, result, history: aggregation.History) -> str | None:
    """Does a hand-written formulation compute what the dashboard shows? ``None`` if so
    (and if there is transport within the province at all: else the check says little)."""
    if not any(within for within, _inter in result.values()):
        return f"SQL-variant '{name}': geen transport binnen de provincie (thuisprovincie?)."
    for key, index in (("transport.within_province", 0), ("transport.interprovincial", 1)):
        ours = {y: int(v) for y, v in history.values.get(key, {}).items() if v}
        theirs = {y: values[index] for y, values in result.items() if values[index]}
        if ours != theirs:
            return f"SQL-variant '{name}' geeft voor {key} {theirs}, het dashboard {ours}."
    return None


class Toggle:
    """The write before each after-write request: one transport row (the newest, in an
    open year) changed by one ``UPDATE``, its quantity up and down by one in turn, so
    the data ends as it began after an even number of writes."""

    def __init__(self):
        newest = TransportReservation.objects.order_by("-delivered_on", "-pk").first()
        if newest is None:
            raise CommandError("Geen transportrijen om te wijzigen voor de meting na schrijven.")
        self.pk, self.step = newest.pk, 1

    def __call__(self) -> None:
        TransportReservation.objects.filter(pk=self.pk).update(quantity=F("quantity") + self.step)
        self.step = -self.step

    def restore(self) -> None:
        if self.step == -1:  # an odd number of writes: one down
            self()


def ok_get(client: Client, url: str) -> Callable[[], object]:
    def request():
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} gaf status {response.status_code}.")
        return response

    return request


def query_counts(year: int) -> tuple[int, int]:
    """The dashboard's queries cached and after a write (the demo's numbers, too)."""
    client, toggle = Client(), Toggle()
    get = ok_get(client, reverse("kpis:dashboard", args=[year]))
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        get()
        with CaptureQueriesContext(connection) as cached:
            get()
        toggle()
        with CaptureQueriesContext(connection) as after_write:
            get()
        toggle.restore()
    return len(cached), len(after_write)


def measure(
    row: DashboardRow,
    year: int,
    repeat: int,
    staff: Client | None,
    load: LoadRecorder,
    progress_year: int | None = None,
):
    """Fill ``row`` for the data now in the database (settings as in production):
    ``year`` a full year, ``progress_year`` (if given) the year in progress."""
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        _measure(row, year, repeat, staff, load, progress_year)


def _measure(row, year, repeat, staff, load, progress_year=None) -> None:
    anonymous, toggle = Client(), Toggle()
    dashboard = ok_get(anonymous, reverse("kpis:dashboard", args=[year]))
    progress = None
    if progress_year is not None:
        progress = ok_get(anonymous, reverse("kpis:dashboard", args=[progress_year]))
    figures = ok_get(anonymous, reverse("kpis:figures_json", args=[year]))
    raw = RawSQL(year)
    expected = aggregation.history()
    variants = {"samenvatting": raw.transport_summary} | {
        f"rijen: {name}": variant for name, variant in raw.raw_variants().items()
    }
    for name, variant in variants.items():
        problem = transport_mismatch(name, variant(), expected)
        if problem:
            row.mismatches.append(problem)

    # Everything in turns, so that every number sees the same background load.
    functions = {
        "cached": dashboard,
        "after_write": dashboard,
        "json": figures,
        **{f"floor:{name}": variant for name, variant in variants.items()},
        "floor:other": raw.others,
    }
    # Untimed before each call: the write before an after-write request, and the same
    # request once before a cached one (an earlier write in the turn moved the version).
    prepare = {"cached": dashboard, "json": figures, "after_write": toggle}
    if progress is not None:
        functions |= {"progress_cached": progress, "progress_after_write": progress}
        prepare |= {"progress_cached": progress, "progress_after_write": toggle}
    admin_list = None
    if staff is not None:
        try:
            admin_list = reverse("admin:kpis_transportreservation_changelist")
            functions["admin"] = ok_get(staff, admin_list)
        except NoReverseMatch:
            pass
    try:
        medians = interleaved_medians_ms(functions, repeat, prepare, load)
    finally:
        toggle.restore()
    row.cached_ms, row.after_write_ms = medians["cached"], medians["after_write"]
    row.json_ms = medians["json"]
    row.summary_transport_ms = medians["floor:samenvatting"]
    row.raw_variants = {
        name.removeprefix("rijen: "): medians[f"floor:{name}"]
        for name in variants
        if name.startswith("rijen: ")
    }
    row.raw_transport_ms = min(row.raw_variants.values())
    row.other_ms = medians["floor:other"]
    row.admin_ms = medians.get("admin")
    if progress is not None:
        row.progress_year = progress_year
        row.progress_cached_ms = medians["progress_cached"]
        row.progress_after_write_ms = medians["progress_after_write"]
        toggle()
        try:
            with CaptureQueriesContext(connection) as queries:
                progress()
        finally:
            toggle.restore()
        row.progress_after_write_queries = len(queries)

    # Query counts and database time apart: capturing adds its own overhead.
    dashboard()
    with CaptureQueriesContext(connection) as queries:
        dashboard()
    row.cached_queries = len(queries)
    sql_times = []
    try:
        for _ in range(min(repeat, 5)):
            toggle()
            with CaptureQueriesContext(connection) as queries:
                dashboard()
            sql_times.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
    finally:
        toggle.restore()
    row.after_write_queries = len(queries)
    row.after_write_sql_ms = statistics.median(sql_times)
    row.slowest_queries = queries.captured_queries
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_total_relation_size(%s)", [TransportReservation._meta.db_table]
            )
            row.table_mb = cursor.fetchone()[0] / 1024 / 1024


def plan_of_slowest(captured: list[dict]) -> str:
    slowest = max(captured, key=lambda q: float(q["time"]))
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest['sql']}")
        plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())
    return f"  Traagste dashboardquery:\n    {slowest['sql']}\n{plan}"
