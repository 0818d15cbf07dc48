"""Pages through a real server: gunicorn on 127.0.0.1 and a bounded client.

``measure()`` starts gunicorn (``workers``) on a free port of 127.0.0.1 in a subprocess,
with ``DEBUG`` off as in production (a throwaway secret key, no HTTPS redirect;
``collectstatic`` first if there is no static manifest yet), against the same database
and cache settings as this process. ``threads`` client threads, each with its own
keep-alive ``http.client`` connection to 127.0.0.1 only, share ``requests`` anonymous
GETs of one URL; the URLs are measured in turn (A/B, B/A, ...) for ``rounds`` rounds
after a warm-up, so all see the same load. Every loop is bounded in count and time.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from kpis.dev.bench.common import LoadRecorder, in_turns

HOST = "127.0.0.1"
START_SECONDS = 60
REQUEST_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_time(url: str, repeat: int) -> tuple[float, int]:
    """The cached page in this process: median ms of ``repeat``, and its queries."""
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


def start_server(port: int, workers: int) -> subprocess.Popen:
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


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(10)


def wait_until_up(port: int, url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
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
    raise CommandError(f"gunicorn start niet binnen {START_SECONDS} s.")


def run_load(port: int, url: str, total: int, threads: int) -> tuple[float, list[float]]:
    """``total`` GETs of ``url`` by ``threads`` keep-alive clients: (seconds, ms each)."""
    remaining = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def client():
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
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


def measure(
    urls: dict[str, str],
    *,
    requests: int,
    rounds: int,
    threads: int,
    workers: int,
    load: LoadRecorder | None = None,
) -> dict[str, dict]:
    """Per name: requests/s, p50 and p90 (ms) through gunicorn, the URLs in turn."""
    if not 1 <= threads <= 64:
        raise CommandError("--threads: 1 tot en met 64.")
    port = free_port()
    server = start_server(port, workers)
    results = {name: {"seconds": 0.0, "latencies": []} for name in urls}
    try:
        wait_until_up(port, next(iter(urls.values())), server)
        for url in urls.values():  # warm-up: every worker renders and caches once
            run_load(port, url, threads * 4, threads)
        for order in in_turns(rounds, list(urls)):
            for name in order:
                seconds, latencies = run_load(port, urls[name], requests, threads)
                results[name]["seconds"] += seconds
                results[name]["latencies"] += latencies
                if load is not None:
                    load.sample()
    finally:
        stop_server(server)
    summary = {}
    for name, data in results.items():
        ordered = sorted(data["latencies"])
        summary[name] = {
            "url": urls[name],
            "requests_per_s": len(ordered) / data["seconds"],
            "p50_ms": statistics.median(ordered),
            "p90_ms": ordered[int(0.9 * (len(ordered) - 1))],
        }
    return summary
