"""Benchmark of the data exchange: fast transport import, streamed export, admin import.

Run by hand, not in the tests. THIS DELETES ALL TRANSPORT RESERVATIONS (and their
import batches) in the database it runs on (``kpis.dev.bench.exchange`` says what it
measures and adds). Give it a database of its own through ``DATABASE_URL`` and confirm
with ``--yes-destroy-data``::

    python manage.py benchmark_exchange --yes-destroy-data

PostgreSQL, as production; SQLite is refused unless ``--allow-sqlite``. ``manage.py
benchmark`` reports the imports too (against a plain ``COPY``); this command adds the
streamed export and its memory.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import override_settings

from kpis.dev.bench.exchange import Exchange


class Command(BaseCommand):
    help = (
        "Meet de snelle transportimport, de gestreamde export en de admin-import "
        "(VERWIJDERT alle transportreserveringen; vraagt --yes-destroy-data)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--post-rows", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--yes-destroy-data", action="store_true")
        parser.add_argument("--allow-sqlite", action="store_true")
        parser.add_argument(
            "--keep-data", action="store_true", help="Laat de gegenereerde rijen staan."
        )

    def handle(self, *args, rows, post_rows, seed, **options):
        if not options["yes_destroy_data"]:
            raise CommandError(
                "Dit verwijdert alle transportreserveringen in de database. Gebruik een eigen "
                "database (DATABASE_URL) en bevestig met --yes-destroy-data."
            )
        if connection.vendor != "postgresql" and not options["allow_sqlite"]:
            raise CommandError(
                "De benchmark draait op PostgreSQL (DATABASE_URL); --allow-sqlite om toch "
                "SQLite te gebruiken."
            )
        with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
            exchange = Exchange(self.stdout, seed)
            exchange.clear_transport()
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "transport-benchmark.csv"
                exchange.generate_csv(path, rows)
                exchange.measure_import(path, rows)
            exchange.measure_export(rows)
            exchange.measure_admin_import(post_rows)
            if not options["keep_data"]:
                exchange.clear_transport()
                exchange.clear_posts()
        self.stdout.write(exchange.table())
