"""The checklist: what is missing in a year, as the closing page, the digest and the start
page show it. Every item links to exactly its records; its cost does not grow with the
data."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from kpis.core.roles import ADVISER, COORDINATOR
from kpis.models import TransportReservation
from kpis.reporting import checklist
from projects.models import ProjectApplication
from subsidies.models import Subsidy
from tests.factories import (
    make_channel,
    make_channel_statistic,
    make_information_point,
    make_knowledge_circle,
    make_knowledge_circle_meeting,
    make_organisation,
    make_project_application,
    make_subsidy,
    make_target,
    make_training,
    make_transport,
)

pytestmark = pytest.mark.django_db

AFTER_2021 = datetime.date(2022, 3, 1)


def complete_year(year=2021, months=range(1, 13)):
    """Website statistics and transport for every month: nothing missing there."""
    website = make_channel(slug="website", name="Website")
    fmb, dnb = make_organisation(), make_organisation()
    for month in months:
        start = datetime.date(year, month, 1)
        end = (start + datetime.timedelta(days=31)).replace(day=1) - datetime.timedelta(days=1)
        make_channel_statistic(channel=website, period_start=start, period_end=end)
        make_transport(
            origin=fmb, destination=dnb, delivered_on=start, period="month", quantity=100
        )
    return website


def keys(items):
    return [item.key for item in items]


def item(items, key):
    return next(i for i in items if i.key == key)


@pytest.fixture
def coordinator_client(client, make_role_user):
    client.force_login(make_role_user(COORDINATOR))
    return client


def listed(client, url) -> int:
    """The number of records the admin list behind ``url`` shows."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def test_a_complete_year_has_nothing_to_warn_about():
    complete_year()
    make_training(held_on=datetime.date(2021, 5, 1))

    assert checklist.year_checklist(2021, today=AFTER_2021) == []


def test_records_dated_after_today_are_listed_per_type(coordinator_client):
    complete_year(months=range(1, 7))
    today = datetime.date(2021, 7, 10)
    make_training(held_on=datetime.date(2021, 7, 10))  # today: not in the future
    make_training(held_on=datetime.date(2021, 8, 1))
    make_training(held_on=datetime.date(2021, 12, 31))
    make_training(held_on=datetime.date(2022, 1, 5))  # another year's record

    items = checklist.year_checklist(2021, today=today)

    future = item(items, "future.kpis.training")
    assert future.count == 2
    assert future.message == "2 trainingen met een datum na vandaag (10-07-2021)"
    assert listed(coordinator_client, future.url) == 2
    # Not a word about types without future records.
    assert "future.kpis.publication" not in keys(items)


def test_a_past_year_has_no_future_records():
    complete_year()
    make_training(held_on=datetime.date(2021, 12, 31))

    assert not [k for k in keys(checklist.year_checklist(2021, today=AFTER_2021)) if "future" in k]


def test_applications_without_outcome(coordinator_client):
    complete_year()
    make_subsidy(applied_on=datetime.date(2021, 3, 1))  # still "aangevraagd"
    make_subsidy(applied_on=datetime.date(2020, 11, 1))  # older, could still be awarded in 2021
    make_subsidy(applied_on=datetime.date(2022, 1, 10))  # after the year: not its concern
    make_subsidy(
        applied_on=datetime.date(2021, 3, 1),
        status=Subsidy.Status.AWARDED,
        awarded_on=datetime.date(2021, 6, 1),
    )
    make_project_application(submitted_on=datetime.date(2021, 4, 1))
    make_project_application(
        submitted_on=datetime.date(2021, 4, 1), outcome=ProjectApplication.Outcome.AWARDED
    )

    items = checklist.year_checklist(2021, today=AFTER_2021)

    subsidies = item(items, "subsidies.without_outcome")
    assert subsidies.count == 2
    assert "2 subsidieaanvragen tot en met 2021 zonder uitkomst" in subsidies.message
    assert listed(coordinator_client, subsidies.url) == 2
    applications = item(items, "projects.applications_without_outcome")
    assert applications.count == 1
    assert applications.message.startswith("1 projectaanvraag uit 2021 zonder uitkomst")
    assert listed(coordinator_client, applications.url) == 1


def test_two_information_points_open_at_one_location_at_the_same_time(coordinator_client):
    complete_year()
    d = datetime.date
    # Twice "Urk" (typed differently), open together from 1 March 2021.
    make_information_point(location="Urk", opened_on=d(2020, 1, 1))
    make_information_point(location="urk ", opened_on=d(2021, 3, 1))
    # One follows the other on the day it closes: never open together.
    make_information_point(location="Dronten", opened_on=d(2020, 1, 1), closed_on=d(2021, 2, 1))
    make_information_point(location="Dronten", opened_on=d(2021, 2, 1))
    # Together, but in 2019 only.
    make_information_point(location="Lelystad", opened_on=d(2019, 1, 1), closed_on=d(2019, 12, 1))
    make_information_point(location="Lelystad", opened_on=d(2019, 6, 1), closed_on=d(2020, 1, 1))

    items = checklist.year_checklist(2021, today=AFTER_2021)

    points = item(items, "ido.same_location")
    assert points.count == 2
    assert points.message == (
        "2 informatiepunten waren in 2021 tegelijk open met een ander op dezelfde locatie"
    )
    assert listed(coordinator_client, points.url) == 2


def test_kenniskringen_without_meetings_count_for_nothing(coordinator_client):
    complete_year()
    d = datetime.date
    met = make_knowledge_circle(started_on=d(2020, 1, 1))
    make_knowledge_circle_meeting(circle=met, held_on=d(2021, 5, 1))
    silent = make_knowledge_circle(started_on=d(2020, 1, 1))
    make_knowledge_circle_meeting(circle=silent, held_on=d(2020, 5, 1))  # last year only
    make_knowledge_circle(started_on=d(2021, 9, 1))  # new, never met
    make_knowledge_circle(started_on=d(2019, 1, 1), ended_on=d(2020, 6, 1))  # gone before 2021
    make_knowledge_circle(started_on=d(2022, 2, 1))  # not yet begun

    circles = item(
        checklist.year_checklist(2021, today=AFTER_2021), "kenniskringen.without_meetings"
    )

    assert circles.count == 2
    assert circles.message == "2 kenniskringen zonder bijeenkomsten in 2021"
    assert listed(coordinator_client, circles.url) == 2


def test_months_without_website_statistics_or_transport():
    website = complete_year(months=[1, 2, 5, 6, 7, 8, 9, 10, 11, 12])
    # One statistic covering March and April together counts for both months.
    make_channel_statistic(
        channel=website,
        period_start=datetime.date(2021, 3, 1),
        period_end=datetime.date(2021, 4, 30),
    )
    # Another channel's statistics are no website statistics.
    make_channel_statistic(period_start=datetime.date(2021, 3, 1))

    items = checklist.year_checklist(2021, today=AFTER_2021)

    assert "website.months_missing" not in keys(items)
    transport = item(items, "transport.months_missing")
    assert transport.count == 2
    assert transport.message == "Geen transportrijen voor 2 maanden van 2021: maart, april"
    assert transport.url == reverse("admin:kpis_transportreservation_changelist") + "?year=2021"


def test_a_year_in_progress_is_checked_up_to_the_last_month_that_is_over():
    complete_year(months=[1, 2])
    today = datetime.date(2021, 4, 20)

    items = checklist.year_checklist(2021, today=today)

    website = item(items, "website.months_missing")
    assert website.count == 1  # March; April is not over yet
    assert website.message == "Geen websitestatistieken voor 1 maand van 2021: maart"
    assert "website.months_missing" not in keys(
        checklist.year_checklist(2021, today=today.replace(month=3))
    )


def test_figures_far_from_target():
    complete_year()
    for day in range(1, 4):
        make_training(held_on=datetime.date(2021, 5, day))
    make_target(key="knowledge.trainings", year=2021, value=Decimal("20"))
    make_target(key="digital_inclusion.ido_points", year=2021, value=Decimal("4"))
    for _ in range(3):  # 3 of 4: 75%, not far
        make_information_point(opened_on=datetime.date(2021, 2, 1))

    far = item(checklist.year_checklist(2021, today=AFTER_2021), "targets.far_below")

    assert far.count == 1
    assert far.severity == checklist.INFO
    assert "trainingen: 3 van 20 (15%)" in far.message
    assert "Informatiepunten" not in far.message
    assert far.url == reverse("kpis:dashboard", args=[2021])


def test_a_year_in_progress_is_measured_against_the_targets_pace():
    # On 2 July 2021 half the year is over: 10 of a target of 20 would be on schedule.
    make_target(key="knowledge.trainings", year=2021, value=Decimal("20"))
    today = datetime.date(2021, 7, 2)
    for day in range(1, 9):  # 8 of the 10 expected: 80%, on schedule enough
        make_training(held_on=datetime.date(2021, 6, day))

    progress = {p.value.key: p for p in checklist.target_progress(2021, today=today)}

    trainings = progress["knowledge.trainings"]
    assert trainings.in_progress
    # Paced up to the last day with data (8 June), as the dashboard does.
    assert Decimal("8") < trainings.expected < Decimal("10")
    assert not trainings.far
    assert "targets.far_below" not in keys(checklist.year_checklist(2021, today=today))


def test_the_checklist_costs_the_same_few_queries_whatever_the_data(django_assert_num_queries):
    complete_year(months=[1, 2, 3])
    make_knowledge_circle(started_on=datetime.date(2021, 1, 1))
    make_target(key="knowledge.trainings", year=2021, value=Decimal("20"))
    today = datetime.date(2021, 7, 10)
    checklist.year_checklist(2021, today=today)  # the figures are now cached

    with django_assert_num_queries(4):
        # the counts (UNION), website months, transport months, the data version
        small = checklist.year_checklist(2021, today=today)

    for n in range(30):
        make_training(held_on=datetime.date(2021, 8, 1 + n % 28))
        make_subsidy(applied_on=datetime.date(2021, 3, 1))
        make_knowledge_circle(started_on=datetime.date(2021, 1, 1))
        make_information_point(location="Almere", opened_on=datetime.date(2021, 1, 1))
        make_transport(delivered_on=datetime.date(2021, 4, 1 + n % 28))
    checklist.year_checklist(2021, today=today)

    with django_assert_num_queries(4):
        large = checklist.year_checklist(2021, today=today)
    assert len(large) > len(small)


def test_the_short_list_for_an_adviser(make_role_user):
    adviser = make_role_user(ADVISER)
    other = make_role_user(ADVISER, username="collega")
    complete_year(months=[1, 2, 3, 4, 5])
    today = datetime.date(2021, 7, 10)  # June has no website statistics
    make_knowledge_circle(started_on=datetime.date(2021, 1, 1))
    make_subsidy(adviser=adviser)
    make_subsidy(adviser=other)
    make_project_application(adviser=adviser)

    items = checklist.missing_for_adviser(adviser, today=today)

    assert keys(items) == [
        "website.last_month_missing",
        "kenniskringen.without_meetings",
        "subsidies.own_without_outcome",
        "projects.own_applications_without_outcome",
    ]
    assert items[0].message == "Geen websitestatistieken voor juni 2021"
    assert item(items, "subsidies.own_without_outcome").count == 1
    # July's statistics are not due yet; June's are there: nothing about the website.
    assert "website.last_month_missing" not in keys(
        checklist.missing_for_adviser(adviser, today=datetime.date(2021, 6, 10))
    )


def test_the_short_list_costs_two_queries(make_role_user, django_assert_num_queries):
    adviser = make_role_user(ADVISER)
    for _ in range(5):
        make_subsidy(adviser=adviser)
        make_knowledge_circle()

    with django_assert_num_queries(2):
        checklist.missing_for_adviser(adviser, today=datetime.date(2021, 7, 10))


def test_an_item_can_be_kept_as_it_was_seen():
    make_knowledge_circle(started_on=datetime.date(2021, 1, 1))
    items = checklist.year_checklist(2021, today=AFTER_2021)

    first = items[0].as_dict()
    assert set(first) == {"key", "message", "count", "severity"}
    assert checklist.fingerprint(items) == checklist.fingerprint(
        checklist.year_checklist(2021, today=AFTER_2021)
    )
    make_knowledge_circle(started_on=datetime.date(2021, 1, 1))
    assert checklist.fingerprint(items) != checklist.fingerprint(
        checklist.year_checklist(2021, today=AFTER_2021)
    )


def test_transport_rows_counted_by_delivery_month():
    complete_year(months=[])
    make_transport(delivered_on=datetime.date(2021, 2, 14))
    assert TransportReservation.objects.count() == 1

    transport = item(checklist.year_checklist(2021, today=AFTER_2021), "transport.months_missing")

    assert transport.count == 11
