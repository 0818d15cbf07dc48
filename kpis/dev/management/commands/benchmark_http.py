"""HTTP benchmark: the dashboard against figures.json through a real server. By hand.

Reads the current database (``DATABASE_URL``, PostgreSQL or SQLite) and writes nothing
to it::

    python manage.py migrate && python manage.py loaddata bnf_2021
    python manage.py benchmark_http --requests 400 --rounds 3

What it does:

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

import http.client
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from kpis.models import TransportReservation
from kpis.reporting import aggregation

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def load() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


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
        if options["threads"] < 1 or options["threads"] > 64:
            raise CommandError("--threads: 1 tot en met 64.")
        year = options["year"] or (aggregation.history().data_years or [None])[-1]
        if year is None:
            raise CommandError("Geen gegevens: laad eerst bijv. `manage.py loaddata bnf_2021`.")
        urls = {"dashboard": f"/{year}/", "figures.json": f"/{year}/figures.json"}
        load_before = load()
        server_ms, queries = self.server_time(urls["dashboard"], options["server_repeat"])
        port = free_port()
        server = self.start_server(port, options["workers"])
        try:
            self.wait_until_up(port, urls["figures.json"], server)
            for url in urls.values():  # warm-up: every worker renders and caches once
                self.run_load(port, url, options["threads"] * 4, options["threads"])
            results = {name: {"seconds": 0.0, "latencies": []} for name in urls}
            names = list(urls)
            for round_ in range(options["rounds"]):
                for name in names if round_ % 2 == 0 else names[::-1]:
                    seconds, latencies = self.run_load(
                        port, urls[name], options["requests"], options["threads"]
                    )
                    results[name]["seconds"] += seconds
                    results[name]["latencies"] += latencies
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        self.report(year, urls, results, server_ms, queries, load_before, options)

    def server_time(self, url: str, repeat: int) -> tuple[float, int]:
        """The cached dashboard in this process: median ms of ``repeat``, and its queries."""
        with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
            client = Client()
            if client.get(url).status_code != 200:
                raise CommandError(f"{url} geeft geen 200.")
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
        return statistics.median(times), len(captured)

    def start_server(self, port: int, workers: int) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_HSTS_SECONDS": "0",
        }
        base = Path(settings.BASE_DIR)
        if not (base / "staticfiles" / "staticfiles.json").exists():
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                cwd=base,
                env=env,
                check=True,
            )
        command = [sys.executable, "-m", "gunicorn", "bnf.wsgi", "--bind", f"{HOST}:{port}"]
        command += ["--workers", str(workers), "--log-level", "warning"]
        return subprocess.Popen(command, cwd=base, env=env)

    def wait_until_up(self, port: int, url: str, server: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError("gunicorn is gestopt; zie de uitvoer hierboven.")
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=5)
                conn.request("GET", url)
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
                raise CommandError(f"{url} geeft {status}.")
            except OSError:
                time.sleep(0.2)
        raise CommandError("gunicorn start niet binnen 60 s.")

    def run_load(self, port: int, url: str, total: int, threads: int):
        """``total`` GETs of ``url`` by ``threads`` keep-alive clients: (seconds, ms each)."""
        remaining = iter(range(total))
        lock = threading.Lock()
        latencies: list[float] = []
        errors: list[str] = []

        def client():
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            mine = []
            try:
                while True:
                    with lock:
                        if next(remaining, None) is None:
                            break
                    started = time.perf_counter()
                    conn.request("GET", url)
                    response = conn.getresponse()
                    response.read()
                    mine.append((time.perf_counter() - started) * 1000)
                    if response.status != 200:
                        errors.append(f"{url}: {response.status}")
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{url}: {error!r}")
            finally:
                conn.close()
                with lock:
                    latencies.extend(mine)

        workers = [threading.Thread(target=client) for _ in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        seconds = time.perf_counter() - started
        if errors:
            raise CommandError(f"{len(errors)} mislukte verzoeken, bijv. {errors[0]}")
        return seconds, latencies

    def report(self, year, urls, results, server_ms, queries, load_before, options):
        rates = {}
        lines = [
            f"HTTP-meting, jaar {year}: gunicorn {options['workers']} workers, "
            f"{options['threads']} clientthreads (keep-alive), {options['requests']} verzoeken "
            f"per URL per ronde, {options['rounds']} rondes om en om.",
            "",
            "| URL | verzoeken/s | p50 | p90 |",
            "|---|---:|---:|---:|",
        ]
        for name, url in urls.items():
            data = results[name]
            rates[name] = len(data["latencies"]) / data["seconds"]
            ordered = sorted(data["latencies"])
            p90 = ordered[int(0.9 * (len(ordered) - 1))]
            lines.append(
                f"| `{url}` | {rates[name]:.0f} | {statistics.median(ordered):.1f} ms "
                f"| {p90:.1f} ms |"
            )
        ratio = rates["dashboard"] / rates["figures.json"]
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
            f"belasting (load average 1/5/15 min): vooraf {load_before}, achteraf {load()}",
            f"processors: {os.cpu_count()}; Python {platform.python_version()}, "
            f"Django {django.get_version()}, {platform.platform()}",
        ]
        self.stdout.write("\n".join(lines))
