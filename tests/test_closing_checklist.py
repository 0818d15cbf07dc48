"""Closing a year shows the checklist's warnings; the coordinator acknowledges them first,
and what was acknowledged is kept with the closing."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from kpis.core.roles import COORDINATOR
from kpis.models import ClosedYear
from kpis.reporting import checklist
from tests.factories import make_knowledge_circle, make_subsidy, make_training
from tests.test_checklist import complete_year

pytestmark = pytest.mark.django_db

CLOSE = reverse("admin:kpis_closedyear_close")


@pytest.fixture
def coordinator_user(make_role_user):
    return make_role_user(COORDINATOR)


@pytest.fixture
def coordinator_client(client, coordinator_user):
    client.force_login(coordinator_user)
    return client


@pytest.fixture
def year_with_gaps():
    """2021 with two warnings: a kenniskring that never met, a subsidy without outcome."""
    complete_year()
    make_training(held_on=datetime.date(2021, 5, 1))
    make_knowledge_circle(name="Leesbevordering", started_on=datetime.date(2021, 2, 1))
    make_subsidy(applied_on=datetime.date(2021, 3, 1))
    return checklist.year_checklist(2021)


def test_the_confirmation_lists_the_warnings_with_their_records(coordinator_client, year_with_gaps):
    page = coordinator_client.get(CLOSE, {"year": 2021})

    text = page.content.decode()
    assert "Controleer eerst: 2 waarschuwingen voor 2021" in text
    assert "1 kenniskring zonder bijeenkomsten in 2021" in text
    assert "1 subsidieaanvraag tot en met 2021 zonder uitkomst" in text
    assert 'href="/admin/kpis/knowledgecircle/?no_meetings_in=2021"' in text
    assert "Ik heb deze waarschuwingen gezien en wil 2021 toch afsluiten." in text
    assert 'name="acknowledge"' in text
    assert not ClosedYear.objects.exists()


def test_closing_without_acknowledging_the_warnings_is_refused(coordinator_client, year_with_gaps):
    seen = checklist.fingerprint(year_with_gaps)

    response = coordinator_client.post(CLOSE, {"year": "2021", "warnings": seen})

    assert response.status_code == 200
    text = response.content.decode()
    assert "Het jaar is niet afgesloten: vink aan dat u de waarschuwingen hieronder" in text
    assert "1 kenniskring zonder bijeenkomsten in 2021" in text  # shown again
    assert ClosedYear.objects.count() == 0
    assert not LogEntry.objects.exists()


def test_warnings_that_changed_after_the_page_was_shown_must_be_seen_again(
    coordinator_client, year_with_gaps
):
    seen = checklist.fingerprint(year_with_gaps)
    make_knowledge_circle(name="Digitale inclusie", started_on=datetime.date(2021, 4, 1))

    response = coordinator_client.post(
        CLOSE, {"year": "2021", "acknowledge": "on", "warnings": seen}
    )

    text = response.content.decode()
    assert "de waarschuwingen zijn veranderd sinds u de pagina opende" in text
    assert "2 kenniskringen zonder bijeenkomsten in 2021" in text
    assert ClosedYear.objects.count() == 0


def test_acknowledged_warnings_are_kept_with_the_closing(
    coordinator_client, coordinator_user, year_with_gaps
):
    seen = checklist.fingerprint(year_with_gaps)

    response = coordinator_client.post(
        CLOSE, {"year": "2021", "acknowledge": "on", "warnings": seen}, follow=True
    )

    assert "Jaar 2021 afgesloten" in response.content.decode()
    closed = ClosedYear.objects.get()
    assert closed.closed_by == coordinator_user
    assert [w["key"] for w in closed.acknowledged_warnings] == [
        "subsidies.without_outcome",
        "kenniskringen.without_meetings",
    ]
    assert closed.acknowledged_warnings[1]["message"] == (
        "1 kenniskring zonder bijeenkomsten in 2021"
    )
    log = LogEntry.objects.get(object_id=str(closed.pk)).change_message
    assert "Gezien: " in log and "1 kenniskring zonder bijeenkomsten in 2021" in log
    detail = coordinator_client.get(reverse("admin:kpis_closedyear_change", args=[closed.pk]))
    assert "<li>1 kenniskring zonder bijeenkomsten in 2021</li>" in detail.content.decode()


def test_a_year_without_warnings_closes_without_a_tick(coordinator_client):
    complete_year()
    make_training(held_on=datetime.date(2021, 5, 1))
    page = coordinator_client.get(CLOSE, {"year": 2021}).content.decode()
    assert "De afsluitlijst is leeg" in page
    assert 'name="acknowledge"' not in page

    coordinator_client.post(CLOSE, {"year": "2021"})

    assert ClosedYear.objects.get().acknowledged_warnings == []
