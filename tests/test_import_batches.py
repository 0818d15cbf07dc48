"""Every admin import is an import batch that can be undone from the batch's admin page.

Files go through the admin as a user sends them (upload, preview, confirm), by an
adviser or a coordinator; the undo is the same page and the same rules for transport
(tests/test_transport_import.py) and every other kind of record.
"""

import datetime
import importlib

import pytest
from auditlog.models import LogEntry as AuditEntry
from django.contrib.admin.models import DELETION, LogEntry
from django.core.files.storage import FileSystemStorage
from django.db import OperationalError, connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.core import import_batches
from kpis.models import Channel, ChannelPost, Evidence, ImportBatch, ImportBatchRange
from kpis.reporting import closing
from tests.factories import make_channel, make_channel_post, make_evidence, make_theme
from tests.test_evidence import file_evidence, stored_files
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
    listed = ImportBatchRange.objects.filter(batch=batch)
    assert list(listed.values_list("first_id", "last_id", "created")) == [
        (min(imported), max(imported), True)
    ]  # the new posts' ids are one run

    response = client.post(undo_url(batch))

    assert response.status_code == 302
    assert list(ChannelPost.objects.all()) == [kept]
    assert not ImportBatch.objects.exists() and not ImportBatchRange.objects.exists()
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
    assert import_batches.listed_records(batch, ChannelPost).count() == 2


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
    new = ChannelPost.objects.get(title="Nieuw")
    assert set(
        ImportBatchRange.objects.filter(batch=batch).values_list("first_id", "last_id", "created")
    ) == {(existing.pk, existing.pk, False), (new.pk, new.pk, True)}

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
    evidence = make_evidence(record=ChannelPost.objects.get(title="Een"))

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(ImportBatch, "delete", locked)  # after the rows are deleted
    response = coordinator_client.post(undo_url(batch))

    assert "De database was bezig; er is niets verwijderd." in response.content.decode()
    assert ChannelPost.objects.count() == 2
    assert import_batches.listed_records(batch, ChannelPost).count() == 2
    assert list(Evidence.objects.all()) == [evidence]


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


# --- the batch's list: runs of consecutive ids ---------------------------------------------


def make_posts(channel, count: int) -> list[ChannelPost]:
    """``count`` posts of 2022 made at once, in id order."""
    ChannelPost.objects.bulk_create(
        ChannelPost(channel=channel, title=f"Bericht {n}", published_on=datetime.date(2022, 3, 1))
        for n in range(count)
    )
    return list(ChannelPost.objects.filter(channel=channel).order_by("pk"))


def record_batch(created, updated=()):
    return import_batches.record_admin_import(
        ChannelPost,
        [post.pk for post in created],
        [post.pk for post in updated],
        0,
        file_name="berichten.csv",
        checksum="0" * 64,
    )


def listed(batch, **kwargs) -> set[int]:
    records = import_batches.listed_records(batch, ChannelPost, **kwargs)
    return set(records.values_list("pk", flat=True))


@pytest.mark.parametrize("inline", [import_batches.INLINE_RANGES, 1], ids=["or", "subquery"])
def test_a_batch_lists_exactly_its_records_whether_in_few_runs_or_many(
    website, monkeypatch, inline
):
    monkeypatch.setattr(import_batches, "INLINE_RANGES", inline)
    posts = make_posts(website, 40)
    created = [*posts[1:4], *posts[10:20], posts[25], posts[38]]  # gaps, edges left out
    updated = [posts[5], posts[6], posts[30]]

    batch = record_batch(created, updated)

    runs = ImportBatchRange.objects.filter(batch=batch, created=True)
    assert runs.count() == 4
    assert listed(batch) == {post.pk for post in created}
    assert listed(batch, created=False) == {post.pk for post in updated}
    assert import_batches.batch_years(batch) == {2022}


def test_undoing_a_batch_of_thousands_of_single_id_runs_deletes_exactly_its_records(website):
    """Every other post, so every run one id long: far more runs than SQLite takes as
    conditions in one expression."""
    posts = make_posts(website, 3000)
    batch = record_batch(posts[::2])
    assert ImportBatchRange.objects.filter(batch=batch).count() == 1500

    assert import_batches.undo_batch(batch) == 1500

    assert list(ChannelPost.objects.order_by("pk")) == posts[1::2]
    assert not ImportBatchRange.objects.exists()


@pytest.fixture
def evidence_storage(tmp_path, monkeypatch):
    storage = FileSystemStorage(location=tmp_path / "bewijsstukken")
    monkeypatch.setattr(Evidence._meta.get_field("file"), "storage", storage)
    return storage


def test_undo_deletes_the_evidence_files_and_theme_links_of_what_it_deletes(
    coordinator_client, website, evidence_storage, django_capture_on_commit_callbacks
):
    import_posts(coordinator_client, *NEW_POSTS)
    batch = ImportBatch.objects.get()
    post = ChannelPost.objects.get(title="Een")
    file_evidence(record=post)
    make_evidence(record=post)
    post.themes.add(make_theme())
    kept = make_evidence(record=make_channel_post(channel=website, title="Met de hand"))
    assert len(stored_files(evidence_storage)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(undo_url(batch))

    assert response.status_code == 302
    assert list(Evidence.objects.all()) == [kept]
    assert stored_files(evidence_storage) == []
    assert not ChannelPost.themes.through.objects.exists()


def undo_queries(channel, count: int) -> int:
    posts = make_posts(channel, count)
    for post in posts[:3]:
        make_evidence(record=post)
    batch = record_batch(posts)
    with CaptureQueriesContext(connection) as queries:
        assert import_batches.undo_batch(batch) == count
    return len(queries)


def test_undo_does_not_query_per_record(website):
    few = undo_queries(website, 10)
    many = undo_queries(make_channel(), 400)

    # Not a query per record: what grows are batches of ids (Django deletes 100 a query,
    # SQLite takes a few hundred values a statement).
    assert many - few < (400 - 10) / 20


# --- migration 0021: from one row per record to runs -------------------------------------

runs_migration = importlib.import_module("kpis.migrations.0021_import_batch_ranges")


def test_the_migration_merges_consecutive_ids_of_one_batch_kind_and_state():
    rows = [
        (1, 7, True, 5),
        (1, 7, True, 6),
        (1, 7, True, 6),  # twice: still one run
        (1, 7, True, 7),
        (1, 7, True, 9),
        (1, 7, False, 10),
        (1, 8, False, 11),
        (2, 8, False, 12),
    ]

    assert list(runs_migration.runs_of(rows)) == [
        (1, 7, True, 5, 7),
        (1, 7, True, 9, 9),
        (1, 7, False, 10, 10),
        (1, 8, False, 11, 11),
        (2, 8, False, 12, 12),
    ]
    assert list(runs_migration.runs_of([])) == []


@pytest.mark.django_db(transaction=True)
def test_migration_0021_turns_existing_rows_into_runs_and_back():
    before = [("kpis", "0020_report_build")]
    after = [("kpis", "0021_import_batch_ranges")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    batches, rows = old.get_model("kpis", "ImportBatch"), old.get_model("kpis", "ImportBatchRow")
    kinds = old.get_model("contenttypes", "ContentType").objects
    post = kinds.get_or_create(app_label="kpis", model="channelpost")[0].pk
    channel = kinds.get_or_create(app_label="kpis", model="channel")[0].pk
    first, second = (
        batches.objects.create(
            model_label="kpis.channelpost", file_name=name, checksum=name * 64, same_file_again=True
        ).pk
        for name in "ab"
    )
    listed = {
        (first, post, True, 5),
        (first, post, True, 6),
        (first, post, True, 7),
        (first, post, True, 9),
        (first, post, False, 8),
        (first, channel, True, 8),
        (second, post, True, 10),
    }
    rows.objects.bulk_create(
        rows(batch_id=batch, content_type_id=kind, created=new, object_id=pk)
        for batch, kind, new, pk in listed
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    ranges = executor.loader.project_state(after).apps.get_model("kpis", "ImportBatchRange")
    assert set(
        ranges.objects.values_list("batch", "content_type", "created", "first_id", "last_id")
    ) == {
        (first, post, True, 5, 7),
        (first, post, True, 9, 9),
        (first, post, False, 8, 8),
        (first, channel, True, 8, 8),
        (second, post, True, 10, 10),
    }

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert set(rows.objects.values_list("batch", "content_type", "created", "object_id")) == listed

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
