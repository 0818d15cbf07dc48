"""The concept PDF of the annual report, made in the background (Django's tasks API).

Making the PDF of an open year reads every figure and runs typst: too long to do in a
request once the data grows, and the same work for every visitor until the data
changes. So ``/<year>/report.pdf`` asks ``request_build``: it returns the build of the
year from the current data version (``kpis.core.data_version``), or starts one (a
``ReportBuild`` row, and ``build_report_pdf`` enqueued) and the page says it is being
made. Two requests for the same year and data version share one build; the database
keeps it that way (``reportbuild_one_under_way``), whoever asks at the same moment.

The backend is the one of the transport import (``kpis.jobs``): the database queue with
``manage.py db_worker`` in production; under ``rundemo`` and in the tests the immediate
backend, so the build has run by the time ``request_build`` returns.

The table is left out of the data version (``DERIVED_MODELS``): storing a PDF would
otherwise change the version it was made from. Of each year only the newest
``KEEP_PER_YEAR`` finished builds stay; a build that has not finished after
``STALE_AFTER`` (a worker that died) is given up and the next request starts a new one.
A closed year's PDF is not made here: it is the one archived at closing.
"""

from __future__ import annotations

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from kpis.core import page_cache
from kpis.models import ReportBuild
from kpis.reporting import aggregation, report_pdf

logger = logging.getLogger(__name__)

Status = ReportBuild.Status

KEEP_PER_YEAR = 3
"""Finished builds kept per year (the newest); older ones are deleted after each build."""
STALE_AFTER = datetime.timedelta(minutes=15)
"""A build not finished by then is given up: its worker died or never came. Making the
PDF takes well under a second; the margin is for a worker busy with a large import."""


def request_build(year: int, *, user=None, retry: bool = False) -> ReportBuild | None:
    """The build of ``year`` from the data as it is now: done, failed or under way.

    Starts one when there is none yet, when the one under way is stale, or when it
    failed and ``retry`` asks for another try. ``None`` where there is no data version
    to build against (not SQLite or PostgreSQL, or the version table is gone until the
    next ``migrate``): the caller then makes the PDF itself, in the request.
    """
    version = page_cache.current_version()
    if version is None:
        return None
    build = ReportBuild.objects.filter(year=year, data_version=version).first()
    if build is None:
        return _start(year, version, user)
    if build.status in ReportBuild.ACTIVE:
        if not _stale(build):
            return build
        _give_up(build)
        return _start(year, version, user)
    if build.status == Status.FAILED and retry:
        return _start(year, version, user)
    return build


def _stale(build: ReportBuild) -> bool:
    return timezone.now() - build.created_at > STALE_AFTER


def _give_up(build: ReportBuild) -> None:
    ReportBuild.objects.filter(pk=build.pk, status__in=ReportBuild.ACTIVE).update(
        status=Status.FAILED,
        error=_(
            "De PDF was na %(minutes)s minuten nog niet klaar; er is een nieuwe poging gestart."
        )
        % {"minutes": int(STALE_AFTER.total_seconds() // 60)},
        stage="",
        finished_at=timezone.now(),
    )


def _start(year: int, version: str, user) -> ReportBuild:
    requested_by = user if user is not None and user.is_authenticated else None
    try:
        with transaction.atomic():
            build = ReportBuild.objects.create(
                year=year, data_version=version, requested_by=requested_by
            )
    except IntegrityError:  # another request started it a moment ago: share that one
        same = ReportBuild.objects.filter(year=year, data_version=version)
        return same.filter(status__in=ReportBuild.ACTIVE).first() or same.first()
    try:
        result = build_report_pdf.enqueue(build.pk)
    except Exception as error:
        logger.exception("PDF-taak voor %s kon niet in de wachtrij", year)
        _finish(
            build.pk,
            status=Status.FAILED,
            error=_(
                "De achtergrondtaak kon niet worden gestart (%(error)s). Probeer het over "
                "een paar minuten opnieuw of meld het aan de beheerder."
            )
            % {"error": error.__class__.__name__},
        )
    else:
        # With the immediate backend the build has run by now; keep what it wrote.
        ReportBuild.objects.filter(pk=build.pk).update(task_id=str(result.id)[:64])
    return ReportBuild.objects.get(pk=build.pk)


@task()
def build_report_pdf(build_id: int) -> dict:
    """Make the concept PDF of build ``build_id`` and store it on the build."""
    claimed = ReportBuild.objects.filter(pk=build_id, status=Status.QUEUED).update(
        status=Status.RUNNING, stage=ReportBuild.Stage.FIGURES, started_at=timezone.now()
    )
    if not claimed:  # run twice (a retried task), given up, or pruned: nothing to do
        status = ReportBuild.objects.filter(pk=build_id).values_list("status", flat=True)
        return {"status": status.first() or "weg"}
    build = ReportBuild.objects.get(pk=build_id)
    try:
        # The version before the figures (the request's own, when the immediate backend
        # runs this inside one): the figures read after it can only be newer, so no
        # request ever gets a PDF older than its data version.
        version = page_cache.current_version() or build.data_version
        history = aggregation.history()
        document = report_pdf.report_document(aggregation.year_report(build.year, history), history)
        ReportBuild.objects.filter(pk=build_id).update(stage=ReportBuild.Stage.LAYOUT)
        content = report_pdf.render_pdf(document)
    except Exception as error:
        logger.exception("PDF-taak %s (%s) mislukt", build_id, build.year)
        _finish(
            build_id,
            status=Status.FAILED,
            error=_(
                "Het maken van de PDF is afgebroken door een fout (%(error)s). Probeer het "
                "opnieuw of meld het aan de beheerder."
            )
            % {"error": error.__class__.__name__},
        )
        prune(build.year)
        raise
    # Labelled with the version it was made from, which may be newer than the one it
    # was asked for: the requests at that version can use it straight away.
    _finish(build_id, status=Status.DONE, pdf=content, data_version=version)
    prune(build.year)
    logger.info("PDF van het jaarverslag %s gemaakt (%s bytes)", build.year, len(content))
    return {"status": Status.DONE, "bytes": len(content)}


def _finish(pk: int, **fields) -> None:
    # Leaving the active statuses, the row leaves the one-under-way constraint too, so a
    # new label (data_version) can never clash with another build.
    ReportBuild.objects.filter(pk=pk).update(stage="", finished_at=timezone.now(), **fields)


def prune(year: int) -> int:
    """Delete the year's finished builds but the newest ``KEEP_PER_YEAR``; returns how many."""
    finished = ReportBuild.objects.filter(year=year, status__in=[Status.DONE, Status.FAILED])
    keep = list(finished.values_list("pk", flat=True)[:KEEP_PER_YEAR])
    deleted, _by_model = finished.exclude(pk__in=keep).delete()
    return deleted
