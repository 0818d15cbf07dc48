"""The one benchmark report: dashboard per size, then server, writers and imports once.

THIS DESTROYS ALL DATA IN THE DATABASE IT RUNS ON (``manage.py flush``). Give it a
database of its own through ``DATABASE_URL`` and confirm with ``--yes-destroy-data``::

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bnf_bench'
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bnf_bench
    python manage.py migrate
    python manage.py benchmark --yes-destroy-data --json benchmark.json

It runs on PostgreSQL, as production does; SQLite is refused unless ``--allow-sqlite``
(useful only to try the command itself: the writers and the ``COPY`` floor are then
skipped). Every ratio is taken from measurements made in turns (A, B, B, A, ...)
within this run, so both sides see the same background load; the load average is
sampled throughout and printed as its minimum and maximum.

1. **Demo reference** (section ``dashboard``): the 2021 demo (``loaddata bnf_2021``)
   and the dashboard's number of queries there, cached and after a write.
2. **Per size** in ``--sizes`` (``dashboard``): every other registration type once
   (``kpis.dev.demo_data``), then that many transport rows (COPY) and ``VACUUM
   (ANALYZE)``, and ``kpis.dev.bench.dashboard``: the dashboard cached and after a
   write (median server time of ``--repeat``), the floor on the transport summary and
   on the raw transport rows (hand-written SQL, checked against the dashboard's
   figures), ``figures.json`` cached, and the query counts, which must equal the
   demo's.
3. **Once, at the last size** (the data then in the database):

   - ``http``: gunicorn (``--workers`` 2) on 127.0.0.1 and ``--threads`` (8) keep-alive
     client threads, dashboard against ``figures.json`` (``kpis.dev.bench.gunicorn_load``);
   - ``writers``: one writer against four (``kpis.dev.bench.writers``, PostgreSQL);
   - ``blocking``: the longest wait of one-row writes in other tables during an
     import (``kpis.dev.blocking``; PostgreSQL only);
   - ``imports`` (empties the transport table): the admin import of ``--post-rows``
     posts (preview and confirm) and the fast transport import of ``--import-rows``
     rows against a plain ``COPY`` of the same rows (``kpis.dev.bench.exchange``).

4. A Markdown report: the tables, the acceptance figures met or not, the machine and
   the load average; ``--json FILE`` writes the same numbers as JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, override_settings
from django.utils import timezone

from kpis.dev import blocking, demo_data
from kpis.dev.bench import dashboard, gunicorn_load, writers
from kpis.dev.bench.common import (
    LoadRecorder,
    database_label,
    dutch,
    in_turns,
    load_text,
    machine_info,
)
from kpis.dev.bench.exchange import Exchange
from kpis.models import Network, Province, TransportReservation
from kpis.models.network import SINGLE_ID

BENCHMARK_USERNAME = "benchmark"
SECTIONS = ("dashboard", "http", "writers", "blocking", "imports")
DEMO_FIXTURE, DEMO_YEAR = "bnf_2021", 2021

# The acceptance figures (issue 13).
AFTER_WRITE_MAX_MS = 150
AFTER_WRITE_AT = 10_000_000
CACHED_MAX_MS = 10
HTTP_MIN_RATIO = 0.5
WRITERS_MIN_RATIO = 1.1
ADMIN_IMPORT_MIN_ROWS_S = 5_000
BLOCKED_WRITE_MAX_MS = 100


def sizes_list(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise ValueError(text) from error
    if not sizes or any(size < 1 for size in sizes):
        raise ValueError(text)
    return sizes


def sections_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names or any(name not in SECTIONS for name in names):
        raise ValueError(text)
    return names


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def met(ok: bool) -> str:
    return "gehaald" if ok else "NIET gehaald"


def number(value: float | None, decimals: int = 1) -> str:
    return "n.v.t." if value is None else dutch(value, decimals)


def admin_import_times(data: dict) -> str:
    return (
        f"voorbeeld {number(data['preview_s'])} s, bevestigen {number(data['confirm_s'])} s, "
        f"samen {number(data['total_s'])} s = {dutch(data['rows_per_s'])} rijen/s"
    )


class Command(BaseCommand):
    help = (
        "Eén meetrapport: per aantal transportregels het dashboard uit de cache en na een "
        "schrijfactie naast handgeschreven SQL (samenvatting en ruwe tabel) en "
        "figures.json, met het aantal queries; daarna eenmalig gunicorn, 1 tegen 4 "
        "schrijvers en de imports tegen COPY. WIST ALLE GEGEVENS in de database (gebruik "
        "een eigen database via DATABASE_URL en bevestig met --yes-destroy-data). Alleen "
        "PostgreSQL, tenzij --allow-sqlite."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sizes",
            type=sizes_list,
            default=[10_000, 100_000, 1_000_000, 10_000_000],
            help="Aantallen transportregels, kommagescheiden "
            "(standaard 10000,100000,1000000,10000000).",
        )
        parser.add_argument(
            "--only",
            type=sections_list,
            default=list(SECTIONS),
            help=f"Alleen deze onderdelen, kommagescheiden: {','.join(SECTIONS)} (standaard alle).",
        )
        parser.add_argument(
            "--repeat",
            type=positive,
            default=20,
            help="Metingen per dashboardonderdeel; de mediaan telt (standaard 20).",
        )
        parser.add_argument(
            "--rounds",
            type=positive,
            default=3,
            help="Rondes om en om voor gunicorn, schrijvers en imports (standaard 3).",
        )
        parser.add_argument(
            "--years",
            type=positive,
            default=5,
            help="Volle verslagjaren tot en met vorig jaar (5), plus het lopende jaar.",
        )
        parser.add_argument("--seed", type=int, default=1, help="Startwaarde (standaard 1).")
        parser.add_argument("--http-requests", type=positive, default=400, help="Per URL, ronde.")
        parser.add_argument("--threads", type=positive, default=8, help="Clientthreads (8).")
        parser.add_argument("--workers", type=positive, default=2, help="gunicorn-workers (2).")
        parser.add_argument("--writes", type=positive, default=2000, help="Schrijfacties (2000).")
        parser.add_argument("--post-rows", type=positive, default=20_000, help="Admin-import.")
        parser.add_argument("--import-rows", type=positive, default=1_000_000, help="Snel.")
        parser.add_argument(
            "--blocking-rows", type=positive, default=2_000_000, help="Import voor 'blocking'."
        )
        parser.add_argument("--json", dest="json_file", help="Schrijf de getallen ook als JSON.")
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
            help="Toon per grootte het queryplan van de traagste query na schrijven (PostgreSQL).",
        )

    def handle(self, *args, **options):
        self.options = options
        self.check_database(options["yes_destroy_data"], options["allow_sqlite"])
        self.load = LoadRecorder()
        self.load_at_start = load_text()
        only = set(options["only"])
        self.results: dict = {"sizes": [], "sections": sorted(only, key=SECTIONS.index)}
        with (
            override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]),
            warnings.catch_warnings(),
        ):
            # whitenoise warns about a missing STATIC_ROOT; irrelevant here
            warnings.filterwarnings("ignore", message="No directory at")
            if "dashboard" in only:
                self.demo_reference()
            year = self.sizes(options["sizes"], "dashboard" in only)
            self.results["year"] = year
            self.results["once_at"] = TransportReservation.objects.count()
            if "http" in only:
                self.http(year)
            if "writers" in only:
                self.writers()
            if "blocking" in only:
                self.blocking()
            if "imports" in only:
                self.imports()
        self.results["load"] = self.load.as_dict()
        self.report()
        if options["json_file"]:
            Path(options["json_file"]).write_text(json.dumps(self.results, indent=2, default=str))
            self.stdout.write(f"JSON geschreven naar {options['json_file']}.")

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
                f"De benchmark wist ALLE gegevens in database {database_label()}. "
                "Gebruik een aparte database (DATABASE_URL) en bevestig met --yes-destroy-data."
            )
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(
                f"Database {database_label()} is niet bijgewerkt; voer eerst "
                "'manage.py migrate' uit."
            )

    def log(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def flush(self) -> None:
        postgres_transaction = connection.vendor == "postgresql" and connection.in_atomic_block
        if postgres_transaction:
            # Inside a transaction (as in a test): the deferred key checks of what was
            # loaded before run now, or TRUNCATE refuses ("pending trigger events").
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        call_command("flush", interactive=False, verbosity=0)
        if postgres_transaction:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def analyze(self) -> None:
        with connection.cursor() as cursor:
            # VACUUM cannot run inside a transaction (as in a test); ANALYZE can.
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                table = connection.ops.quote_name(TransportReservation._meta.db_table)
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            cursor.execute("ANALYZE")

    def identity(self) -> None:
        """The network's row, as ``migrate`` makes it (``flush`` removed it): without it
        there is no home province, so no transport counts as within the province."""
        province = os.environ.get("BNF_HOME_PROVINCE", Province.FLEVOLAND).strip().lower()
        Network.objects.get_or_create(pk=SINGLE_ID, defaults={"home_province": province})

    # -- 1. the demo's query counts --

    def demo_reference(self) -> None:
        self.log(f"Database {database_label()} leegmaken; demo {DEMO_FIXTURE} laden...")
        self.flush()
        call_command("loaddata", DEMO_FIXTURE, verbosity=0)
        cached, after_write = dashboard.query_counts(DEMO_YEAR)
        self.results["demo"] = {
            "fixture": DEMO_FIXTURE,
            "year": DEMO_YEAR,
            "transport_rows": TransportReservation.objects.count(),
            "cached_queries": cached,
            "after_write_queries": after_write,
        }
        self.log(f"  demo: {cached} queries uit de cache, {after_write} na een schrijfactie")

    # -- 2. per size --

    def sizes(self, sizes: list[int], measure: bool) -> int:
        """Generate every size in turn (only the last one unless ``measure``) and
        measure the dashboard at each; the data of the last size stays."""
        self.log(f"Database {database_label()} leegmaken (flush)...")
        self.flush()
        self.identity()
        options = self.options
        # ``--years`` full years up to last year, and this one: the last full year and
        # the year in progress are both measured (the generator fills this year to its
        # end; the page counts it up to today, as a year in progress).
        this_year = timezone.localdate().year
        generator = demo_data.DemoData(
            years=demo_data.year_range(options["years"] + 1, end_year=this_year),
            seed=options["seed"],
            log=self.log,
        )
        self.log("Overige registraties maken (één keer)...")
        generator.run(transport_rows=0)
        year = this_year - 1
        user = get_user_model().objects.create_superuser(BENCHMARK_USERNAME, password=None)
        staff = Client()
        staff.force_login(user)
        for size in sizes if measure else sizes[-1:]:
            self.log(f"\n== {demo_data.dutch_number(size)} transportregels ==")
            demo_data.delete_transport()
            started = time.perf_counter()
            generator.transport(size)
            row = dashboard.DashboardRow(size=size, load_s=time.perf_counter() - started)
            self.analyze()
            self.load.sample()
            if not measure:
                continue
            dashboard.measure(row, year, options["repeat"], staff, self.load, this_year)
            for problem in row.mismatches:
                self.stderr.write(self.style.WARNING(f"  Let op: {problem}"))
            if options["explain"] and connection.vendor == "postgresql":
                self.log(dashboard.plan_of_slowest(row.slowest_queries))
            self.results["sizes"].append(row.as_dict())
            self.log(
                f"  uit de cache {row.cached_ms:.1f} ms ({row.cached_queries} queries), "
                f"na schrijven {row.after_write_ms:.1f} ms ({row.after_write_queries} queries), "
                f"lopend jaar na schrijven {row.progress_after_write_ms:.1f} ms "
                f"({row.progress_after_write_queries} queries), "
                f"vloer samenvatting {row.summary_floor_ms:.1f} ms, "
                f"ruwe tabel {row.raw_floor_ms:.1f} ms"
            )
        return year

    # -- 3. once --

    def http(self, year: int) -> None:
        self.log("\n== gunicorn: dashboard tegen figures.json ==")
        urls = {"dashboard": f"/{year}/", "figures.json": f"/{year}/figures.json"}
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            self.results["http"] = {"skipped": "SQLite in het geheugen: geen tweede proces"}
            return
        options = self.options
        result = gunicorn_load.measure(
            urls,
            requests=options["http_requests"],
            rounds=options["rounds"],
            threads=options["threads"],
            workers=options["workers"],
            load=self.load,
        )
        result["ratio"] = (
            result["dashboard"]["requests_per_s"] / result["figures.json"]["requests_per_s"]
        )
        result["settings"] = {
            key: options[key] for key in ("workers", "threads", "http_requests", "rounds")
        }
        self.results["http"] = result

    def writers(self) -> None:
        self.log("\n== 1 tegen 4 schrijvers ==")
        if connection.vendor != "postgresql":
            self.results["writers"] = {"skipped": "alleen op PostgreSQL"}
            return
        self.results["writers"] = writers.measure(
            self.options["writes"], self.options["rounds"], self.load, log=self.log
        )
        self.results["writers"]["writes"] = self.options["writes"]

    def blocking(self) -> None:
        self.log("\n== schrijfacties in andere tabellen tijdens een import ==")
        why = None
        if connection.vendor != "postgresql":
            why = "alleen op PostgreSQL (sloten)"
        elif connection.in_atomic_block:
            # The import runs in another process: it would not see this transaction's
            # rows and would wait for its locks (in a test, for instance).
            why = "binnen een transactie: het importproces ziet de gegevens niet"
        if why:
            self.results["blocking"] = {"skipped": why}
            self.log(f"  overgeslagen: {why}")
            return
        result = blocking.writes_during_import(self.options["blocking_rows"], stdout=self.stdout)
        self.load.sample()
        self.results["blocking"] = result
        for line in blocking.describe(result):
            self.log("  " + line)

    def imports(self) -> None:
        self.log("\n== imports (de transporttabel wordt geleegd) ==")
        options, rounds = self.options, self.options["rounds"]
        exchange = Exchange(self.stdout, self.options["seed"])
        # In turns: the confirmation that writes what the preview checked, and the one
        # that checks every row again because something was written in between.
        admin: dict[bool, list[dict]] = {False: [], True: []}
        turns = [written for order in in_turns(rounds, [False, True]) for written in order]
        for written_between in turns:
            numbers = exchange.measure_admin_import(
                options["post_rows"], report=False, written_between=written_between
            )
            self.load.sample()
            if numbers is None:  # the admin cannot import (skipped says why)
                break
            admin[written_between].append(numbers)
        exchange.clear_posts()
        for written_between, name in ((False, "admin_import"), (True, "admin_import_rechecked")):
            measured = admin[written_between]
            if measured:
                self.results[name] = {
                    key: statistics.median(n[key] for n in measured)
                    for key in ("rows", "preview_s", "confirm_s", "total_s", "rows_per_s")
                } | {"rounds": len(measured)}
            else:
                self.results[name] = {"skipped": exchange.skipped}

        rows, postgres = options["import_rows"], connection.vendor == "postgresql"
        times: dict[str, list[float]] = {"import": [], "copy": []}
        with tempfile.TemporaryDirectory() as folder:
            path, table_path = Path(folder) / "transport.csv", Path(folder) / "transport.tsv"
            exchange.clear_transport()
            exchange.generate_csv(path, rows, table_path)
            for order in in_turns(rounds, ["import", "copy"] if postgres else ["import"]):
                for what in order:
                    exchange.clear_transport()
                    if what == "import":
                        numbers = exchange.measure_import(path, rows, report=False)
                        times[what].append(numbers["seconds"])
                    else:
                        times[what].append(exchange.timed_copy(table_path))
                    stored = TransportReservation.objects.count()
                    if stored != rows:
                        raise CommandError(f"{what}: {stored} rijen opgeslagen, verwacht {rows}.")
                    self.load.sample()
                    self.log(f"  {what}: {rows / times[what][-1]:,.0f} rijen/s")
            exchange.clear_transport()
        fast = {"rows": rows, "import_s": statistics.median(times["import"])}
        fast["import_rows_per_s"] = rows / fast["import_s"]
        if times["copy"]:
            fast["copy_s"] = statistics.median(times["copy"])
            fast["copy_rows_per_s"] = rows / fast["copy_s"]
            fast["ratio"] = fast["import_rows_per_s"] / fast["copy_rows_per_s"]
        else:
            fast["copy_skipped"] = "COPY alleen op PostgreSQL"
        fast["rounds"] = rounds
        self.results["fast_import"] = fast

    # -- 4. the report --

    def report(self) -> None:
        results, options = self.results, self.options
        lines = [""]
        if results["sizes"]:
            lines += self.dashboard_tables()
        lines += self.once_tables()
        lines += ["", "### Acceptatie", ""]
        lines += [f"- {line}" for line in self.acceptance()]
        lines += ["", "### Machine", ""]
        lines += [f"- {line}" for line in machine_info()]
        lines += [
            f"- belasting (load average 1 min) tijdens de run: {self.load.span()} "
            f"(1/5/15 min bij de start {self.load_at_start}, aan het eind {load_text()})",
            f"- onderdelen: {', '.join(results['sections'])}; --repeat {options['repeat']}, "
            f"--rounds {options['rounds']}",
        ]
        self.stdout.write("\n".join(lines))

    def dashboard_tables(self) -> list[str]:
        results = self.results
        rows = results["sizes"]
        lines = [
            f"## Benchmark BNF-dashboard (verslagjaar {results['year']}, lopend jaar "
            f"{results['year'] + 1}, mediaan van "
            f"{self.options['repeat']} metingen, om en om)",
            "",
            "| transportregels | dashboard uit cache (ms) | queries | na schrijven (ms) "
            "| queries | waarvan SQL (ms) | vloer samenvatting (ms) | na schrijven / vloer "
            "samenvatting | vloer ruwe tabel (ms) | na schrijven / vloer ruwe tabel "
            "| figures.json uit cache (ms) | dashboard / figures.json "
            "| lopend jaar uit cache (ms) | lopend jaar na schrijven (ms) | queries |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows:
            lines.append(
                f"| {dutch(row['size'])} | {number(row['cached_ms'], 2)} | {row['cached_queries']} "
                f"| {number(row['after_write_ms'])} | {row['after_write_queries']} "
                f"| {number(row['after_write_sql_ms'])} | {number(row['summary_floor_ms'])} "
                f"| {number(row['after_write_per_summary_floor'], 2)} "
                f"| {number(row['raw_floor_ms'])} | {number(row['after_write_per_raw_floor'], 2)} "
                f"| {number(row['json_ms'], 2)} | {number(row['cached_per_json'], 2)} "
                f"| {number(row['progress_cached_ms'], 2)} "
                f"| {number(row['progress_after_write_ms'])} "
                f"| {row['progress_after_write_queries']} |"
            )
        lines += ["", self.query_line(), ""]
        names = list(rows[0]["raw_variants"])
        lines += [
            "| transportregels | laden (s) | tabel (MB) | admin transportlijst (ms) "
            "| transport uit samenvatting (ms) | "
            + " | ".join(f"transport ruw: {name} (ms)" for name in names)
            + " | overige bronnen (ms) |",
            "|---:|---:|---:|---:|---:|" + "---:|" * len(names) + "---:|",
        ]
        for row in rows:
            variants = " | ".join(number(row["raw_variants"][name]) for name in names)
            lines.append(
                f"| {dutch(row['size'])} | {number(row['load_s'])} | {number(row['table_mb'])} "
                f"| {number(row['admin_ms'])} | {number(row['summary_transport_ms'])} "
                f"| {variants} | {number(row['other_ms'])} |"
            )
        for row in rows:
            for problem in row["mismatches"]:
                lines.append(f"\nLet op ({dutch(row['size'])} rijen): {problem}")
        lines += [
            "",
            "Dashboard en figures.json: anoniem via django.test.Client, DEBUG uit. 'Uit de "
            "cache': de gegevens ongewijzigd, de paginacache antwoordt. 'Na schrijven': vlak "
            "voor elk verzoek één UPDATE van een transportrij (niet meegeteld), dus pagina, "
            "cijfers en grafieken opnieuw; 'waarvan SQL' is de databasetijd daarvan (mediaan "
            "van 5). 'Lopend jaar': hetzelfde voor dit jaar, vergeleken met vorig jaar tot "
            "dezelfde dag (een tweede telling). Vloer: handgeschreven SQL voor dezelfde "
            "cijfers en grafieken; transport uit de samenvattingen (bnf_transport_year, "
            "_month) of uit de ruwe rijen (de snelste formulering), plus één gegroepeerde "
            "query per overige bron.",
            "",
        ]
        return lines

    def query_line(self) -> str:
        rows, demo = self.results["sizes"], self.results.get("demo")
        counts = {(row["cached_queries"], row["after_write_queries"]) for row in rows}
        if demo:
            reference = (demo["cached_queries"], demo["after_write_queries"])
            equal = counts == {reference}
            self.results["queries_equal_to_demo"] = equal
            where = f"demo {demo['fixture']} (/{demo['year']}/)"
        else:
            reference, equal = sorted(counts)[0], len(counts) == 1
            where = "de eerste omvang"
        verdict = "gelijk" if equal else "NIET gelijk"
        return (
            f"Queries bij elke omvang {verdict} aan {where}: {reference[0]} uit de cache, "
            f"{reference[1]} na schrijven"
            + ("" if equal else f" (gemeten: {sorted(counts)})")
            + "."
        )

    def once_tables(self) -> list[str]:
        results = self.results
        lines = [f"## Eenmalig, bij {dutch(results['once_at'])} transportregels", ""]
        http = results.get("http")
        if http and "skipped" not in http:
            s = http["settings"]
            lines += [
                f"gunicorn {s['workers']} workers op 127.0.0.1, {s['threads']} clientthreads "
                f"(keep-alive), {s['http_requests']} verzoeken per URL per ronde, "
                f"{s['rounds']} rondes om en om:",
                "",
                "| URL | verzoeken/s | p50 (ms) | p90 (ms) |",
                "|---|---:|---:|---:|",
            ]
            for name in ("dashboard", "figures.json"):
                data = http[name]
                lines.append(
                    f"| `{data['url']}` | {dutch(data['requests_per_s'])} "
                    f"| {number(data['p50_ms'])} | {number(data['p90_ms'])} |"
                )
            lines += ["", f"dashboard / figures.json: {number(http['ratio'], 2)}×", ""]
        elif http:
            lines += [f"gunicorn overgeslagen: {http['skipped']}", ""]
        for key, title in (("writers", "schrijvers"), ("blocking", "blocking")):
            data = results.get(key)
            if data and "skipped" in data:
                lines += [f"{title} overgeslagen: {data['skipped']}", ""]
        data = results.get("writers")
        if data and "skipped" not in data:
            lines += [
                f"Schrijvers ({dutch(data['writes'])} losse ORM-schrijfacties, "
                f"{len(data['rounds'][1])} rondes om en om): 1 schrijver "
                f"{dutch(data['one_per_s'])}/s, 4 schrijvers {dutch(data['four_per_s'])}/s, "
                f"verhouding {number(data['ratio'], 2)}×",
                "",
            ]
        data = results.get("blocking")
        if data and "skipped" not in data:
            lines += ["Schrijfacties en lezers in andere tabellen tijdens een snelle import:"]
            lines += [f"- {line}" for line in blocking.describe(data)] + [""]
        data = results.get("admin_import")
        if data and "skipped" not in data:
            lines += [
                f"Admin-import {dutch(data['rows'])} berichten (mediaan van {data['rounds']}): "
                f"{admin_import_times(data)}",
                "",
            ]
        elif data:
            lines += [f"admin-import overgeslagen: {data['skipped']}", ""]
        data = results.get("admin_import_rechecked")
        if data and "skipped" not in data:
            lines += [
                f"Dezelfde import met een schrijfactie tussen voorbeeld en bevestigen (het "
                f"bevestigen controleert dan elke rij opnieuw; mediaan van {data['rounds']}, "
                f"om en om met de vorige): {admin_import_times(data)}",
                "",
            ]
        data = results.get("fast_import")
        if data:
            text = (
                f"Snelle import {dutch(data['rows'])} rijen (mediaan van {data['rounds']}, om "
                f"en om): {dutch(data['import_rows_per_s'])} rijen/s ({number(data['import_s'])} s)"
            )
            if "copy_s" in data:
                text += (
                    f"; plain COPY van dezelfde rijen: {dutch(data['copy_rows_per_s'])} rijen/s "
                    f"({number(data['copy_s'])} s); import / COPY {number(data['ratio'], 2)}×"
                )
            else:
                text += f"; {data['copy_skipped']}"
            lines += [text, ""]
        return lines

    def acceptance(self) -> list[str]:
        results, lines = self.results, []
        rows = results["sizes"]
        if rows:
            largest = max(rows, key=lambda row: row["size"])
            at = f"bij {dutch(largest['size'])} rijen"
            if largest["size"] < AFTER_WRITE_AT:
                at += f" (niet gemeten bij {dutch(AFTER_WRITE_AT)})"
            ok = largest["after_write_ms"] <= AFTER_WRITE_MAX_MS
            lines.append(
                f"dashboard na schrijven ≤ {AFTER_WRITE_MAX_MS} ms {at}: "
                f"{number(largest['after_write_ms'])} ms, {met(ok)}"
            )
            if largest.get("progress_after_write_ms") is not None:
                ok = largest["progress_after_write_ms"] <= AFTER_WRITE_MAX_MS
                lines.append(
                    f"het lopende jaar {largest['progress_year']} (met vorig jaar tot dezelfde "
                    f"dag) na schrijven ≤ {AFTER_WRITE_MAX_MS} ms {at}: "
                    f"{number(largest['progress_after_write_ms'])} ms, {met(ok)}"
                )
            slowest = max(max(row["cached_ms"], row.get("progress_cached_ms") or 0) for row in rows)
            lines.append(
                f"dashboard uit de cache ≤ {CACHED_MAX_MS} ms bij elke omvang: hoogstens "
                f"{number(slowest, 2)} ms, {met(slowest <= CACHED_MAX_MS)}"
            )
            if "queries_equal_to_demo" in results:
                lines.append(
                    "queries gelijk aan de demo-omvang: " + met(results["queries_equal_to_demo"])
                )
        http = results.get("http")
        if http and "skipped" not in http:
            lines.append(
                f"gunicorn dashboard ≥ {number(HTTP_MIN_RATIO)}× figures.json: "
                f"{number(http['ratio'], 2)}×, {met(http['ratio'] >= HTTP_MIN_RATIO)}"
            )
        data = results.get("writers")
        if data and "skipped" not in data:
            lines.append(
                f"4 schrijvers ≥ {number(WRITERS_MIN_RATIO)}× één: {number(data['ratio'], 2)}×, "
                f"{met(data['ratio'] >= WRITERS_MIN_RATIO)}"
            )
        data = results.get("blocking")
        if data and "skipped" not in data:
            longest = max(wait["max_ms"] for wait in data["waits"].values())
            lines.append(
                f"een schrijfactie in een andere tabel wacht tijdens een import van "
                f"{number(data['import_seconds'])} s ≤ {BLOCKED_WRITE_MAX_MS} ms: hoogstens "
                f"{number(longest)} ms, {met(longest <= BLOCKED_WRITE_MAX_MS)}"
            )
        data = results.get("admin_import")
        if data and "skipped" not in data:
            ok = data["rows_per_s"] >= ADMIN_IMPORT_MIN_ROWS_S
            lines.append(
                f"admin-import {dutch(data['rows'])} berichten ≥ "
                f"{dutch(ADMIN_IMPORT_MIN_ROWS_S)} rijen/s: {dutch(data['rows_per_s'])}, {met(ok)}"
            )
        return lines or ["geen onderdeel met een acceptatiegetal gemeten"]
