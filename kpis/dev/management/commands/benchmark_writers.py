"""Measure how concurrent writers scale with the data-version triggers in place.

    python manage.py benchmark_writers --writes 2000 --repeat 3 --yes-destroy-data

PostgreSQL only, in a database of its own (it removes the trainings it writes). The
same total of one-row ORM writes (each its own transaction, like an admin save) is done
by one writer and by four writers at once, in turn within one run; it prints the
throughput of each, their ratio and the load average.
"""

from __future__ import annotations

import datetime
import os
import statistics
import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from kpis.models import Training

TITLE = "benchmark-schrijver"


class Command(BaseCommand):
    help = "Meet de doorvoer van 1 en 4 gelijktijdige schrijvers (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--writes", type=int, default=2000)
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--yes-destroy-data", action="store_true")
        parser.add_argument(
            "--import-rows",
            type=int,
            default=0,
            help="Meet ook hoe lang een schrijfactie in een andere tabel wacht tijdens een "
            "snelle transportimport van zoveel rijen.",
        )

    def handle(self, *args, writes, repeat, **options):
        if not options["yes_destroy_data"] or connection.vendor != "postgresql":
            raise CommandError("PostgreSQL in een eigen database, met --yes-destroy-data.")
        if options["import_rows"]:
            self.during_import(options["import_rows"])
        rates = {1: [], 4: []}
        load = [os.getloadavg()[0]]
        for round_ in range(repeat):
            for writers in (1, 4) if round_ % 2 == 0 else (4, 1):
                rates[writers].append(self.run(writers, writes))
                load.append(os.getloadavg()[0])
                self.stdout.write(
                    f"ronde {round_ + 1}: {writers} schrijver(s): "
                    f"{rates[writers][-1]:.0f} schrijfacties/s"
                )
        Training.objects.filter(title__startswith=TITLE).delete()
        one, four = statistics.median(rates[1]), statistics.median(rates[4])
        self.stdout.write(
            f"mediaan: 1 schrijver {one:.0f}/s, 4 schrijvers {four:.0f}/s, "
            f"verhouding {four / one:.2f}; load average {min(load):.1f}–{max(load):.1f}"
        )

    def during_import(self, rows: int) -> None:
        """One-row writes to trainings, every 20 ms, while a fast transport import runs in
        another process (as a worker or another gunicorn worker would: in a thread here
        it would compete for this process's GIL): how long does the longest one wait?"""
        import subprocess
        import sys
        import tempfile
        from pathlib import Path

        from django.conf import settings

        from kpis.dev.management.commands import benchmark_exchange

        helper = benchmark_exchange.Command()
        helper.stdout = self.stdout
        helper.rng = __import__("random").Random(1)
        helper.libraries = helper.benchmark_libraries()
        helper.years = helper.open_years(2)
        helper.clear_transport()
        user = helper.superuser()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "transport.csv"
            helper.generate_csv(path, rows)
            command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
            command += ["import_transport", str(path), "--user", user.get_username(), "-v", "0"]
            command += ["--max-bytes", "0"]  # millions of rows: past the upload limit
            timing = {}
            started_import = time.perf_counter()
            process = subprocess.Popen(command)
            waits, day = [], datetime.date.today()
            while process.poll() is None:
                started = time.perf_counter()
                Training.objects.create(title=f"{TITLE} tijdens import", held_on=day)
                waits.append(time.perf_counter() - started)
                time.sleep(0.02)
            timing["import"] = time.perf_counter() - started_import
            if process.returncode:
                raise CommandError("De import in het andere proces mislukte.")
        helper.clear_transport()
        Training.objects.filter(title__startswith=TITLE).delete()
        waits.sort()
        self.stdout.write(
            f"tijdens een import van {rows:,} rijen ({timing.get('import', 0):.1f} s): "
            f"{len(waits)} schrijfacties in een andere tabel, mediaan "
            f"{1000 * statistics.median(waits):.1f} ms, langste {1000 * waits[-1]:.1f} ms"
        )

    def run(self, writers: int, writes: int) -> float:
        day = datetime.date.today()
        share = writes // writers

        def work(n: int) -> None:
            try:
                for i in range(share):
                    Training.objects.create(title=f"{TITLE} {n}-{i}", held_on=day)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        Training.objects.filter(title__startswith=TITLE).delete()
        return share * writers / seconds
