"""What every benchmark shares: timing in turns, the load average, the machine."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import time
from collections.abc import Callable

import django
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection

WARM_UP = 2


def interleaved_medians_ms(
    functions: dict[str, Callable[[], object]],
    repeat: int,
    prepare: dict[str, Callable[[], object]] | None = None,
    load: LoadRecorder | None = None,
) -> dict[str, float]:
    """Median wall time per function (ms), timed in turns after a warm-up.

    Taking turns (A, B, C, A, B, C, ...) exposes every measurement to the same
    background load, so their ratios stay meaningful on a busy machine. ``prepare``
    gives, per name, an untimed step run just before each call (a write, say)."""
    prepare = prepare or {}
    for name, function in functions.items():
        for _ in range(min(WARM_UP, repeat)):
            if name in prepare:
                prepare[name]()
            function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            if name in prepare:
                prepare[name]()
            started = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - started)
        if load is not None:
            load.sample()
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def in_turns(rounds: int, names: list) -> list[list]:
    """The order of ``names`` per round: A, B, then B, A, and so on."""
    return [names if round_ % 2 == 0 else names[::-1] for round_ in range(rounds)]


class LoadRecorder:
    """The 1-minute load average, sampled during a run: its minimum and maximum."""

    def __init__(self):
        self.values: list[float] = []
        self.sample()

    def sample(self) -> None:
        with contextlib.suppress(OSError):
            self.values.append(os.getloadavg()[0])

    def span(self) -> str:
        if not self.values:
            return "onbekend"
        return f"{min(self.values):.2f}–{max(self.values):.2f}".replace(".", ",")

    def as_dict(self) -> dict:
        return {"min": min(self.values, default=None), "max": max(self.values, default=None)}


def load_text() -> str:
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "onbekend"


def database_label() -> str:
    db = settings.DATABASES[DEFAULT_DB_ALIAS]
    host = f"{db.get('HOST')}:{db.get('PORT')}/" if db.get("HOST") else ""
    return f"'{host}{db.get('NAME')}'"


def memory() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "onbekend"


def machine_info() -> list[str]:
    info = [
        f"processors (nproc): {os.cpu_count()}",
        f"geheugen: {memory()}",
        f"Python {platform.python_version()}, Django {django.get_version()}, {platform.platform()}",
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            info.append(cursor.fetchone()[0])
            values = []
            for name in (
                "shared_buffers",
                "work_mem",
                "max_parallel_workers_per_gather",
                "jit",
                "random_page_cost",
            ):
                cursor.execute(f"SHOW {name}")
                values.append(f"{name}={cursor.fetchone()[0]}")
            info.append("PostgreSQL-instellingen: " + ", ".join(values))
    else:
        info.append(f"{connection.vendor} {connection.Database.sqlite_version}")
    return info


def dutch(number: float, decimals: int = 0) -> str:
    """1234567.8 -> '1.234.568' (or with ``decimals``: '1.234.567,8')."""
    text = f"{number:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")
