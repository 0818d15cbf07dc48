"""HTTP benchmark: the dashboard against figures.json through a real server. By hand.

Reads the current database (``DATABASE_URL``, PostgreSQL or SQLite) and writes nothing
to it::

    python manage.py migrate && python manage.py loaddata bnf_2021
    python manage.py benchmark_http --requests 400 --rounds 3

What it does:

The server and the client are ``kpis.dev.bench.gunicorn_load``; ``manage.py benchmark``
reports the same. In short:

1. Starts gunicorn (``--workers``, default 2) on 127.0.0.1 on a free port in a
   subprocess, with ``DEBUG`` off as in production (a throwaway secret key, no HTTPS
   redirect; ``collectstatic`` first if there is no static manifest yet), against the
   same database and cache settings as this process.
2. A bounded client: ``--threads`` (default 8) threads, each with its own keep-alive
   ``http.client`` connection to 127.0.0.1, share ``--requests`` anonymous GETs of one
   URL; the dashboard ``/<year>/`` and ``/<year>/figures.json`` are measured in turn,
   ``--rounds`` times (A/B, B/A, ...), after a warm-up, so both see the same load.
3. Prints requests per second and the median (p50) latency per URL, the ratio
   dashboard / figures.json (target: at least 0.5), the load average before and after,
   and the server time of the cached dashboard (median of ``--server-repeat`` requests
   through ``django.test.Client`` in this process, anonymous, with its queries).
"""

from __future__ import annotations

import os
import platform

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kpis.dev.bench import gunicorn_load
from kpis.dev.bench.common import LoadRecorder, load_text
from kpis.models import TransportReservation
from kpis.reporting import aggregation


class Command(BaseCommand):
    help = "Dashboard and figures.json through gunicorn: requests/s and p50 latency (by hand)."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=400, help="per URL per round")
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--server-repeat", type=int, default=50)
        parser.add_argument("--year", type=int, help="default: the latest year with data")

    def handle(self, *args, **options):
        year = options["year"] or (aggregation.history().data_years or [None])[-1]
        if year is None:
            raise CommandError("Geen gegevens: laad eerst bijv. `manage.py loaddata bnf_2021`.")
        urls = {"dashboard": f"/{year}/", "figures.json": f"/{year}/figures.json"}
        load_before = load_text()
        load = LoadRecorder()
        server_ms, queries = gunicorn_load.server_time(urls["dashboard"], options["server_repeat"])
        results = gunicorn_load.measure(
            urls,
            requests=options["requests"],
            rounds=options["rounds"],
            threads=options["threads"],
            workers=options["workers"],
            load=load,
        )
        lines = [
            f"HTTP-meting, jaar {year}: gunicorn {options['workers']} workers, "
            f"{options['threads']} clientthreads (keep-alive), {options['requests']} verzoeken "
            f"per URL per ronde, {options['rounds']} rondes om en om.",
            "",
            "| URL | verzoeken/s | p50 | p90 |",
            "|---|---:|---:|---:|",
        ]
        for data in results.values():
            lines.append(
                f"| `{data['url']}` | {data['requests_per_s']:.0f} | {data['p50_ms']:.1f} ms "
                f"| {data['p90_ms']:.1f} ms |"
            )
        ratio = results["dashboard"]["requests_per_s"] / results["figures.json"]["requests_per_s"]
        verdict = "gehaald" if ratio >= 0.5 else "NIET gehaald"
        lines += [
            "",
            f"dashboard / figures.json: {ratio:.2f}× (doel ≥ 0,5×: {verdict})",
            f"servertijd dashboard uit de paginacache (django.test.Client, anoniem, mediaan "
            f"van {options['server_repeat']}): {server_ms:.2f} ms, {queries} "
            f"{'query' if queries == 1 else 'queries'}",
            "",
            f"database: {connection.vendor}, {TransportReservation.objects.count():,}".replace(
                ",", "."
            )
            + " transportrijen",
            f"cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}",
            f"belasting (load average 1/5/15 min): vooraf {load_before}, achteraf {load_text()}; "
            f"1 min tijdens de meting {load.span()}",
            f"processors: {os.cpu_count()}; Python {platform.python_version()}, "
            f"Django {django.get_version()}, {platform.platform()}",
        ]
        self.stdout.write("\n".join(lines))
