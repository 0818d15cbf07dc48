"""/<year>/report.pdf of an open year: the concept PDF is made in the background
(kpis.reporting.pdf_builds), once per year and data version, and served when it is there."""

import datetime

import pytest
from django.utils import timezone
from django_tasks import task_backends
from django_tasks_db.models import DBTaskResult

from kpis.core import data_version
from kpis.models import ReportBuild
from kpis.reporting import closing, pdf_builds, report_pdf
from tests.factories import make_report_build, make_training
from tests.test_report_pdf import get_pdf, pages_of
from tests.worker import run_db_worker_once

pytestmark = pytest.mark.django_db

URL = "/2021/report.pdf"
DAY = datetime.date(2021, 3, 15)
DUMMY = "django_tasks.backends.dummy.DummyBackend"
DATABASE = "django_tasks_db.DatabaseBackend"
WAITING = "Het jaarverslag wordt gemaakt"
FAILED = "Het jaarverslag kon niet worden gemaakt"


@pytest.fixture
def queued(settings):
    """Builds are enqueued, not run (Django's dummy backend): as with a busy worker."""
    settings.TASKS = {"default": {"BACKEND": DUMMY}}
    return task_backends["default"]


def run_worker(backend) -> None:
    """What ``db_worker`` does with the queued builds."""
    for result in backend.results:
        pdf_builds.build_report_pdf.call(*result.args)
    backend.clear()


def waiting_page(client, url=URL) -> str:
    response = client.get(url)
    assert response.status_code == 202
    assert response["Cache-Control"] == "no-store" or "no-store" in response["Cache-Control"]
    assert "ETag" not in response  # a later refresh must never be answered with a 304
    page = response.content.decode()
    assert WAITING in page
    return page


def failed_page(client, url=URL) -> str:
    response = client.get(url)
    assert response.status_code == 500
    page = response.content.decode()
    assert FAILED in page
    return page


# --- the PDF once it is made ------------------------------------------------------------


def test_with_the_immediate_backend_the_pdf_comes_at_once(client, coordinator):
    make_training(held_on=DAY)

    response = get_pdf(client)  # rundemo and the tests: the task ran in the request

    build = ReportBuild.objects.get()
    assert (build.status, build.year, build.data_version) == ("klaar", 2021, data_version.current())
    assert bytes(build.pdf) == response.content
    assert build.requested_by is None  # a visitor without an account
    assert all("CONCEPT" in text for text in pages_of(response.content))

    client.force_login(coordinator)  # not from the page cache: from the build
    assert get_pdf(client).content == response.content
    assert ReportBuild.objects.count() == 1  # same data, no second build


def test_while_it_is_made_the_page_says_so_and_then_shows_the_pdf(client, queued):
    make_training(held_on=DAY)

    page = waiting_page(client)
    assert '<meta http-equiv="refresh" content="2; url=/2021/report.pdf">' in page
    assert "<strong>In de wachtrij</strong>" in page
    assert "<script" not in page  # no JavaScript: the Content-Security-Policy allows none
    build = ReportBuild.objects.get()
    assert build.status == "wachtrij" and not build.pdf

    waiting_page(client)  # a double click, or the page refreshing itself
    assert ReportBuild.objects.count() == 1
    assert [result.args for result in queued.results] == [[build.pk]]  # enqueued once

    run_worker(queued)

    response = get_pdf(client)  # the same address now serves it
    build.refresh_from_db()
    assert build.status == "klaar" and response.content == bytes(build.pdf)
    assert "concept.pdf" in response["Content-Disposition"]
    assert not queued.results  # nothing new to do


def test_the_waiting_page_shows_how_far_the_build_is(client, queued):
    make_training(held_on=DAY)
    waiting_page(client)
    ReportBuild.objects.update(status="bezig", stage="opmaak")

    page = waiting_page(client)
    assert "<strong>Bezig</strong>: de PDF opmaken" in page
    assert '<progress max="3" value="2">' in page
    assert "wachtrij" not in page.split("<main")[1].lower()


def test_without_the_page_cache_the_waiting_page_gets_no_validators(client, queued, settings):
    settings.BNF_PAGE_CACHE = False
    make_training(held_on=DAY)
    waiting_page(client)  # no ETag, no "public"
    run_worker(queued)
    response = get_pdf(client)
    assert "ETag" in response and "public" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_and_its_worker_make_the_pdf(client, settings):
    settings.TASKS = {"default": {"BACKEND": DATABASE, "QUEUES": ["default"]}}
    make_training(held_on=DAY)

    waiting_page(client)
    waiting_page(client)
    task = DBTaskResult.objects.get()  # one task for both requests
    build = ReportBuild.objects.get()
    assert (task.status, str(task.id)) == ("READY", build.task_id)

    run_db_worker_once()

    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert get_pdf(client).content == bytes(ReportBuild.objects.get().pdf)


# --- when the data changes --------------------------------------------------------------


def test_a_change_in_the_data_means_a_new_build(client, queued):
    make_training(held_on=DAY, participants=7)
    waiting_page(client)
    run_worker(queued)
    first = get_pdf(client).content

    make_training(held_on=DAY, participants=5)

    waiting_page(client)  # the PDF of the old data is not served any more
    old, new = ReportBuild.objects.order_by("pk")
    assert old.data_version != new.data_version == data_version.current()
    run_worker(queued)
    second = get_pdf(client).content
    assert second != first
    assert "2 trainingen" in " ".join(pages_of(second))


def test_storing_a_build_leaves_the_data_version_and_the_figures_as_they_are(client):
    make_training(held_on=DAY)
    before = data_version.current()

    get_pdf(client)  # made and stored: a write to the build table
    build = make_report_build(status="bezig", pdf=None, finished_at=None)
    ReportBuild.objects.filter(pk=build.pk).update(status="klaar", pdf=b"%PDF-")
    ReportBuild.objects.filter(pk=build.pk).delete()

    assert data_version.current() == before
    assert ReportBuild._meta.db_table not in data_version.tracked_tables()
    assert ReportBuild.objects.get().data_version == before  # still the current build


def test_only_the_newest_builds_of_a_year_are_kept(client):
    make_training(held_on=DAY)
    old = [make_report_build() for _ in range(4)]
    failed = make_report_build(status="mislukt", pdf=None, error="kapot")
    under_way = make_report_build(status="wachtrij", pdf=None, finished_at=None)
    other_year = make_report_build(year=2020)

    response = get_pdf(client)

    kept = ReportBuild.objects.filter(year=2021).exclude(pk=under_way.pk)
    assert kept.count() == pdf_builds.KEEP_PER_YEAR
    assert {build.pk for build in kept} >= {failed.pk, old[-1].pk}
    assert bytes(kept.first().pdf) == response.content  # the new one among them
    assert ReportBuild.objects.filter(pk__in=[under_way.pk, other_year.pk]).count() == 2


# --- when it fails ------------------------------------------------------------------------


def test_a_failed_build_says_why_in_dutch_and_can_be_tried_again(client, monkeypatch):
    make_training(held_on=DAY)

    def broken(document):
        raise RuntimeError("typst: interne fout op regel 12")

    monkeypatch.setattr(report_pdf, "render_pdf", broken)

    page = failed_page(client)
    reason = (
        "Het maken van de PDF is afgebroken door een fout (RuntimeError). Probeer het "
        "opnieuw of meld het aan de beheerder."
    )
    assert reason in page
    assert "regel 12" not in page  # the details are for the log, not for visitors
    assert 'http-equiv="refresh"' not in page  # no retrying by itself
    build = ReportBuild.objects.get()
    assert (build.status, build.error, build.pdf) == ("mislukt", reason, None)

    failed_page(client)  # a plain reload shows the same reason
    assert ReportBuild.objects.count() == 1

    monkeypatch.undo()
    assert f'href="{URL}?opnieuw=1"' in page
    response = client.get(f"{URL}?opnieuw=1")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert ReportBuild.objects.count() == 2
    assert response.content == bytes(ReportBuild.objects.first().pdf)


def test_a_queue_that_refuses_the_task_leaves_a_failed_build(client, monkeypatch):
    make_training(held_on=DAY)

    class Refusing:
        def enqueue(self, *args):
            raise ConnectionError("queue down")

    monkeypatch.setattr(pdf_builds, "build_report_pdf", Refusing())

    page = failed_page(client)
    assert "De achtergrondtaak kon niet worden gestart (ConnectionError)." in page
    assert ReportBuild.objects.get().status == "mislukt"


def test_a_build_that_never_finishes_is_replaced(client, queued):
    make_training(held_on=DAY)
    waiting_page(client)
    stale = ReportBuild.objects.get()
    too_long_ago = timezone.now() - pdf_builds.STALE_AFTER - datetime.timedelta(minutes=1)
    ReportBuild.objects.update(created_at=too_long_ago)

    waiting_page(client)

    stale.refresh_from_db()
    assert stale.status == "mislukt" and "nog niet klaar" in stale.error
    fresh = ReportBuild.objects.exclude(pk=stale.pk).get()
    assert fresh.status == "wachtrij"
    run_worker(queued)  # the given-up build's task, come late, does nothing
    stale.refresh_from_db()
    assert stale.status == "mislukt" and stale.pdf is None
    assert get_pdf(client).content == bytes(ReportBuild.objects.get(pk=fresh.pk).pdf)


# --- who sees what ----------------------------------------------------------------------


def test_a_year_without_data_has_no_pdf_and_starts_no_build(client, outsider):
    make_training(held_on=DAY)
    assert client.get("/2019/report.pdf").status_code == 404
    client.force_login(outsider)
    assert client.get("/2019/report.pdf").status_code == 404
    assert not ReportBuild.objects.exists()


def test_the_waiting_page_names_no_one(client, coordinator, queued):
    make_training(held_on=DAY)
    client.force_login(coordinator)
    waiting_page(client)
    assert ReportBuild.objects.get().requested_by == coordinator

    client.logout()
    page = waiting_page(client)
    assert coordinator.username not in page


def test_a_closed_year_serves_its_archive_and_builds_nothing(client, queued):
    make_training(held_on=DAY)
    closed = closing.close_year(2021, None)

    response = get_pdf(client)

    assert response["X-BNF-Report-SHA256"] == closed.report_pdf_sha256
    assert not ReportBuild.objects.exists() and not queued.results
