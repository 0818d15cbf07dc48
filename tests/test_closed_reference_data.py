"""Reference data that figures read through cannot recount a closed year.

A library's province decides the transport figures, its joining date the new network
organisations, a channel's flags its figures: none of them has a report date of its
own, so a change is refused (and undone) exactly when it would change a published
figure, and allowed otherwise.
"""

import datetime

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.models import Channel, ClosedYearError, Organisation, Province
from kpis.reporting import aggregation, closing
from tests.factories import (
    make_channel,
    make_channel_post,
    make_organisation,
    make_transport,
)
from tests.test_import_export import check

pytestmark = pytest.mark.django_db

YEAR = 2021
DAY = datetime.date(YEAR, 5, 1)
REFUSED = "Deze wijziging verandert een vastgesteld cijfer van 2021"


def within() -> int:
    return aggregation.history().for_year(YEAR)["transport.within_province"].value


@pytest.fixture
def library(coordinator):
    """A Flevoland library with 7 reservations within the province in 2021, closed."""
    library = make_organisation(name="Bibliotheek Almere-Poort")
    make_transport(origin=library, quantity=7, delivered_on=DAY)
    closing.close_year(YEAR, coordinator)
    return library


def test_moving_a_library_with_closed_transport_to_another_province_is_refused(library):
    library.province = Province.UTRECHT

    with pytest.raises(ClosedYearError) as refused:
        library.save()

    message = refused.value.messages[0]
    assert message.startswith(REFUSED)
    assert "geleverde reserveringen binnen Flevoland gaat van 7 naar 0" in message
    assert "heropenen" in message
    assert Organisation.objects.get(pk=library.pk).province == Province.FLEVOLAND
    assert within() == 7


def test_a_change_that_leaves_the_published_figures_alone_is_kept(library):
    library.name = "Bibliotheek Almere Poort"
    library.notes = "Nieuwe naam sinds de verbouwing."
    library.save()

    assert Organisation.objects.get(pk=library.pk).name == "Bibliotheek Almere Poort"


def test_after_reopening_the_year_the_move_is_allowed(library, coordinator):
    closing.reopen_year(YEAR, coordinator, "Bibliotheek ligt sinds 2021 in Utrecht")
    library.province = Province.UTRECHT
    library.save()

    assert within() == 0


def test_bulk_writes_are_refused_too(library):
    with pytest.raises(ClosedYearError):
        Organisation.objects.filter(pk=library.pk).update(province=Province.UTRECHT)
    joined = Organisation(
        name="Nieuw lid", code="nieuw-lid", province="flevoland", joined_network_on=DAY
    )
    with pytest.raises(ClosedYearError):
        Organisation.objects.bulk_create([joined])

    assert not Organisation.objects.filter(code="nieuw-lid").exists()
    assert Organisation.objects.get(pk=library.pk).province == Province.FLEVOLAND
    # a member joining in an open year is fine
    Organisation.objects.create(
        name="Lid 2022", code="lid-2022", province="flevoland", joined_network_on=DAY.replace(2022)
    )


def test_turning_off_a_channels_posts_is_refused_when_it_had_posts_in_a_closed_year(
    coordinator,
):
    channel = make_channel(slug="linkedin", report_posts=True)
    make_channel_post(channel=channel, published_on=DAY)
    closing.close_year(YEAR, coordinator)

    channel.report_posts = False
    with pytest.raises(ClosedYearError):
        channel.save()

    assert Channel.objects.get(pk=channel.pk).report_posts


def test_without_closed_years_a_write_costs_one_extra_query(django_assert_num_queries):
    library = make_organisation()
    library.province = Province.UTRECHT
    with CaptureQueriesContext(connection) as unguarded:
        models.Model.save(library)  # the save itself, with its audit entry
    library.province = Province.GELDERLAND
    with django_assert_num_queries(len(unguarded) + 1):  # + is any year closed?
        library.save()


def test_the_admin_form_shows_the_refusal_and_saves_nothing(library, coordinator_client):
    url = reverse("admin:kpis_organisation_change", args=[library.pk])
    form = {
        "name": library.name,
        "code": library.code,
        "kind": library.kind,
        "province": Province.UTRECHT,
        "joined_network_on": "",
        "notes": "",
    }

    response = coordinator_client.post(url, form)

    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    assert Organisation.objects.get(pk=library.pk).province == Province.FLEVOLAND


def test_the_admin_refuses_a_deletion_that_recounts_a_closed_year(coordinator_client, coordinator):
    member = make_organisation(name="Lid sinds 2021", joined_network_on=DAY)
    closing.close_year(YEAR, coordinator)
    url = reverse("admin:kpis_organisation_delete", args=[member.pk])

    page = coordinator_client.get(url)
    # Its joining date counts it in 2021: the year policy refuses it by that date.
    assert "Het jaar 2021 is afgesloten" in page.content.decode()
    coordinator_client.post(url, {"post": "yes"})

    assert Organisation.objects.filter(pk=member.pk).exists()


def test_the_admin_still_reports_duplicates_as_form_errors(library, coordinator_client):
    other = make_organisation()
    url = reverse("admin:kpis_organisation_change", args=[other.pk])
    form = {
        "name": library.name,  # taken
        "code": other.code,
        "kind": other.kind,
        "province": other.province,
        "joined_network_on": "",
        "notes": "",
    }

    response = coordinator_client.post(url, form)

    assert response.status_code == 200
    assert "Naam: deze waarde is al in gebruik." in response.content.decode()


def test_an_import_that_would_recount_a_closed_year_is_refused_with_its_row(
    library, coordinator_client
):
    content = (
        "code,name,kind,province,joined_network_on,notes\r\n"
        f"{library.code},{library.name},library,flevoland,,\r\n"
        f"{library.code}-2,Tweede vestiging,library,flevoland,,\r\n"
        f"{library.code},{library.name},library,utrecht,,\r\n"
    ).encode()

    preview = check(coordinator_client, Organisation, content, "csv")

    assert preview.context.get("confirm_form") is None
    errors = preview.context["error_lines"]
    assert len(errors) == 1 and errors[0].startswith(f"Rij 4: {REFUSED}")
    assert not Organisation.objects.filter(code=f"{library.code}-2").exists()
    assert Organisation.objects.get(pk=library.pk).province == Province.FLEVOLAND
