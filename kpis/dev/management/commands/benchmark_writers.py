"""Measure how concurrent writers scale with the data-version triggers in place.

    python manage.py benchmark_writers --writes 2000 --repeat 3 --yes-destroy-data

PostgreSQL only, in a database of its own (it removes the trainings it writes). The
same total of one-row ORM writes (each its own transaction, like an admin save) is done
by one writer and by four writers at once, in turn within one run
(``kpis.dev.bench.writers``, also in ``manage.py benchmark``); it prints the throughput
of each, their ratio and the load average.
"""

from __future__ import annotations

import datetime
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kpis.dev.bench import writers
from kpis.dev.bench.common import LoadRecorder
from kpis.dev.bench.exchange import Exchange
from kpis.models import Training

TITLE = writers.TITLE


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
        load = LoadRecorder()
        result = writers.measure(writes, repeat, load, log=self.stdout.write)
        self.stdout.write(
            f"mediaan: 1 schrijver {result['one_per_s']:.0f}/s, 4 schrijvers "
            f"{result['four_per_s']:.0f}/s, verhouding {result['ratio']:.2f}; "
            f"load average {load.span()}"
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

        helper = Exchange(self.stdout, seed=1)
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
