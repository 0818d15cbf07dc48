"""Concurrent writers with the data-version triggers in place: one writer against four.

The same total of one-row ORM writes (each its own transaction, like an admin save) by
one writer and by four threads at once, in turn (1, 4, then 4, 1, ...). The trainings it
writes are removed again."""

from __future__ import annotations

import datetime
import statistics
import threading
import time

from django.db import connections

from kpis.dev.bench.common import LoadRecorder, in_turns
from kpis.models import Training

TITLE = "benchmark-schrijver"


def throughput(writers: int, writes: int) -> float:
    """Writes per second of ``writers`` threads sharing ``writes`` one-row saves."""
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


def measure(writes: int, repeat: int, load: LoadRecorder | None = None, log=None) -> dict:
    """Median writes/s of 1 and of 4 writers, and their ratio."""
    rates: dict[int, list[float]] = {1: [], 4: []}
    try:
        for round_, order in enumerate(in_turns(repeat, [1, 4])):
            for writers in order:
                rates[writers].append(throughput(writers, writes))
                if load is not None:
                    load.sample()
                if log:
                    log(
                        f"  ronde {round_ + 1}: {writers} schrijver(s): "
                        f"{rates[writers][-1]:.0f} schrijfacties/s"
                    )
    finally:
        Training.objects.filter(title__startswith=TITLE).delete()
    one, four = statistics.median(rates[1]), statistics.median(rates[4])
    return {"one_per_s": one, "four_per_s": four, "ratio": four / one, "rounds": rates}
