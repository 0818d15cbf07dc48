"""Bijeenkomsten (kpis.Event), the registration type added by the README's recipe: an
adviser registers one in the admin, it counts in the year's figures, a bad spreadsheet
row is refused with its row number, a closed year refuses it, the provincie only looks."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpis.models import Event
from kpis.reporting import aggregation, closing
from tests.factories import make_event, make_organisation, make_theme

pytestmark = pytest.mark.django_db

ADD = reverse("admin:kpis_event_add")
IMPORT = reverse("admin:kpis_event_import")


def figures_of(year: int) -> dict:
    return {value.key: value.value for value in aggregation.year_report(year).figures}


@pytest.fixture
def adviser_client(client, adviser):
    client.force_login(adviser)
    return client


def event_form(**fields) -> dict:
    return {
        "title": "Netwerkbijeenkomst Leesbevordering",
        "kind": Event.Kind.NETWORK,
        "held_on": "24-06-2021",
        "participants": "38",
        "notes": "",
        **fields,
    }


def test_an_adviser_registers_a_bijeenkomst_and_it_counts_in_its_year(adviser_client, adviser):
    response = adviser_client.post(ADD, event_form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get()
    assert (event.adviser, event.participants) == (adviser, 38)
    figures = figures_of(2021)
    assert figures["knowledge.events"] == 1
    assert figures["knowledge.event_participants"] == 38
    assert figures_of(2022)["knowledge.events"] == 0


def test_the_figures_count_every_bijeenkomst_of_the_year_and_its_participants():
    make_event(held_on=datetime.date(2021, 1, 1), participants=10)
    make_event(held_on=datetime.date(2021, 12, 31), participants=5, online=True)
    make_event(held_on=datetime.date(2022, 1, 1), participants=99)

    figures = figures_of(2021)

    assert (figures["knowledge.events"], figures["knowledge.event_participants"]) == (2, 15)


def test_the_form_says_in_dutch_what_is_wrong_and_saves_nothing(adviser_client):
    make_event(title="Netwerkbijeenkomst Leesbevordering", held_on=datetime.date(2021, 6, 24))

    response = adviser_client.post(ADD, event_form(participants="-3"))

    errors = response.context["adminform"].form.errors
    assert "participants" in errors
    assert Event.objects.count() == 1
    again = adviser_client.post(ADD, event_form())
    assert "Er staat al een bijeenkomst met deze titel op deze datum." in str(
        again.context["adminform"].form.errors
    )
    assert Event.objects.count() == 1


def test_a_file_with_a_bad_row_is_refused_with_its_row_number_and_nothing_is_saved(
    adviser_client,
):
    make_organisation(code="fmb")
    make_theme(slug="geletterdheid")
    content = (
        b"titel,soort,datum,online,deelnemers,organisaties,adviseur,opgaven,notities\n"
        b"Inspiratiesessie Voorlezen,inspiration,2021-03-04,ja,20,fmb,,geletterdheid,\n"
        b"Werkbezoek Taalhuis,bezoek,2021-04-01,nee,8,fmb,,,\n"
        b"Symposium Lezen,conference,2021-05-01,nee,-4,fmb,,,\n"
    )
    upload = SimpleUploadedFile("bijeenkomsten.csv", content, content_type="text/csv")

    response = adviser_client.post(IMPORT, {"format": "0", "import_file": upload})

    assert response.context.get("confirm_form") is None
    lines = response.context["error_lines"]
    assert len(lines) == 2
    assert lines[0].startswith("Rij 3, kolom 'soort':")
    assert lines[1].startswith("Rij 4, kolom 'deelnemers':")
    assert not Event.objects.exists()


def test_a_good_file_imports_with_its_organisations_and_themes(adviser_client):
    make_organisation(code="fmb")
    make_theme(slug="geletterdheid")
    content = (
        b"titel,soort,datum,online,deelnemers,organisaties,adviseur,opgaven,notities\n"
        b"Inspiratiesessie Voorlezen,inspiration,2021-03-04,ja,20,fmb,,geletterdheid,\n"
    )
    upload = SimpleUploadedFile("bijeenkomsten.csv", content, content_type="text/csv")
    checked = adviser_client.post(IMPORT, {"format": "0", "import_file": upload})
    confirm = checked.context["confirm_form"]

    adviser_client.post(
        reverse("admin:kpis_event_process_import"), {**confirm.initial, "confirm": "1"}
    )

    event = Event.objects.get()
    assert (event.kind, event.online, event.participants) == (Event.Kind.INSPIRATION, True, 20)
    assert [o.code for o in event.organisations.all()] == ["fmb"]
    assert [t.slug for t in event.themes.all()] == ["geletterdheid"]


def test_a_closed_year_refuses_a_new_bijeenkomst(adviser_client, coordinator):
    closing.close_year(2021, coordinator)

    response = adviser_client.post(ADD, event_form())

    assert "Het jaar 2021 is afgesloten" in str(response.context["adminform"].form.errors)
    assert not Event.objects.exists()


def test_the_provincie_sees_the_list_but_cannot_add(client, provincie):
    make_event(title="Netwerkbijeenkomst Digitale inclusie")
    client.force_login(provincie)

    page = client.get(reverse("admin:kpis_event_changelist"))

    assert page.status_code == 200
    assert "Netwerkbijeenkomst Digitale inclusie" in page.content.decode()
    assert client.get(ADD).status_code == 403
