"""Each rule declared once: a check constraint is the database's rule and the form's
message on one field; "open on a day" is one stock rule for querysets and figures."""

import datetime
import inspect
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import models
from django.utils import translation

from kpis.core.rules import FieldCheck
from kpis.models import InformationPoint
from kpis.reporting import aggregation
from kpis.reporting.figures import Kind
from tests import factories as f
from tests.test_constraints import ALLOWED, VIOLATIONS, declared_constraints, our_models

pytestmark = pytest.mark.django_db

D = datetime.date

# Check constraints that are about the record as a whole, not one field a person fills in.
NOT_ON_A_FIELD = {
    "network_single_row": "the row's id: a second network, not a value in the form",
    "evidence_file_or_link": "two fields together; clean() says which is missing",
    "evidence_file_has_details": "type, size and checksum are set by the upload, not typed",
    # Could be a FieldCheck on ``url``; left as it is while evidence is someone else's work.
    "evidence_link_is_web_address": "the URL field's own validator reports it first",
}


def check_constraints() -> list[tuple[type[models.Model], models.CheckConstraint]]:
    return [
        (model, constraint)
        for model in our_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
    ]


@pytest.mark.parametrize(
    ("model", "constraint"),
    [pytest.param(m, c, id=c.name) for m, c in check_constraints()],
)
def test_every_check_constraint_surfaces_on_a_field_it_reads(model, constraint):
    if constraint.name in NOT_ON_A_FIELD:
        assert not isinstance(constraint, FieldCheck)
        return
    assert isinstance(constraint, FieldCheck), f"{constraint.name}: declare it as a FieldCheck"
    assert constraint.field in constraint.fields_read
    field = model._meta.get_field(constraint.field)
    assert field.concrete and field.editable


def test_the_list_of_rules_not_on_a_field_names_existing_constraints():
    assert set(NOT_ON_A_FIELD) <= set(declared_constraints())


def _clean_methods():
    """Every ``clean()`` written in our apps, on a model or one of its bases."""
    seen = set()
    for model in our_models():
        for cls in model.__mro__:
            method = cls.__dict__.get("clean")
            if method is None or method in seen:
                continue
            if cls.__module__.split(".")[0] in ("kpis", "projects", "subsidies"):
                seen.add(method)
                yield f"{cls.__module__}.{cls.__name__}.clean", method


def test_no_clean_method_repeats_a_constraint_message():
    with translation.override("nl"):
        messages = {str(c.violation_error_message) for c in declared_constraints().values()}
    repeated = [
        (name, message)
        for name, method in _clean_methods()
        for message in messages
        if message in inspect.getsource(method)
    ]
    assert repeated == []


@pytest.mark.parametrize(
    "constraint",
    [pytest.param(c, id=c.name) for _m, c in check_constraints() if isinstance(c, FieldCheck)],
)
def test_a_field_check_is_a_plain_check_constraint_to_migrations(constraint):
    path, args, kwargs = constraint.deconstruct()
    assert path == "django.db.models.CheckConstraint"
    assert set(kwargs) <= {"name", "condition", "violation_error_message", "violation_error_code"}
    assert models.CheckConstraint(*args, **kwargs) == constraint
    assert constraint.clone().field == constraint.field


def test_declaring_the_rules_this_way_leaves_the_migrations_as_they_are():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _field_checks(record):
    return [c for c in record._meta.constraints if isinstance(c, FieldCheck)]


def _verdicts_in_python_and_in_the_database(record):
    """Each field check's verdict on ``record``: in Python, and by Django's query."""
    model = type(record)
    in_python, in_database = {}, {}
    for constraint in _field_checks(record):
        in_python[constraint.name] = constraint.holds(model, record)
        try:
            models.CheckConstraint.validate(constraint, model, record)
            in_database[constraint.name] = True
        except ValidationError:
            in_database[constraint.name] = False
    return in_python, in_database


@pytest.mark.parametrize(
    "setup",
    [pytest.param(s, id=f"{name}: {what}") for name, what, s, *_ in VIOLATIONS]
    + [pytest.param(s, id=f"allowed: {what}") for what, s in ALLOWED],
)
def test_python_judges_every_check_as_the_database_does(setup, django_assert_num_queries):
    record = setup().in_memory()
    with django_assert_num_queries(0):
        for constraint in _field_checks(record):
            constraint.holds(type(record), record)
    in_python, in_database = _verdicts_in_python_and_in_the_database(record)
    assert in_python == in_database


# --- the stock rule -------------------------------------------------------------------


def _random_points(rng: random.Random, n: int) -> None:
    library = f.make_organisation()
    for i in range(n):
        opened = D(2018, 1, 1) + datetime.timedelta(days=rng.randrange(5 * 365))
        closed = None
        if rng.random() < 0.6:
            # Often on a year boundary: the days where "open at the end of it" decides.
            closed = rng.choice(
                [
                    opened,
                    D(opened.year, 12, 31),
                    D(opened.year + 1, 1, 1),
                    opened + datetime.timedelta(days=rng.randrange(3 * 365)),
                ]
            )
        InformationPoint.objects.create(
            name=f"IDO {i}",
            organisation=library,
            location=f"Plaats {i}",
            opened_on=opened,
            closed_on=closed,
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_yearly_stock_is_the_querysets_count_of_points_open_on_31_december(
    seed, django_assert_num_queries
):
    _random_points(random.Random(seed), 60)
    figure = next(
        fig
        for fig in aggregation.declared_figures_now()
        if fig.kind == Kind.STOCK and fig.model is InformationPoint
    )

    # Two grouped queries (started, ended per year), targets and closed years.
    with django_assert_num_queries(4):
        history = aggregation.compute_history([figure])

    assert history.years, "the random data spans years"
    for year in history.years:
        expected = InformationPoint.objects.open_on(D(year, 12, 31)).count()
        assert history.value(figure, year) == expected, year

    until = D(2020, 7, 1)
    partial = aggregation.compute_history([figure], until=until)
    assert partial.value(figure, 2020) == InformationPoint.objects.open_on(until).count()
