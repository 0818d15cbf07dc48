"""Run the production task worker in a test: ``manage.py db_worker`` once over the queue."""

import signal

from django.core.management import call_command


def run_db_worker_once() -> None:
    """Every queued task, then back; the worker's own signal handlers are undone after
    (it installs them for a clean shutdown, which would outlive the test)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command(
            "db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0
        )
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
