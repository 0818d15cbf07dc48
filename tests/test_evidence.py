"""Evidence per record: files checked by their content and size, links, who may see and
download them, the audit trail, closed years, and back-up and restore."""

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis import backup
from kpis.core.roles import ADVISER, COORDINATOR, PROVINCE
from kpis.models import ClosedYear, Evidence, Training
from kpis.reporting import closing
from tests.factories import make_channel_post, make_evidence, make_training
from tests.test_backup import contents, empty_database

pytestmark = pytest.mark.django_db

PREFIX = "kpis-evidence-content_type-object_id"
MB = 1024 * 1024

PDF = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06" + bytes(20)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(50) + b"This program cannot"


def office_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def content_types(main: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Override PartName="/word/document.xml" '
        f'ContentType="application/vnd.{main}"/></Types>'
    ).encode()


DOCX = office_zip(
    {
        "[Content_Types].xml": content_types(
            "openxmlformats-officedocument.wordprocessingml.document.main+xml"
        ),
        "word/document.xml": b"<w:document/>",
    }
)
DOCM = office_zip(
    {
        "[Content_Types].xml": content_types("ms-word.document.macroEnabled.main+xml"),
        "word/document.xml": b"<w:document/>",
        "word/vbaProject.bin": b"\x00" * 10,
    }
)
ODT = office_zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})


@pytest.fixture(autouse=True)
def storage(tmp_path, monkeypatch):
    """The evidence storage in a fresh directory of its own for each test."""
    storage = FileSystemStorage(location=tmp_path / "bewijsstukken")
    monkeypatch.setattr(Evidence._meta.get_field("file"), "storage", storage)
    return storage


def stored_files(storage) -> list[str]:
    root = Path(storage.location)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    # The browser's content type is whatever the name suggests; it does not count.
    return SimpleUploadedFile(name, data, content_type=content_type)


def training_form(training, *rows, initial=()):
    """The training's change form as posted, with new evidence ``rows`` (dicts) after the
    ``initial`` ones (pairs of evidence and extra values, e.g. ``{"DELETE": "on"}``)."""
    data = {
        "title": training.title,
        "held_on": training.held_on.strftime("%d-%m-%Y"),
        "participants": str(training.participants),
        "respondents": "",
        "evaluation_score": "",
        "notes": training.notes,
        f"{PREFIX}-TOTAL_FORMS": str(len(initial) + len(rows)),
        f"{PREFIX}-INITIAL_FORMS": str(len(initial)),
        f"{PREFIX}-MIN_NUM_FORMS": "0",
        f"{PREFIX}-MAX_NUM_FORMS": "1000",
    }
    for index, (evidence, extra) in enumerate(initial):
        data[f"{PREFIX}-{index}-id"] = str(evidence.pk)
        data.update({f"{PREFIX}-{index}-{key}": value for key, value in extra.items()})
    for index, row in enumerate(rows, start=len(initial)):
        data.update({f"{PREFIX}-{index}-{key}": value for key, value in row.items()})
    return data


def change_url(record) -> str:
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])


def file_evidence(record=None, name="toekenningsbrief.pdf", data=PDF, **fields) -> Evidence:
    record = record or make_training()
    content_type = ContentType.objects.get_for_model(record)
    evidence = Evidence(content_type=content_type, object_id=record.pk, **fields)
    evidence.attach_file(upload(name, data))
    evidence.full_clean()
    evidence.save()
    return evidence


@pytest.fixture
def adviser(make_role_user):
    return make_role_user(ADVISER, username="anna", first_name="Anna", last_name="de Vries")


@pytest.fixture
def adviser_client(client, adviser):
    client.force_login(adviser)
    return client


# --- adding files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "media_type", "disposition"),
    [
        ("toekenningsbrief.pdf", PDF, "application/pdf", "inline"),
        ("foto.png", PNG, "image/png", "inline"),
        ("foto.jpeg", JPEG, "image/jpeg", "inline"),
        (
            "verslag.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "attachment",
        ),
        ("notulen.odt", ODT, "application/vnd.oasis.opendocument.text", "attachment"),
    ],
)
def test_an_adviser_adds_a_file_to_a_training_and_downloads_it(
    adviser_client, adviser, storage, name, data, media_type, disposition
):
    training = make_training()
    row = {"upload": upload(name, data), "url": "", "description": "Bewijs"}

    response = adviser_client.post(change_url(training), training_form(training, row))

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    evidence = Evidence.objects.get()
    assert evidence.record == training
    assert (evidence.file_name, evidence.media_type, evidence.size) == (name, media_type, len(data))
    assert evidence.added_by == adviser
    assert stored_files(storage) == [evidence.file.name]
    assert evidence.file.name.startswith("kpis.training/")

    download = adviser_client.get(evidence.download_url())

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert download["Content-Type"] == media_type
    assert download["Content-Disposition"].startswith(disposition)
    assert name in download["Content-Disposition"]
    assert {"private", "no-store"} <= set(download["Cache-Control"].split(", "))


def test_a_file_of_11_mb_is_refused_in_dutch_and_nothing_is_stored(adviser_client, storage):
    training = make_training(title="Voor")
    big = upload("scan.pdf", PDF + b"0" * (11 * MB))
    form = training_form(training, {"upload": big, "url": "", "description": ""})
    form["title"] = "Na"

    response = adviser_client.post(change_url(training), form)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Het bestand &#x27;scan.pdf&#x27; is niet opgeslagen" in page
    assert "de grens is 10,0\xa0MB" in page
    assert Evidence.objects.count() == 0
    assert stored_files(storage) == []
    training.refresh_from_db()
    assert training.title == "Voor"  # the record's form is not saved either


def test_the_size_limit_is_a_setting(settings):
    settings.BNF_EVIDENCE_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as error:
        Evidence().attach_file(upload("brief.pdf", PDF + bytes(2000)))
    assert "de grens is 1,0\xa0KB" in error.value.messages[0]
    Evidence().attach_file(upload("brief.pdf", PDF))


def test_an_exe_renamed_pdf_is_refused_and_nothing_is_stored(adviser_client, storage):
    training = make_training()
    row = {"upload": upload("toekenningsbrief.pdf", EXE), "url": "", "description": ""}

    response = adviser_client.post(change_url(training), training_form(training, row))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Het bestand &#x27;toekenningsbrief.pdf&#x27; is niet opgeslagen" in page
    assert "De bestandsnaam telt niet, alleen de inhoud." in page
    assert Evidence.objects.count() == 0
    assert stored_files(storage) == []


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("brief.docx", DOCM, "bevat macro's"),
        ("brief.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "oude Office-bestanden"),
        ("archief.zip", office_zip({"brief.txt": b"hallo"}), "De bestandsnaam telt niet"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "telt niet"),
        ("pagina.html", b"<!DOCTYPE html><script>alert(1)</script>", "telt niet"),
        ("leeg.pdf", b"", "het bestand is leeg"),
        ("kapot.docx", b"PK\x03\x04" + bytes(30), "telt niet"),
    ],
)
def test_other_content_is_refused_with_a_reason(name, data, message):
    with pytest.raises(ValidationError) as error:
        Evidence().attach_file(upload(name, data))
    assert message in error.value.messages[0]
    assert f"Het bestand '{name}' is niet opgeslagen" in error.value.messages[0]


def test_a_new_training_and_its_file_are_saved_in_one_go(adviser_client, storage):
    new = Training(title="Nieuw", held_on=datetime.date(2021, 9, 1), participants=8)
    form = training_form(new, {"upload": upload("lijst.pdf", PDF), "url": "", "description": ""})

    response = adviser_client.post(reverse("admin:kpis_training_add"), form)

    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.record == Training.objects.get(title="Nieuw")
    assert stored_files(storage) == [evidence.file.name]


def test_a_good_file_on_a_form_that_does_not_save_is_not_stored(adviser_client, storage):
    training = make_training()
    form = training_form(
        training, {"upload": upload("brief.pdf", PDF), "url": "", "description": ""}
    )
    form["participants"] = "-3"

    response = adviser_client.post(change_url(training), form)

    assert response.status_code == 200
    assert Evidence.objects.count() == 0
    assert stored_files(storage) == []


def test_control_characters_leave_the_file_name():
    evidence = Evidence()
    evidence.attach_file(upload("brief\r\nSet-Cookie: x.pdf", PDF))
    assert evidence.file_name == "briefSet-Cookie: x.pdf"


def test_a_png_named_pdf_is_kept_as_the_png_it_is():
    evidence = Evidence()
    evidence.attach_file(upload("foto.pdf", PNG))
    assert (evidence.file_name, evidence.media_type) == ("foto.png", "image/png")


# --- links -------------------------------------------------------------------------------


def test_an_adviser_adds_a_link_and_a_scheme_is_assumed(adviser_client):
    training = make_training()
    rows = [
        {"url": "https://www.flevoland.nl/nieuws/1", "description": "Persbericht"},
        {"url": "www.bnf.nl/nieuws/2", "description": "Nieuws"},
    ]

    response = adviser_client.post(change_url(training), training_form(training, *rows))

    assert response.status_code == 302
    assert sorted(Evidence.objects.values_list("url", flat=True)) == [
        "https://www.bnf.nl/nieuws/2",
        "https://www.flevoland.nl/nieuws/1",
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://bnf.nl/brief.pdf", "Voer een webadres in dat begint met http:// of https://."),
        ("javascript:alert(1)", "Voer een geldige URL in."),
        ("niet een link", "Voer een geldige URL in."),
    ],
)
def test_only_web_addresses_are_links(adviser_client, url, message):
    training = make_training()
    form = training_form(training, {"url": url, "description": ""})

    response = adviser_client.post(change_url(training), form)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Evidence.objects.count() == 0


def test_a_row_with_a_file_and_a_link_or_neither_is_refused(adviser_client, storage):
    training = make_training()
    both = {"upload": upload("brief.pdf", PDF), "url": "https://bnf.nl/", "description": ""}
    only_text = {"url": "", "description": "Zonder bestand"}

    response = adviser_client.post(change_url(training), training_form(training, both, only_text))

    page = response.content.decode()
    assert "Een bestand en een link samen kan niet" in page
    assert "Voeg een bestand of een link toe." in page
    assert Evidence.objects.count() == 0
    assert stored_files(storage) == []


def test_a_form_posted_without_the_evidence_table_changes_no_evidence(adviser_client):
    training = make_training()
    evidence = make_evidence(training)
    form = {k: v for k, v in training_form(training).items() if not k.startswith(PREFIX)}

    assert adviser_client.post(change_url(training), form).status_code == 302
    assert Evidence.objects.get() == evidence


# --- who sees what -----------------------------------------------------------------------


def test_anonymous_and_roleless_users_never_get_a_file(client, storage):
    evidence = file_evidence()
    url = evidence.download_url()

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))

    client.force_login(User.objects.create_user("buiten", password="x"))  # no staff, no role
    assert client.get(url).status_code == 302

    client.force_login(User.objects.create_user("medewerker", is_staff=True))  # staff, no role
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", [ADVISER, COORDINATOR, PROVINCE])
def test_every_role_downloads_evidence(client, make_role_user, role):
    evidence = file_evidence()
    client.force_login(make_role_user(role))

    response = client.get(evidence.download_url())

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_evidence_of_records_one_may_not_see_stays_hidden(client):
    evidence = file_evidence()
    user = User.objects.create_user("alleen-bewijs", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_evidence"))
    client.force_login(user)

    assert client.get(evidence.download_url()).status_code == 403
    list_page = client.get(reverse("admin:kpis_evidence_changelist"))
    assert list_page.status_code == 200
    assert list_page.context["cl"].result_count == 0


def test_evidence_whose_record_is_gone_is_not_found(adviser_client):
    evidence = file_evidence()
    Training.objects.filter(pk=evidence.object_id)._raw_delete("default")  # no signals

    assert adviser_client.get(evidence.download_url()).status_code == 404
    missing = reverse("admin:kpis_evidence_download", args=[evidence.pk + 1])
    assert adviser_client.get(missing).status_code == 404


def test_the_provincie_sees_evidence_but_cannot_add_or_delete_it(client, make_role_user):
    evidence = file_evidence()
    training = Training.objects.get(pk=evidence.object_id)
    client.force_login(make_role_user(PROVINCE))

    page = client.get(change_url(training))

    inline = page.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission and not inline.has_delete_permission
    assert evidence.download_url() in page.content.decode()
    add = reverse("admin:kpis_evidence_add") + f"?record={evidence.record_label}"
    assert client.get(add).status_code == 403
    delete = reverse("admin:kpis_evidence_delete", args=[evidence.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Evidence.objects.count() == 1


def test_the_page_links_to_the_download_view_never_to_the_storage(adviser_client, client):
    evidence = file_evidence()
    make_channel_post()

    page = adviser_client.get(change_url(evidence.record)).content.decode()

    assert f'href="{evidence.download_url()}"' in page
    assert evidence.file.name not in page  # the name in the storage is nobody's business
    assert evidence.file_name in page
    # Nor is it on a public page, for anyone.
    for path in ("/2021/", "/2021/report/"):
        public = client.get(path).content.decode()
        assert evidence.file_name not in public and "evidence" not in public


def test_evidence_files_live_outside_every_served_directory():
    location = Path(settings.STORAGES["evidence"]["OPTIONS"]["location"]).resolve()
    for served in (settings.MEDIA_ROOT, settings.STATIC_ROOT):
        assert not location.is_relative_to(Path(served).resolve())
    assert settings.BNF_EVIDENCE_STORAGE == "evidence"
    assert settings.BNF_EVIDENCE_MAX_BYTES == 10 * MB


def test_the_roles_may_add_see_and_delete_evidence_but_never_change_it(roles):
    def codes(role):
        return set(
            roles[role]
            .permissions.filter(codename__endswith="_evidence")
            .values_list("codename", flat=True)
        )

    full = {"add_evidence", "view_evidence", "delete_evidence"}
    assert codes(ADVISER) == codes(COORDINATOR) == full
    assert codes(PROVINCE) == {"view_evidence"}


def test_a_record_page_needs_as_many_queries_for_five_items_as_for_one(adviser_client):
    training = make_training()
    make_evidence(training)
    with CaptureQueriesContext(connection) as one:
        adviser_client.get(change_url(training))
    for _ in range(4):
        make_evidence(training)
    with CaptureQueriesContext(connection) as five:
        response = adviser_client.get(change_url(training))

    assert len(response.context["inline_admin_formsets"][0].formset.initial_forms) == 5
    assert len(five) == len(one)


# --- deleting ----------------------------------------------------------------------------


def test_deleting_evidence_removes_its_file_after_the_commit(
    adviser_client, storage, django_capture_on_commit_callbacks
):
    evidence = file_evidence()
    training = evidence.record
    form = training_form(training, initial=[(evidence, {"DELETE": "on"})])

    with django_capture_on_commit_callbacks(execute=True):
        response = adviser_client.post(change_url(training), form)

    assert response.status_code == 302
    assert Evidence.objects.count() == 0
    assert stored_files(storage) == []


def test_deleting_a_record_deletes_its_evidence_and_files(
    storage, django_capture_on_commit_callbacks
):
    evidence = file_evidence()
    other = make_evidence(make_training())

    with django_capture_on_commit_callbacks(execute=True):
        Training.objects.get(pk=evidence.object_id).delete()

    assert list(Evidence.objects.all()) == [other]
    assert stored_files(storage) == []


# --- the audit trail ---------------------------------------------------------------------


def test_adding_opening_and_deleting_evidence_show_in_the_records_audit_trail(
    adviser_client, adviser
):
    training = make_training()
    row = {"upload": upload("brief.pdf", PDF), "url": "", "description": "Toekenning"}
    adviser_client.post(change_url(training), training_form(training, row))
    evidence = Evidence.objects.get()
    adviser_client.get(evidence.download_url())
    form = training_form(training, initial=[(evidence, {"DELETE": "on"})])
    adviser_client.post(change_url(training), form)

    entries = LogEntry.objects.filter(content_type__model="evidence").order_by("pk")
    assert [entry.action for entry in entries] == [
        LogEntry.Action.CREATE,
        LogEntry.Action.ACCESS,
        LogEntry.Action.DELETE,
    ]
    assert {entry.actor for entry in entries} == {adviser}
    assert {entry.additional_data["record"] for entry in entries} == {
        f"kpis.training:{training.pk}"
    }
    assert entries[0].changes_dict["file_name"] == ["None", "brief.pdf"]

    training_type = ContentType.objects.get_for_model(Training)
    trail = reverse("admin:auditlog_logentry_object", args=[training_type.pk, training.pk])
    page = adviser_client.get(trail).content.decode()
    for text in (
        "bewijsstuk toegevoegd: brief.pdf",
        "bewijsstuk geopend: brief.pdf",
        "bewijsstuk verwijderd: brief.pdf",
    ):
        assert text in page


# --- closed years ------------------------------------------------------------------------


def test_evidence_can_still_be_added_to_and_removed_from_a_record_of_a_closed_year(
    adviser_client, coordinator, storage, django_capture_on_commit_callbacks
):
    training = make_training(title="Mediawijsheid")
    closing.close_year(2021, coordinator)
    published = ClosedYear.objects.get(year=2021).snapshot

    page = adviser_client.get(change_url(training))
    add = reverse("admin:kpis_evidence_add") + f"?record=kpis.training:{training.pk}"
    assert add.replace("&", "&amp;") in page.content.decode()
    assert "Het jaar is afgesloten" in page.content.decode()
    assert adviser_client.get(add).status_code == 200

    form = {"upload": upload("brief.pdf", PDF), "url": "", "description": "Laat binnen"}
    response = adviser_client.post(add, form)

    assert response.status_code == 302
    assert response["Location"] == change_url(training)
    evidence = Evidence.objects.get()
    assert evidence.record == training and stored_files(storage) == [evidence.file.name]
    # The record itself stays as it was published.
    assert adviser_client.post(change_url(training), training_form(training)).status_code == 403
    assert ClosedYear.objects.get(year=2021).snapshot == published

    delete = reverse("admin:kpis_evidence_delete", args=[evidence.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = adviser_client.post(delete, {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == change_url(training)
    assert Evidence.objects.count() == 0 and stored_files(storage) == []


def test_the_add_page_needs_a_record_one_may_change(adviser_client):
    add = reverse("admin:kpis_evidence_add")
    assert adviser_client.get(add).status_code == 404
    assert adviser_client.get(add + "?record=kpis.training:999").status_code == 404
    assert adviser_client.get(add + "?record=auth.user:1").status_code == 404
    assert adviser_client.get(add + "?record=kpis.target:1").status_code == 404


# --- back-up and restore -----------------------------------------------------------------


def test_backup_and_restore_bring_back_the_rows_and_the_files(tmp_path, storage, coordinator):
    training = make_training()
    pdf = file_evidence(training, "brief.pdf", PDF, description="Toekenning")
    photo = file_evidence(training, "foto.png", PNG)
    make_evidence(training, description="Nieuwsbericht")
    archive = tmp_path / "bnf.zip"
    before = contents(backup.archived_models())

    call_command("backup_data", str(archive), stdout=io.StringIO())
    empty_database()
    for name in stored_files(storage):
        storage.delete(name)
    call_command("restore_data", str(archive), stdout=io.StringIO())

    assert contents(backup.archived_models()) == before
    assert stored_files(storage) == sorted([pdf.file.name, photo.file.name])
    for evidence in Evidence.objects.exclude(file=""):
        assert evidence.stored_checksum() == evidence.checksum
    with storage.open(pdf.file.name) as restored:
        assert restored.read() == PDF
    assert backup.read_manifest(archive)["files"] == 2


def test_a_restore_never_overwrites_another_file_and_then_writes_nothing(tmp_path, storage):
    first = file_evidence(name="brief.pdf", data=PDF)
    second = file_evidence(name="foto.png", data=PNG)
    archive = tmp_path / "bnf.zip"
    call_command("backup_data", str(archive), stdout=io.StringIO())
    empty_database()
    storage.delete(first.file.name)
    storage.delete(second.file.name)
    with storage.open(second.file.name, "wb") as other:
        other.write(b"iets anders")

    with pytest.raises(backup.BackupError, match="heeft al een ander bestand"):
        backup.restore_archive(archive)

    assert Evidence.objects.count() == 0
    assert stored_files(storage) == [second.file.name]  # the first one written is gone again
    with storage.open(second.file.name) as kept:
        assert kept.read() == b"iets anders"


# --- every registration ------------------------------------------------------------------


def report_dated_admins():
    from django.contrib import admin

    return sorted(
        (m for m in admin.site._registry if hasattr(m, "report_date_field")),
        key=lambda m: m._meta.label,
    )


@pytest.mark.parametrize("model", report_dated_admins(), ids=lambda m: m._meta.label)
def test_every_registration_form_has_the_evidence_table(client, make_role_user, model):
    from tests.test_admin import make

    record = make(model)
    make_evidence(record, description="Bewijs bij dit record")
    client.force_login(make_role_user(COORDINATOR))

    response = client.get(change_url(record))

    assert response.status_code == 200
    formsets = [f.formset for f in response.context["inline_admin_formsets"]]
    evidence = [f for f in formsets if f.model is Evidence]
    assert len(evidence) == 1 and len(evidence[0].initial_forms) == 1
    assert "Bewijs bij dit record" in response.content.decode()


# --- settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("helper", "name", "value", "message"),
    [
        ("env_path", "BNF_EVIDENCE_ROOT", "private/evidence", "verwacht een absoluut pad"),
        (
            "env_import_path",
            "BNF_EVIDENCE_STORAGE_BACKEND",
            "storages/backends/s3",
            "verwacht een Python-pad naar een klasse",
        ),
        (
            "env_json_object",
            "BNF_EVIDENCE_STORAGE_OPTIONS",
            '{"bucket_name": ',
            "geen geldige JSON",
        ),
        ("env_json_object", "BNF_EVIDENCE_STORAGE_OPTIONS", '["bnf"]', "moet een JSON-object zijn"),
    ],
)
def test_a_storage_setting_the_app_cannot_use_stops_the_start_with_its_name(
    monkeypatch, helper, name, value, message
):
    from django.core.exceptions import ImproperlyConfigured

    from bnf import env

    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as error:
        getattr(env, helper)(name, *(() if helper == "env_json_object" else ("x.Y",)))
    assert name in str(error.value) and message in str(error.value)


def test_storage_options_are_read_as_json(monkeypatch):
    from bnf import env

    monkeypatch.setenv(
        "BNF_EVIDENCE_STORAGE_OPTIONS", '{"bucket_name": "bnf", "default_acl": null}'
    )
    assert env.env_json_object("BNF_EVIDENCE_STORAGE_OPTIONS") == {
        "bucket_name": "bnf",
        "default_acl": None,
    }
