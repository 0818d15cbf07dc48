"""Model validation tells a person, in Dutch, what is wrong and where; querysets read by rule.

``full_clean()`` is what the admin and the imports run: field validators, the model's
``clean()`` (rules that are no database constraint), unique checks and the
``Meta.constraints``: a check constraint's ``violation_error_message`` on the field it is
about (``kpis.core.rules.FieldCheck``), a unique constraint's for the record as a whole.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import translation
from django.utils.text import capfirst

import kpis.models as kpis_models  # Testimonial by attribute: pytest would collect it
from kpis.models import (
    ChannelPost,
    ChannelStatistic,
    InformationPoint,
    KnowledgeCircleMeeting,
    Organisation,
    Province,
    Publication,
    ReportDated,
    Target,
    TransportReservation,
)
from subsidies.models import Subsidy
from tests import factories as f
from tests.test_constraints import (
    MAKERS,
    VIOLATIONS,
    declared_constraints,
    our_models,
    unique_fields,
)

pytestmark = pytest.mark.django_db

D = datetime.date
ALL = NON_FIELD_ERRORS

END_BEFORE_START = "De einddatum mag niet voor de begindatum liggen."
NOT_NEGATIVE = "Dit getal mag niet negatief zijn."


@pytest.fixture(autouse=True)
def dutch():
    with translation.override("nl"):
        yield


def errors(record: models.Model) -> dict[str, list[str]]:
    """The messages ``full_clean()`` gives, by field ("__all__" for the record as a whole)."""
    with pytest.raises(ValidationError) as exc:
        record.full_clean()
    return exc.value.message_dict


def changed(record: models.Model, **values) -> models.Model:
    """A saved record with new values in memory, as the admin's change form holds it."""
    for name, value in values.items():
        setattr(record, name, value)
    return record


def _awarded(**values) -> Subsidy:
    return f.make_subsidy(status=Subsidy.Status.AWARDED, awarded_on=D(2021, 4, 1), **values)


def _second_meeting() -> KnowledgeCircleMeeting:
    meeting = f.make_knowledge_circle_meeting()
    return KnowledgeCircleMeeting(circle=meeting.circle, held_on=meeting.held_on, participants=3)


def _second_post() -> ChannelPost:
    post = f.make_channel_post()
    return ChannelPost(channel=post.channel, title=post.title, published_on=post.published_on)


def _second_statistic() -> ChannelStatistic:
    stat = f.make_channel_statistic()
    return ChannelStatistic(
        channel=stat.channel, period_start=stat.period_start, period_end=stat.period_end
    )


def _second_publication() -> Publication:
    pub = f.make_publication()
    return Publication(kind=pub.kind, title=pub.title, published_on=pub.published_on)


def _transport_to_itself() -> TransportReservation:
    library = f.make_organisation()
    return TransportReservation(origin=library, destination=library, delivered_on=f.DAY)


# (what, the invalid record, the field the message is on, the message)
CASES = [
    # subsidies
    (
        "awarded without date",
        lambda: changed(f.make_subsidy(), status=Subsidy.Status.AWARDED),
        "awarded_on",
        "Vul de datum van toekenning in.",
    ),
    (
        "applied with award date",
        lambda: changed(f.make_subsidy(), awarded_on=D(2021, 4, 1)),
        "awarded_on",
        "Alleen een toegekende subsidie heeft een toekenningsdatum.",
    ),
    (
        "award before application",
        lambda: changed(_awarded(), awarded_on=D(2021, 2, 1)),
        "awarded_on",
        "De toekenning kan niet voor de aanvraag liggen.",
    ),
    (
        "negative subsidy amount",
        lambda: changed(f.make_subsidy(), amount=Decimal("-1")),
        "amount",
        "Een bedrag kan niet negatief zijn.",
    ),
    # projects
    (
        "project ends before start",
        lambda: changed(f.make_project(), ended_on=D(2021, 6, 14)),
        "ended_on",
        END_BEFORE_START,
    ),
    (
        "application decided before submission",
        lambda: changed(f.make_project_application(), decided_on=D(2021, 6, 14)),
        "decided_on",
        "Het besluit kan niet voor de indiening liggen.",
    ),
    (
        "negative amount requested",
        lambda: changed(f.make_project_application(), amount_requested=Decimal("-1")),
        "amount_requested",
        "Een bedrag kan niet negatief zijn.",
    ),
    (
        "trajectory ends before start",
        lambda: changed(f.make_guided_trajectory(), ended_on=D(2021, 6, 14)),
        "ended_on",
        END_BEFORE_START,
    ),
    # trainings and kenniskringen
    (
        "score 0",
        lambda: changed(f.make_training(), respondents=5, evaluation_score=Decimal("0")),
        "evaluation_score",
        "Zorg ervoor dat deze waarde minstens 1 is.",
    ),
    (
        "score 10.5",
        lambda: changed(f.make_training(), respondents=5, evaluation_score=Decimal("10.5")),
        "evaluation_score",
        "Zorg ervoor dat deze waarde hoogstens 10 is.",
    ),
    (
        "respondents above participants",
        lambda: changed(f.make_training(participants=10), respondents=11),
        "respondents",
        "Er kunnen niet meer respondenten dan deelnemers zijn.",
    ),
    (
        "score without respondents",
        lambda: changed(f.make_training(), evaluation_score=Decimal("8")),
        "respondents",
        "Vul in hoeveel deelnemers de evaluatie invulden.",
    ),
    (
        "score with 0 respondents",
        lambda: changed(f.make_training(), evaluation_score=Decimal("8"), respondents=0),
        "respondents",
        "Vul in hoeveel deelnemers de evaluatie invulden.",
    ),
    (
        "negative participants",
        lambda: changed(f.make_training(), participants=-1),
        "participants",
        "Zorg ervoor dat deze waarde minstens 0 is.",
    ),
    (
        "kenniskring ends before start",
        lambda: changed(f.make_knowledge_circle(), ended_on=D(2021, 6, 14)),
        "ended_on",
        END_BEFORE_START,
    ),
    (
        "second meeting of a kenniskring on one day",
        _second_meeting,
        ALL,
        "Deze kenniskring heeft op die dag al een bijeenkomst.",
    ),
    # communication
    (
        "duplicate post",
        _second_post,
        ALL,
        "Er staat al een bericht met deze titel op dit kanaal op deze datum.",
    ),
    (
        "negative likes",
        lambda: changed(f.make_channel_post(), likes=-1),
        "likes",
        "Zorg ervoor dat deze waarde minstens 0 is.",
    ),
    (
        "statistic period ends before start",
        lambda: changed(f.make_channel_statistic(), period_end=D(2021, 5, 31)),
        "period_end",
        END_BEFORE_START,
    ),
    (
        "statistic period across two years",
        lambda: changed(
            f.make_channel_statistic(), period_start=D(2021, 12, 1), period_end=D(2022, 1, 31)
        ),
        "period_end",
        "Een periode valt binnen één kalenderjaar; splits hem per jaar.",
    ),
    (
        "same channel and period twice",
        _second_statistic,
        ALL,
        "Voor dit kanaal is deze periode al ingevoerd.",
    ),
    (
        "duplicate publication",
        _second_publication,
        ALL,
        "Deze publicatie is al geregistreerd.",
    ),
    # digital inclusion
    (
        "IDO closed before opening",
        lambda: changed(f.make_information_point(), closed_on=D(2021, 6, 14)),
        "closed_on",
        "De sluitingsdatum mag niet voor de openingsdatum liggen.",
    ),
    # transport
    (
        "transport quantity 0",
        lambda: changed(f.make_transport(), quantity=0),
        "quantity",
        "Het aantal reserveringen is minstens 1.",
    ),
    (
        "transport to the same library",
        _transport_to_itself,
        "destination",
        "Van- en naar-bibliotheek moeten verschillen.",
    ),
    (
        "month total not on day 1",
        lambda: changed(f.make_transport(), period=TransportReservation.Period.MONTH),
        "delivered_on",
        "Een maandtotaal staat op de eerste dag van de maand.",
    ),
]


@pytest.mark.parametrize(
    ("build", "field", "message"),
    [pytest.param(build, fld, msg, id=what) for what, build, fld, msg in CASES],
)
def test_full_clean_gives_the_dutch_message_on_the_right_field(build, field, message):
    assert errors(build()) == {field: [message]}


@pytest.mark.parametrize(
    ("model", "field"),
    [pytest.param(m, fld, id=f"{m.__name__}.{fld}") for m, fld in unique_fields()],
)
def test_a_taken_unique_value_is_reported_on_its_field(model, field):
    first, second = MAKERS[model](), MAKERS[model]()
    record = changed(second, **{field: getattr(first, field)})

    verbose = model._meta.get_field(field).verbose_name
    # locale/nl: the field leads ("Naam: ..."), not "een Organisatie met eenzelfde Naam".
    assert errors(record)[field] == [f"{capfirst(verbose)}: deze waarde is al in gebruik."]


def test_a_taken_organisation_code_says_so_in_dutch():
    f.make_organisation(code="fmb")
    record = Organisation(name="Nieuw", code="fmb", province=Province.FLEVOLAND)
    assert errors(record) == {"code": ["Code: deze waarde is al in gebruik."]}


# --- the constraints' own messages ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "setup"),
    [
        pytest.param(name, setup, id=f"{name}: {what}", marks=marks)
        for name, what, setup, *marks in VIOLATIONS
    ],
)
def test_model_validation_reports_each_constraint_with_its_message(name, setup):
    """The same bad values the database refuses, caught before the database sees them,
    with the constraint's message on its field."""
    record = setup().in_memory()
    with pytest.raises(ValidationError) as exc:
        record.validate_constraints()

    constraint = declared_constraints()[name]
    assert (
        str(constraint.violation_error_message)
        in exc.value.message_dict[getattr(constraint, "field", ALL)]
    )


@pytest.mark.parametrize("name", sorted(declared_constraints()))
def test_every_constraint_has_a_message_of_its_own(name):
    constraint = declared_constraints()[name]
    message = str(constraint.violation_error_message)
    assert message != str(constraint.default_violation_error_message)
    assert name not in message
    assert message.endswith(".")


def test_constraint_messages_are_dutch_and_specific():
    messages = {name: str(c.violation_error_message) for name, c in declared_constraints().items()}
    assert messages["subsidy_awarded_has_date"] == "Vul de datum van toekenning in."
    assert messages["transport_month_starts_on_first"] == (
        "Een maandtotaal staat op de eerste dag van de maand."
    )
    assert messages["target_year_plausible"] == "Kies een jaar tussen 2000 en 2100."
    assert messages["target_unique_per_key_and_year"] == (
        "Voor deze figuur is in dit jaar al een streefwaarde."
    )


# --- targets --------------------------------------------------------------------------


def test_a_target_year_outside_2000_2100_is_refused_with_a_dutch_message():
    record = changed(f.make_target(), year=1900)
    with pytest.raises(ValidationError) as exc:
        record.validate_constraints()
    assert exc.value.message_dict == {"year": ["Kies een jaar tussen 2000 en 2100."]}
    with pytest.raises(ValidationError) as exc:
        record.full_clean()
    assert exc.value.message_dict["year"] == ["Kies een jaar tussen 2000 en 2100."]


def test_a_second_target_for_a_key_and_year_is_refused():
    f.make_target(key="subsidies.awarded", year=2021)
    record = Target(key="subsidies.awarded", year=2021, value=Decimal("8"))
    with pytest.raises(ValidationError) as exc:
        record.validate_constraints()
    assert exc.value.message_dict == {ALL: ["Voor deze figuur is in dit jaar al een streefwaarde."]}


def test_a_target_for_an_unknown_figure_is_refused():
    figures = pytest.importorskip("kpis.reporting.figures")
    assert "subsidies.awarded" in figures.known_keys()

    Target(key="subsidies.awarded", year=2021, value=Decimal("7")).full_clean()
    record = Target(key="bestaat.niet", year=2021, value=Decimal("7"))
    assert errors(record) == {"key": ["Onbekende figuur 'bestaat.niet'."]}


# --- querysets: report years ----------------------------------------------------------

# Extra values a record needs for its report date to be set to ``day``.
DATED_EXTRAS = {
    Subsidy: lambda day: {"status": Subsidy.Status.AWARDED, "applied_on": day},
    ChannelStatistic: lambda day: {"period_end": day},
}


def dated_models() -> list[type[ReportDated]]:
    return [m for m in our_models() if issubclass(m, ReportDated)]


def make_dated(model: type[ReportDated], day: datetime.date) -> ReportDated:
    extras = DATED_EXTRAS.get(model, lambda day: {})(day)
    return MAKERS[model](**{model.report_date_field: day, **extras})


@pytest.mark.parametrize("model", dated_models(), ids=lambda m: m.__name__)
def test_in_year_takes_exactly_the_calendar_year(model):
    inside = {make_dated(model, D(2021, 1, 1)).pk, make_dated(model, D(2021, 12, 31)).pk}
    make_dated(model, D(2020, 12, 31))
    make_dated(model, D(2022, 1, 1))

    assert set(model.objects.in_year(2021).values_list("pk", flat=True)) == inside


@pytest.mark.parametrize("model", dated_models(), ids=lambda m: m.__name__)
def test_report_years_lists_each_year_with_records_once_in_order(model):
    for day in (D(2022, 3, 1), D(2019, 12, 31), D(2022, 1, 1)):
        make_dated(model, day)
    assert model.objects.report_years() == [2019, 2022]


def test_a_subsidy_without_award_date_counts_in_no_year():
    f.make_subsidy()  # applied, not (yet) awarded
    awarded = _awarded()

    assert list(Subsidy.objects.in_year(2021)) == [awarded]
    assert Subsidy.objects.report_years() == [2021]
    assert list(Subsidy.objects.awarded()) == [awarded]


# --- querysets: transport, IDO, testimonials -----------------------------------------


@pytest.fixture
def transport_rows():
    fmb = f.make_reference_organisation("fmb")
    dnb = f.make_reference_organisation("dnb")
    utrecht = f.make_organisation(province=Province.UTRECHT)
    gelderland = f.make_organisation(province=Province.GELDERLAND)
    return {
        "within": f.make_transport(origin=fmb, destination=dnb, quantity=10),
        "leaving": f.make_transport(origin=dnb, destination=utrecht, quantity=3),
        "arriving": f.make_transport(origin=gelderland, destination=fmb, quantity=2),
        "elsewhere": f.make_transport(origin=utrecht, destination=gelderland, quantity=50),
    }


def test_transport_is_classified_by_the_libraries_provinces(transport_rows):
    f.set_network(home_province="flevoland")
    rows = transport_rows

    assert list(TransportReservation.objects.within_province()) == [rows["within"]]
    assert set(TransportReservation.objects.interprovincial()) == {
        rows["leaving"],
        rows["arriving"],
    }


def test_a_row_between_two_other_provinces_is_neither(transport_rows):
    elsewhere = transport_rows["elsewhere"]
    assert elsewhere not in TransportReservation.objects.within_province()
    assert elsewhere not in TransportReservation.objects.interprovincial()


def test_the_home_province_comes_from_the_networks_identity(transport_rows):
    f.set_network(home_province=Province.UTRECHT)
    rows = transport_rows

    assert not TransportReservation.objects.within_province().exists()
    assert set(TransportReservation.objects.interprovincial()) == {
        rows["leaving"],
        rows["elsewhere"],
    }
    assert list(TransportReservation.objects.within_province(Province.FLEVOLAND)) == [
        rows["within"]
    ]


def test_open_on_counts_the_points_open_at_the_end_of_the_day():
    day = D(2021, 12, 31)
    still_open = f.make_information_point(opened_on=D(2020, 1, 1))
    closes_next_day = f.make_information_point(opened_on=D(2020, 1, 1), closed_on=D(2022, 1, 1))
    opens_that_day = f.make_information_point(opened_on=day)
    f.make_information_point(opened_on=D(2020, 1, 1), closed_on=day)  # closed that day
    f.make_information_point(opened_on=D(2022, 1, 1))  # not yet open

    assert set(InformationPoint.objects.open_on(day)) == {
        still_open,
        closes_next_day,
        opens_that_day,
    }


def test_published_keeps_only_the_quotes_that_may_be_published():
    allowed = f.make_testimonial(publication_allowed=True)
    f.make_testimonial(publication_allowed=False)

    assert list(kpis_models.Testimonial.objects.published()) == [allowed]


def test_the_queryset_methods_chain():
    allowed = f.make_testimonial(given_on=D(2021, 5, 1))
    f.make_testimonial(given_on=D(2022, 5, 1))
    f.make_testimonial(given_on=D(2021, 5, 1), publication_allowed=False)

    assert list(kpis_models.Testimonial.objects.in_year(2021).published()) == [allowed]
