"""Benchmark: does the dashboard stay fast at national scale? Run by hand, not in the tests.

THIS DESTROYS ALL DATA IN THE DATABASE IT RUNS ON (``manage.py flush``). Give it a
database of its own through ``DATABASE_URL`` and confirm with ``--yes-destroy-data``::

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bnf_bench'
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bnf_bench
    python manage.py migrate
    python manage.py benchmark --sizes 10000,100000,1000000 --repeat 20 --yes-destroy-data

It runs on PostgreSQL, as production does; SQLite is refused unless ``--allow-sqlite``
(useful only to try the command itself).

What it does:

1. Empties the database, then generates every other registration type once
   (``kpis.dev.demo_data``, ``--years`` years ending last year, ``--seed``) and a
   superuser for the admin.
2. For each size in ``--sizes``: removes all transport rows, generates that many
   (COPY), runs ``VACUUM (ANALYZE)`` (what autovacuum would have done by then), and
   measures, each as the median of ``--repeat`` runs after two warm-up runs, all
   measurements taken in turns so that each sees the same background load:

   - the dashboard ``/<year>/`` for the last generated year, as an anonymous visitor,
     through ``django.test.Client`` (server time: view, queries and template), with
     its number of queries; once with the figure cache (the data unchanged since the
     last request: what visitors mostly get) and once without it (``BNF_FIGURE_CACHE``
     off: what the first request after a change costs), with the database time;
   - ``/<year>/figures.json``;
   - the transport admin list ``/admin/kpis/transportreservation/``, logged in as the
     superuser, without and with the dashboard's ``?year=`` filter;
   - the "raw SQL floor": hand-written SQL that computes the same figures. For
     transport (the within-province and interprovincial sums for all years, which
     dominate) the fastest of a few formulations; its result is checked against
     ``kpis.reporting.aggregation.history()``. Plus one grouped query per other source, as the
     dashboard needs them.

3. Prints a Markdown table (one row per size) and the machine it ran on.

Requests run with ``DEBUG`` off, as in production. Numbers on a shared or busy
machine vary; the load average is printed with the results. ``--explain`` also prints
the PostgreSQL plan of the dashboard's slowest query for every size.
"""

from __future__ import annotations

import os
import platform
import secrets
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from kpis.dev import demo_data
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
from kpis.models.transport import home_library_ids
from kpis.reporting import aggregation
from kpis.reporting.figures import declared_figures
from projects.models import Fund, GuidedTrajectory, Project, ProjectApplication
from subsidies.models import Subsidy

BENCHMARK_USERNAME = "benchmark"
WARM_UP = 2


def sizes_list(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise ValueError(text) from error
    if not sizes or any(size < 0 for size in sizes):
        raise ValueError(text)
    return sizes


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def interleaved_medians_ms(functions: dict[str, Callable[[], object]], repeat: int):
    """Median wall time per function (ms), timed in turns after a warm-up.

    Taking turns (A, B, C, A, B, C, ...) exposes every measurement to the same
    background load, so their ratios stay meaningful on a busy machine.
    """
    for function in functions.values():
        for _ in range(min(WARM_UP, repeat)):
            function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


@dataclass
class Row:
    size: int
    load_s: float = 0.0
    table_mb: float | None = None
    dashboard_ms: float = 0.0
    dashboard_queries: int = 0
    uncached_ms: float = 0.0
    uncached_queries: int = 0
    dashboard_sql_ms: float = 0.0
    json_ms: float = 0.0
    admin_ms: float | None = None
    admin_year_ms: float | None = None
    admin_queries: int | None = None
    history_ms: float = 0.0
    floor_transport_ms: float = 0.0
    floor_other_ms: float = 0.0
    floor_variants: dict[str, float] = field(default_factory=dict)

    @property
    def floor_ms(self) -> float:
        return self.floor_transport_ms + self.floor_other_ms

    @property
    def ratio(self) -> float:
        return self.dashboard_ms / self.floor_ms if self.floor_ms else float("nan")

    @property
    def uncached_ratio(self) -> float:
        return self.uncached_ms / self.floor_ms if self.floor_ms else float("nan")


class RawSQL:
    """Hand-written SQL for the same figures: the floor the ORM is compared with."""

    def __init__(self):
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

    # -- transport: a few formulations, the fastest counts --

    def transport_variants(self) -> dict[str, Callable[[], dict[int, tuple[int, int]]]]:
        return {
            "join, per jaar": self.transport_join,
            "id-lijst, per dag": self.transport_ids_per_day,
        }

    def transport_join(self) -> dict[int, tuple[int, int]]:
        t, org = self.table(TransportReservation), self.table(Organisation)
        home = [self.home] * 4
        rows = self.run(
            f"SELECT {self.year('t.delivered_on')} AS year, "
            "SUM(t.quantity) FILTER (WHERE o.province = %s AND d.province = %s), "
            "SUM(t.quantity) FILTER (WHERE (o.province = %s) <> (d.province = %s)) "
            f"FROM {t} t JOIN {org} o ON o.id = t.origin_id "
            f"JOIN {org} d ON d.id = t.destination_id GROUP BY 1",
            home,
        )
        return {year: (within or 0, inter or 0) for year, within, inter in rows}

    def transport_ids_per_day(self) -> dict[int, tuple[int, int]]:
        """The home province's library ids first (tiny), then no join at all; group by
        day (a cheap key) and roll the days up into years."""
        t, org = self.table(TransportReservation), self.table(Organisation)
        ids = [pk for (pk,) in self.run(f"SELECT id FROM {org} WHERE province = %s", [self.home])]
        id_list = ", ".join(str(int(pk)) for pk in ids) or "NULL"
        rows = self.run(
            f"SELECT {self.year('day')} AS year, SUM(within), SUM(inter) FROM ("
            "SELECT delivered_on AS day, "
            f"SUM(quantity) FILTER (WHERE origin_id IN ({id_list}) "
            f"AND destination_id IN ({id_list})) AS within, "
            f"SUM(quantity) FILTER (WHERE (origin_id IN ({id_list})) "
            f"<> (destination_id IN ({id_list}))) AS inter "
            f"FROM {t} GROUP BY delivered_on) per_day GROUP BY 1",
            [],
        )
        return {year: (int(within or 0), int(inter or 0)) for year, within, inter in rows}

    # -- the other sources: one grouped query each, like the dashboard --

    def other_statements(self, year: int) -> list[tuple[str, list]]:
        y, table, q = self.year, self.table, self.quote
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
                f"SELECT q.id, q.text, q.person, q.role, q.context, o.name "
                f"FROM {table(Testimonial)} q LEFT JOIN {table(Organisation)} o "
                "ON o.id = q.organisation_id WHERE q.publication_allowed "
                "AND q.given_on >= %s AND q.given_on < %s ORDER BY q.given_on DESC",
                [f"{year}-01-01", f"{year + 1}-01-01"],
            ),
        ]

    def others(self, year: int) -> None:
        for sql, params in self.other_statements(year):
            self.run(sql, params)


class Command(BaseCommand):
    help = (
        "Meet de snelheid van dashboard, figures.json en de transportlijst in de admin bij "
        "oplopende aantallen transportregels, naast handgeschreven SQL. WIST ALLE GEGEVENS "
        "in de database (gebruik een eigen database via DATABASE_URL en bevestig met "
        "--yes-destroy-data). Alleen PostgreSQL, tenzij --allow-sqlite."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sizes",
            type=sizes_list,
            default=[10_000, 100_000, 1_000_000],
            help="Aantallen transportregels, kommagescheiden (standaard 10000,100000,1000000).",
        )
        parser.add_argument(
            "--repeat",
            type=positive,
            default=20,
            help="Aantal metingen per onderdeel; de mediaan telt (standaard 20).",
        )
        parser.add_argument(
            "--years", type=positive, default=5, help="Aantal verslagjaren (standaard 5)."
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Startwaarde voor de demogegevens (standaard 1)."
        )
        parser.add_argument(
            "--yes-destroy-data",
            action="store_true",
            help="Bevestiging dat alle gegevens in deze database gewist mogen worden.",
        )
        parser.add_argument(
            "--allow-sqlite",
            action="store_true",
            help="Ook op SQLite draaien (alleen om het commando te proberen; niet representatief).",
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help="Toon per grootte het queryplan van de traagste dashboardquery (PostgreSQL).",
        )

    def handle(self, *args, sizes, repeat, years, seed, yes_destroy_data, allow_sqlite, **opts):
        self.check_database(yes_destroy_data, allow_sqlite)
        self.load_at_start = self.load()
        self.explain = opts["explain"] and connection.vendor == "postgresql"
        self.stdout.write(f"Database {self.database_label()} leegmaken (flush)...")
        call_command("flush", interactive=False, verbosity=0)

        generator = demo_data.DemoData(
            years=demo_data.year_range(years), seed=seed, log=self.progress
        )
        self.stdout.write("Overige registraties maken (één keer)...")
        generator.run(transport_rows=0)
        year = generator.years[-1]
        password = secrets.token_urlsafe(16)
        user = get_user_model().objects.create_superuser(BENCHMARK_USERNAME, password=password)

        results = []
        for size in sizes:
            self.stdout.write(f"\n== {demo_data.dutch_number(size)} transportregels ==")
            demo_data.delete_transport()
            started = time.perf_counter()
            generator.transport(size)
            row = Row(size=size, load_s=time.perf_counter() - started)
            self.analyze()
            with (
                override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]),
                warnings.catch_warnings(),
            ):
                # whitenoise warns about a missing STATIC_ROOT; irrelevant here
                warnings.filterwarnings("ignore", message="No directory at")
                self.measure(row, year, repeat, user)
            results.append(row)
            self.stdout.write(
                f"  dashboard {row.dashboard_ms:.1f} ms ({row.dashboard_queries} queries), "
                f"zonder cache {row.uncached_ms:.1f} ms ({row.uncached_queries} queries), "
                f"SQL-vloer {row.floor_ms:.1f} ms"
            )
        self.report(results, year, repeat)

    # -- set-up --

    def check_database(self, yes_destroy_data: bool, allow_sqlite: bool) -> None:
        if connection.vendor != "postgresql" and not allow_sqlite:
            raise CommandError(
                f"De benchmark draait op PostgreSQL, zoals productie; deze database is "
                f"{connection.vendor}. Geef een PostgreSQL-database op via DATABASE_URL "
                "(of gebruik --allow-sqlite om alleen het commando te proberen)."
            )
        if not yes_destroy_data:
            raise CommandError(
                f"De benchmark wist ALLE gegevens in database {self.database_label()}. "
                "Gebruik een aparte database (DATABASE_URL) en bevestig met --yes-destroy-data."
            )
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(
                f"Database {self.database_label()} is niet bijgewerkt; voer eerst "
                "'manage.py migrate' uit."
            )

    def database_label(self) -> str:
        db = settings.DATABASES[DEFAULT_DB_ALIAS]
        host = f"{db.get('HOST')}:{db.get('PORT')}/" if db.get("HOST") else ""
        return f"'{host}{db.get('NAME')}'"

    def progress(self, message: str) -> None:
        self.stdout.write(message)

    def analyze(self) -> None:
        with connection.cursor() as cursor:
            # VACUUM cannot run inside a transaction (as in a test); ANALYZE can.
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                table = connection.ops.quote_name(TransportReservation._meta.db_table)
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            cursor.execute("ANALYZE")

    # -- measuring --

    def measure(self, row: Row, year: int, repeat: int, user) -> None:
        anonymous = Client()
        dashboard = reverse("kpis:dashboard", args=[year])
        figures = reverse("kpis:figures_json", args=[year])

        def get(client: Client, url: str):
            def request():
                response = client.get(url)
                if response.status_code != 200:
                    raise CommandError(f"{url} gaf status {response.status_code}.")
                return response

            return request

        def uncached(request):
            def without_cache():
                with override_settings(BNF_FIGURE_CACHE=False):
                    return request()

            return without_cache

        try:
            admin_list = reverse("admin:kpis_transportreservation_changelist")
        except NoReverseMatch:
            admin_list = None  # no admin for transport (yet): reported as n.v.t.
        staff = Client()
        staff.force_login(user)
        raw = RawSQL()
        expected = aggregation.history()
        variants = raw.transport_variants()
        for name, variant in variants.items():
            self.check_transport(name, variant(), expected)

        # Everything in turns, so that every number sees the same background load.
        functions = {
            "dashboard": get(anonymous, dashboard),
            "uncached": uncached(get(anonymous, dashboard)),
            "json": get(anonymous, figures),
            "history": lambda: aggregation.compute_history(
                declared_figures(home_ids=home_library_ids())
            ),
            **{f"floor:{name}": variant for name, variant in variants.items()},
            "floor:other": lambda: raw.others(year),
        }
        if admin_list:
            functions["admin"] = get(staff, admin_list)
            functions["admin_year"] = get(staff, f"{admin_list}?year={year}")
        medians = interleaved_medians_ms(functions, repeat)
        row.dashboard_ms, row.json_ms = medians["dashboard"], medians["json"]
        row.uncached_ms = medians["uncached"]
        row.history_ms = medians["history"]
        row.floor_variants = {name: medians[f"floor:{name}"] for name in variants}
        row.floor_transport_ms = min(row.floor_variants.values())
        row.floor_other_ms = medians["floor:other"]
        row.admin_ms, row.admin_year_ms = medians.get("admin"), medians.get("admin_year")

        # Query counts and database time separately: capturing adds its own overhead.
        with CaptureQueriesContext(connection) as queries:
            get(anonymous, dashboard)()
        row.dashboard_queries = len(queries)
        sql_times = []
        for _ in range(min(repeat, 5)):
            with CaptureQueriesContext(connection) as queries:
                uncached(get(anonymous, dashboard))()
            sql_times.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        row.uncached_queries = len(queries)
        row.dashboard_sql_ms = statistics.median(sql_times)
        if self.explain:
            self.print_plan(queries.captured_queries)
        if admin_list:
            with CaptureQueriesContext(connection) as queries:
                get(staff, admin_list)()
            row.admin_queries = len(queries)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_total_relation_size(%s)", [TransportReservation._meta.db_table]
                )
                row.table_mb = cursor.fetchone()[0] / 1024 / 1024

    def check_transport(self, name: str, result, history: aggregation.History) -> None:
        """The hand-written SQL must compute what the dashboard shows."""
        for key, index in (("transport.within_province", 0), ("transport.interprovincial", 1)):
            ours = {y: int(v) for y, v in history.values.get(key, {}).items() if v}
            theirs = {y: values[index] for y, values in result.items() if values[index]}
            if ours != theirs:
                self.stderr.write(
                    self.style.WARNING(
                        f"  Let op: SQL-variant '{name}' geeft voor {key} {theirs}, "
                        f"het dashboard {ours}."
                    )
                )

    def print_plan(self, captured: list[dict]) -> None:
        slowest = max(captured, key=lambda q: float(q["time"]))
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest['sql']}")
            plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())
        self.stdout.write(f"  Traagste dashboardquery:\n    {slowest['sql']}\n{plan}")

    # -- reporting --

    def report(self, results: list[Row], year: int, repeat: int) -> None:
        def ms(value: float | None) -> str:
            return "n.v.t." if value is None else f"{value:.1f}"

        lines = [
            "",
            f"## Benchmark BNF-dashboard (verslagjaar {year}, mediaan van {repeat} metingen)",
            "",
            "| transportregels | laden (s) | tabel (MB) | dashboard (ms) | queries "
            "| zonder cache (ms) | queries | waarvan SQL (ms) | history() (ms) "
            "| figures.json (ms) | admin transport (ms) | admin ?year (ms) | admin queries "
            "| SQL-vloer transport (ms) | SQL-vloer overig (ms) | dashboard / vloer "
            "| zonder cache / vloer |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in results:
            lines.append(
                f"| {demo_data.dutch_number(row.size)} | {row.load_s:.1f} "
                f"| {ms(row.table_mb)} | {row.dashboard_ms:.1f} | {row.dashboard_queries} "
                f"| {row.uncached_ms:.1f} | {row.uncached_queries} "
                f"| {row.dashboard_sql_ms:.1f} | {row.history_ms:.1f} | {row.json_ms:.1f} "
                f"| {ms(row.admin_ms)} | {ms(row.admin_year_ms)} "
                f"| {row.admin_queries if row.admin_queries is not None else 'n.v.t.'} "
                f"| {row.floor_transport_ms:.1f} | {row.floor_other_ms:.1f} "
                f"| {row.ratio:.2f} | {row.uncached_ratio:.2f} |"
            )
        names = list(results[0].floor_variants) if results else []
        if names:
            lines += [
                "",
                "SQL-vloer transport per formulering (ms):",
                "",
                "| transportregels | " + " | ".join(names) + " |",
                "|---:|" + "---:|" * len(names),
            ]
            for row in results:
                cells = " | ".join(f"{row.floor_variants[name]:.1f}" for name in names)
                lines.append(f"| {demo_data.dutch_number(row.size)} | {cells} |")
        lines += ["", "Machine:", ""]
        lines += [f"- {line}" for line in self.machine_info()]
        lines += [
            "",
            "Dashboard en figures.json: anoniem via django.test.Client, DEBUG uit, met de "
            "cijfercache (ongewijzigde gegevens: één query voor de gegevensversie). "
            "'Zonder cache': hetzelfde dashboard met BNF_FIGURE_CACHE uit, zoals het eerste "
            "verzoek na een wijziging; 'waarvan SQL' is de databasetijd daarvan (mediaan "
            "van 5), 'history()' de berekening zelf. "
            "SQL-vloer: handgeschreven SQL voor dezelfde figuren (transport: de snelste "
            "formulering; overig: één gegroepeerde query per bron plus de citaten); "
            "'dashboard / vloer' deelt de dashboardtijd door de som van beide.",
        ]
        self.stdout.write("\n".join(lines))

    def machine_info(self) -> list[str]:
        info = [
            f"processors (nproc): {os.cpu_count()}",
            f"geheugen: {self.memory()}",
            f"belasting (load average 1/5/15 min): bij de start {self.load_at_start}, "
            f"aan het eind {self.load()}",
            f"Python {platform.python_version()}, Django {django.get_version()}, "
            f"{platform.platform()}",
        ]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT version()")
                info.append(cursor.fetchone()[0])
                values = []
                for name in (
                    "shared_buffers",
                    "work_mem",
                    "max_parallel_workers_per_gather",
                    "jit",
                    "random_page_cost",
                ):
                    cursor.execute(f"SHOW {name}")
                    values.append(f"{name}={cursor.fetchone()[0]}")
                info.append("PostgreSQL-instellingen: " + ", ".join(values))
        else:
            info.append(f"{connection.vendor} {connection.Database.sqlite_version}")
        return info

    @staticmethod
    def memory() -> str:
        try:
            with open("/proc/meminfo") as meminfo:
                for line in meminfo:
                    if line.startswith("MemTotal:"):
                        return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
        except OSError:
            pass
        return "onbekend"

    @staticmethod
    def load() -> str:
        try:
            return " / ".join(f"{value:.2f}" for value in os.getloadavg())
        except OSError:
            return "onbekend"
