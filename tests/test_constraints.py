"""The database itself keeps the data's invariants, whatever the Python code does.

Every write here bypasses model validation (``QuerySet.update``, an insert with
``save()``/``bulk_create``), so only the database stands between the bad value and the
table. Each write must fail
with ``IntegrityError`` and leave the table exactly as it was.

``VIOLATIONS`` lists, per declared constraint, one or more writes that break it. The
meta tests make sure every ``CheckConstraint``/``UniqueConstraint`` in the models has
an entry (and every entry a constraint), and every model has a maker in
``tests/factories.py``, so a new constraint or model cannot land untested.
"""

import dataclasses
import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, models, transaction

import kpis.models as kpis_models  # Testimonial by attribute: pytest would collect it
from kpis.models import (
    ChannelPost,
    ChannelStatistic,
    Event,
    ImportBatch,
    KnowledgeCircleMeeting,
    Publication,
    Target,
    TransportReservation,
)
from subsidies.models import Subsidy
from tests import factories as f

pytestmark = pytest.mark.django_db

OUR_APPS = ("kpis", "projects", "subsidies")

D = datetime.date


@dataclasses.dataclass
class Write:
    """A write that skips validation: changes to a saved record, or a new record."""

    record: models.Model
    changes: dict = dataclasses.field(default_factory=dict)

    @property
    def model(self) -> type[models.Model]:
        return type(self.record)

    def write(self) -> None:
        """An update of the saved record, or an insert of the new one; no validation."""
        if self.changes:
            self.model.objects.filter(pk=self.record.pk).update(**self.changes)
        else:
            self.record.save(force_insert=True)

    def in_memory(self) -> models.Model:
        """The record with the values set but not written, as a form would hold it."""
        for name, value in self.changes.items():
            setattr(self.record, name, value)
        return self.record


def _update(record: models.Model, **changes) -> Write:
    return Write(record, changes)


def _create(model: type[models.Model], **values) -> Write:
    return Write(model(**values))


def _duplicate_post() -> Write:
    post = f.make_channel_post()
    return _create(
        ChannelPost, channel=post.channel, published_on=post.published_on, title=post.title
    )


def _duplicate_statistic() -> Write:
    stat = f.make_channel_statistic()
    return _create(
        ChannelStatistic,
        channel=stat.channel,
        period_start=stat.period_start,
        period_end=D(2021, 6, 15),
    )


def _duplicate_publication() -> Write:
    pub = f.make_publication()
    return _create(Publication, kind=pub.kind, title=pub.title, published_on=pub.published_on)


def _duplicate_meeting() -> Write:
    meeting = f.make_knowledge_circle_meeting()
    return _create(
        KnowledgeCircleMeeting, circle=meeting.circle, held_on=meeting.held_on, topic="Nog een"
    )


def _duplicate_event() -> Write:
    event = f.make_event()
    return _create(Event, title=event.title, held_on=event.held_on, participants=3)


def _duplicate_target() -> Write:
    target = f.make_target()
    return _create(Target, key=target.key, year=target.year, value=Decimal("9"))


def _duplicate_batch() -> Write:
    batch = f.make_import_batch()
    return _create(
        ImportBatch, model_label=batch.model_label, checksum=batch.checksum, file_name="x.csv"
    )


def _second_build_under_way() -> Write:
    build = f.make_report_build(status="bezig", pdf=None, finished_at=None)
    return _create(
        kpis_models.ReportBuild, year=build.year, data_version=build.data_version, status="wachtrij"
    )


def _build_beside_finished() -> Write:
    build = f.make_report_build()  # done
    return _create(kpis_models.ReportBuild, year=build.year, data_version=build.data_version)


def _transport_to_itself() -> Write:
    library = f.make_organisation()
    return _create(
        TransportReservation, origin=library, destination=library, delivered_on=f.DAY, quantity=3
    )


def _second_target(key: str, year: int) -> Write:
    f.make_target(key="subsidies.awarded", year=2021)
    return _create(Target, key=key, year=year, value=Decimal("1"))


EVIDENCE_FILE = {
    "file": "kpis.training/brief.pdf",
    "media_type": "application/pdf",
    "size": 10,
    "checksum": "0" * 64,
}


def _awarded(**overrides) -> Subsidy:
    return f.make_subsidy(status=Subsidy.Status.AWARDED, awarded_on=D(2021, 4, 1), **overrides)


# (constraint name, what the write does, set-up returning the violating Write[, mark])
VIOLATIONS: list[tuple] = [
    # evidence
    (
        "evidence_file_or_link",
        "evidence without file or link",
        lambda: _update(f.make_evidence(), url=""),
    ),
    (
        "evidence_file_or_link",
        "evidence with file and link",
        lambda: _update(f.make_evidence(), **EVIDENCE_FILE),
    ),
    (
        "evidence_link_is_web_address",
        "evidence link to an ftp server",
        lambda: _update(f.make_evidence(), url="ftp://bnf.nl/brief.pdf"),
    ),
    (
        "evidence_link_is_web_address",
        "evidence link that runs script",
        lambda: _update(f.make_evidence(), url="javascript:alert(1)"),
    ),
    (
        "evidence_file_has_details",
        "evidence file without type, size and checksum",
        lambda: _update(f.make_evidence(), url="", file="kpis.training/brief.pdf"),
    ),
    # subsidies
    (
        "subsidy_amount_non_negative",
        "negative amount",
        lambda: _update(f.make_subsidy(), amount=Decimal("-0.01")),
    ),
    (
        "subsidy_awarded_has_date",
        "awarded without date",
        lambda: _update(f.make_subsidy(), status=Subsidy.Status.AWARDED),
    ),
    (
        "subsidy_awarded_has_date",
        "award date removed",
        lambda: _update(_awarded(), awarded_on=None),
    ),
    (
        "subsidy_award_date_only_when_awarded",
        "applied with award date",
        lambda: _update(f.make_subsidy(), awarded_on=D(2021, 4, 1)),
    ),
    (
        "subsidy_award_date_only_when_awarded",
        "rejected with award date",
        lambda: _update(_awarded(), status=Subsidy.Status.REJECTED),
    ),
    (
        "subsidy_awarded_not_before_applied",
        "award date before application date",
        lambda: _update(_awarded(), awarded_on=D(2021, 2, 28)),
    ),
    # projects
    (
        "project_end_not_before_start",
        "project ends before start",
        lambda: _update(f.make_project(), ended_on=f.DAY - datetime.timedelta(days=1)),
    ),
    (
        "application_amount_non_negative",
        "negative amount requested",
        lambda: _update(f.make_project_application(), amount_requested=Decimal("-1")),
    ),
    (
        "application_decided_not_before_submitted",
        "decision before submission",
        lambda: _update(f.make_project_application(), decided_on=D(2021, 6, 14)),
    ),
    (
        "trajectory_end_not_before_start",
        "trajectory ends before start",
        lambda: _update(f.make_guided_trajectory(), ended_on=D(2021, 6, 14)),
    ),
    # trainings and kenniskringen
    (
        "training_participants_non_negative",
        "negative participants",
        lambda: _update(f.make_training(), participants=-1),
    ),
    (
        "training_score_within_scale",
        "score 0",
        lambda: _update(f.make_training(), respondents=5, evaluation_score=Decimal("0")),
    ),
    (
        "training_score_within_scale",
        "score 10.5",
        lambda: _update(f.make_training(), respondents=5, evaluation_score=Decimal("10.5")),
    ),
    # bijeenkomsten
    (
        "event_participants_non_negative",
        "negative participants",
        lambda: _update(f.make_event(), participants=-1),
    ),
    ("event_title_not_empty", "empty title", lambda: _update(f.make_event(), title="")),
    ("event_unique_title_per_day", "same title on the same day", _duplicate_event),
    (
        "training_respondents_not_above_participants",
        "respondents above participants",
        lambda: _update(f.make_training(participants=10), respondents=11),
    ),
    (
        "training_score_needs_respondents",
        "score without respondents",
        # ``respondents >= 1`` alone would be NULL (and pass) for an empty respondents.
        lambda: _update(f.make_training(), evaluation_score=Decimal("8")),
    ),
    (
        "training_score_needs_respondents",
        "score with 0 respondents",
        lambda: _update(f.make_training(), respondents=0, evaluation_score=Decimal("8")),
    ),
    (
        "circle_end_not_before_start",
        "kenniskring ends before start",
        lambda: _update(f.make_knowledge_circle(), ended_on=D(2021, 6, 14)),
    ),
    (
        "meeting_participants_non_negative",
        "negative meeting participants",
        lambda: _update(f.make_knowledge_circle_meeting(), participants=-1),
    ),
    (
        "meeting_unique_per_circle_and_day",
        "second meeting of a circle on one day",
        _duplicate_meeting,
    ),
    # communication
    (
        "post_views_non_negative",
        "negative views",
        lambda: _update(f.make_channel_post(), views=-1),
    ),
    (
        "post_likes_non_negative",
        "negative likes",
        lambda: _update(f.make_channel_post(), likes=-1),
    ),
    ("post_unique_per_channel_day_title", "duplicate post", _duplicate_post),
    (
        "statistic_views_non_negative",
        "negative statistic views",
        lambda: _update(f.make_channel_statistic(), views=-1),
    ),
    (
        "statistic_end_not_before_start",
        "statistic period ends before start",
        lambda: _update(f.make_channel_statistic(), period_end=D(2021, 5, 31)),
    ),
    (
        "statistic_unique_per_channel_period",
        "same channel and period start twice",
        _duplicate_statistic,
    ),
    (
        "publication_unique_kind_title_date",
        "duplicate publication",
        _duplicate_publication,
    ),
    # digital inclusion
    (
        "ido_closed_not_before_opened",
        "IDO closed before opening",
        lambda: _update(f.make_information_point(), closed_on=D(2021, 6, 14)),
    ),
    # transport
    (
        "transport_quantity_at_least_one",
        "quantity 0",
        lambda: _update(f.make_transport(), quantity=0),
    ),
    (
        "transport_origin_differs_from_destination",
        "origin is destination",
        _transport_to_itself,
    ),
    (
        "transport_month_starts_on_first",
        "month total not on day 1",
        lambda: _update(f.make_transport(), period=TransportReservation.Period.MONTH),
    ),
    # targets
    (
        "target_value_non_negative",
        "negative target",
        lambda: _update(f.make_target(), value=Decimal("-1")),
    ),
    ("target_unique_per_key_and_year", "duplicate target (key, year)", _duplicate_target),
    (
        "target_year_plausible",
        "target year 1900",
        lambda: _update(f.make_target(), year=1900),
    ),
    (
        "target_year_plausible",
        "target year 2101",
        lambda: _update(f.make_target(), year=2101),
    ),
    # closing and imports
    (
        "reopening_has_reason",
        "reopening without a reason",
        lambda: _update(f.make_year_reopening(), reason=""),
    ),
    (
        "reportbuild_one_under_way",
        "two builds of one year and data version under way",
        _second_build_under_way,
    ),
    (
        "importbatch_unique_file",
        "the same file imported twice",
        lambda: _duplicate_batch(),
    ),
    (
        "importbatchrange_last_not_before_first",
        "a run of a batch that ends before it starts",
        lambda: _update(f.make_import_batch_range(first_id=10, last_id=12), last_id=9),
    ),
    # the network's identity: one row per installation, for now
    (
        "network_single_row",
        "a second network",
        lambda: Write(kpis_models.Network(pk=2, name="Tweede netwerk", home_province="zeeland")),
    ),
]

# Constraints on a PositiveIntegerField: Django gives that column its own CHECK (>= 0),
# which the database may evaluate first. Either one refusing the write keeps the rule.
# (PostgreSQL does: it checks constraints in name order and "kpis_..." sorts first.)
ALSO_CAUGHT_BY_COLUMN_CHECK = {
    "training_participants_non_negative": "participants",
    "event_participants_non_negative": "participants",
    "meeting_participants_non_negative": "participants",
    "post_views_non_negative": "views",
    "post_likes_non_negative": "likes",
    "statistic_views_non_negative": "views",
}

# Writes right on the boundary of a constraint: the database must accept them.
ALLOWED: list[tuple[str, Callable[[], Write]]] = [
    ("evidence link in capitals", lambda: _update(f.make_evidence(), url="HTTPS://WWW.BNF.NL/")),
    ("amount 0", lambda: _update(f.make_subsidy(), amount=Decimal("0"))),
    (
        "awarded on the day of application",
        lambda: _update(_awarded(), awarded_on=D(2021, 3, 1)),
    ),
    ("project ends on its start day", lambda: _update(f.make_project(), ended_on=f.DAY)),
    ("IDO closes on its opening day", lambda: _update(f.make_information_point(), closed_on=f.DAY)),
    (
        "score 10",
        lambda: _update(f.make_training(), respondents=10, evaluation_score=Decimal("10")),
    ),
    ("score 1", lambda: _update(f.make_training(), respondents=1, evaluation_score=Decimal("1"))),
    ("respondents equal participants", lambda: _update(f.make_training(), respondents=10)),
    ("quantity 1", lambda: _update(f.make_transport(quantity=5), quantity=1)),
    (
        "month total on day 1",
        lambda: _update(f.make_transport(), period="month", delivered_on=D(2021, 6, 1)),
    ),
    ("statistic of one day", lambda: _update(f.make_channel_statistic(), period_end=D(2021, 6, 1))),
    ("target year 2000", lambda: _update(f.make_target(), year=2000)),
    ("target year 2100", lambda: _update(f.make_target(), year=2100)),
    ("target 0", lambda: _update(f.make_target(), value=Decimal("0"))),
    ("a build under way beside a finished one", lambda: _build_beside_finished()),
    (
        "a batch's run of one id",
        lambda: _update(f.make_import_batch_range(first_id=10, last_id=12), last_id=10),
    ),
    ("same target key, other year", lambda: _second_target("subsidies.awarded", 2022)),
    ("other target key, same year", lambda: _second_target("subsidies.awarded_amount", 2021)),
]

MAKERS: dict[type[models.Model], Callable[..., models.Model]] = f.makers()


def our_models() -> list[type[models.Model]]:
    """The models people write to (a summary the database keeps is not one of them)."""
    return [
        m for label in OUR_APPS for m in apps.get_app_config(label).get_models() if m._meta.managed
    ]


def declared_constraints() -> dict[str, models.BaseConstraint]:
    return {c.name: c for m in our_models() for c in m._meta.constraints}


def unique_fields() -> list[tuple[type[models.Model], str]]:
    return [
        (model, fld.name)
        for model in our_models()
        for fld in model._meta.local_fields
        if fld.unique and not fld.primary_key
    ]


def _rows(model: type[models.Model]) -> list[dict]:
    return list(model._default_manager.order_by("pk").values())


def assert_refused(model: type[models.Model], write: Callable[[], object]) -> IntegrityError:
    """The write raises IntegrityError and leaves the table as it was."""
    before = _rows(model)
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        write()
    assert _rows(model) == before
    return exc.value


# --- meta: nothing declared goes untested --------------------------------------------


def test_every_declared_constraint_has_a_violating_write():
    assert set(declared_constraints()) == {name for name, *_ in VIOLATIONS}


def test_every_model_has_a_maker_that_saves_a_valid_record():
    assert set(MAKERS) == set(our_models())
    # A closed year last: the records before it are dated in years it could close.
    closing = (kpis_models.ClosedYear, kpis_models.YearReopening)
    for model, make in sorted(MAKERS.items(), key=lambda item: item[0] in closing):
        record = make()
        assert record.pk is not None
        assert model.objects.filter(pk=record.pk).exists()


def test_the_unique_fields_are_the_ones_the_design_names():
    names = {f"{m.__name__}.{field}" for m, field in unique_fields()}
    assert {
        "Organisation.name",
        "Organisation.code",
        "Theme.slug",
        "Channel.slug",
        "Funder.slug",
        "Fund.slug",
        "KnowledgeCircle.name",
        "InformationPoint.name",
    } <= names


# --- the database refuses ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "setup"),
    [
        pytest.param(name, setup, id=f"{name}: {what}", marks=marks)
        for name, what, setup, *marks in VIOLATIONS
    ],
)
def test_the_database_refuses_a_write_that_breaks_a_constraint(name, setup):
    change = setup()
    error = assert_refused(change.model, change.write)

    message = str(error).lower()
    if isinstance(declared_constraints()[name], models.UniqueConstraint):
        # SQLite names the columns, PostgreSQL the constraint.
        assert "unique" in message
    elif name in ALSO_CAUGHT_BY_COLUMN_CHECK:
        # The named constraint or the column's own check: both messages name the column.
        assert ALSO_CAUGHT_BY_COLUMN_CHECK[name] in message
    else:
        assert name in message


@pytest.mark.parametrize(
    ("model", "field"),
    [pytest.param(m, field, id=f"{m.__name__}.{field}") for m, field in unique_fields()],
)
def test_the_database_refuses_a_duplicate_unique_value(model, field):
    make = MAKERS[model]
    first, second = make(), make()
    taken = getattr(first, field)

    # The maker fills every other field with fresh values: only ``field`` clashes.
    error = assert_refused(model, lambda: make(**{field: taken}))
    assert "unique" in str(error).lower()
    error = assert_refused(model, _update(second, **{field: taken}).write)
    # A closed year's row does not change at all (kpis.core.year_policy), before any uniqueness.
    expected = "bnf-snapshot-frozen" if model is kpis_models.ClosedYear else "unique"
    assert expected in str(error).lower()


def test_bulk_create_is_all_or_nothing():
    channel = f.make_channel()
    good = ChannelPost(channel=channel, title="Goed", published_on=f.DAY, views=3)
    bad = ChannelPost(channel=channel, title="Fout", published_on=f.DAY, views=-3)
    assert_refused(ChannelPost, lambda: ChannelPost.objects.bulk_create([good, bad]))
    assert not ChannelPost.objects.exists()


@pytest.mark.parametrize("setup", [pytest.param(s, id=what) for what, s in ALLOWED])
def test_the_database_accepts_a_write_on_the_boundary(setup):
    change = setup()
    with transaction.atomic():
        change.write()
    assert change.model.objects.filter(**{"pk": change.record.pk, **change.changes}).exists()
