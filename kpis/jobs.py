"""Long work in the background: a fast transport import of a large file, as a task.

Built on Django's tasks API (the ``django-tasks`` backport; on Django 6 it is
``django.tasks``). The backend is set in ``settings.TASKS``: in production the database
queue of ``django-tasks-db``, run by ``manage.py db_worker`` (the ``worker`` service);
under ``rundemo`` and in the tests the immediate backend, which runs the task at once
in the same process.

``start_import`` stores the upload with Django's storage API (``MEDIA_ROOT``, shared by
the app and the worker), makes a ``TransportImportJob`` and enqueues ``import_job``.
The task runs ``kpis.transport_import.import_transport`` (all rows or none, as ever)
and keeps the job's progress up to date: the rows checked, then the rows written, out
of the total counted at the upload. When it ends, the job holds the batch and its
number of rows, or the Dutch errors with their row numbers, and the stored file is
deleted.

Progress while writing: the rows are written in one transaction, so an update of the
job on the same connection would only show at the commit. On PostgreSQL the task
therefore writes the progress on a second connection of its own (with a short lock
timeout: a progress update never holds up the import, at worst it is skipped).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from kpis import transport_import
from kpis.models import TransportImportJob

logger = logging.getLogger(__name__)

DEFAULT_JOB_ROWS = 50_000
"""Files with more rows run as a job unless ``BNF_IMPORT_JOB_ROWS`` says otherwise."""
PROGRESS_EVERY = 5_000
"""Rows between two progress reports of the import to the job."""
PROGRESS_SECONDS = 1.0
"""At most one progress update of the job row per this many seconds: each write to a
``kpis`` table changes the data version (``kpis.core.data_version``), and with it the cached
figures and pages, so a million-row import should not write its progress 200 times."""
SIDE_LOCK_TIMEOUT_MS = 200

Status = TransportImportJob.Status


def job_rows() -> int:
    return int(getattr(settings, "BNF_IMPORT_JOB_ROWS", DEFAULT_JOB_ROWS))


def runs_as_job(rows: int) -> bool:
    """Whether a file of about ``rows`` data rows is imported in the background."""
    return rows > job_rows()


def start_import(upload, *, user, rows: int | None = None) -> TransportImportJob:
    """Store ``upload``, make its job and enqueue it; returns the job (maybe done already,
    with the immediate backend)."""
    name = Path(upload.name or "bestand").name
    if rows is None:
        rows = transport_import.count_rows(upload)
    job = TransportImportJob(user=user, file_name=name[:255], rows_total=rows)
    upload.seek(0)
    job.file.save(name, upload, save=False)
    job.save()
    try:
        result = import_job.enqueue(job.pk)
    except Exception:
        _delete_file(job)
        job.delete()
        raise
    # With the immediate backend the job has run by now; keep what it wrote.
    TransportImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


@task()
def import_job(job_id: int) -> dict:
    """Import the stored file of job ``job_id``; the outcome goes on the job."""
    job = TransportImportJob.objects.select_related("user").get(pk=job_id)
    if job.finished:  # run twice (a retried task): the first run decided
        return {"status": job.status, "rows": job.row_count}
    _update(job.pk, status=Status.RUNNING, stage="", rows_done=0)
    progress = _Progress(job.pk)
    try:
        with job.file.open("rb") as handle:
            result = transport_import.import_transport(
                handle,
                file_name=job.file_name,
                user=job.user,
                source=transport_import.SOURCE_ADMIN,
                progress=progress,
                progress_every=PROGRESS_EVERY,
            )
    except transport_import.DatabaseBusy as busy:
        _fail(job, str(busy))
        return {"status": Status.FAILED, "rows": 0}
    except Exception as error:
        logger.exception("Importtaak %s (%s) mislukt", job.pk, job.file_name)
        _fail(
            job,
            _(
                "De import is afgebroken door een fout (%(error)s); er is niets "
                "geïmporteerd. Probeer het opnieuw of meld het aan de beheerder."
            )
            % {"error": error.__class__.__name__},
        )
        raise
    finally:
        progress.close()
        _delete_file(job)
    if result.ok:
        _update(
            job.pk,
            status=Status.DONE,
            stage="geschreven",
            batch=result.batch,
            row_count=result.rows,
            rows_done=result.rows,
            rows_total=result.rows,
            finished_at=timezone.now(),
        )
        _log_addition(job, result)
        logger.info("Importtaak %s: %s rijen uit '%s'", job.pk, result.rows, job.file_name)
        return {"status": Status.DONE, "rows": result.rows, "batch": result.batch.pk}
    _update(
        job.pk,
        status=Status.FAILED,
        errors=[[error.row, error.column, error.message] for error in result.errors],
        error_count=result.error_count,
        finished_at=timezone.now(),
    )
    return {"status": Status.FAILED, "rows": 0, "errors": result.error_count}


def _log_addition(job: TransportImportJob, result) -> None:
    """The admin's history entry for the batch, as the upload in the request makes it."""
    if job.user_id is None:
        return
    text = _("%(rows)s transportreserveringen geïmporteerd uit '%(name)s'.") % {
        "rows": result.batch.row_count,
        "name": result.batch.file_name,
    }
    LogEntry.objects.log_actions(job.user_id, [result.batch], ADDITION, change_message=text)


def _fail(job: TransportImportJob, message: str) -> None:
    _update(
        job.pk,
        status=Status.FAILED,
        errors=[[None, "", message]],
        error_count=1,
        finished_at=timezone.now(),
    )


def _update(pk: int, **fields) -> None:
    TransportImportJob.objects.filter(pk=pk).update(updated_at=timezone.now(), **fields)


def _delete_file(job: TransportImportJob) -> None:
    if not job.file:
        return
    try:
        default_storage.delete(job.file.name)
    except OSError:  # already gone: nothing to clean up
        logger.warning("Importbestand %s kon niet worden verwijderd", job.file.name)
    TransportImportJob.objects.filter(pk=job.pk).update(file="")


class _Progress:
    """The ``progress(stage, rows)`` callback of a job: the stage and rows on its row.

    While checking, the job row is updated on the task's own connection, which commits
    at once (no transaction is open then). While writing on PostgreSQL, that connection
    is inside the import's transaction and busy with ``COPY``: the update goes through a
    second connection, so the progress page sees it before the import commits. Elsewhere
    (SQLite) it goes on the task's connection and shows at the commit.
    """

    def __init__(self, pk: int):
        self.pk = pk
        self.side = None
        self.last: tuple[str, float] | None = None

    def __call__(self, stage: str, rows: int) -> None:
        now = time.monotonic()
        if self.last and self.last[0] == stage and now - self.last[1] < PROGRESS_SECONDS:
            return  # the first report of a stage always goes through
        self.last = (stage, now)
        if stage == "geschreven" and connection.vendor == "postgresql":
            self._side_update(stage, rows)
        else:
            _update(self.pk, stage=stage, rows_done=rows)

    def _side_update(self, stage: str, rows: int) -> bool:
        """True when the row was updated on the side connection (and so is visible)."""
        try:
            if self.side is None:
                self.side = connections.create_connection(DEFAULT_DB_ALIAS)
                with self.side.cursor() as cursor:
                    cursor.execute(f"SET lock_timeout = {SIDE_LOCK_TIMEOUT_MS:d}")
            table = self.side.ops.quote_name(TransportImportJob._meta.db_table)
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET stage = %s, rows_done = %s, updated_at = %s WHERE id = %s",
                    [stage, rows, timezone.now(), self.pk],
                )
                # 0 when the job row is not committed (a test's transaction): skipped,
                # the outcome sets the rows when the import is done.
                return cursor.rowcount == 1
        except DatabaseError as error:  # a lock held by the import: skip this update
            logger.info("Voortgang van importtaak %s overgeslagen: %s", self.pk, error)
            return False

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None
