"""Data entry in the admin: every model's pages, Dutch input, defaults and filters."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.models import (
    ChannelPost,
    ChannelStatistic,
    ClosedYear,
    Evidence,
    ImportBatch,
    InformationPoint,
    KnowledgeCircle,
    KnowledgeCircleMeeting,
    Network,
    Organisation,
    SupportActivity,
    Target,
    Training,
    TransportReservation,
    YearReopening,
)
from projects.models import ProjectApplication
from subsidies.models import Subsidy
from tests import factories as f
from tests.factories import (
    DAY,
    make_channel,
    make_channel_post,
    make_channel_statistic,
    make_closed_year,
    make_fund,
    make_funder,
    make_information_point,
    make_knowledge_circle,
    make_knowledge_circle_meeting,
    make_organisation,
    make_project_application,
    make_subsidy,
    make_support_activity,
    make_support_kind,
    make_target,
    make_theme,
    make_training,
    make_transport,
)

_seq = itertools.count(1)


def make_awarded_subsidy(**fields):
    # An undecided subsidy has no report year; the year filter needs one that has.
    return make_subsidy(**{"status": Subsidy.Status.AWARDED, "awarded_on": DAY, **fields})


def make_numbered_target(**fields):
    return make_target(**{"key": f"test.figure.{next(_seq)}", **fields})


def make_user(**fields):
    return User.objects.create_user(f"gebruiker-{next(_seq)}", **fields)


def make_group(**fields):
    return Group.objects.create(**{"name": f"Groep {next(_seq)}", **fields})


# Every model's maker; an awarded subsidy and a numbered target show more in the lists.
MAKERS = {
    **f.makers(),
    Target: make_numbered_target,
    Subsidy: make_awarded_subsidy,
    User: make_user,
    Group: make_group,
}

# Our apps, and the users and groups advisers are picked from; third-party admins
# (django-axes) are their maintainers' to test. The network's identity is one record
# with a change page only (tests/test_network.py).
REGISTERED = sorted(
    (
        model
        for model in admin.site._registry
        if model._meta.app_label in {"kpis", "projects", "subsidies", "auth"}
        and model is not Network
    ),
    key=lambda model: model._meta.label,
)
REPORT_DATED = [model for model in REGISTERED if hasattr(model, "report_date_field")]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def make(model, **fields):
    assert model in MAKERS, f"Add a make_* helper for {model._meta.label} to MAKERS."
    return MAKERS[model](**fields)


def test_it_passes_the_admin_system_checks():
    # Among others: every autocomplete target has search_fields.
    errors = [
        error for model_admin in admin.site._registry.values() for error in model_admin.check()
    ]
    assert errors == []


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_it_renders_the_list_add_and_change_pages(coordinator_client, model):
    obj = make(model)
    changelist = admin_url(model, "changelist")

    for url in (changelist, f"{changelist}?q=1", f"{changelist}?_facets=True"):
        assert coordinator_client.get(url).status_code == 200, url
    assert coordinator_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    # A log (closings, reopenings, import batches) is written by its service, not by hand;
    # the groups are made by migrations, a coordinator only sees them.
    expected = 403 if model in {ClosedYear, YearReopening, ImportBatch, Group} else 200
    add = admin_url(model, "add")
    if model is Evidence:  # added to a record, named in the address
        add += f"?record={obj.record_label}"
    assert coordinator_client.get(add).status_code == expected


AUTOCOMPLETES = sorted(
    {
        (model_admin.model, field)
        for owner in admin.site._registry.values()
        for model_admin in (owner, *(inline(owner.model, admin.site) for inline in owner.inlines))
        for field in model_admin.autocomplete_fields
    },
    key=lambda pair: (pair[0]._meta.label, pair[1]),
)


@pytest.mark.parametrize(
    ("model", "field"), AUTOCOMPLETES, ids=lambda value: getattr(value, "__name__", value)
)
def test_its_autocomplete_fields_find_records(coordinator_client, coordinator, model, field):
    remote = model._meta.get_field(field).related_model
    target = coordinator if remote is User else make(remote)
    query = {"app_label": model._meta.app_label, "model_name": model._meta.model_name}

    response = coordinator_client.get(reverse("admin:autocomplete"), {**query, "field_name": field})

    assert response.status_code == 200
    assert str(target.pk) in [result["id"] for result in response.json()["results"]]


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_its_list_needs_as_many_queries_for_five_rows_as_for_one(coordinator_client, model):
    url = admin_url(model, "changelist")
    make(model)
    with CaptureQueriesContext(connection) as one_row:
        coordinator_client.get(url)
    for _ in range(4):
        make(model)
    with CaptureQueriesContext(connection) as five_rows:
        response = coordinator_client.get(url)

    assert response.context["cl"].result_count >= 5
    assert len(five_rows) == len(one_row), [q["sql"] for q in five_rows.captured_queries]


def subsidy_form(funder, **fields):
    return {
        "title": "Leesbevordering Flevoland",
        "funder": funder.pk,
        "role": "lead",
        "amount": "263.568,50",
        "status": "awarded",
        "applied_on": "01-02-2021",
        "awarded_on": "15-03-2021",
        "notes": "",
        **fields,
    }


@pytest.mark.parametrize("typed", ["263.568,50", "263568,50", "€ 263.568,50"])
def test_it_reads_a_dutch_amount_and_date(coordinator_client, typed):
    form = subsidy_form(make_funder(), amount=typed)

    response = coordinator_client.post(admin_url(Subsidy, "add"), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    subsidy = Subsidy.objects.get()
    assert subsidy.amount == Decimal("263568.50")
    assert subsidy.awarded_on == datetime.date(2021, 3, 15)
    assert subsidy.applied_on == datetime.date(2021, 2, 1)


def test_it_shows_the_amount_in_euros_the_dutch_way(coordinator_client):
    make_subsidy(amount=Decimal("12500"))

    response = coordinator_client.get(admin_url(Subsidy, "changelist"))

    assert "€\xa012.500,00" in response.content.decode()


def test_it_shows_a_stored_amount_in_the_form_the_dutch_way(coordinator_client):
    subsidy = make_subsidy(amount=Decimal("263568.50"))

    response = coordinator_client.get(admin_url(Subsidy, "change", subsidy.pk))

    assert 'value="263.568,50"' in response.content.decode()


def assert_refused(response, model, message):
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not model.objects.exists()


def test_it_refuses_an_awarded_subsidy_without_award_date(coordinator_client):
    form = subsidy_form(make_funder(), awarded_on="")

    response = coordinator_client.post(admin_url(Subsidy, "add"), form)

    assert_refused(response, Subsidy, "Vul de datum van toekenning in.")


def test_it_refuses_a_negative_amount(coordinator_client):
    form = subsidy_form(make_funder(), amount="-12,50")

    response = coordinator_client.post(admin_url(Subsidy, "add"), form)

    assert_refused(response, Subsidy, "Een bedrag kan niet negatief zijn.")


def test_it_refuses_an_evaluation_score_above_ten(coordinator_client):
    form = {
        "title": "Mediawijsheid",
        "held_on": "15-03-2021",
        "participants": "20",
        "respondents": "10",
        "evaluation_score": "11",
        "notes": "",
    }

    response = coordinator_client.post(admin_url(Training, "add"), form)

    assert_refused(response, Training, "Zorg ervoor dat deze waarde hoogstens 10 is.")


def test_it_refuses_transport_to_the_same_library(coordinator_client):
    library = make_organisation()
    form = {
        "origin": library.pk,
        "destination": library.pk,
        "delivered_on": "15-03-2021",
        "period": "day",
        "quantity": "4",
    }

    response = coordinator_client.post(admin_url(TransportReservation, "add"), form)

    assert_refused(response, TransportReservation, "Van- en naar-bibliotheek moeten verschillen.")


def test_it_refuses_a_target_for_an_unknown_figure(coordinator_client):
    # The figure is a choice of the declared figures: a key from elsewhere is no choice.
    form = {"key": "geen.figuur", "year": "2021", "value": "10", "note": ""}

    response = coordinator_client.post(admin_url(Target, "add"), form)

    assert_refused(response, Target, "geen.figuur is geen beschikbare keuze")


def test_it_stores_a_target_typed_the_dutch_way(coordinator_client):
    form = {"key": "subsidies.awarded", "year": "2021", "value": "1.250,5", "note": ""}

    response = coordinator_client.post(admin_url(Target, "add"), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Target.objects.get().value == Decimal("1250.50")


def test_the_adviser_defaults_to_the_logged_in_user(coordinator_client, coordinator):
    response = coordinator_client.get(admin_url(Training, "add"))

    assert response.context["adminform"].form.initial["adviser"] == coordinator.pk


def test_a_record_saved_without_adviser_gets_the_logged_in_user(coordinator_client, coordinator):
    form = {"title": "Mediawijsheid", "held_on": "15-03-2021", "participants": "20", "notes": ""}

    response = coordinator_client.post(admin_url(Training, "add"), form)

    assert response.status_code == 302
    assert Training.objects.get().adviser == coordinator


def test_editing_a_record_does_not_make_you_its_adviser(coordinator_client, adviser):
    training = make_training(adviser=None)
    form = {"title": "Nieuwe titel", "held_on": "15-03-2021", "participants": "12", "notes": ""}

    response = coordinator_client.post(admin_url(Training, "change", training.pk), form)

    assert response.status_code == 302
    training.refresh_from_db()
    assert (training.title, training.adviser) == ("Nieuwe titel", None)


def test_meetings_are_entered_inside_their_kenniskring(coordinator_client, coordinator):
    form = {
        "name": "Kenniskring Leesconsulenten",
        "started_on": "01-02-2021",
        "notes": "",
        "meetings-TOTAL_FORMS": "2",
        "meetings-INITIAL_FORMS": "0",
        "meetings-0-held_on": "15-03-2021",
        "meetings-0-topic": "Voorlezen",
        "meetings-0-participants": "9",
        "meetings-1-held_on": "",
        "meetings-1-participants": "0",
    }

    response = coordinator_client.post(admin_url(KnowledgeCircle, "add"), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting = KnowledgeCircleMeeting.objects.get()
    assert (meeting.circle.name, meeting.topic, meeting.adviser) == (
        "Kenniskring Leesconsulenten",
        "Voorlezen",
        coordinator,
    )


@pytest.mark.parametrize("model", REPORT_DATED, ids=lambda model: model._meta.label)
def test_the_year_filter_shows_only_that_years_records(coordinator_client, model):
    field = model.report_date_field
    in_2021 = make(model)
    in_2022 = make(model)
    # Move the second one a year on, also the fields that must not precede or follow it.
    shifted = {
        f.name: getattr(in_2022, f.name).replace(year=2022)
        for f in model._meta.concrete_fields
        if isinstance(getattr(in_2022, f.name), datetime.date)
        and not isinstance(getattr(in_2022, f.name), datetime.datetime)
    }
    model.objects.filter(pk=in_2022.pk).update(**shifted)
    assert getattr(model.objects.get(pk=in_2022.pk), field).year == 2022

    response = coordinator_client.get(admin_url(model, "changelist"), {"year": "2021"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [in_2021]
    year_filter = next(f for f in response.context["cl"].filter_specs if f.parameter_name == "year")
    assert [value for value, _ in year_filter.lookup_choices] == ["2022", "2021"]


def test_the_year_filter_applies_even_before_any_record_has_a_report_year(coordinator_client):
    make_subsidy(status=Subsidy.Status.APPLIED, awarded_on=None)

    response = coordinator_client.get(admin_url(Subsidy, "changelist"), {"year": "2021"})

    assert list(response.context["cl"].result_list) == []


def test_every_list_shows_the_2021_demo_report(coordinator_client, demo_2021):
    for model in REGISTERED:
        query = {"year": "2021"} if model in REPORT_DATED else {}
        response = coordinator_client.get(admin_url(model, "changelist"), query)
        assert response.status_code == 200, model
        in_2021 = model.objects.in_year(2021).count() if query else model.objects.count()
        assert response.context["cl"].result_count == in_2021, model


BAD_YEARS = ["twintig", "99999", "99999999999", "-99999999999", "-1", "0", "10000"]


@pytest.mark.parametrize("year", BAD_YEARS)
def test_a_malformed_year_does_not_break_the_list(coordinator_client, year):
    make_training()

    response = coordinator_client.get(admin_url(Training, "changelist"), {"year": year})

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize("year", BAD_YEARS)
@pytest.mark.parametrize(
    "model", [Organisation, TransportReservation], ids=lambda model: model.__name__
)
def test_a_year_no_date_can_have_does_not_break_the_lists_with_their_own_year_filter(
    coordinator_client, model, year
):
    """The organisation list filters on the year of joining (a ``__year`` lookup), the
    transport list on a span of years: both go through the same check."""
    make_organisation(joined_network_on=datetime.date(2021, 5, 1))
    make_transport()

    response = coordinator_client.get(admin_url(model, "changelist"), {"year": year})

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_the_organisation_list_filters_on_the_year_of_joining(coordinator_client):
    joined_2021 = make_organisation(joined_network_on=datetime.date(2021, 5, 1))
    make_organisation(joined_network_on=datetime.date(2022, 5, 1))
    make_organisation(joined_network_on=None)

    response = coordinator_client.get(admin_url(Organisation, "changelist"), {"year": "2021"})

    assert list(response.context["cl"].result_list) == [joined_2021]


def test_the_information_point_list_filters_on_points_open_at_year_end(coordinator_client):
    still_open = make_information_point(opened_on=datetime.date(2020, 1, 6))
    make_information_point(opened_on=datetime.date(2020, 1, 6), closed_on=datetime.date(2021, 7, 1))
    make_information_point(opened_on=datetime.date(2022, 1, 6))

    response = coordinator_client.get(
        admin_url(InformationPoint, "changelist"), {"open_at_end_of": "2021"}
    )

    assert list(response.context["cl"].result_list) == [still_open]


RELATED_CODE_FILTERS = [
    # (model, query parameter, value, maker of the one record that matches)
    (
        SupportActivity,
        "kind__slug__exact",
        "advies",
        lambda: make_support_activity(kind=make_support_kind(slug="advies")),
    ),
    (
        ChannelPost,
        "channel__slug__exact",
        "website",
        lambda: make_channel_post(channel=make_channel(slug="website")),
    ),
    (
        ChannelStatistic,
        "channel__slug__exact",
        "website",
        lambda: make_channel_statistic(channel=make_channel(slug="website")),
    ),
    (
        ProjectApplication,
        "fund__slug__exact",
        "innovatiefonds",
        lambda: make_project_application(fund=make_fund(slug="innovatiefonds")),
    ),
    (
        Subsidy,
        "funder__slug__exact",
        "provincie",
        lambda: make_awarded_subsidy(funder=make_funder(slug="provincie")),
    ),
    (
        TransportReservation,
        "origin__code__exact",
        "fmb",
        lambda: make_transport(origin=make_organisation(code="fmb")),
    ),
    (
        TransportReservation,
        "destination__code__exact",
        "fmb",
        lambda: make_transport(destination=make_organisation(code="fmb")),
    ),
    (
        InformationPoint,
        "organisation__code__exact",
        "fmb",
        lambda: make_information_point(organisation=make_organisation(code="fmb")),
    ),
]


@pytest.mark.parametrize(
    ("model", "parameter", "value", "make_match"),
    RELATED_CODE_FILTERS,
    ids=[f"{case[0].__name__}-{case[1]}" for case in RELATED_CODE_FILTERS],
)
def test_the_list_filters_on_a_related_code(
    coordinator_client, model, parameter, value, make_match
):
    match = make_match()
    make(model)

    response = coordinator_client.get(admin_url(model, "changelist"), {parameter: value})

    assert list(response.context["cl"].result_list) == [match]


def test_the_list_filters_on_a_theme_by_its_code(coordinator_client):
    literacy = make_theme(slug="geletterdheid")
    on_theme = make_training()
    on_theme.themes.add(literacy)
    make_training().themes.add(make_theme())
    make_training()

    response = coordinator_client.get(
        admin_url(Training, "changelist"), {"themes__slug__exact": "geletterdheid"}
    )

    assert list(response.context["cl"].result_list) == [on_theme]


@pytest.mark.parametrize(
    ("scope", "expected"), [("within", "binnen"), ("interprovincial", "tussen")]
)
def test_the_transport_list_filters_within_the_province_or_across(
    coordinator_client, scope, expected
):
    home, home_too = make_organisation(), make_organisation()
    elsewhere = make_organisation(province="utrecht")
    rows = {
        "binnen": make_transport(origin=home, destination=home_too),
        "tussen": make_transport(origin=elsewhere, destination=home),
    }

    response = coordinator_client.get(
        admin_url(TransportReservation, "changelist"), {"scope": scope}
    )

    assert list(response.context["cl"].result_list) == [rows[expected]]


def test_the_transport_list_never_counts_the_whole_table(coordinator_client):
    make_transport()

    response = coordinator_client.get(admin_url(TransportReservation, "changelist"))

    assert response.context["cl"].show_full_result_count is False


@pytest.mark.parametrize("path", ["/admin/", "/admin/subsidies/subsidy/"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- closed years: what the models refuse, the admin does not offer ------------------


def test_a_record_of_a_closed_year_opens_read_only(coordinator_client):
    training = make_training(held_on=datetime.date(2021, 3, 15))
    make_closed_year(year=2021)
    url = admin_url(Training, "change", training.pk)

    page = coordinator_client.get(url).content.decode()
    posted = coordinator_client.post(url, {"title": "Anders", "held_on": "15-03-2021"})

    assert "Het jaar 2021 is afgesloten" in page
    assert 'name="_save"' not in page
    assert posted.status_code == 403
    training.refresh_from_db()
    assert training.title != "Anders"


def test_a_record_cannot_be_added_to_a_closed_year(coordinator_client):
    make_closed_year(year=2021)
    form = {"title": "Te laat", "held_on": "15-03-2021", "participants": "5", "notes": ""}

    response = coordinator_client.post(admin_url(Training, "add"), form)

    assert_refused(response, Training, "Het jaar 2021 is afgesloten")


def test_a_record_of_a_closed_year_cannot_be_deleted(coordinator_client):
    training = make_training(held_on=datetime.date(2021, 3, 15))
    make_closed_year(year=2021)
    bulk = {"action": "delete_selected", "_selected_action": [training.pk]}
    changelist = admin_url(Training, "changelist")

    single = coordinator_client.post(admin_url(Training, "delete", training.pk), {"post": "yes"})
    confirmation = coordinator_client.post(changelist, bulk)
    confirmed = coordinator_client.post(changelist, {**bulk, "post": "yes"})

    assert single.status_code == 403
    assert "Het jaar 2021 is afgesloten" in confirmation.content.decode()
    assert confirmed.status_code == 403
    assert Training.objects.filter(pk=training.pk).exists()


def circle_form(circle, *rows):
    form = {
        "name": circle.name,
        "started_on": circle.started_on.strftime("%d-%m-%Y"),
        "notes": "",
        "meetings-TOTAL_FORMS": str(len(rows)),
        "meetings-INITIAL_FORMS": str(sum("id" in row for row in rows)),
    }
    for index, row in enumerate(rows):
        row = {"circle": circle.pk, "topic": "", "participants": "8", "adviser": "", **row}
        form.update({f"meetings-{index}-{name}": value for name, value in row.items()})
    return form


def test_a_kenniskring_gets_new_meetings_while_an_old_one_is_in_a_closed_year(coordinator_client):
    circle = make_knowledge_circle(started_on=datetime.date(2020, 9, 1))
    old = make_knowledge_circle_meeting(circle=circle, held_on=datetime.date(2021, 3, 15))
    make_closed_year(year=2021)
    url = admin_url(KnowledgeCircle, "change", circle.pk)
    unchanged = {"id": old.pk, "held_on": "15-03-2021"}

    added = coordinator_client.post(url, circle_form(circle, unchanged, {"held_on": "10-01-2022"}))
    deleting = coordinator_client.post(url, circle_form(circle, {**unchanged, "DELETE": "on"}))

    assert added.status_code == 302
    assert deleting.status_code == 200
    assert "Het jaar 2021 is afgesloten" in deleting.content.decode()
    assert sorted(m.held_on.year for m in circle.meetings.all()) == [2021, 2022]
    # Deleting the kring would delete the 2021 meeting with it.
    assert (
        coordinator_client.get(admin_url(KnowledgeCircle, "delete", circle.pk)).status_code == 403
    )
