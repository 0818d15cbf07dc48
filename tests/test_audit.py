"""Audit trail: who changed what, when, before and after, and by which path; and the
year-closing pages in the admin, which leave their own trail."""

import datetime
import io
from decimal import Decimal

import pytest
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from kpis.core import audit
from kpis.core.roles import ADVISER, COORDINATOR
from kpis.models import (
    ChannelPost,
    ClosedYear,
    ImportBatch,
    Organisation,
    Target,
    Theme,
    Training,
    TransportReservation,
    YearReopening,
)
from kpis.reporting import checklist, closing
from projects.models import Fund
from subsidies.models import Funder, Subsidy
from tests import factories
from tests.factories import (
    make_channel,
    make_channel_post,
    make_fund,
    make_funder,
    make_import_batch,
    make_organisation,
    make_reference_channel,
    make_reference_organisation,
    make_reference_theme,
    make_subsidy,
    make_support_kind,
    make_target,
    make_theme,
    make_training,
)

pytestmark = pytest.mark.django_db


def entries_for(obj):
    return LogEntry.objects.get_for_object(obj).order_by("timestamp", "pk")


def url(model, view, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def training_form(training, **fields):
    return {
        "title": training.title,
        "held_on": training.held_on.strftime("%d-%m-%Y"),
        "participants": str(training.participants),
        "respondents": "",
        "evaluation_score": "",
        "notes": training.notes,
        "adviser": training.adviser_id or "",
        "themes": [theme.pk for theme in training.themes.all()],
        **fields,
    }


@pytest.fixture
def adviser_user(make_role_user):
    return make_role_user(ADVISER)


@pytest.fixture
def adviser_client(client, adviser_user):
    client.force_login(adviser_user)
    return client


@pytest.fixture
def coordinator_user(make_role_user):
    return make_role_user(COORDINATOR)


@pytest.fixture
def role_coordinator_client(client, coordinator_user):
    client.force_login(coordinator_user)
    return client


# --- what is audited -------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [Training, Target, Organisation, Theme, Funder, Fund, ClosedYear, ImportBatch, YearReopening],
    ids=lambda model: model.__name__,
)
def test_every_registration_reference_and_closing_model_is_audited(model):
    assert model in audit.audited_models()


def test_every_model_of_our_apps_is_audited():
    from django.apps import apps

    from kpis.core import data_version

    ours = [
        model
        for label in ("kpis", "projects", "subsidies")
        for model in apps.get_app_config(label).get_models()
        if model._meta.managed  # a summary the database keeps is written by no one
        # output made from the data (a report PDF) is no change anyone made
        and not data_version.is_derived(model)
    ]
    assert set(ours) <= set(audit.audited_models())
    assert not {m for m in audit.audited_models() if data_version.is_derived(m)}


# --- the admin -------------------------------------------------------------------------


def test_an_admin_edit_names_the_user_the_field_before_and_after_and_the_path(
    adviser_client, adviser_user
):
    training = make_training(title="Mediawijsheid", participants=10, adviser=adviser_user)
    theme = make_theme(name="Geletterdheid")

    response = adviser_client.post(
        url(Training, "change", training.pk),
        training_form(training, participants="14", themes=[theme.pk]),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    changed = [e for e in entries_for(training) if e.action == LogEntry.Action.UPDATE]
    fields = {name: change for entry in changed for name, change in entry.changes_dict.items()}
    assert fields["participants"] == ["10", "14"]
    assert fields["themes"]["objects"] == ["Geletterdheid"]
    assert "updated_at" not in fields
    for entry in changed:
        assert entry.actor == adviser_user
        assert entry.additional_data["path"] == "admin"
        assert entry.cid  # one correlation id for the whole request
    assert len({entry.cid for entry in changed}) == 1


def test_adding_and_deleting_in_the_admin_are_in_the_trail(
    role_coordinator_client, coordinator_user
):
    form = {"key": "subsidies.awarded", "year": "2022", "value": "7", "note": ""}
    assert role_coordinator_client.post(url(Target, "add"), form).status_code == 302
    target = Target.objects.get()
    deleted = role_coordinator_client.post(url(Target, "delete", target.pk), {"post": "yes"})
    assert deleted.status_code == 302

    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Target), object_pk=str(target.pk)
    ).order_by("timestamp", "pk")
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.DELETE]
    assert {e.actor for e in entries} == {coordinator_user}
    assert entries[0].changes_dict["value"] == ["None", "7"]


def test_a_record_shows_its_own_trail_in_dutch(adviser_client, adviser_user):
    training = make_training(title="Mediawijsheid", participants=10)
    adviser_client.post(
        url(Training, "change", training.pk), training_form(training, participants="12")
    )

    change_page = adviser_client.get(url(Training, "change", training.pk))
    trail_url = reverse(
        "admin:auditlog_logentry_object",
        args=[ContentType.objects.get_for_model(Training).pk, training.pk],
    )
    assert trail_url in change_page.content.decode()
    page = adviser_client.get(trail_url).content.decode()
    assert "Audittrail" in page
    assert "gewijzigd" in page and "admin" in page
    assert "<td>Deelnemers</td>" in page
    assert "<td>10</td><td>12</td>" in page
    assert adviser_user.username in page


def test_the_whole_trail_is_for_coordinators_and_filters(role_coordinator_client, coordinator_user):
    make_training(title="Via de opdrachtregel")
    target = make_target()
    with audit.audit_context(audit.ADMIN, actor=coordinator_user):
        target.value = 9
        target.save()
    changelist = reverse("admin:auditlog_logentry_changelist")

    page = role_coordinator_client.get(changelist, {"path": "admin"}).content.decode()
    assert "subsidies.awarded" in page
    assert "Via de opdrachtregel" not in page
    by_model = role_coordinator_client.get(changelist, {"model": "kpis.training"})
    assert "Via de opdrachtregel" in by_model.content.decode()
    assert "subsidies.awarded" not in by_model.content.decode()
    for query in ({"action": "1"}, {"actor": coordinator_user.pk}, {"q": "subsidies"}):
        assert role_coordinator_client.get(changelist, query).status_code == 200
    entry = entries_for(target).get(action=LogEntry.Action.UPDATE)
    detail = role_coordinator_client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert "<td>5,00</td><td>9</td>" in detail.content.decode()
    assert "Gewijzigd: subsidies.awarded" in detail.content.decode()
    assert "Updated" not in detail.content.decode()


@pytest.mark.parametrize(
    ("maker", "field", "label"),
    [
        (make_support_kind, "name", "Naam"),
        (make_channel, "name", "Naam"),
        (make_organisation, "name", "Naam"),
        (make_fund, "name", "Naam"),
        (make_funder, "name", "Naam"),
        (make_import_batch, "file_name", "Bestandsnaam"),
    ],
    ids=lambda value: value.__name__.removeprefix("make_") if callable(value) else None,
)
def test_the_trail_of_a_record_with_records_pointing_at_it_shows(
    role_coordinator_client, coordinator_user, maker, field, label
):
    """Reverse relations (an organisation's transport, a fund's applications) are in
    django-auditlog's entries as a manager ("kpis.TransportReservation.None"): they are
    left out, not shown and not a server error."""
    obj = maker()
    with audit.audit_context(audit.ADMIN, actor=coordinator_user):
        old = getattr(obj, field)
        setattr(obj, field, "Nieuwe naam")
        obj.save()
    trail = reverse(
        "admin:auditlog_logentry_object",
        args=[ContentType.objects.get_for_model(obj).pk, obj.pk],
    )

    response = role_coordinator_client.get(trail)

    assert response.status_code == 200
    page = response.content.decode()
    assert f"<td>{label}</td><td>{old}</td><td>Nieuwe naam</td>" in page
    assert ".None" not in page
    created = entries_for(obj).get(action=LogEntry.Action.CREATE)
    detail = role_coordinator_client.get(
        reverse("admin:auditlog_logentry_change", args=[created.pk])
    )
    assert detail.status_code == 200
    assert ".None" not in detail.content.decode()


def test_the_trail_shows_a_related_record_by_name_and_a_deleted_one_as_such(
    role_coordinator_client, coordinator_user
):
    from django.contrib.auth.models import User

    importer = User.objects.create_user("importeur")
    batch = make_import_batch(imported_by=importer)
    with audit.audit_context(audit.ADMIN, actor=coordinator_user):
        batch.imported_by = coordinator_user
        batch.save()
    importer_pk = importer.pk
    importer.delete()
    trail = reverse(
        "admin:auditlog_logentry_object",
        args=[ContentType.objects.get_for_model(ImportBatch).pk, batch.pk],
    )

    page = role_coordinator_client.get(trail).content.decode()

    assert (
        f"<td>Geïmporteerd door</td><td>Gebruiker {importer_pk} (verwijderd)</td>"
        f"<td>{coordinator_user.username}</td>"
    ) in page
    assert "Deleted" not in page


# --- imports ---------------------------------------------------------------------------


def import_file(client, model, content: bytes, name="import.csv"):
    """django-import-export in the admin: upload and check, then confirm."""
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    checked = client.post(url(model, "import"), {"format": "0", "import_file": upload})
    assert checked.status_code == 200
    confirm = checked.context.get("confirm_form")
    assert confirm is not None, checked.context.get("errors") or checked.content.decode()[-2000:]
    return client.post(url(model, "process_import"), {**confirm.initial, "confirm": "1"})


def test_an_admin_import_leaves_entries_naming_the_user_and_the_changes(
    adviser_client, adviser_user
):
    existing = make_training(title="Bestaand", participants=5)
    make_reference_theme("geletterdheid")
    content = (
        "title,held_on,participants,themes\n"
        "Nieuw uit bestand,2021-04-01,20,geletterdheid\n"
        f"Bestaand,{existing.held_on.isoformat()},8,\n"
    ).encode()

    response = import_file(adviser_client, Training, content)

    assert response.status_code == 302
    new = Training.objects.get(title="Nieuw uit bestand")
    created = entries_for(new).get()
    assert created.action == LogEntry.Action.CREATE
    assert created.actor == adviser_user
    assert created.additional_data["path"] == "import"
    assert created.additional_data["file"] == "import.csv"
    assert created.changes_dict["participants"] == ["None", "20"]
    assert created.changes_dict["themes"] == ["None", "Geletterdheid"]
    updated = entries_for(existing).filter(action=LogEntry.Action.UPDATE).get()
    assert updated.actor == adviser_user
    assert updated.additional_data["path"] == "import"
    assert updated.changes_dict["participants"] == ["5", "8"]


def test_each_imported_record_has_its_create_entry_with_its_values(adviser_client, adviser_user):
    channel = make_reference_channel("website")
    make_reference_theme("geletterdheid")
    make_theme(name="Digitaal", slug="digitaal")
    content = (
        b"channel,published_on,title,url,views,likes,themes,notes\n"
        b'website,2021-04-01,Eerste bericht,https://example.org/1,120,,"geletterdheid, digitaal",\n'
        b"website,2021-04-02,Tweede bericht,,8,3,,Met een notitie\n"
    )

    response = import_file(adviser_client, ChannelPost, content, "berichten.csv")

    assert response.status_code == 302
    posts = list(ChannelPost.objects.filter(channel=channel).order_by("published_on"))
    assert len(posts) == 2
    entries = [entries_for(post).get() for post in posts]
    for post, entry in zip(posts, entries, strict=True):
        assert entry.action == LogEntry.Action.CREATE
        assert entry.actor == adviser_user
        assert entry.actor_email == (adviser_user.email or None)
        assert entry.additional_data == {"path": "import", "file": "berichten.csv"}
        assert (entry.object_pk, entry.object_id, entry.object_repr) == (
            str(post.pk),
            post.pk,
            str(post),
        )
        # What django-auditlog's own signal stores for a create, plus the themes.
        expected = {name: list(pair) for name, pair in model_instance_diff(None, post).items()}
        themes = entry.changes_dict.pop("themes", None)
        assert entry.changes_dict == expected
        assert entry.changes_dict["adviser"] == ["None", str(adviser_user.pk)]
        assert entry.changes_dict["channel"] == ["None", str(channel.pk)]
        assert entry.changes_dict["published_on"][1] == post.published_on.isoformat()
        assert "created_at" not in entry.changes_dict
        assert themes == (
            ["None", "Digitaal, Geletterdheid"] if post.title == "Eerste bericht" else None
        )
    assert entries[0].changes_dict["views"] == ["None", "120"]
    assert entries[1].changes_dict["notes"] == ["None", "Met een notitie"]
    assert entries[0].cid and entries[0].cid == entries[1].cid  # one import, one request
    assert entries[0].timestamp == entries[1].timestamp


@pytest.mark.parametrize(
    "maker", [getattr(factories, name) for name in dir(factories) if name.startswith("make_")]
)
def test_a_created_entry_is_what_auditlog_stores_for_a_create(maker):
    from kpis.core import data_version

    obj = maker()
    model = type(obj)
    if data_version.is_derived(model):  # a report PDF made from the data: not logged
        assert not entries_for(obj).exists()
        return

    expected = {name: list(pair) for name, pair in model_instance_diff(None, obj).items()}
    assert audit.CreatedChanges(model)(obj) == expected
    # and as django-auditlog wrote it itself when the factory saved the record
    own = entries_for(obj).filter(action=LogEntry.Action.CREATE).first()
    if own is not None:
        stored = {name: pair for name, pair in own.changes_dict.items() if name in expected}
        assert stored == expected


def test_a_large_import_writes_every_entry_in_one_go(adviser_client):
    make_channel(slug="website")
    lines = ["channel,published_on,title,views"]
    lines += [f"website,2021-05-{1 + n % 28:02d},Bericht {n},{n}" for n in range(1200)]
    content = ("\n".join(lines) + "\n").encode()
    before = LogEntry.objects.count()

    import_file(adviser_client, ChannelPost, content)

    assert ChannelPost.objects.count() == 1200
    assert LogEntry.objects.count() == before + 1200 + 1  # and its ImportBatch
    posts = dict(ChannelPost.objects.values_list("pk", "title"))
    created = LogEntry.objects.get_for_objects(ChannelPost.objects.all())
    assert {entry.action for entry in created} == {LogEntry.Action.CREATE}
    assert {entry.object_id: entry.object_repr for entry in created} == posts


def test_an_import_that_changes_nothing_leaves_nothing(adviser_client):
    existing = make_training(title="Bestaand", participants=5)
    before = LogEntry.objects.count()

    import_file(
        adviser_client,
        Training,
        f"title,held_on,participants\nBestaand,{existing.held_on},5\n".encode(),
    )

    assert LogEntry.objects.count() == before


def test_the_fast_transport_import_is_one_entry_for_its_batch(coordinator_user):
    from kpis.transport_import import import_transport

    make_reference_organisation("fmb")
    make_reference_organisation("dnb")
    content = b"datum,van,naar,aantal\n2021-03-15,fmb,dnb,4\n2021-03-16,dnb,fmb,2\n"

    result = import_transport(io.BytesIO(content), file_name="ibl-maart.csv", user=coordinator_user)

    assert result.ok, result.errors
    assert TransportReservation.objects.count() == 2
    entry = entries_for(result.batch).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == coordinator_user
    assert entry.additional_data["path"] == "import"
    assert entry.changes_dict["file_name"] == ["None", "ibl-maart.csv"]
    assert entry.changes_dict["row_count"] == ["None", "2"]


# --- commands --------------------------------------------------------------------------


def test_a_management_command_is_recorded_as_such(roles, monkeypatch):
    monkeypatch.setenv("DJANGO_COORDINATOR_PASSWORD", "Jaarverslag-2021!")

    call_command("create_coordinator", "--username", "jan", stdout=io.StringIO())

    from django.contrib.auth.models import User

    entry = entries_for(User.objects.get(username="jan")).first()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.additional_data == {"path": "command", "command": "create_coordinator"}
    assert entry.changes_dict["password"][1].startswith("*")  # masked, never the hash


def test_the_command_context_names_the_actor_and_anything_else_counts_as_command(coordinator_user):
    with audit.command_context("correctie", actor=coordinator_user):
        subsidy = make_subsidy(title="Met de hand")
    outside = make_organisation(name="Zonder context")

    entry = entries_for(subsidy).get()
    assert entry.actor == coordinator_user
    assert entry.additional_data == {"path": "command", "command": "correctie"}
    assert entries_for(outside).get().additional_data == {"path": "command"}
    assert audit.current_path() == "command"


# --- closing and reopening in the admin -------------------------------------------------


@pytest.fixture
def data_2021():
    make_channel_post()
    make_subsidy(
        status=Subsidy.Status.AWARDED,
        awarded_on=datetime.date(2021, 5, 1),
        amount=Decimal("263568.50"),
    )


def test_choosing_a_year_lists_only_years_with_data_that_are_open(
    role_coordinator_client, data_2021
):
    page = role_coordinator_client.get(reverse("admin:kpis_closedyear_close"))

    assert page.status_code == 200
    assert page.context["years"] == [2021]
    wrong = role_coordinator_client.get(reverse("admin:kpis_closedyear_close"), {"year": 2019})
    assert "Kies een jaar met registraties dat nog niet is afgesloten." in wrong.content.decode()


def test_the_confirmation_shows_the_figures_and_does_not_close(role_coordinator_client, data_2021):
    page = role_coordinator_client.get(reverse("admin:kpis_closedyear_close"), {"year": 2021})

    assert page.status_code == 200
    text = page.content.decode()
    assert "Ja, sluit 2021 af" in text
    assert "€ 263.569" in text  # the figure as the annual report prints it
    assert 'method="post"' in text and "csrfmiddlewaretoken" in text
    assert not ClosedYear.objects.exists()


def test_posting_the_confirmation_closes_the_year_and_logs_it(
    role_coordinator_client, coordinator_user, data_2021
):
    # The checklist's warnings about these few records, acknowledged (tests/test_checklist.py).
    seen = checklist.fingerprint(checklist.year_checklist(2021))
    response = role_coordinator_client.post(
        reverse("admin:kpis_closedyear_close"),
        {"year": "2021", "acknowledge": "on", "warnings": seen},
        follow=True,
    )

    closed = ClosedYear.objects.get()
    assert closed.year == 2021 and closed.closed_by == coordinator_user
    assert "Jaar 2021 afgesloten" in response.content.decode()
    assert AdminLogEntry.objects.get(object_id=str(closed.pk)).user == coordinator_user
    entry = entries_for(closed).get()
    assert entry.actor == coordinator_user and entry.additional_data["path"] == "admin"
    # Closing again is refused, not a second record.
    role_coordinator_client.post(
        reverse("admin:kpis_closedyear_close"),
        {"year": "2021", "acknowledge": "on", "warnings": seen},
    )
    assert ClosedYear.objects.count() == 1


def test_the_changelist_links_to_closing_and_reopening(role_coordinator_client, data_2021):
    closing.close_year(2021, None)

    page = role_coordinator_client.get(url(ClosedYear, "changelist")).content.decode()

    assert reverse("admin:kpis_closedyear_close") in page
    assert reverse("admin:kpis_closedyear_reopen", args=[2021]) in page


def test_reopening_without_a_reason_keeps_the_year_closed(role_coordinator_client, data_2021):
    closing.close_year(2021, None)
    reopen = reverse("admin:kpis_closedyear_reopen", args=[2021])
    assert "Heropen 2021" in role_coordinator_client.get(reopen).content.decode()

    response = role_coordinator_client.post(reopen, {"reason": "   "})

    assert response.status_code == 200
    assert "Geef een reden voor het heropenen." in response.content.decode()
    assert ClosedYear.objects.filter(year=2021).exists()
    assert not YearReopening.objects.exists()


def test_reopening_with_a_reason_reopens_and_logs(
    role_coordinator_client, coordinator_user, data_2021
):
    closed = closing.close_year(2021, None)

    response = role_coordinator_client.post(
        reverse("admin:kpis_closedyear_reopen", args=[2021]),
        {"reason": "Dubbele subsidie gecorrigeerd"},
        follow=True,
    )

    assert "2021 is heropend" in response.content.decode()
    assert not ClosedYear.objects.exists()
    reopening = YearReopening.objects.get()
    assert reopening.reason == "Dubbele subsidie gecorrigeerd"
    assert reopening.reopened_by == coordinator_user
    log = AdminLogEntry.objects.get(object_id=str(reopening.pk))
    assert "Dubbele subsidie gecorrigeerd" in log.change_message
    deleted = entries_for(closed).filter(action=LogEntry.Action.DELETE).get()
    assert deleted.actor == coordinator_user
    assert entries_for(reopening).get().additional_data["path"] == "admin"


def test_reopening_a_year_that_is_not_closed_is_not_found(role_coordinator_client):
    response = role_coordinator_client.get(reverse("admin:kpis_closedyear_reopen", args=[2021]))
    assert response.status_code == 404


def test_the_import_views_mark_themselves_and_nothing_else_does():
    """Entries are logged as "import" because the view says it imports (audit.imports_files),
    not because of its URL's name."""
    from django.contrib import admin

    from kpis.models import Training, TransportReservation

    def marked(view):
        return getattr(view, "__wrapped__", None) is not None and view.__name__ in {
            "import_action",
            "process_import",
            "import_view",
        }

    training_admin = admin.site.get_model_admin(Training)
    transport_admin = admin.site.get_model_admin(TransportReservation)
    assert marked(type(training_admin).import_action)
    assert marked(type(training_admin).process_import)
    assert marked(type(transport_admin).import_view)
    assert not hasattr(type(training_admin).change_view, "__wrapped__")


def test_a_record_history_is_only_for_those_who_may_see_the_record(client):
    from django.contrib.auth.models import User

    training = make_training()
    client.force_login(User.objects.create_user("zonder-rol", is_staff=True))
    trail = reverse(
        "admin:auditlog_logentry_object",
        args=[ContentType.objects.get_for_model(Training).pk, training.pk],
    )
    assert client.get(trail).status_code == 403
    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 403


def test_an_empty_date_time_is_in_a_created_entry_as_auditlog_has_it():
    """auditlog logs an empty nullable date-time of a new record as "None" -> "None"."""
    job = factories.make_transport_import_job(status="queued", finished_at=None)
    expected = {name: list(pair) for name, pair in model_instance_diff(None, job).items()}
    assert expected["finished_at"] == ["None", "None"]
    assert audit.CreatedChanges(type(job))(job) == expected


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"title": ["None", "Eerste bericht"], "views": ["None", "120"]},
        {"notes": ["None", 'Met "aanhalingstekens", \\ en\tna een tab\nop een nieuwe regel']},
        {"title": ["None", "Café ‘Ü’ — 日本 \x00 \x1f"], "url": ["None", ""]},
        {"participants": ["5", "8"], "themes": ["Geletterdheid", "None"]},
        {"participants": [5, 8]},  # not two texts: json.dumps itself
        {"notes": ["None"]},
    ],
)
def test_an_entrys_changes_are_written_as_json_dumps_writes_them(changes):
    import json

    assert audit.changes_json(changes) == json.dumps(changes)
