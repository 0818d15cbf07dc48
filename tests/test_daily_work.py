"""The daily work in the admin: the start page, targets by name, totals under a list,
adding a funder from the subsidy form, and the Dutch of the admin's own messages."""

import re
from decimal import Decimal

import pytest
from auditlog.context import set_actor
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.admin.targets import figure_choices
from kpis.models import ChannelPost, KnowledgeCircle, Target
from subsidies.models import Funder
from tests.factories import (
    make_channel,
    make_channel_post,
    make_closed_year,
    make_funder,
    make_subsidy,
    make_target,
    make_training,
)

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's visible text, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def adviser_user(make_role_user):
    return make_role_user("Adviseur", first_name="Anna", last_name="de Vries")


@pytest.fixture
def coordinator_user(make_role_user):
    return make_role_user("Coördinator", first_name="Cor", last_name="Dinator")


def client_for(client, user):
    client.force_login(user)
    return client


# --- 1. the start page -----------------------------------------------------------------


def test_the_start_page_offers_every_registration_type_the_adviser_adds_most_first(
    client, adviser_user
):
    with set_actor(adviser_user):
        for _n in range(3):
            make_channel_post(adviser=adviser_user)
        make_training(adviser=adviser_user)

    page = client_for(client, adviser_user).get(reverse("admin:index"))

    assert page.status_code == 200
    types = page.context["registration_types"]
    names = [t.model for t in types]
    assert names[:2] == [ChannelPost, type(make_training())]
    assert types[0].used == 3
    assert types[0].add_url == reverse("admin:kpis_channelpost_add")
    shown = text(page)
    assert "Registreren" in shown
    assert "3 keer door u, afgelopen jaar" in shown


def test_the_start_page_lists_my_latest_registrations_only(client, adviser_user, make_role_user):
    colleague = make_role_user("Adviseur", username="collega")
    with set_actor(adviser_user):
        mine = make_channel_post(title="Mijn bericht", adviser=adviser_user)
    with set_actor(colleague):
        make_channel_post(title="Bericht van een collega", adviser=colleague)

    page = client_for(client, adviser_user).get(reverse("admin:index"))

    latest = page.context["latest"]
    assert [entry["what"] for entry in latest] == [str(mine)]
    assert latest[0]["url"] == reverse("admin:kpis_channelpost_change", args=[mine.pk])
    assert "Bericht van een collega" not in text(page)


def test_the_models_are_grouped_registrations_first_and_control_last(client, coordinator_user):
    page = client_for(client, coordinator_user).get(reverse("admin:index"))

    groups = [str(app["name"]) for app in page.context["app_list"]]
    assert groups == ["Registreren", "Beheer", "Controle"]
    by_group = {str(app["name"]): app["models"] for app in page.context["app_list"]}
    assert all(
        m["model"]._meta.app_label in {"kpis", "projects", "subsidies"}
        for m in by_group["Registreren"]
    )
    beheer = {m["object_name"] for m in by_group["Beheer"]}
    assert {"Organisation", "Funder", "Fund", "Target", "User"} <= beheer
    control = [str(m["name"]) for m in by_group["Controle"]]
    assert any(name.startswith("Audittrail") for name in control)
    assert any(name.startswith("Inlogbeveiliging") for name in control)


def test_a_coordinator_also_sees_the_year_against_its_targets_and_the_links(
    client, coordinator_user
):
    import datetime

    year = datetime.date.today().year
    make_target(key="communication.posts.nieuwsbrief", year=year, value=Decimal("40"))
    make_channel(name="Nieuwsbrief", slug="nieuwsbrief")

    page = client_for(client, coordinator_user).get(reverse("admin:index"))

    shown = text(page)
    assert f"{year} tegen de streefwaarden" in shown
    assert "Berichten op Nieuwsbrief" in shown
    assert reverse("kpis:dashboard", args=[year]) in page.content.decode()
    assert reverse("kpis:report", args=[year]) in page.content.decode()
    assert "Open punten voor het afsluiten" in shown


def test_an_adviser_does_not_see_the_coordinators_part(client, adviser_user):
    page = client_for(client, adviser_user).get(reverse("admin:index"))

    assert "tegen de streefwaarden" not in text(page)
    assert "Wat ontbreekt" in text(page)


def test_people_are_shown_by_their_full_name(client, coordinator_user, adviser_user):
    make_channel_post(adviser=adviser_user)

    page = client_for(client, coordinator_user).get(reverse("admin:kpis_channelpost_changelist"))

    assert "Anna de Vries" in text(page)
    assert str(adviser_user) == "Anna de Vries"


# --- 2. targets by name; years and counts as people write them --------------------------


def test_a_target_is_chosen_by_name_grouped_by_section_channels_included():
    make_channel(name="Nieuwsbrief", slug="nieuwsbrief")

    groups = dict(figure_choices()[1:])

    assert "Subsidies" in groups
    assert "Communicatie (intern)" in groups
    labels = dict(groups["Communicatie (intern)"])
    assert labels["communication.posts.nieuwsbrief"] == "Berichten op Nieuwsbrief"
    assert all("." not in label for label in labels.values())  # names, not keys


def test_the_target_form_offers_the_figures_not_a_text_box(client, coordinator_user):
    page = client_for(client, coordinator_user).get(reverse("admin:kpis_target_add"))

    html = page.content.decode()
    assert '<select name="key"' in html
    assert '<optgroup label="Subsidies">' in html


def test_the_target_list_shows_years_without_a_dot_and_counts_without_decimals(
    client, coordinator_user
):
    make_target(key="knowledge.trainings", year=2022, value=Decimal("50"))
    make_target(key="subsidies.awarded_amount", year=2022, value=Decimal("250000"))
    make_closed_year(year=2021)

    shown = text(client_for(client, coordinator_user).get(reverse("admin:kpis_target_changelist")))

    assert " 2022 " in shown and "2.022" not in shown
    assert " 50 " in shown and "50,00" not in shown
    assert "€ 250.000" in shown
    closed = client.get(reverse("admin:kpis_closedyear_changelist"))
    assert " 2021 " in text(closed) and "2.021" not in text(closed)


# --- 3. totals under a registration list --------------------------------------------------


def test_a_registration_list_ends_with_the_count_and_sums_of_the_filtered_rows(
    client, coordinator_user
):
    channel = make_channel()
    for views in (1200, 300, 5):
        make_channel_post(channel=channel, views=views, likes=2)
    make_channel_post(views=1_000_000, likes=1000)  # another channel: filtered out
    url = reverse("admin:kpis_channelpost_changelist")
    client_for(client, coordinator_user)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(url, {"channel__slug__exact": channel.slug})

    assert page.status_code == 200
    foot = page.content.decode().split("<tfoot>")[1].split("</tfoot>")[0]
    foot_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", foot))
    assert "Totaal (3 rijen)" in foot_text
    assert "1.505" in foot_text  # views
    assert " 6 " in foot_text  # likes
    sums = [q["sql"] for q in queries.captured_queries if "SUM(" in q["sql"].upper()]
    assert len(sums) == 1  # count and both sums in one query


def test_amounts_are_summed_in_euros(client, coordinator_user):
    make_subsidy(amount=Decimal("12500.50"))
    make_subsidy(amount=Decimal("1000"))

    page = client_for(client, coordinator_user).get(reverse("admin:subsidies_subsidy_changelist"))

    foot = page.content.decode().split("<tfoot>")[1]
    assert "€\xa013.500,50" in foot
    assert "Totaal (2 rijen)" in foot


# --- 9. an adviser adds a funder from the subsidy form ----------------------------------


def test_an_adviser_sees_the_plus_for_a_funder_and_adds_one_in_the_popup(client, adviser_user):
    client_for(client, adviser_user)
    form = client.get(reverse("admin:subsidies_subsidy_add"))
    assert 'id="add_id_funder"' in form.content.decode()

    response = client.post(
        reverse("admin:subsidies_funder_add") + "?_to_field=id&_popup=1",
        {"name": "Fonds Flevoland", "slug": "fonds-flevoland", "_popup": "1", "_to_field": "id"},
    )

    assert response.status_code == 200
    assert "popup_response" in response.content.decode()
    assert Funder.objects.filter(name="Fonds Flevoland").exists()


def test_an_adviser_may_not_change_an_existing_funder(client, adviser_user):
    funder = make_funder(name="Provincie")
    url = reverse("admin:subsidies_funder_change", args=[funder.pk])

    response = client_for(client, adviser_user).post(url, {"name": "Iets anders", "slug": "x"})

    assert response.status_code == 403
    funder.refresh_from_db()
    assert funder.name == "Provincie"


# --- 10. Dutch slips ----------------------------------------------------------------------


def test_the_saved_message_fits_every_word(client, adviser_user):
    client_for(client, adviser_user)
    response = client.post(
        reverse("admin:kpis_knowledgecircle_add"),
        {
            "name": "Leesclub",
            "started_on": "2021-01-05",
            "organisations": [],
            "themes": [],
            "notes": "",
            "meetings-TOTAL_FORMS": "0",
            "meetings-INITIAL_FORMS": "0",
        },
        follow=True,
    )

    shown = text(response)
    messages = re.sub(r"<[^>]+>", "", response.content.decode())  # the name is a link
    assert "Toegevoegd: kenniskring ‘Leesclub’." in messages
    assert "De kenniskring" not in shown
    # a kenniskring counts through its meetings, and says so when it has none
    assert "telt daarom nog niet mee" in shown
    assert KnowledgeCircle.objects.get().name == "Leesclub"


def test_the_kenniskring_form_says_that_meetings_are_what_counts(client, adviser_user):
    page = client_for(client, adviser_user).get(reverse("admin:kpis_knowledgecircle_add"))

    assert "zonder bijeenkomst telt de kenniskring niet mee" in text(page)


def test_the_two_list_picker_speaks_dutch(client, coordinator_user):
    catalog = client_for(client, coordinator_user).get(reverse("admin:jsi18n"))

    assert "Alle %s kiezen" in catalog.content.decode()


def test_a_target_year_is_typed_without_a_dot(client, coordinator_user):
    target = make_target(key="knowledge.trainings", year=2022, value=Decimal("10"))

    page = client_for(client, coordinator_user).get(
        reverse("admin:kpis_target_change", args=[target.pk])
    )

    assert 'value="2022"' in page.content.decode()
    assert 'name="value" value="10"' in page.content.decode()  # a count: no ",00"
    assert Target.objects.count() == 1


def test_adding_an_inline_row_reads_well(client, adviser_user):
    page = client_for(client, adviser_user).get(reverse("admin:kpis_knowledgecircle_add"))

    assert "Bijeenkomst kenniskring toevoegen" in page.content.decode()
    assert "Nog een Bijeenkomst" not in page.content.decode()


def test_one_row_is_one_row(client, coordinator_user):
    make_channel_post()

    page = client_for(client, coordinator_user).get(reverse("admin:kpis_channelpost_changelist"))

    assert "Totaal (1 rij)" in page.content.decode()
