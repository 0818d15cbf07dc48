"""Measure how concurrent writers scale with the data-version triggers in place.

    python manage.py benchmark_writers --writes 2000 --repeat 3 --yes-destroy-data

PostgreSQL only, in a database of its own (it removes the trainings it writes). The
same total of one-row ORM writes (each its own transaction, like an admin save) is done
by one writer and by four writers at once, in turn within one run
(``kpis.dev.bench.writers``, also in ``manage.py benchmark``); it prints the throughput
of each, their ratio and the load average.

    python manage.py benchmark_writers --yes-destroy-data --import-rows 700000 --writes 0

times other users' writes and reads while a fast transport import of that many rows runs
(``kpis.dev.blocking``); ``--compare-checkout ../other-worktree --import-repeat 2`` does
the same with that checkout's import, in turn with this one's.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kpis.dev import blocking
from kpis.dev.bench import writers
from kpis.dev.bench.common import LoadRecorder

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
            "snelle transportimport van zoveel rijen (kpis.dev.blocking).",
        )
        parser.add_argument("--import-repeat", type=int, default=1)
        parser.add_argument(
            "--compare-checkout",
            help="Een andere checkout (git worktree) waarvan de import om en om met deze "
            "wordt gemeten, op dezelfde database.",
        )

    def handle(self, *args, writes, repeat, **options):
        if not options["yes_destroy_data"] or connection.vendor != "postgresql":
            raise CommandError("PostgreSQL in een eigen database, met --yes-destroy-data.")
        if options["import_rows"]:
            self.during_import(
                options["import_rows"], options["import_repeat"], options["compare_checkout"]
            )
            if not writes:
                return
        load = LoadRecorder()
        result = writers.measure(writes, repeat, load, log=self.stdout.write)
        self.stdout.write(
            f"mediaan: 1 schrijver {result['one_per_s']:.0f}/s, 4 schrijvers "
            f"{result['four_per_s']:.0f}/s, verhouding {result['ratio']:.2f}; "
            f"load average {load.span()}"
        )

    def during_import(self, rows: int, repeat: int, compare: str | None) -> None:
        """Other users' writes and reads during a fast transport import
        (``kpis.dev.blocking``); with ``compare``, the import of that other checkout in
        turn with this one's, ``repeat`` times each."""
        checkouts = [("deze checkout", None)]
        if compare:
            checkouts.append((compare, compare))
        for round_ in range(repeat):
            for label, checkout in checkouts if round_ % 2 == 0 else checkouts[::-1]:
                result = blocking.writes_during_import(rows, self.stdout, checkout=checkout)
                self.stdout.write(f"ronde {round_ + 1}, {label}:")
                for line in blocking.describe(result):
                    self.stdout.write("  " + line)
