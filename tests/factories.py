"""Small record makers: ``make_<model>(**overrides)`` saves one valid record.

Each maker fills every required field with a sensible default, creates the related
records it needs (unless you pass them), and returns the saved instance. Pass any
field as a keyword to override it. Names, codes and slugs get a running number so
several records of the same model can coexist. Many-to-many fields are left empty;
set them on the returned instance.

The makers use ``Model.objects.create``: they do not run ``full_clean()``, so a test
can also use them to write a deliberately invalid record.
"""

import datetime
import itertools
import re
from decimal import Decimal

from kpis.dev import reference
from kpis.models import (
    Channel,
    ChannelPost,
    ChannelStatistic,
    ClosedYear,
    Event,
    ImportBatch,
    ImportBatchRange,
    InformationPoint,
    KnowledgeCircle,
    KnowledgeCircleMeeting,
    Network,
    Organisation,
    Province,
    Publication,
    ReportText,
    SupportActivity,
    SupportKind,
    Target,
    Testimonial,
    Theme,
    Training,
    TransportReservation,
    YearReopening,
)
from projects.models import Fund, GuidedTrajectory, Project, ProjectApplication
from subsidies.models import Funder, Subsidy

_numbers = itertools.count(1)

DAY = datetime.date(2021, 6, 15)
"""The default date of every maker: mid-2021, the year of the demo report."""
DAY_TIME = datetime.datetime(2021, 6, 15, 12, 0, tzinfo=datetime.UTC)


def _next() -> int:
    return next(_numbers)


# --- kpis: reference data ---------------------------------------------------


def make_organisation(**overrides) -> Organisation:
    """A library in Flevoland (pass ``province=`` for one elsewhere)."""
    n = _next()
    fields = {
        "name": f"Bibliotheek {n}",
        "code": f"bieb-{n}",
        "kind": Organisation.Kind.LIBRARY,
        "province": Province.FLEVOLAND,
    }
    return Organisation.objects.create(**{**fields, **overrides})


def set_network(**fields) -> Network:
    """The network's identity (its one row, made by the migration) with ``fields``
    changed and saved; ``members=[...]`` sets its libraries."""
    network, _created = Network.objects.get_or_create(
        pk=1, defaults={"home_province": Province.FLEVOLAND}
    )
    members = fields.pop("members", None)
    for name, value in fields.items():
        setattr(network, name, value)
    network.save()
    if members is not None:
        network.members.set(members)
    return network


# BNF's own reference data, as the demo fixture and the demo generator have it: from the
# one place it is written (kpis.dev.reference), never typed again in a test.


def make_reference_organisation(code: str = "fmb", **overrides) -> Organisation:
    """BNF's organisation ``code`` ("fmb", "dnb", "provincie-flevoland", a library
    elsewhere), with its reference name, kind and province."""
    fields = reference.organisation(code)
    fields["notes"] = fields.pop("note")
    return Organisation.objects.create(**{**fields, **overrides})


def make_reference_theme(slug: str = "geletterdheid") -> Theme:
    return Theme.objects.create(slug=slug, name=dict(reference.THEMES)[slug])


def make_reference_channel(slug: str = "website") -> Channel:
    for found, name, audience, posts, engagement, order in reference.CHANNELS:
        if found == slug:
            return Channel.objects.create(
                slug=slug,
                name=name,
                audience=audience,
                report_posts=posts,
                report_engagement=engagement,
                order=order,
            )
    raise KeyError(slug)


def make_theme(**overrides) -> Theme:
    """A maatschappelijke opgave."""
    n = _next()
    return Theme.objects.create(**{"name": f"Opgave {n}", "slug": f"opgave-{n}", **overrides})


def make_channel(**overrides) -> Channel:
    """An internal channel whose post count is reported."""
    n = _next()
    return Channel.objects.create(**{"name": f"Kanaal {n}", "slug": f"kanaal-{n}", **overrides})


def make_support_kind(**overrides) -> SupportKind:
    """A kind of support work (advice, process optimised, ...)."""
    n = _next()
    return SupportKind.objects.create(
        **{"name": f"Ondersteuning {n}", "slug": f"ondersteuning-{n}", **overrides}
    )


# --- kpis: registrations ----------------------------------------------------


def make_support_activity(**overrides) -> SupportActivity:
    """Support work carried out on ``DAY``, of a new kind unless ``kind=`` is given."""
    fields = {"title": f"Advies {_next()}", "carried_out_on": DAY}
    if "kind" not in overrides:
        fields["kind"] = make_support_kind()
    return SupportActivity.objects.create(**{**fields, **overrides})


def make_training(**overrides) -> Training:
    """A training on ``DAY`` with 10 participants and no evaluation."""
    fields = {"title": f"Training {_next()}", "held_on": DAY, "participants": 10}
    return Training.objects.create(**{**fields, **overrides})


def make_event(**overrides) -> Event:
    """A network meeting on ``DAY`` with 25 participants."""
    fields = {"title": f"Bijeenkomst {_next()}", "held_on": DAY, "participants": 25}
    return Event.objects.create(**{**fields, **overrides})


def make_knowledge_circle(**overrides) -> KnowledgeCircle:
    """A kenniskring started on ``DAY`` that still runs."""
    fields = {"name": f"Kenniskring {_next()}", "started_on": DAY}
    return KnowledgeCircle.objects.create(**{**fields, **overrides})


def make_knowledge_circle_meeting(**overrides) -> KnowledgeCircleMeeting:
    """A meeting on ``DAY`` of a new kenniskring unless ``circle=`` is given."""
    fields = {"held_on": DAY, "participants": 8}
    if "circle" not in overrides:
        fields["circle"] = make_knowledge_circle()
    return KnowledgeCircleMeeting.objects.create(**{**fields, **overrides})


def make_channel_post(**overrides) -> ChannelPost:
    """A post on ``DAY`` on a new channel unless ``channel=`` is given."""
    fields = {"title": f"Bericht {_next()}", "published_on": DAY}
    if "channel" not in overrides:
        fields["channel"] = make_channel()
    return ChannelPost.objects.create(**{**fields, **overrides})


def make_channel_statistic(**overrides) -> ChannelStatistic:
    """June 2021 views of a new channel unless ``channel=`` is given."""
    fields = {
        "period_start": datetime.date(2021, 6, 1),
        "period_end": datetime.date(2021, 6, 30),
        "views": 1000,
    }
    if "channel" not in overrides:
        fields["channel"] = make_channel()
    return ChannelStatistic.objects.create(**{**fields, **overrides})


def make_publication(**overrides) -> Publication:
    """A kennisversterker sent on ``DAY``."""
    fields = {
        "kind": Publication.Kind.KENNISVERSTERKER,
        "title": f"Kennisversterker {_next()}",
        "published_on": DAY,
    }
    return Publication.objects.create(**{**fields, **overrides})


def make_information_point(**overrides) -> InformationPoint:
    """An IDO opened on ``DAY`` and still open, run by a new library unless given."""
    n = _next()
    fields = {"name": f"IDO {n}", "location": f"Vestiging {n}", "opened_on": DAY}
    if "organisation" not in overrides:
        fields["organisation"] = make_organisation()
    return InformationPoint.objects.create(**{**fields, **overrides})


def make_testimonial(**overrides) -> Testimonial:
    """A quote given on ``DAY`` that may be published."""
    fields = {
        "text": "Heel inspirerend!",
        "person": "Lezer",
        "given_on": DAY,
        "publication_allowed": True,
    }
    return Testimonial.objects.create(**{**fields, **overrides})


def make_transport(**overrides) -> TransportReservation:
    """One reservation on ``DAY`` between two new Flevoland libraries unless given."""
    fields = {"delivered_on": DAY, "quantity": 1}
    if "origin" not in overrides:
        fields["origin"] = make_organisation()
    if "destination" not in overrides:
        fields["destination"] = make_organisation()
    return TransportReservation.objects.create(**{**fields, **overrides})


def make_target(**overrides) -> Target:
    """A 2021 target for ``subsidies.awarded`` (override ``key``/``year`` for more than one)."""
    fields = {"key": "subsidies.awarded", "year": 2021, "value": Decimal("5")}
    return Target.objects.create(**{**fields, **overrides})


def make_closed_year(**overrides) -> ClosedYear:
    """A closed year far from the data (pass ``year=2021`` to lock the demo year), with an
    empty snapshot; the year-closing service makes real ones."""
    return ClosedYear.objects.create(**{"year": 2099 - _next() % 50, **overrides})


def make_year_reopening(**overrides) -> YearReopening:
    """A logged reopening of 2021."""
    fields = {"year": 2021, "reason": "Correctie", "closed_at": DAY_TIME}
    return YearReopening.objects.create(**{**fields, **overrides})


def make_report_text(**overrides) -> ReportText:
    """The report texts of a year no other maker has used (each call a new year)."""
    fields = {"year": 1900 + _next() % 100, "intro": "Welkom.", "plans": "- Meer lezen"}
    return ReportText.objects.create(**{**fields, **overrides})


def make_import_batch(**overrides) -> ImportBatch:
    """An import batch of transport reservations with a unique checksum."""
    n = _next()
    fields = {
        "model_label": "kpis.transportreservation",
        "file_name": f"transport-{n}.csv",
        "checksum": f"{n:064x}",
    }
    return ImportBatch.objects.create(**{**fields, **overrides})


def make_import_batch_range(**overrides) -> ImportBatchRange:
    """A post that an admin import created, as its batch lists it: a run of one id."""
    from django.contrib.contenttypes.models import ContentType

    post = overrides.pop("record", None) or make_channel_post()
    batch = overrides.pop("batch", None) or make_import_batch(
        model_label="kpis.channelpost", same_file_again=True
    )
    fields = {
        "batch": batch,
        "content_type": ContentType.objects.get_for_model(post),
        "first_id": post.pk,
        "last_id": post.pk,
        "created": True,
    }
    return ImportBatchRange.objects.create(**{**fields, **overrides})


def make_report_build(**overrides):
    """A finished concept PDF of 2021, made from a data version of its own."""
    from django.utils import timezone

    from kpis.models import ReportBuild

    fields = {
        "year": 2021,
        "data_version": f"test:{_next()}",
        "status": ReportBuild.Status.DONE,
        "pdf": b"%PDF-1.7 test",
        "finished_at": timezone.now(),
    }
    return ReportBuild.objects.create(**{**fields, **overrides})


def make_transport_import_job(**overrides):
    """A background transport import of 100 rows that ran (and found nothing to import)."""
    from django.utils import timezone

    from kpis.models import TransportImportJob

    fields = {
        "file_name": f"transport-{_next()}.csv",
        "status": TransportImportJob.Status.FAILED,
        "rows_total": 100,
        "finished_at": timezone.now(),
    }
    return TransportImportJob.objects.create(**{**fields, **overrides})


def make_notification_preference(**overrides):
    """A user's e-mail choices: reminders off, the digest on (and a new user if none given)."""
    from django.contrib.auth.models import User

    from kpis.models import NotificationPreference

    if "user" not in overrides:
        overrides["user"] = User.objects.create_user(f"gebruiker-{_next()}")
    return NotificationPreference.objects.create(**{"reminders": False, **overrides})


def make_evidence(record=None, **overrides):
    """A link to a news post as evidence of ``record`` (a new training if none)."""
    from django.contrib.contenttypes.models import ContentType

    from kpis.models import Evidence

    record = record or make_training()
    fields = {
        "content_type": ContentType.objects.get_for_model(record),
        "object_id": record.pk,
        "url": f"https://www.voorbeeld.nl/nieuws/{_next()}",
        "description": "Nieuwsbericht",
    }
    return Evidence.objects.create(**{**fields, **overrides})


# --- projects ----------------------------------------------------------------


def make_project(**overrides) -> Project:
    """A provincial project started on ``DAY`` that still runs."""
    return Project.objects.create(**{"title": f"Project {_next()}", "started_on": DAY, **overrides})


def make_fund(**overrides) -> Fund:
    """A fund for project applications."""
    n = _next()
    return Fund.objects.create(**{"name": f"Fonds {n}", "slug": f"fonds-{n}", **overrides})


def make_project_application(**overrides) -> ProjectApplication:
    """A pending application submitted on ``DAY`` by a new library to a new fund."""
    fields = {"title": f"Aanvraag {_next()}", "submitted_on": DAY}
    if "applicant" not in overrides:
        fields["applicant"] = make_organisation()
    if "fund" not in overrides:
        fields["fund"] = make_fund()
    return ProjectApplication.objects.create(**{**fields, **overrides})


def make_guided_trajectory(**overrides) -> GuidedTrajectory:
    """A guided trajectory started on ``DAY`` that still runs."""
    fields = {
        "title": f"Traject {_next()}",
        "national_assignment": "Digitaal Burgerschap",
        "started_on": DAY,
    }
    return GuidedTrajectory.objects.create(**{**fields, **overrides})


# --- subsidies ---------------------------------------------------------------


def make_funder(**overrides) -> Funder:
    """A subsidy giver."""
    n = _next()
    return Funder.objects.create(
        **{"name": f"Subsidiegever {n}", "slug": f"subsidiegever-{n}", **overrides}
    )


def make_subsidy(**overrides) -> Subsidy:
    """A subsidy of € 10.000 applied for on 1 March 2021, still undecided.

    For an awarded one pass ``status=Subsidy.Status.AWARDED, awarded_on=<date>``.
    """
    fields = {
        "title": f"Subsidie {_next()}",
        "amount": Decimal("10000.00"),
        "applied_on": datetime.date(2021, 3, 1),
    }
    if "funder" not in overrides:
        fields["funder"] = make_funder()
    return Subsidy.objects.create(**{**fields, **overrides})


# --- one maker per model ---------------------------------------------------------------

# Where a maker's name is not ``make_<model name in snake case>``.
_NAMED_OTHERWISE = {"kpis.TransportReservation": "make_transport", "kpis.Network": "set_network"}


def makers() -> dict:
    """``{model: maker}`` for every model of our apps that people write to (a summary the
    database keeps is not one of them), found by name: a new model needs only its
    ``make_<model>`` here, and every test that goes over all models includes it."""
    from django.apps import apps

    found = {}
    for label in ("kpis", "projects", "subsidies"):
        for model in apps.get_app_config(label).get_models():
            if not model._meta.managed:
                continue
            snake = re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()
            name = _NAMED_OTHERWISE.get(model._meta.label, f"make_{snake}")
            found[model] = globals().get(name)
    missing = sorted(model._meta.label for model, maker in found.items() if maker is None)
    assert not missing, f"Add a make_<model> to tests/factories.py for: {', '.join(missing)}"
    return found
