"""The demo fixture (fixtures/bnf_2021.json) reproduces every figure of the 2021 report.

The figures are tallied here with plain Django querysets, deliberately independent of
the reporting code, so these tests check the data and not the code under test. The
expected values come from the KPI catalogue (tests/catalogue.py).
"""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db.models import Q, Sum

from kpis.models import (
    ChannelPost,
    ChannelStatistic,
    InformationPoint,
    KnowledgeCircle,
    KnowledgeCircleMeeting,
    Organisation,
    Publication,
    Registration,
    SupportActivity,
    Target,
    Training,
    TransportReservation,
    testimonials,
)
from projects.models import GuidedTrajectory, Project, ProjectApplication
from subsidies.models import Funder, Subsidy
from tests.catalogue import catalogue_keys, expected_2021

YEAR = (datetime.date(2021, 1, 1), datetime.date(2021, 12, 31))
END_OF_YEAR = YEAR[1]
HOME = "flevoland"
TOP_POST_TITLE = "Online kennis- en inspiratiesessie Gezinsaanpak"


def in_2021(field: str) -> Q:
    return Q(**{f"{field}__range": YEAR})


def total(queryset, field: str):
    return queryset.aggregate(total=Sum(field))["total"] or 0


def awarded_subsidies():
    return Subsidy.objects.filter(in_2021("awarded_on"), status="awarded")


def support(kind_slug: str) -> int:
    return SupportActivity.objects.filter(in_2021("carried_out_on"), kind__slug=kind_slug).count()


def posts(channel_slug: str):
    return ChannelPost.objects.filter(in_2021("published_on"), channel__slug=channel_slug)


def publications(kind: str) -> int:
    return Publication.objects.filter(in_2021("published_on"), kind=kind).count()


def applications():
    return ProjectApplication.objects.filter(in_2021("submitted_on"))


def transport_2021():
    return TransportReservation.objects.filter(in_2021("delivered_on"))


def top_post(channel_slug: str) -> tuple[str, int]:
    post = posts(channel_slug).order_by("-views").first()
    return post.title, post.views


def open_information_points() -> int:
    return (
        InformationPoint.objects.filter(opened_on__lte=END_OF_YEAR)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=END_OF_YEAR))
        .count()
    )


def within_province() -> int:
    return total(
        transport_2021().filter(origin__province=HOME, destination__province=HOME), "quantity"
    )


def interprovincial() -> int:
    leaving = Q(origin__province=HOME) & ~Q(destination__province=HOME)
    arriving = ~Q(origin__province=HOME) & Q(destination__province=HOME)
    return total(transport_2021().filter(leaving | arriving), "quantity")


TALLIES = {
    "subsidies.awarded": lambda: awarded_subsidies().count(),
    "subsidies.awarded_amount": lambda: total(awarded_subsidies(), "amount"),
    "positioning.best_practices_shared": lambda: support("best-practice"),
    "positioning.provincial_projects": lambda: Project.objects.filter(
        in_2021("started_on"), kind="provincial"
    ).count(),
    "positioning.new_network_organisations": lambda: Organisation.objects.filter(
        in_2021("joined_network_on")
    ).count(),
    "projects.applications_supported": lambda: applications().count(),
    "projects.applications_innovation_fund": lambda: (
        applications().filter(fund__slug="innovatiefonds").count()
    ),
    "projects.national_assignments_guided": lambda: GuidedTrajectory.objects.filter(
        in_2021("started_on")
    ).count(),
    "support.advices": lambda: support("advice"),
    "support.processes_optimised": lambda: support("process-optimised"),
    "support.services_supported": lambda: support("service-supported"),
    "communication.website_views": lambda: total(
        ChannelStatistic.objects.filter(in_2021("period_start"), channel__slug="website"),
        "views",
    ),
    "communication.news_posts": lambda: posts("website").count(),
    "communication.kennisversterkers": lambda: publications("kennisversterker"),
    "communication.glossies": lambda: publications("glossy"),
    "communication.posts.yammer": lambda: posts("yammer").count(),
    "communication.views.yammer": lambda: total(posts("yammer"), "views"),
    "communication.likes.yammer": lambda: total(posts("yammer"), "likes"),
    "communication.top_post.yammer": lambda: top_post("yammer"),
    "communication.posts.flip": lambda: posts("flip").count(),
    "communication.posts.blink": lambda: posts("blink").count(),
    "knowledge.trainings": lambda: Training.objects.filter(in_2021("held_on")).count(),
    "knowledge.kenniskringen": lambda: (
        KnowledgeCircleMeeting.objects.filter(in_2021("held_on"))
        .values("circle")
        .distinct()
        .count()
    ),
    "knowledge.national_themes": lambda: support("national-theme"),
    "digital_inclusion.ido_points": open_information_points,
    "transport.within_province": within_province,
    "transport.interprovincial": interprovincial,
}


def registration_models():
    return [model for model in apps.get_models() if issubclass(model, Registration)]


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_data")
class TestTheDemoFixture:
    """All read against one load of the fixture (see ``demo_data`` in conftest)."""

    def test_every_catalogue_figure_has_a_tally_here(self):
        assert sorted(TALLIES) == sorted(catalogue_keys())

    @pytest.mark.parametrize("key", catalogue_keys())
    def test_the_fixture_reproduces_the_2021_figure(self, key):
        expected = expected_2021()[key]
        actual = TALLIES[key]()
        if isinstance(expected, tuple):
            assert actual == expected
        else:
            assert Decimal(actual) == expected

    def test_it_loads_on_the_database_and_the_database_accepts_new_records_afterwards(self):
        assert Subsidy.objects.count() == 9
        assert Organisation.objects.filter(code__in=["fmb", "dnb"]).count() == 2
        # Explicit primary keys in the fixture must not break the next insert (sequences).
        new = Subsidy.objects.create(
            title="Nieuwe subsidie",
            funder=Funder.objects.get_by_natural_key("stichting-lezen"),
            amount=Decimal("1000.00"),
            applied_on=datetime.date(2022, 1, 10),
        )
        assert new.pk > max(Subsidy.objects.exclude(pk=new.pk).values_list("pk", flat=True))

    def test_loading_it_twice_updates_instead_of_duplicating(self):
        from django.core.management import call_command

        before = {model: model.objects.count() for model in registration_models()}
        call_command("loaddata", "bnf_2021", verbosity=0)
        assert {model: model.objects.count() for model in registration_models()} == before

    def test_the_seven_awarded_subsidies_add_up_to_the_exact_amount_in_euros(self):
        amounts = list(awarded_subsidies().values_list("amount", flat=True))
        assert len(amounts) == 7
        assert all(isinstance(amount, Decimal) for amount in amounts)
        assert sum(amounts, Decimal("0")) == Decimal("263568.00")
        assert set(awarded_subsidies().values_list("role", flat=True)) == {
            "lead",
            "co_applicant",
        }

    def test_subsidies_applied_for_but_not_awarded_are_there_and_do_not_count(self):
        not_awarded = Subsidy.objects.filter(in_2021("applied_on")).exclude(status="awarded")
        assert not_awarded.count() == 2
        assert not not_awarded.filter(awarded_on__isnull=False).exists()

    def test_the_top_yammer_post_is_the_unique_maximum(self):
        views = list(posts("yammer").order_by("-views").values_list("views", flat=True))
        assert views[0] == 144
        assert views[1] < 144
        assert posts("yammer").get(views=144).title == TOP_POST_TITLE

    def test_an_unpublished_testimonial_exists_for_the_privacy_tests(self):
        hidden = testimonials.Testimonial.objects.filter(publication_allowed=False)
        assert hidden.count() == 1
        assert "NIET PUBLICEREN" in hidden.get().text
        assert testimonials.Testimonial.objects.filter(publication_allowed=True).count() >= 12

    def test_the_quotes_of_the_report_are_published_testimonials(self):
        published = testimonials.Testimonial.objects.filter(
            publication_allowed=True, given_on__range=YEAR
        )
        contexts = set(published.values_list("context", flat=True))
        assert {
            "Van het bestuur",
            "Is trots op",
            "Feedback over de glossy",
            "Feedback over de checklist",
            "Feedback over COVID-leesoffensief in Flevoland",
            "Evaluatie kennis- en inspiratiesessie Gezinsaanpak",
        } <= contexts
        assert published.filter(person="Jan Gommer", organisation__code="fmb").exists()

    def test_every_registration_record_is_marked_as_demo_data(self):
        checked = 0
        for model in registration_models():
            for notes in model.objects.values_list("notes", flat=True):
                assert "Demodata" in notes, model.__name__
                checked += 1
        assert checked > 150
        assert not ChannelStatistic.objects.exclude(notes__contains="Demodata").exists()

    def test_every_record_passes_model_validation(self):
        models = [*registration_models(), ChannelStatistic, TransportReservation, Organisation]
        for model in models:
            for obj in model.objects.all():
                obj.full_clean()

    def test_registrations_point_to_the_advisers_by_username(self):
        advisers = set(User.objects.filter(is_staff=True).values_list("username", flat=True))
        assert {"karin", "tjarko", "sylvie", "lizet"} <= advisers
        assert not User.objects.get(username="karin").has_usable_password()
        assert (
            Training.objects.filter(adviser__username="tjarko", title__startswith="IDO").count()
            >= 2
        )

    def test_the_session_that_received_an_8_is_a_training_with_an_evaluation(self):
        session = Training.objects.get(title=TOP_POST_TITLE)
        assert session.evaluation_score == Decimal("8.0")
        assert 1 <= session.respondents <= session.participants

    def test_the_fifth_kenniskring_only_met_in_2020(self):
        circles = KnowledgeCircle.objects.all()
        assert circles.count() == 5
        not_in_2021 = circles.exclude(meetings__held_on__range=YEAR)
        assert not_in_2021.count() == 1
        assert not_in_2021.get().meetings.filter(held_on__year=2020).exists()

    def test_an_information_point_closed_during_2021_is_in_the_data_but_not_open_at_year_end(self):
        closed = InformationPoint.objects.filter(closed_on__range=YEAR)
        assert closed.count() == 1
        assert InformationPoint.objects.filter(opened_on__year=2020).count() >= 2

    def test_targets_for_2022_use_catalogue_keys(self):
        targets = Target.objects.filter(year=2022)
        assert targets.count() >= 8
        assert set(targets.values_list("key", flat=True)) <= set(catalogue_keys())
