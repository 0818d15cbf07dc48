"""Large transport imports in the background (kpis.jobs): the job, its progress page,
its outcome, who may see it, and the database queue with its worker."""

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse
from django_tasks import task_backends
from django_tasks_db.models import DBTaskResult

from kpis import jobs, transport_import
from kpis.models import ImportBatch, TransportImportJob, TransportReservation
from tests.factories import make_organisation
from tests.test_transport_import import VALID_ROWS, csv_bytes
from tests.worker import run_db_worker_once

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:kpis_transportreservation_import")
DUMMY = "django_tasks.backends.dummy.DummyBackend"
DATABASE = "django_tasks_db.DatabaseBackend"
ROWS = [VALID_ROWS[0], *[VALID_ROWS[1 + n % 4] for n in range(5)]]  # 5 valid rows
BAD_ROWS = [
    ["datum", "van", "naar", "aantal"],
    ["2021-03-15", "fmb", "dnb", "3"],
    ["2021-02-30", "fmb", "dnb", "1"],
    ["2021-03-16", "fmb", "xyz", "2"],
    ["2021-03-17", "fmb", "dnb", "1.234"],
]


@pytest.fixture(autouse=True)
def job_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BNF_IMPORT_JOB_ROWS = 3  # files of more than 3 rows run as a job
    return settings


@pytest.fixture
def libraries(db):
    make_organisation(code="fmb", name="FlevoMeer Bibliotheek")
    make_organisation(code="dnb", name="De Nieuwe Bibliotheek")
    from kpis.models import Province

    make_organisation(code="utr", name="Bibliotheek Utrecht", province=Province.UTRECHT)


@pytest.fixture
def queued(job_settings):
    """Jobs are stored, not run (Django's dummy backend)."""
    job_settings.TASKS = {"default": {"BACKEND": DUMMY}}
    return task_backends["default"]


def post_file(client, rows, name="groot.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, csv_bytes(rows))})


def no_rows() -> bool:
    return TransportReservation.objects.count() == 0 and ImportBatch.objects.count() == 0


@pytest.fixture
def adviser_client(client, make_role_user):
    user = make_role_user("Adviseur", username="adviseur-a")
    client.force_login(user)
    client.user = user
    return client


# --- the upload --------------------------------------------------------------------------


def test_a_file_under_the_threshold_is_imported_in_the_request(adviser_client, libraries):
    response = post_file(adviser_client, ROWS[:4])  # 3 rows

    assert response.status_code == 302
    assert "import_batch__id__exact" in response["Location"]
    assert TransportReservation.objects.count() == 3
    assert not TransportImportJob.objects.exists()


def test_an_upload_over_the_threshold_enqueues_a_job_and_shows_its_progress(
    adviser_client, libraries, queued
):
    response = post_file(adviser_client, ROWS)

    job = TransportImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    assert (job.status, job.rows_total, job.rows_done, job.user) == (
        "wachtrij",
        5,
        0,
        adviser_client.user,
    )
    assert default_storage.exists(job.file.name)  # waits for the worker
    assert [result.args for result in queued.results] == [[job.pk]]
    assert no_rows()

    page = adviser_client.get(job.get_absolute_url()).content.decode()
    assert 'http-equiv="refresh"' in page
    assert "In de wachtrij" in page
    assert "0 van ongeveer 5 rijen" in page
    assert "<script" not in page.split("<body")[1].split('src="')[0]  # no inline script

    jobs.import_job.call(job.pk)  # what the worker does

    job.refresh_from_db()
    assert (job.status, job.row_count, job.rows_done, job.rows_total) == ("klaar", 5, 5, 5)
    assert TransportReservation.objects.count() == 5
    assert job.batch == ImportBatch.objects.get()
    assert job.batch.imported_by == adviser_client.user
    assert not job.file and not default_storage.exists(f"transport-imports/{job.file_name}")
    page = adviser_client.get(job.get_absolute_url()).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "5 transportreserveringen geïmporteerd uit 'groot.csv'." in page
    assert reverse("admin:kpis_importbatch_change", args=[job.batch.pk]) in page
    assert f"import_batch__id__exact={job.batch.pk}" in page
    # The upload page lists the job.
    assert job.get_absolute_url() in adviser_client.get(IMPORT_URL).content.decode()


def test_the_progress_record_goes_from_zero_to_the_total(libraries, queued, monkeypatch):
    job = jobs.start_import(_upload(ROWS), user=None)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0)
    seen = [(job.stage, job.rows_done)]
    call = jobs._Progress.__call__

    def record(self, stage, rows):
        call(self, stage, rows)
        if stage == "geschreven":  # the connection is busy writing (COPY on PostgreSQL)
            seen.append((stage, rows))
        else:
            row = TransportImportJob.objects.get(pk=self.pk)
            seen.append((row.stage, row.rows_done))

    monkeypatch.setattr(jobs._Progress, "__call__", record)

    jobs.import_job.call(job.pk)

    assert seen[0] == ("", 0)
    assert [rows for stage, rows in seen if stage == "gecontroleerd"] == [2, 4, 5]
    assert [rows for stage, rows in seen if stage == "geschreven"][-1] == 5
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.percent) == ("klaar", 5, 5, 100)


def test_progress_is_written_at_most_once_a_second_per_stage(libraries, monkeypatch):
    job = jobs.start_import(_upload(ROWS), user=None, rows=5)
    written = []
    monkeypatch.setattr(jobs, "_update", lambda pk, **fields: written.append(fields))
    progress = jobs._Progress(job.pk)

    for rows in (2, 4, 5):
        progress("gecontroleerd", rows)

    assert written == [{"stage": "gecontroleerd", "rows_done": 2}]


def _upload(rows, name="groot.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, csv_bytes(rows))


# --- a job that fails ----------------------------------------------------------------------


def test_a_bad_files_job_ends_with_dutch_errors_and_no_rows(adviser_client, libraries):
    response = post_file(adviser_client, BAD_ROWS, name="fout.csv")  # immediate backend

    job = TransportImportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert job.status == "mislukt"
    assert job.error_count == 3
    assert [(row, column) for row, column, _message in job.errors] == [
        (3, "datum"),
        (4, "naar"),
        (5, "aantal"),
    ]
    assert no_rows()
    assert not job.file
    page = adviser_client.get(job.get_absolute_url()).content.decode()
    assert "Niets geïmporteerd: er zijn 3 fouten." in page
    assert "<td>3</td><td>datum</td>" in page
    assert "<td>5</td><td>aantal</td>" in page
    assert 'http-equiv="refresh"' not in page


def test_a_crash_while_writing_leaves_no_rows_and_says_why(libraries, monkeypatch):
    def crash(report, before, added, *, final=False):
        raise RuntimeError("schijf vol")

    monkeypatch.setattr(transport_import, "_written", crash)  # after the first rows went in

    job = jobs.start_import(_upload(ROWS), user=None)  # immediate backend: ran already

    assert job.status == "mislukt"
    assert job.errors == [
        [
            None,
            "",
            "De import is afgebroken door een fout (RuntimeError); er is niets geïmporteerd. "
            "Probeer het opnieuw of meld het aan de beheerder.",
        ]
    ]
    assert no_rows()
    assert not job.file


def test_a_busy_database_fails_the_job_with_its_message(libraries, monkeypatch):
    def busy(*args, **kwargs):
        raise transport_import.DatabaseBusy("De database was bezig; er is niets geïmporteerd.")

    monkeypatch.setattr(transport_import, "import_transport", busy)

    job = jobs.start_import(_upload(ROWS), user=None)

    assert job.status == "mislukt"
    assert job.errors == [[None, "", "De database was bezig; er is niets geïmporteerd."]]


# --- who sees a job -------------------------------------------------------------------------


def test_an_adviser_sees_only_their_own_jobs(
    client, make_role_user, coordinator, libraries, queued
):
    owner = make_role_user("Adviseur", username="adviseur-a")
    other = make_role_user("Adviseur", username="adviseur-b")
    job = jobs.start_import(_upload(ROWS), user=owner)

    client.force_login(owner)
    assert client.get(job.get_absolute_url()).status_code == 200
    assert job.get_absolute_url() in client.get(IMPORT_URL).content.decode()

    client.force_login(other)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert job.get_absolute_url() not in client.get(IMPORT_URL).content.decode()

    client.force_login(coordinator)  # follows everyone's imports (kpis.view_transportimportjob)
    assert client.get(job.get_absolute_url()).status_code == 200
    assert job.get_absolute_url() in client.get(IMPORT_URL).content.decode()


def test_without_the_import_right_there_is_no_progress_page(client, make_role_user, queued):
    job = jobs.start_import(_upload(ROWS), user=None)
    client.force_login(make_role_user("Provincie"))
    assert client.get(job.get_absolute_url()).status_code == 403


def test_an_anonymous_user_is_sent_to_the_login(client, queued):
    job = jobs.start_import(_upload(ROWS), user=None)
    response = client.get(job.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- the real queue ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_runs_the_job_in_the_worker(
    client, make_role_user, libraries, job_settings, monkeypatch
):
    job_settings.TASKS = {"default": {"BACKEND": DATABASE, "QUEUES": ["default"]}}
    user = make_role_user("Adviseur", username="adviseur-a")
    client.force_login(user)

    response = post_file(client, ROWS)

    job = TransportImportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    task = DBTaskResult.objects.get()
    assert (task.status, str(task.id)) == ("READY", job.task_id)
    assert job.status == "wachtrij" and no_rows()

    # While writing, PostgreSQL gets the progress on a second connection, visible at once.
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(jobs, "PROGRESS_SECONDS", 0)
    side = jobs._Progress._side_update
    visible = []

    def spy(self, stage, rows):
        visible.append(side(self, stage, rows))
        return visible[-1]

    monkeypatch.setattr(jobs._Progress, "_side_update", spy)
    run_db_worker_once()

    task.refresh_from_db()
    job.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert task.return_value == {"status": "klaar", "rows": 5, "batch": job.batch_id}
    assert (job.status, job.row_count) == ("klaar", 5)
    assert TransportReservation.objects.filter(import_batch=job.batch).count() == 5
    assert not job.file
    if connection.vendor == "postgresql":
        assert visible and all(visible)
    assert (
        "5 transportreserveringen geïmporteerd"
        in client.get(job.get_absolute_url()).content.decode()
    )
