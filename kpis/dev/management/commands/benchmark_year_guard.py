"""Measure what the closed-year triggers (``kpis.core.year_policy``) cost a bulk load.

    python manage.py benchmark_year_guard --rows 1000000 --repeat 3 --yes-destroy-data

PostgreSQL only, in a database of its own (it empties the transport table). With one
year closed (so the triggers do their whole check), it loads the same rows with the
transport table's guard triggers in place and without them, A/B in turn within one run
(this machine is shared and noisy): a plain ``COPY`` (rolled back) and the fast
transport import. It prints the medians, their ratio and the load average.
"""

from __future__ import annotations

import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from kpis import transport_import
from kpis.core import year_policy
from kpis.dev.bench.exchange import Exchange
from kpis.models import ClosedYear, TransportReservation
from kpis.reporting import closing

CLOSED = 2010  # a closed year the benchmark rows never touch: the check runs in full


class Command(BaseCommand):
    help = "Meet de kosten van de triggers voor afgesloten jaren bij bulkladen (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--yes-destroy-data", action="store_true")

    def handle(self, *args, rows, repeat, seed, **options):
        if not options["yes_destroy_data"]:
            raise CommandError("Gebruik een eigen database en bevestig met --yes-destroy-data.")
        if connection.vendor != "postgresql":
            raise CommandError("Deze meting draait op PostgreSQL (DATABASE_URL).")
        self.exchange = Exchange(self.stdout, seed)
        self.user, self.libraries = self.exchange.user, self.exchange.libraries
        self.years = self.exchange.years
        if not ClosedYear.objects.filter(year=CLOSED).exists():
            closing.close_year(CLOSED, self.user)
        load = [os.getloadavg()[0]]
        times = {("copy", True): [], ("copy", False): [], ("import", True): []}
        times[("import", False)] = []
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "transport.csv"
            self.exchange.generate_csv(path, rows)
            copy_data = self.copy_text(rows)
            for round_ in range(repeat):
                order = (True, False) if round_ % 2 == 0 else (False, True)
                for guarded in order:
                    times[("copy", guarded)].append(self.timed_copy(copy_data, guarded))
                    times[("import", guarded)].append(self.timed_import(path, guarded))
                    load.append(os.getloadavg()[0])
                    self.exchange.log(
                        f"ronde {round_ + 1}, {'met' if guarded else 'zonder'} triggers: "
                        f"COPY {times[('copy', guarded)][-1]:.1f} s, "
                        f"import {times[('import', guarded)][-1]:.1f} s"
                    )
        self.exchange.clear_transport()
        for what in ("copy", "import"):
            with_, without = (statistics.median(times[(what, g)]) for g in (True, False))
            self.exchange.log(
                f"{what}: {rows:,} rijen, met triggers {with_:.2f} s, zonder {without:.2f} s, "
                f"verhouding {with_ / without:.2f}"
            )
        self.exchange.log(f"load average tijdens de meting: {min(load):.1f}–{max(load):.1f}")

    def copy_text(self, rows: int) -> bytes:
        ids = [library.pk for library in self.libraries]
        lines = []
        for n in range(rows):
            origin = ids[n % len(ids)]
            destination = ids[(n + 1) % len(ids)]
            day = f"{self.years[n % 2]}-{1 + n % 12:02d}-{1 + n % 28:02d}"
            lines.append(f"{origin}\t{destination}\t{day}\tday\t{1 + n % 7}\tnow\tnow\n")
        return "".join(lines).encode()

    def guard(self, on: bool) -> None:
        table = TransportReservation._meta.db_table
        if on:
            year_policy.install()
            return
        with connection.cursor() as cursor:
            for op in ("insert", "update", "delete"):
                cursor.execute(f'DROP TRIGGER IF EXISTS {year_policy.TRIGGER}_{op} ON "{table}"')

    def timed_copy(self, data: bytes, guarded: bool) -> float:
        self.guard(guarded)
        table = TransportReservation._meta.db_table
        columns = "(origin_id, destination_id, delivered_on, period, quantity, created_at, "
        columns += "updated_at)"
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                started = time.perf_counter()
                with cursor.copy(f'COPY "{table}" {columns} FROM STDIN') as copy:
                    stream = io.BytesIO(data)
                    while chunk := stream.read(1 << 20):
                        copy.write(chunk)
                seconds = time.perf_counter() - started
                transaction.set_rollback(True)
        finally:
            self.guard(True)
        return seconds

    def timed_import(self, path: Path, guarded: bool) -> float:
        self.exchange.clear_transport()
        self.guard(guarded)
        try:
            started = time.perf_counter()
            result = transport_import.import_transport(
                path, user=self.user, source=transport_import.SOURCE_COMMAND, max_bytes=0
            )
            seconds = time.perf_counter() - started
        finally:
            self.guard(True)
        if not result.ok:
            raise CommandError(f"Import mislukt: {[str(e) for e in result.errors[:5]]}")
        stored = TransportReservation.objects.count()
        if stored != result.rows:
            raise CommandError(f"{result.rows} rijen gelezen, {stored} opgeslagen")
        return seconds
