"""Year closing: published figures stay reproducible."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from kpis.models import Channel, ChannelPost, ClosedYear, ClosedYearError, YearReopening
from kpis.reporting import aggregation, closing
from tests.factories import make_channel, make_channel_post, make_knowledge_circle_meeting

pytestmark = pytest.mark.django_db

IN_2021 = datetime.date(2021, 5, 1)
IN_2022 = datetime.date(2022, 5, 1)


@pytest.fixture
def channel():
    return make_channel(slug="flip", name="Flip")


@pytest.fixture
def closed_2021(channel, coordinator):
    make_channel_post(channel=channel, title="Gepubliceerd", published_on=IN_2021)
    return closing.close_year(2021, coordinator)


def test_closing_stores_the_published_figures(closed_2021, coordinator):
    assert closed_2021.closed_by == coordinator
    rows = {row["key"]: row for row in closed_2021.snapshot}
    assert rows["communication.posts.flip"]["value"] == 1
    assert rows["subsidies.awarded_amount"]["value"] == 0
    assert closing.differences(closed_2021, aggregation.history().for_year(2021, live=True)) == []


def test_a_year_cannot_be_closed_twice(closed_2021, coordinator):
    with pytest.raises(ValidationError, match="al afgesloten"):
        closing.close_year(2021, coordinator)


def test_a_closed_year_refuses_new_records_through_plain_save(closed_2021, channel):
    with pytest.raises(ClosedYearError, match="2021 is afgesloten"):
        ChannelPost(channel=channel, title="Nieuw", published_on=IN_2021).save()
    ChannelPost(channel=channel, title="Volgend jaar", published_on=IN_2022).save()
    assert ChannelPost.objects.count() == 2


def test_a_closed_year_refuses_changes_and_deletions(closed_2021):
    post = ChannelPost.objects.get(title="Gepubliceerd")
    post.views = 1000
    with pytest.raises(ClosedYearError):
        post.save()
    with pytest.raises(ClosedYearError):
        post.delete()
    with pytest.raises(ClosedYearError):
        ChannelPost.objects.filter(pk=post.pk).update(views=5)
    with pytest.raises(ClosedYearError):
        ChannelPost.objects.filter(pk=post.pk).delete()
    with pytest.raises(ClosedYearError):
        ChannelPost.objects.bulk_update([post], ["views"])
    with pytest.raises(ClosedYearError):
        ChannelPost.objects.bulk_create(
            [ChannelPost(channel=post.channel, title="Bulk", published_on=IN_2021)]
        )
    post.refresh_from_db()
    assert post.views == 0 and ChannelPost.objects.count() == 1


def test_a_record_cannot_be_moved_into_or_out_of_a_closed_year(closed_2021, channel):
    post = ChannelPost.objects.get(title="Gepubliceerd")
    post.published_on = IN_2022  # out of 2021
    with pytest.raises(ClosedYearError):
        post.save()
    later = make_channel_post(channel=channel, published_on=IN_2022)
    later.published_on = IN_2021  # into 2021
    with pytest.raises(ClosedYearError):
        later.save()
    with pytest.raises(ClosedYearError):
        ChannelPost.objects.filter(pk=later.pk).update(published_on=IN_2021)


def test_model_validation_explains_the_lock_on_the_date_field(closed_2021, channel):
    post = ChannelPost(channel=channel, title="Nieuw", published_on=IN_2021)
    with pytest.raises(ValidationError) as error:
        post.full_clean()
    assert "is afgesloten" in error.value.message_dict["published_on"][0]


def test_deleting_a_kenniskring_does_not_take_meetings_from_a_closed_year(coordinator):
    meeting = make_knowledge_circle_meeting(held_on=IN_2021)
    meeting.circle.started_on = datetime.date(2022, 1, 1)
    closing.close_year(2021, coordinator)
    with pytest.raises(ClosedYearError):
        meeting.circle.delete()


def test_reopening_needs_a_reason_and_is_logged(closed_2021, coordinator, channel):
    with pytest.raises(ValidationError, match="reden"):
        closing.reopen_year(2021, coordinator, "   ")
    assert ClosedYear.objects.filter(year=2021).exists()
    reopening = closing.reopen_year(2021, coordinator, "Dubbele invoer gecorrigeerd")
    assert reopening.reason == "Dubbele invoer gecorrigeerd"
    assert reopening.reopened_by == coordinator
    assert reopening.snapshot == closed_2021.snapshot
    assert YearReopening.objects.count() == 1
    make_channel_post(channel=channel, published_on=IN_2021)  # open again


def test_the_dashboard_and_exports_show_the_closing_date(client, closed_2021):
    page = client.get("/2021/").content.decode()
    assert "2021 is afgesloten op" in page
    assert "wijken af" not in page
    data = client.get("/2021/figures.json").json()
    assert data["closed_on"] == closed_2021.closed_at.date().isoformat()
    assert data["differs_from_published"] == []
    response = client.get("/2021/figures.csv")
    assert response["X-BNF-Closed-On"] == closed_2021.closed_at.date().isoformat()
    assert "vastgesteld" in response["Content-Disposition"]
    assert "afgesloten op" in client.get("/2021/report/").content.decode()


def test_staff_see_the_drift_and_everyone_the_published_figures(coordinator_client, closed_2021):
    client = Client()  # anonymous, beside the coordinator's
    table = Channel._meta.db_table
    with connection.cursor() as cursor:  # reference data changed around the application
        cursor.execute(f"UPDATE {table} SET report_posts = %s", [False])

    page = coordinator_client.get("/2021/").content.decode()
    assert "wijken af van de vastgestelde cijfers" in page
    assert "communication.posts.flip" in page
    staff_json = coordinator_client.get("/2021/figures.json").json()
    assert staff_json["differs_from_published"] == ["communication.posts.flip"]

    public = client.get("/2021/").content.decode()
    assert "wijken af" not in public
    data = client.get("/2021/figures.json").json()
    assert data["differs_from_published"] == []
    values = {row["key"]: row["value"] for row in data["figures"]}
    assert values["communication.posts.flip"] == 1  # as published, not the live nothing
    assert "communication.posts.flip" in client.get("/2021/figures.csv").content.decode()
