"""The data exchange measured: fast transport import against a plain ``COPY`` of the same
rows, the streamed export, and the django-import-export admin import.

Used by ``manage.py benchmark`` (the one report) and ``manage.py benchmark_exchange``.
It DELETES ALL TRANSPORT RESERVATIONS (and their import batches) in the database it
runs on, and adds benchmark libraries, a benchmark channel with its posts and a
superuser ``benchmark``.

1. **Fast transport import** (``kpis.transport_import``, as ``manage.py
   import_transport`` and the admin's "Snel importeren" run it): a generated CSV of
   rows (``;``-separated with a BOM and Dutch dates, as Dutch Excel saves it; libraries
   by code and some by name; some monthly totals, at most one per month and pair)
   between a few libraries in and around Flevoland, in open years. Rows per second for
   the whole import, and the checking and writing phases separately. Beside it, the
   same rows in the table's own format (ids, ISO dates) written by a plain ``COPY``
   into the transport table and committed, with every trigger in place: the floor.
2. **Streamed CSV export** of all those rows through the admin URL
   (``/admin/kpis/transportreservation/export-csv/``, logged in, ``django.test.Client``
   with DEBUG off): rows per second, and memory measured two ways:

   - *peak RSS growth*: the process's resident-set high-water mark (``VmHWM``),
     reset just before the export by writing ``5`` to ``/proc/self/clear_refs``
     (Linux), minus the RSS before the export. Where that reset is not possible it
     falls back to the ``resource.getrusage`` ``ru_maxrss`` delta, which shows
     nothing if an earlier step of this process peaked higher (the table says which);
   - *tracemalloc peak*: the largest amount of Python memory allocated at one moment
     during a second, separate export run (tracemalloc slows Python down, so that run
     is not timed).
3. **django-import-export admin import** of ChannelPost rows through the ChannelPost
   admin's own two steps, as a person does it: upload and preview (a dry run), then
   confirm; then undo of its import batch.

Targets (issue "Data exchange"): import >= 50,000 rows/s, export >= 200,000 rows/s with
less than 150 MB of memory; the admin import of 20,000 new posts >= 5,000 rows/s for
both steps together.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import platform
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import django
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import setup_test_environment, teardown_test_environment
from django.urls import NoReverseMatch, reverse

from kpis import transport_import
from kpis.models import (
    Channel,
    ChannelPost,
    ClosedYear,
    ImportBatch,
    Organisation,
    Province,
    TransportReservation,
)

# (code, name, province): plausible libraries; the first three in the home province.
LIBRARIES = [
    ("bench-almere", "Benchmark Bibliotheek Almere", Province.FLEVOLAND),
    ("bench-lelystad", "Benchmark Bibliotheek Lelystad", Province.FLEVOLAND),
    ("bench-noordoostpolder", "Benchmark Bibliotheek Noordoostpolder", Province.FLEVOLAND),
    ("bench-zwolle", "Benchmark Bibliotheek Zwolle", Province.OVERIJSSEL),
    ("bench-amersfoort", "Benchmark Bibliotheek Amersfoort", Province.UTRECHT),
    ("bench-harderwijk", "Benchmark Bibliotheek Harderwijk", Province.GELDERLAND),
]
CHANNEL = ("bench-kanaal", "Benchmark kanaal")
USERNAME = "benchmark"


def dutch(number: float) -> str:
    return f"{round(number):,}".replace(",", ".")


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def rss_bytes(field: str = "VmRSS") -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


class Exchange:
    """The data-exchange measurements, on the database of this process. Each ``measure_*``
    returns its numbers and adds its lines to ``results`` (what, result, target)."""

    def __init__(self, stdout=None, seed: int = 2021):
        self.stdout = stdout or sys.stdout
        self.rng = random.Random(seed)
        self.results: list[tuple[str, str, str]] = []
        self.skipped: str | None = None
        self.user = self.superuser()
        self.libraries = self.benchmark_libraries()
        self.years = self.open_years(2)

    # -- set-up ------------------------------------------------------------------------

    def log(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def superuser(self):
        users = get_user_model()
        user = users.objects.filter(username=USERNAME).first()
        return user or users.objects.create_superuser(USERNAME, password=None)

    def benchmark_libraries(self) -> list[Organisation]:
        found = []
        for code, name, province in LIBRARIES:
            library, _created = Organisation.objects.get_or_create(
                code=code,
                defaults={"name": name, "province": province, "kind": Organisation.Kind.LIBRARY},
            )
            found.append(library)
        return found

    def open_years(self, count: int) -> list[int]:
        closed = set(ClosedYear.objects.values_list("year", flat=True))
        year, years = datetime.date.today().year - 1, []
        while len(years) < count:
            if year not in closed:
                years.insert(0, year)
            year -= 1
        return years

    def clear_transport(self) -> None:
        table = connection.ops.quote_name(TransportReservation._meta.db_table)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Within an outer transaction (as in a test) the deferred key checks of
                # earlier writes run first, or TRUNCATE refuses ("pending trigger events").
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {table}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                cursor.execute(f"DELETE FROM {table}")
            ImportBatch.objects.filter(model_label=transport_import.MODEL_LABEL).delete()

    def clear_posts(self) -> None:
        channel = Channel.objects.filter(slug=CHANNEL[0]).first()
        if channel is None:
            return
        table = connection.ops.quote_name(ChannelPost._meta.db_table)
        column = connection.ops.quote_name(ChannelPost._meta.get_field("channel").column)
        with transaction.atomic(), connection.cursor() as cursor:
            # Themes of the posts (many-to-many) go with them through ON DELETE in Django
            # only; the benchmark posts have none.
            cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [channel.pk])

    # -- 1. fast import ------------------------------------------------------------------

    def generate_csv(self, path: Path, rows: int, table_path: Path | None = None) -> None:
        """The import file; with ``table_path`` also the same rows in the transport
        table's own ``COPY`` format (ids, ISO dates, tab-separated), for the floor."""
        started = time.perf_counter()
        rng = self.rng
        pairs = [
            (a, b)
            for a in self.libraries
            for b in self.libraries
            if a != b and Province.FLEVOLAND in (a.province, b.province)
        ]
        days = [
            datetime.date(year, 1, 1) + datetime.timedelta(days=n)
            for year in self.years
            for n in range(365)
            if (datetime.date(year, 1, 1) + datetime.timedelta(days=n)).weekday() < 6
        ]
        day_texts = [day.strftime("%d-%m-%Y") for day in days]
        months = [f"{year}-{month:02d}" for year in self.years for month in range(1, 13)]
        with (
            open(path, "w", encoding="utf-8-sig", newline="") as out,
            open(table_path or os.devnull, "w", encoding="utf-8") as table_out,
        ):
            out.write("Datum;Maand;Van;Naar;Aantal\r\n")
            done = 0
            monthly = set()
            while done < rows:
                n = min(50_000, rows - done)
                lines, table_lines = [], []
                for _ in range(n):
                    origin, destination = rng.choice(pairs)
                    u = rng.random()
                    van = origin.name if u < 0.1 else origin.code
                    month = rng.choice(months) if u < 0.02 else None
                    if month and (month, origin.pk, destination.pk) not in monthly:
                        # One monthly total per month and pair, as the import demands.
                        monthly.add((month, origin.pk, destination.pk))
                        quantity = rng.randint(20, 1500)
                        lines.append(f";{month};{van};{destination.code};{quantity}\r\n")
                        day, period = f"{month}-01", "month"
                    else:
                        index = rng.randrange(len(days))
                        quantity = 1 + int(u * u * u * 40)
                        lines.append(f"{day_texts[index]};;{van};{destination.code};{quantity}\r\n")
                        day, period = days[index].isoformat(), "day"
                    table_lines.append(
                        f"{origin.pk}\t{destination.pk}\t{day}\t{period}\t{quantity}\tnow\tnow\n"
                    )
                out.write("".join(lines))
                table_out.write("".join(table_lines))
                done += n
        size = path.stat().st_size
        seconds = time.perf_counter() - started
        self.log(f"CSV gemaakt: {dutch(rows)} rijen, {megabytes(size)} in {seconds:.1f} s")
        self.file_size = size

    def measure_import(self, path: Path, rows: int, report: bool = True) -> dict:
        moments: dict[str, float] = {}
        started = time.perf_counter()

        def progress(stage: str, count: int) -> None:
            moments[stage] = time.perf_counter()
            if count % 200_000 == 0 or count == rows:
                self.log(f"  import: {dutch(count)} rijen {stage}")

        result = transport_import.import_transport(
            path,
            user=self.user,
            source=transport_import.SOURCE_COMMAND,
            progress=progress,
            max_bytes=0,  # a measurement of speed, not of the upload limit
        )
        seconds = time.perf_counter() - started
        if not result.ok:
            raise CommandError(f"Import mislukt: {[str(e) for e in result.errors[:5]]}")
        self.log(f"Import: {dutch(rows)} rijen in {seconds:.1f} s")
        numbers = {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}
        if not {"gecontroleerd", "geschreven"} <= moments.keys():
            return numbers  # the import reports other stages: only the total
        checking = moments["gecontroleerd"] - started
        writing = moments["geschreven"] - moments["gecontroleerd"]
        finishing = started + seconds - moments["geschreven"]
        numbers |= {"checking_s": checking, "writing_s": writing, "finishing_s": finishing}
        if not report:
            return numbers
        postgres = connection.vendor == "postgresql"
        self.results += [
            (
                f"Snelle import, {dutch(rows)} rijen CSV ({megabytes(self.file_size)})",
                f"{dutch(rows / seconds)} rijen/s ({seconds:.1f} s)",
                ">= 50.000 rijen/s",
            ),
            (
                "  1. controleren (lezen, SHA-256, elke rij)",
                f"{dutch(rows / checking)} rijen/s ({checking:.1f} s)",
                "",
            ),
            (
                "  2. schrijven (" + ("COPY" if postgres else "executemany") + ")",
                f"{dutch(rows / writing)} rijen/s ({writing:.1f} s)",
                "",
            ),
            (
                "  3. indexen en sleutels herbouwen, commit" if postgres else "  3. commit",
                f"{finishing:.1f} s",
                "",
            ),
        ]
        return numbers

    def timed_copy(self, table_path: Path) -> float:
        """A plain ``COPY`` of the rows in ``table_path`` into the transport table, with
        every trigger in place, committed (as the import commits): seconds. PostgreSQL."""
        table = connection.ops.quote_name(TransportReservation._meta.db_table)
        columns = (
            "(origin_id, destination_id, delivered_on, period, quantity, created_at, updated_at)"
        )
        started = time.perf_counter()
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            open(table_path, "rb") as source,
            cursor.copy(f"COPY {table} {columns} FROM STDIN") as copy,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        return time.perf_counter() - started

    # -- 2. streamed export ----------------------------------------------------------------

    def export_once(self, client: Client, url: str) -> tuple[int, int]:
        response = client.get(url)
        if response.status_code != 200 or not response.streaming:
            raise CommandError(f"Export gaf {response.status_code}.")
        size = lines = 0
        for piece in response.streaming_content:
            size += len(piece)
            lines += piece.count(b"\n")
        response.close()
        return size, lines - 1  # without the header

    def measure_export(self, rows: int) -> None:
        client = Client()
        client.force_login(self.user)
        url = reverse("admin:kpis_transportreservation_export_csv")
        self.export_once(client, f"{url}?year={self.years[0]}")  # warm-up (templates, cursor)

        before = rss_bytes()
        exact = before is not None and reset_peak_rss()
        maxrss_before = maxrss_bytes()
        started = time.perf_counter()
        size, lines = self.export_once(client, url)
        seconds = time.perf_counter() - started
        if exact:
            peak = rss_bytes("VmHWM")
            memory = (
                "  geheugen export: groei piek-RSS (VmHWM na reset via /proc/self/clear_refs)",
                f"{megabytes(max(peak - before, 0))} (piek {megabytes(peak)}, "
                f"vooraf {megabytes(before)})",
            )
        else:
            memory = (
                "  geheugen export: groei ru_maxrss (getrusage)",
                megabytes(max(maxrss_bytes() - maxrss_before, 0)),
            )
        if lines != rows:
            raise CommandError(f"Export gaf {lines} rijen, verwacht {rows}.")
        self.log(f"Export: {dutch(lines)} rijen, {megabytes(size)} in {seconds:.1f} s")

        tracemalloc.start()
        self.export_once(client, url)
        _current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.results += [
            (
                f"Gestreamde CSV-export, {dutch(lines)} rijen ({megabytes(size)})",
                f"{dutch(lines / seconds)} rijen/s ({seconds:.1f} s)",
                ">= 200.000 rijen/s",
            ),
            (*memory, "< 150 MB"),
            (
                "  geheugen export: piek tracemalloc (Python-allocaties, 2e run)",
                megabytes(traced_peak),
                "< 150 MB",
            ),
        ]

    # -- 3. django-import-export in the admin ------------------------------------------

    def measure_admin_import(
        self, count: int, report: bool = True, written_between: bool = False
    ) -> dict | None:
        """Upload and preview, then confirm, then undo: seconds of each, or ``None``
        (with a line in ``results``, ``skipped`` set) if the admin cannot import.

        ``written_between``: one write to a registration table between preview and
        confirmation (another user at work), so that the confirmation checks every row
        again instead of writing what the preview checked (``kpis.core.checked_imports``).
        """
        self.skipped = None
        try:
            from kpis.resources import ChannelPostResource
        except ImportError:
            self.skip("admin-import ChannelPost", "kpis.resources heeft geen ChannelPostResource")
            return None
        try:
            import_url = reverse("admin:kpis_channelpost_import")
            confirm_url = reverse("admin:kpis_channelpost_process_import")
        except NoReverseMatch:
            self.skip("admin-import ChannelPost", "de ChannelPost-admin heeft geen import")
            return None
        channel, _created = Channel.objects.get_or_create(
            slug=CHANNEL[0], defaults={"name": CHANNEL[1]}
        )
        self.clear_posts()
        content = self.post_file(ChannelPostResource, channel, count)
        client = Client()
        client.force_login(self.user)

        # The test environment lets the client see the preview's confirmation form.
        try:
            setup_test_environment(debug=False)
            own_environment = True
        except RuntimeError:  # already set up (under a test runner)
            own_environment = False
        try:
            started = time.perf_counter()
            response = client.post(
                import_url,
                {"import_file": _named(content, "berichten.csv"), "format": "0"},
            )
            preview = time.perf_counter() - started
        finally:
            if own_environment:
                teardown_test_environment()
        confirm = response.context.get("confirm_form") if response.context else None
        if confirm is None:
            errors = response.context and response.context.get("result")
            self.skip(
                "admin-import ChannelPost",
                f"geen bevestigingsformulier na het uploaden ({response.status_code}; {errors})",
            )
            return None
        if written_between:
            Channel.objects.filter(pk=channel.pk).update(name=channel.name)  # data version
        started = time.perf_counter()
        response = client.post(confirm_url, confirm.initial)
        confirming = time.perf_counter() - started
        imported = ChannelPost.objects.filter(channel=channel).count()
        if response.status_code != 302 or imported != count:
            self.skip(
                "admin-import ChannelPost",
                f"bevestigen gaf {response.status_code}, {imported} van {count} rijen",
            )
            return None
        total = preview + confirming
        self.log(f"Admin-import: {dutch(count)} berichten in {total:.1f} s")
        numbers = {
            "rows": count,
            "preview_s": preview,
            "confirm_s": confirming,
            "total_s": total,
            "rows_per_s": count / total,
        }
        batch = ImportBatch.objects.filter(model_label="kpis.channelpost").first()
        if not report:
            numbers["undo_s"] = self.measure_undo(batch, report=False)
            return numbers
        self.results += [
            (
                f"Admin-import (django-import-export) {dutch(count)} ChannelPost-rijen",
                f"{dutch(count / total)} rijen/s ({total:.1f} s)",
                ">= 5.000 rijen/s",
            ),
            (
                "  stap 1: uploaden en voorbeeld (dry run)",
                f"{dutch(count / preview)} rijen/s ({preview:.1f} s)",
                "",
            ),
            (
                "  stap 2: bevestigen (opslaan, audittrail, importbatch)",
                f"{dutch(count / confirming)} rijen/s ({confirming:.1f} s)",
                "",
            ),
        ]
        numbers["undo_s"] = self.measure_undo(batch)
        return numbers

    def measure_undo(self, batch, report: bool = True) -> float | None:
        """Undo of the admin import's batch (``kpis.core.import_batches.undo_batch``)."""
        from kpis.core import import_batches

        if batch is None:
            self.skip("ongedaan maken admin-import", "de import maakte geen importbatch")
            return None
        started = time.perf_counter()
        deleted = import_batches.undo_batch(batch)
        took = time.perf_counter() - started
        self.log(f"Ongedaan maken: {dutch(deleted)} berichten in {took:.1f} s")
        if not report:
            return took
        self.results.append(
            (
                f"Admin-import ongedaan maken ({dutch(deleted)} rijen, audittrail)",
                f"{dutch(deleted / took)} rijen/s ({took:.1f} s)",
                "",
            )
        )
        return took

    def post_file(self, resource_class, channel: Channel, count: int) -> bytes:
        """A CSV in the resource's own format: a few posts exported, then varied."""
        samples = [
            ChannelPost(
                channel=channel,
                title=f"Voorbeeld {n}",
                published_on=datetime.date(self.years[-1], 1 + n % 12, 1 + n % 28),
            )
            for n in range(24)
        ]
        with transaction.atomic():
            ChannelPost.objects.bulk_create(samples)
            dataset = resource_class().export(ChannelPost.objects.filter(channel=channel))
            transaction.set_rollback(True)
        headers = list(dataset.headers)
        title = headers.index(resource_class.fields["title"].column_name)
        rows = list(dataset)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(headers)
        for n in range(count):
            row = list(rows[n % len(rows)])
            row[title] = f"Benchmarkbericht {n + 1}"
            writer.writerow(row)
        return out.getvalue().encode("utf-8")

    def skip(self, what: str, why: str) -> None:
        self.skipped = why
        self.log(f"{what} overgeslagen: {why}")
        self.results.append((what, f"overgeslagen: {why}", ""))

    # -- report -----------------------------------------------------------------------------

    def table(self) -> str:
        load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
        lines = [
            "",
            "| Meting | Resultaat | Doel |",
            "|---|---|---|",
            *(f"| {what} | {value} | {goal} |" for what, value, goal in self.results),
            "",
            f"Database: {connection.vendor} {_server_version()}; Django {django.get_version()}; "
            f"Python {platform.python_version()}; {os.cpu_count()} CPU's; "
            f"load {', '.join(f'{x:.2f}' if isinstance(x, float) else x for x in load)}.",
        ]
        return "\n".join(lines)


def _named(content: bytes, name: str):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _server_version() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    return ""
