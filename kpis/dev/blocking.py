"""How long the work of other users waits while a fast transport import runs.

``writes_during_import(rows)`` (PostgreSQL, a database of its own: it empties the
transport table) writes a CSV of ``rows`` rows, imports it with ``manage.py
import_transport`` in another process (as the background worker would: in a thread
here it would compete for this process's GIL) and meanwhile, each kind in a thread of
its own with its own connection, repeats the one-row writes and reads of ``KINDS``
every ``INTERVAL`` seconds (``SLOW_KINDS``: less often). It returns the import's speed
and the median and longest wait of each kind; ``manage.py benchmark_writers
--import-rows N`` prints it.

``checkout`` runs the import from another checkout of the project (``git worktree
add``) against the same database: an earlier commit, for a comparison within one run.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import update_last_login
from django.db import connection, transaction

from kpis.models import Organisation, Training

TITLE = "benchmark-tijdens-import"
INTERVAL = 0.02
"""Seconds between two operations of one kind, except ``SLOW_KINDS``."""
SLOW_KINDS = {"organisation": 0.5}
"""An update of a library the import refers to leaves a row version that each of the
import's key checks steps over until it commits (its transaction holds back cleanup):
fifty a second would slow the import down more with every second, far beyond the few
saves of an organisation that people make."""


def _update_organisation(library: Organisation, user) -> None:
    """An organisation saved in the admin: its name (unchanged, still an UPDATE)."""
    library.save(update_fields=["name"])


def _update_user(library: Organisation, user) -> None:
    """What every login does (``django.contrib.auth.login``)."""
    update_last_login(None, user)


def _insert_training(library: Organisation, user) -> None:
    """A training saved in the admin: the row, its adviser and one organisation."""
    with transaction.atomic():
        training = Training.objects.create(
            title=TITLE, held_on=datetime.date.today(), adviser=user, participants=3
        )
        training.organisations.add(library)


def _read_user(library: Organisation, user) -> None:
    """What the authentication middleware reads for every logged-in request."""
    get_user_model().objects.get(pk=user.pk)


def _read_organisations(library: Organisation, user) -> None:
    """An admin list or form that shows organisations."""
    list(Organisation.objects.order_by("name")[:100])


KINDS: dict[str, Callable[[Organisation, object], None]] = {
    "organisation": _update_organisation,
    "user": _update_user,
    "training": _insert_training,
    "read_user": _read_user,
    "read_organisation": _read_organisations,
}
"""What another user does meanwhile, by name: three one-row writes in other tables than
the transport table, and two reads."""

# What ``manage.py import_transport`` prints: its progress, and at the end its own time.
_CHECKED = re.compile(r"rijen gecontroleerd \((\d+(?:\.\d+)?) s\)")
_DONE = re.compile(r"als importbatch \d+ in (\d+(?:\.\d+)?) s")


def writes_during_import(rows: int, stdout=None, *, checkout: str | Path | None = None) -> dict:
    """Import ``rows`` generated rows in another process and time the ``KINDS`` meanwhile.

    Returns ``{"rows", "import_seconds", "rows_per_second", "check_seconds",
    "write_seconds", "load_average", "waits": {kind: {"count", "median_ms", "max_ms"}}}``:
    ``import_seconds`` is the import's own time (the command's, without starting Python),
    ``write_seconds`` the part after checking (the writing transaction). ``stdout``,
    if given, gets a line of progress now and then.
    """
    from kpis.dev.bench.exchange import Exchange

    if connection.vendor != "postgresql":
        raise ValueError("writes_during_import measures PostgreSQL's locks.")
    checkout = Path(checkout or settings.BASE_DIR)
    helper = Exchange(stdout or io.StringIO(), seed=1)
    helper.clear_transport()
    user = helper.user
    library = helper.libraries[0]  # one the import refers to
    load = [os.getloadavg()[0]]
    waits: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "transport.csv"
        helper.generate_csv(path, rows)
        command = [sys.executable, str(checkout / "manage.py"), "import_transport", str(path)]
        command += ["--user", user.get_username(), "--max-bytes", "0"]
        with open(Path(folder) / "output.txt", "w+") as output:
            process = subprocess.Popen(command, cwd=checkout, stdout=output, stderr=output)
            done = threading.Event()
            threads = [
                threading.Thread(
                    target=_repeat,
                    args=(work, library, user, waits[kind], done, SLOW_KINDS.get(kind, INTERVAL)),
                )
                for kind, work in KINDS.items()
            ]
            for thread in threads:
                thread.start()
            try:
                process.wait()
            finally:
                done.set()
                for thread in threads:
                    thread.join()
            load.append(os.getloadavg()[0])
            output.seek(0)
            text = output.read()
    if process.returncode:
        raise RuntimeError(f"De import in het andere proces mislukte:\n{text[-2000:]}")
    helper.clear_transport()
    Training.objects.filter(title=TITLE).delete()
    checked = float(_CHECKED.findall(text)[-1])
    seconds = float(_DONE.search(text).group(1))
    return {
        "rows": rows,
        "import_seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "check_seconds": round(checked, 1),
        "write_seconds": round(seconds - checked, 1),
        "load_average": (round(min(load), 2), round(max(load), 2)),
        "waits": {kind: _summary(times) for kind, times in waits.items()},
    }


def _repeat(operation, library, user, times: list[float], done: threading.Event, interval):
    from django.db import connections

    try:
        while not done.is_set():
            started = time.perf_counter()
            operation(library, user)
            times.append(time.perf_counter() - started)
            done.wait(interval)
    finally:
        connections.close_all()  # this thread's own connection


def _summary(times: list[float]) -> dict:
    if not times:
        return {"count": 0, "median_ms": None, "max_ms": None}
    return {
        "count": len(times),
        "median_ms": round(1000 * statistics.median(times), 1),
        "max_ms": round(1000 * max(times), 1),
    }


def describe(result: dict) -> list[str]:
    """The result as lines for a report (Dutch, as the commands print)."""
    low, high = result["load_average"]
    lines = [
        f"import van {result['rows']:,} rijen: {result['import_seconds']:.1f} s "
        f"({result['rows_per_second']:,} rijen/s; controleren {result['check_seconds']:.1f} s, "
        f"schrijven {result['write_seconds']:.1f} s), load average {low:.1f}–{high:.1f}"
    ]
    for kind, wait in result["waits"].items():
        if wait["count"]:
            lines.append(
                f"  {kind:<18} {wait['count']:>5}×  mediaan {wait['median_ms']:>7.1f} ms, "
                f"langste {wait['max_ms']:>8.1f} ms"
            )
    return lines
