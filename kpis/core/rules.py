"""Rules declared once: a check the database keeps and a form reports on its field, and
the stock rule ("open on a day") that querysets, filters and the yearly figures share.

A ``FieldCheck`` is a ``CheckConstraint`` that knows the field its message belongs to.
``full_clean()`` (the admin's forms) and the imports (``kpis.resources``) both call its
``validate()``, which evaluates the condition on the record's values in Python, with
SQL's NULL logic, instead of Django's query per check: an import of thousands of rows
checks every row against every constraint without a query. A condition it cannot
evaluate falls back to Django's query. To migrations it is a plain ``CheckConstraint``
(``deconstruct``), so declaring a check this way changes nothing in the database.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import F, Q
from django.db.models.functions import Coalesce


class NotInMemory(Exception):
    """A condition this module cannot evaluate; Django's query checks it."""


_COMPARISONS = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
_DATE_PARTS = {"year", "month", "day"}


def condition_holds(condition: Q, values: dict) -> bool | None:
    """``condition`` on ``values`` (field name -> value) as the database would judge it:
    True, False or None (unknown: a comparison with NULL). A CHECK is only violated by
    False. Supports comparisons, ``isnull``, the date parts ``year``/``month``/``day``
    and ``F()`` of another field; raises ``NotInMemory`` for anything else."""

    def read(name):
        if name not in values:
            raise NotInMemory(name)
        return operator.itemgetter(name)

    return compile_condition(condition, read)(values)


def compile_condition(condition: Q, read) -> Callable[[object], bool | None]:
    """``condition`` as a function of one record, judged as ``condition_holds`` does.

    ``read(name)`` gives the function that reads field ``name`` from a record (or raises
    ``NotInMemory``). Worked out once, so judging a record is a few comparisons: an
    import checks every row against every constraint. Raises ``NotInMemory`` here for
    a condition it cannot judge, or later, for a date part of a value that is no date.
    """
    parts = []
    for child in condition.children:
        if isinstance(child, Q):
            parts.append(compile_condition(child, read))
        elif isinstance(child, tuple):
            parts.append(_compile_lookup(*child, read))
        else:
            raise NotInMemory(child)  # an expression: Django's query evaluates it
    connector, negated = condition.connector, condition.negated
    if connector not in (Q.AND, Q.OR):
        raise NotInMemory(connector)
    decisive = connector == Q.OR  # the outcome of one part that settles the whole

    def holds(record):
        outcomes = [part(record) for part in parts]
        if decisive in outcomes:
            result = decisive
        elif None in outcomes:
            result = None
        else:
            result = not decisive
        if negated and result is not None:
            return not result
        return result

    return holds


def _compile_lookup(path: str, expected, read):
    name, *parts = path.split("__")
    lookup = "exact"
    if parts and (parts[-1] in _COMPARISONS or parts[-1] == "isnull"):
        lookup = parts.pop()
    if any(part not in _DATE_PARTS for part in parts):
        raise NotInMemory(path)
    actual_of = read(name)
    if expected is None and lookup == "exact":
        lookup, expected = "isnull", True  # as the ORM reads ``field=None``
    if lookup == "isnull":
        if parts:
            raise NotInMemory(path)
        wanted = bool(expected)
        return lambda record: (actual_of(record) is None) == wanted
    if isinstance(expected, F):
        expected_of = read(expected.name)
    elif hasattr(expected, "resolve_expression"):
        raise NotInMemory(path)
    else:
        expected_of = None
    compare = _COMPARISONS[lookup]

    def holds(record):
        actual = actual_of(record)
        other = expected if expected_of is None else expected_of(record)
        for part in parts:
            if actual is None:
                break
            if not isinstance(actual, datetime.date):
                raise NotInMemory(path)
            actual = getattr(actual, part)
        if actual is None or other is None:
            return None
        return compare(actual, other)

    return holds


def referenced_fields(condition: Q) -> set[str]:
    """The names of the fields ``condition`` reads, directly or through ``F()``."""
    names = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= referenced_fields(child)
        elif isinstance(child, tuple):
            path, expected = child
            names.add(path.split("__")[0])
            if isinstance(expected, F):
                names.add(expected.name)
    return names


class FieldCheck(models.CheckConstraint):
    """A named CHECK whose refusal, before the database sees the record, is an error on
    ``field`` with the constraint's own message: one declaration for the database and
    the form. ``clean()`` does not repeat it (``tests/test_rules.py``)."""

    def __init__(self, *, field: str, condition, name, violation_error_message, **kwargs):
        super().__init__(
            condition=condition,
            name=name,
            violation_error_message=violation_error_message,
            **kwargs,
        )
        self.field = field
        self.fields_read = frozenset(referenced_fields(condition))
        self._evaluators = {}  # model -> compiled condition (``holds``)

    def deconstruct(self):
        """Exactly the plain ``CheckConstraint``'s: migrations see no difference."""
        _path, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs

    def clone(self):
        _path, args, kwargs = self.deconstruct()
        return type(self)(*args, field=self.field, **kwargs)

    def holds(self, model, instance) -> bool:
        """Whether ``instance`` passes, judged in Python (``NotInMemory`` if it cannot be)."""
        evaluate = self._evaluators.get(model)
        if evaluate is None:
            evaluate = self._evaluators[model] = self._evaluator(model)
        if evaluate is NotInMemory:
            raise NotInMemory(self.name)
        return evaluate(instance) is not False

    def _evaluator(self, model):
        """The condition compiled for records of ``model`` (once per model), or
        ``NotInMemory`` when Python cannot judge it."""

        def read(name):
            if name == "pk":
                return operator.attrgetter(model._meta.pk.attname)
            try:
                return operator.attrgetter(model._meta.get_field(name).attname)
            except FieldDoesNotExist as error:
                raise NotInMemory(name) from error

        try:
            return compile_condition(self.condition, read)
        except NotInMemory:
            return NotInMemory

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        if exclude and not self.fields_read.isdisjoint(exclude):
            return  # as Django does: a field left out (or already in error) is not judged
        try:
            passes = self.holds(model, instance)
        except NotInMemory:
            try:
                super().validate(model, instance, exclude=exclude, using=using)
            except ValidationError as error:
                raise ValidationError({self.field: error.error_list}) from error
            return
        if not passes:
            message = self.get_violation_error_message()
            raise ValidationError(
                {self.field: ValidationError(message, code=self.violation_error_code)}
            )

    def __repr__(self):
        return f"{super().__repr__()[:-1]} field={self.field!r}>"


@dataclass(frozen=True)
class StockRule:
    """A record that counts in a stock from its ``start`` day up to, not including, its
    ``end`` day; open-ended while ``end`` is empty. The one definition of "open on a
    day" that the querysets, the admin's filters and the yearly figures share.

    The level at the end of a day is therefore the records started on or before it
    minus those ended on or before it (an end never lies before its start: a
    constraint), which the yearly figures count per year in two grouped queries
    (``level_at_year_ends``)."""

    start: str
    end: str

    def open_on(self, day: datetime.date) -> Q:
        """Open at the end of ``day``."""
        return Q(**{f"{self.start}__lte": day}) & (
            Q(**{f"{self.end}__isnull": True}) | Q(**{f"{self.end}__gt": day})
        )

    def open_between(self, first: datetime.date, last: datetime.date) -> Q:
        """Open on at least one day from ``first`` to ``last``."""
        return Q(**{f"{self.start}__lte": last}) & (
            Q(**{f"{self.end}__isnull": True}) | Q(**{f"{self.end}__gt": first})
        )

    def open_during(self, year: int) -> Q:
        return self.open_between(datetime.date(year, 1, 1), datetime.date(year, 12, 31))

    def overlapping(self, start, end) -> Q:
        """Open on a day on which a record running from ``start`` up to ``end`` (NULL:
        still open) is open too; both are expressions, e.g. ``OuterRef("opened_on")``."""
        end = Coalesce(end, models.Value(datetime.date.max))
        return Q(**{f"{self.start}__lt": end}) & (
            Q(**{f"{self.end}__isnull": True}) | Q(**{f"{self.end}__gt": start})
        )

    @staticmethod
    def level_at_year_ends(started: dict[int, int], ended: dict[int, int], years) -> dict[int, int]:
        """The level on 31 December of each of ``years`` from the first start on, given
        how many records started and how many ended in each year."""
        if not started:
            return {}
        first = min(started)
        levels = {}
        for year in sorted(y for y in years if y >= first):
            levels[year] = sum(n for y, n in started.items() if y <= year) - sum(
                n for y, n in ended.items() if y <= year
            )
        return levels
