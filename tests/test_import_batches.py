"""Every admin import is an import batch that can be undone from the batch's admin page.

Files go through the admin as a user sends them (upload, preview, confirm), by an
adviser or a coordinator; the undo is the same page and the same rules for transport
(tests/test_transport_import.py) and every other kind of record.
"""

import datetime

import pytest
from auditlog.models import LogEntry as AuditEntry
from django.contrib.admin.models import DELETION, LogEntry
from django.db import OperationalError
from django.urls import reverse

from kpis.models import Channel, ChannelPost, ImportBatch, ImportBatchRow
from kpis.reporting import closing
from tests.factories import make_channel, make_channel_post
from tests.test_import_export import CSV, check, confirm, make_file, post_rows
from tests.test_transport_import import VALID_ROWS, import_rows, libraries  # noqa: F401


def undo_url(batch):
    return reverse("admin:kpis_importbatch_undo", args=[batch.pk])


def import_posts(client, *rows, name="berichten"):
    response = confirm(
        client, ChannelPost, check(client, ChannelPost, make_file(post_rows(*rows), CSV), CSV, name)
    )
    assert response.status_code == 302, response.context and response.context["error_lines"]
    return response


NEW_POSTS = (
    ["website", "2022-01-05", "Een", "1", ""],
    ["website", "2022-01-06", "Twee", "2", ""],
)


@pytest.fixture
def website(db):
    return make_channel(slug="website")


@pytest.mark.parametrize("role", ["Adviseur", "Coördinator"])
def test_an_imported_file_is_a_batch_that_undo_removes_with_an_audit_entry(
    client, make_role_user, website, role
):
    user = make_role_user(role)
    client.force_login(user)
    kept = make_channel_post(channel=website, title="Met de hand")

    import_posts(client, *NEW_POSTS)

    batch = ImportBatch.objects.get()
    assert (batch.model_label, batch.file_name, batch.imported_by) == (
        "kpis.channelpost",
        "berichten.csv",
        user,
    )
    assert (batch.row_count, batch.updated_count, batch.source) == (2, 0, "admin")
    assert len(batch.checksum) == 64
    listing = client.get(reverse("admin:kpis_importbatch_changelist")).content.decode()
    assert "berichten.csv" in listing and undo_url(batch) in listing
    page = client.get(undo_url(batch)).content.decode()
    assert "2 berichten" in page and "Ja, maak ongedaan" in page
    imported = set(ChannelPost.objects.exclude(pk=kept.pk).values_list("pk", flat=True))

    response = client.post(undo_url(batch))

    assert response.status_code == 302
    assert list(ChannelPost.objects.all()) == [kept]
    assert not ImportBatch.objects.exists() and not ImportBatchRow.objects.exists()
    history = LogEntry.objects.get(action_flag=DELETION, object_id=str(batch.pk))
    assert (history.user, history.change_message) == (
        user,
        "Importbatch ongedaan gemaakt: 2 rijen verwijderd.",
    )
    deleted = AuditEntry.objects.filter(action=AuditEntry.Action.DELETE)
    batch_entry = deleted.get(content_type__model="importbatch")
    assert (batch_entry.actor, batch_entry.additional_data["path"]) == (user, "import")
    post_entries = deleted.filter(content_type__model="channelpost")
    assert set(post_entries.values_list("object_id", flat=True)) == imported
    assert {entry.actor for entry in post_entries} == {user}
    assert {entry.additional_data["undone_batch"] for entry in post_entries} == {batch.pk}


def test_undo_is_refused_in_a_closed_year_and_deletes_nothing(client, make_role_user, website):
    user = make_role_user("Coördinator")
    client.force_login(user)
    import_posts(
        client,
        ["website", "2021-03-05", "Een", "1", ""],
        ["website", "2021-03-06", "Twee", "2", ""],
    )
    batch = ImportBatch.objects.get()
    closing.close_year(2021, user)

    page = client.get(undo_url(batch)).content.decode()
    response = client.post(undo_url(batch))

    assert 'id="undo-refused"' in page and "Ja, maak ongedaan" not in page
    assert response.status_code == 200
    assert "2021 is afgesloten" in response.content.decode()
    assert ChannelPost.objects.count() == 2
    assert ImportBatch.objects.filter(pk=batch.pk).exists()
    assert ImportBatchRow.objects.filter(batch=batch).count() == 2


def test_records_the_import_changed_stay_as_they_are_now(coordinator_client, website):
    existing = make_channel_post(
        channel=website, title="Bestaand", published_on=datetime.date(2022, 1, 5), views=1
    )
    import_posts(
        coordinator_client,
        ["website", "2022-01-05", "Bestaand", "250", ""],
        ["website", "2022-01-07", "Nieuw", "3", ""],
    )
    batch = ImportBatch.objects.get()
    assert (batch.row_count, batch.updated_count, batch.skipped_count) == (1, 1, 0)

    page = coordinator_client.get(undo_url(batch)).content.decode()
    coordinator_client.post(undo_url(batch))

    assert "1 bericht" in page
    assert "1 bestaand record dat deze import wijzigde, blijft zoals het nu is" in page
    existing.refresh_from_db()
    assert list(ChannelPost.objects.all()) == [existing] and existing.views == 250


def test_undo_is_refused_when_a_created_row_was_changed_since(coordinator_client, website):
    import_posts(coordinator_client, *NEW_POSTS)
    batch = ImportBatch.objects.get()
    post = ChannelPost.objects.get(title="Twee")
    post.views = 99
    post.save()

    page = coordinator_client.get(undo_url(batch)).content.decode()
    response = coordinator_client.post(undo_url(batch))

    message = "1 rij(en) van deze import zijn daarna nog gewijzigd"
    assert message in page and message in response.content.decode()
    assert ChannelPost.objects.count() == 2
    assert ImportBatch.objects.filter(pk=batch.pk).exists()


def test_the_same_file_again_adds_nothing_and_leaves_no_second_batch(coordinator_client, website):
    import_posts(coordinator_client, *NEW_POSTS)
    import_posts(coordinator_client, *NEW_POSTS)

    assert ChannelPost.objects.count() == 2
    assert ImportBatch.objects.count() == 1


def test_undo_is_refused_while_other_records_use_what_the_file_brought(coordinator_client):
    rows = [["slug", "name"], ["proefkanaal-undo", "Proefkanaal"]]
    content = make_file(rows, CSV)
    response = confirm(
        coordinator_client, Channel, check(coordinator_client, Channel, content, CSV, "kanalen")
    )
    assert response.status_code == 302, response.context and response.context["error_lines"]
    batch = ImportBatch.objects.get(model_label="kpis.channel")
    assert batch.row_count == 1  # a new channel, not one that was there already
    make_channel_post(channel=Channel.objects.get(slug="proefkanaal-undo"), title="Gebruikt")

    response = coordinator_client.post(undo_url(batch))

    assert "andere records gebruiken nog kanalen uit dit bestand" in response.content.decode()
    assert Channel.objects.filter(slug="proefkanaal-undo").exists()
    assert ImportBatch.objects.filter(pk=batch.pk).exists()


def test_a_busy_database_during_undo_is_a_message_and_nothing_is_deleted(
    coordinator_client, website, monkeypatch
):
    import_posts(coordinator_client, *NEW_POSTS)
    batch = ImportBatch.objects.get()

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(ImportBatch, "delete", locked)  # after the rows are deleted
    response = coordinator_client.post(undo_url(batch))

    assert "De database was bezig; er is niets verwijderd." in response.content.decode()
    assert ChannelPost.objects.count() == 2
    assert ImportBatchRow.objects.filter(batch=batch).count() == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("libraries")
def test_transport_undo_follows_the_same_rule_for_a_row_changed_since(coordinator_client):
    batch = import_rows(VALID_ROWS, "transport.csv")
    rows = batch.transport_rows.count()
    row = batch.transport_rows.first()
    row.quantity += 1
    row.save()

    response = coordinator_client.post(undo_url(batch))

    assert "1 rij(en) van deze import zijn daarna nog gewijzigd" in response.content.decode()
    assert batch.transport_rows.count() == rows


def test_undoing_a_transport_batch_takes_the_evidence_of_its_rows_along(
    coordinator_client,
    libraries,  # noqa: F811
):
    from kpis.models import Evidence
    from tests.factories import make_evidence

    batch = import_rows(VALID_ROWS, "transport.csv")
    make_evidence(record=batch.transport_rows.first())
    kept = make_evidence()  # another record's

    response = coordinator_client.post(undo_url(batch))

    assert response.status_code == 302
    assert list(Evidence.objects.all()) == [kept]
