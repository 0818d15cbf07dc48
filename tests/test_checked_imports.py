"""A confirmation writes what its preview checked (kpis.core.checked_imports), but only
while nothing the checks depend on has changed; otherwise it checks every row again.

What a user notices: the same records and audit entries either way, and a change made
between the preview and the confirmation (a renamed adviser, a post that now matches a
row, another day) is seen by the confirmation."""

import datetime

import pytest
from auditlog.models import LogEntry as AuditEntry
from django.core.cache import cache

from kpis.core import checked_imports, import_batches
from kpis.core.resources import BnfResource
from kpis.models import ChannelPost, ImportBatch
from tests.factories import make_channel, make_channel_post, make_theme
from tests.test_import_export import CSV, check, confirm, posts_file


@pytest.fixture
def rows_read(monkeypatch):
    """How many rows had their cells read (``import_instance``), per step."""
    calls = []
    original = BnfResource.import_instance

    def counting(self, instance, row, **kwargs):
        calls.append(self.dry_run)
        return original(self, instance, row, **kwargs)

    monkeypatch.setattr(BnfResource, "import_instance", counting)

    def count(*, preview: bool) -> int:
        return sum(1 for dry_run in calls if dry_run == preview)

    return count


@pytest.fixture
def website(db):
    make_theme(slug="geletterdheid", name="Geletterdheid")
    return make_channel(slug="website")


def stored_posts() -> list[tuple]:
    return sorted(
        (
            post.channel.slug,
            post.published_on,
            post.title,
            post.url,
            post.views,
            post.likes,
            post.adviser_id,
            post.notes,
            tuple(theme.slug for theme in post.themes.all()),
        )
        for post in ChannelPost.objects.select_related("channel").prefetch_related("themes")
    )


def audit_changes() -> list[dict]:
    entries = AuditEntry.objects.get_for_objects(ChannelPost.objects.all())
    return sorted(
        ({k: v for k, v in entry.changes_dict.items() if k != "id"} for entry in entries), key=repr
    )


def import_posts(client, content: bytes):
    response = confirm(client, ChannelPost, check(client, ChannelPost, content, CSV))
    assert response.status_code == 302, response.context and response.context["error_lines"]


def test_the_confirmation_writes_what_the_preview_checked_as_a_full_check_would(
    coordinator_client, coordinator, website, rows_read, monkeypatch
):
    content = posts_file(40, adviser=coordinator.username)

    import_posts(coordinator_client, content)
    assert (rows_read(preview=True), rows_read(preview=False)) == (40, 0)
    kept = (stored_posts(), audit_changes(), ImportBatch.objects.get().row_count)
    import_batches.undo_batch(ImportBatch.objects.get())
    AuditEntry.objects.filter(object_repr__startswith="Bericht").delete()

    monkeypatch.setattr(checked_imports, "applies", lambda dataset, user: False)
    import_posts(coordinator_client, content)
    assert (rows_read(preview=True), rows_read(preview=False)) == (80, 40)

    assert (stored_posts(), audit_changes(), ImportBatch.objects.get().row_count) == kept
    assert len(kept[0]) == 40 and ("geletterdheid",) in {post[-1] for post in kept[0]}


def test_a_post_stored_between_preview_and_confirmation_is_seen(
    coordinator_client, website, rows_read
):
    preview = check(coordinator_client, ChannelPost, posts_file(3), CSV)
    assert preview.context["totals"]["new"] == 3
    make_channel_post(
        channel=website, title="Bericht 2", published_on=datetime.date(2022, 3, 3), views=1
    )

    response = confirm(coordinator_client, ChannelPost, preview)

    assert response.status_code == 302
    assert rows_read(preview=False) == 3
    assert ChannelPost.objects.count() == 3  # the row updated the post instead of adding one
    assert ChannelPost.objects.get(title="Bericht 2").views == 14


def test_an_adviser_renamed_between_preview_and_confirmation_is_refused(
    coordinator_client, website, make_role_user, rows_read
):
    jan = make_role_user("Adviseur", "jan")
    preview = check(coordinator_client, ChannelPost, posts_file(4, adviser="jan"), CSV)
    assert preview.context.get("confirm_form") is not None
    jan.username = "jan.de.vries"
    jan.save()

    response = confirm(coordinator_client, ChannelPost, preview)

    assert response.status_code == 200
    assert rows_read(preview=False) == 4
    assert "Er is niets geïmporteerd." in response.content.decode()
    assert response.context["error_lines"][0].startswith("Rij 3, kolom 'adviseur'")
    assert not ChannelPost.objects.exists()


def test_another_user_confirming_the_preview_has_it_checked_again(
    client, coordinator, make_role_user, website, rows_read
):
    client.force_login(coordinator)
    preview = check(client, ChannelPost, posts_file(5), CSV)
    client.force_login(make_role_user("Coördinator"))

    response = confirm(client, ChannelPost, preview)

    assert response.status_code == 302
    assert rows_read(preview=False) == 5
    assert ChannelPost.objects.count() == 5


def test_a_confirmation_on_another_day_checks_again(
    coordinator_client, website, rows_read, monkeypatch
):
    preview = check(coordinator_client, ChannelPost, posts_file(5), CSV)
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    monkeypatch.setattr(checked_imports.timezone, "localdate", lambda: tomorrow)

    assert confirm(coordinator_client, ChannelPost, preview).status_code == 302
    assert rows_read(preview=False) == 5


def test_a_file_that_changes_a_record_is_checked_again(coordinator_client, website, rows_read):
    make_channel_post(channel=website, title="Bericht 1", published_on=datetime.date(2022, 3, 2))
    preview = check(coordinator_client, ChannelPost, posts_file(3), CSV)
    assert (preview.context["totals"]["new"], preview.context["totals"]["update"]) == (2, 1)

    assert confirm(coordinator_client, ChannelPost, preview).status_code == 302
    assert rows_read(preview=False) == 3
    assert ChannelPost.objects.count() == 3


def test_something_else_under_the_key_of_a_preview_is_not_used(
    coordinator_client, website, rows_read, monkeypatch
):
    preview = check(coordinator_client, ChannelPost, posts_file(3), CSV)

    class Spoilt:
        def get(self, key):
            return "no preview" if "checked-import" in key else cache.get(key)

        def __getattr__(self, name):
            return getattr(cache, name)

    monkeypatch.setattr(checked_imports, "cache", Spoilt())

    assert confirm(coordinator_client, ChannelPost, preview).status_code == 302
    assert rows_read(preview=False) == 3
    assert ChannelPost.objects.count() == 3


def test_a_newer_preview_replaces_the_kept_one(coordinator_client, website, rows_read):
    older = check(coordinator_client, ChannelPost, posts_file(3), CSV)
    check(coordinator_client, ChannelPost, posts_file(4, first=10), CSV)

    assert confirm(coordinator_client, ChannelPost, older).status_code == 302
    assert rows_read(preview=False) == 3  # the kept rows were the other file's
    assert sorted(ChannelPost.objects.values_list("title", flat=True)) == [
        "Bericht 1",
        "Bericht 2",
        "Bericht 3",
    ]
