"""Building blocks shared by every registration type."""

import datetime
import functools
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models
from django.utils.translation import gettext_lazy as _

from kpis.core import year_policy
from kpis.core.rules import FieldCheck, StockRule
from kpis.core.year_policy import ClosedYearError, closed_year_message, ensure_years_open

__all__ = [
    "ClosedYearError",
    "FieldCheck",
    "StockRule",
    "closed_year_message",
    "ensure_years_open",
]


class FigureReferenceQuerySet(models.QuerySet):
    """Bulk writes to ``FigureReference`` data, refused and undone like a single save
    when they would change a closed year's published figures. Only writes to a field a
    figure reads (``figure_fields``) are checked; a deletion always is."""

    def _reads_figures(self, fields) -> bool:
        return bool(set(fields) & set(self.model.figure_fields))

    def update(self, **kwargs):
        write = functools.partial(super().update, **kwargs)
        if not self._reads_figures(kwargs):
            with year_policy.db_refusals(savepoint_on=self.db):
                return write()
        return _guarded(write)

    def delete(self):
        return _guarded(super().delete)

    def bulk_create(self, objs, *args, **kwargs):
        write = functools.partial(super().bulk_create, objs, *args, **kwargs)
        # A new row is referenced by nothing yet; only an upsert can recount.
        if kwargs.get("update_conflicts") and self._reads_figures(kwargs.get("update_fields", ())):
            return _guarded(write)
        with year_policy.db_refusals(savepoint_on=self.db):
            return write()

    def bulk_update(self, objs, fields, *args, **kwargs):
        write = functools.partial(super().bulk_update, objs, fields, *args, **kwargs)
        if not self._reads_figures(fields):
            with year_policy.db_refusals(savepoint_on=self.db):
                return write()
        return _guarded(write)


def _guarded(write):
    with year_policy.db_refusals():
        return year_policy.guard_reference_write(write)


class FigureReference(models.Model):
    """Reference data that figures read through: a library's province and joining date,
    a channel's flags, the code of a support kind or fund. Registrations carry their own
    date and are locked by it (``ReportDated``); a change here has no date but can
    recount a published year, so a change of one of its ``figure_fields`` is refused,
    undone, when it would change a closed year's figures (the reporting layer's guard,
    ``year_policy.guard_reference_write``). Other changes, such as a new name, and new
    records (nothing refers to them yet) cost no check."""

    figure_fields: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        write = functools.partial(super().save, *args, **kwargs)
        checked = getattr(self, "_checked_figure_state", None)
        if not self._needs_figure_check() or (checked and checked == self._checked_state()):
            with year_policy.db_refusals():
                write()
        else:
            _guarded(write)
        self._stored_figure_state = self._figure_state()

    def delete(self, *args, **kwargs):
        return _guarded(functools.partial(super().delete, *args, **kwargs))

    def _checked_state(self):
        """What a passed check in ``clean`` vouches for: these values, on this data."""
        from kpis.core import data_version

        return (self._figure_state(), data_version.current())

    def clean(self):
        """The refusal as a form error: the change is tried, compared and undone. When it
        passes, ``save`` need not try it again unless the values or the data changed."""
        super().clean()
        self._checked_figure_state = None
        if not self._needs_figure_check():
            return
        pk, adding = self.pk, self._state.adding
        try:
            with year_policy.db_refusals():
                year_policy.guard_reference_write(
                    functools.partial(models.Model.save, self), keep=False
                )
            self._checked_figure_state = self._checked_state()
        except ClosedYearError as error:
            raise ValidationError(error.messages) from error
        except IntegrityError:
            pass  # a duplicate name or code: the uniqueness check reports it next
        finally:
            self.pk, self._state.adding = pk, adding

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_figure_state = instance._figure_state()
        return instance

    def _figure_state(self) -> dict:
        return {
            name: getattr(self, self._meta.get_field(name).attname)
            for name in self.figure_fields
            if self._meta.get_field(name).attname in self.__dict__
        }

    def _needs_figure_check(self) -> bool:
        if self._state.adding or self.pk is None:
            return False
        stored = getattr(self, "_stored_figure_state", None)
        if stored is None or set(stored) != set(self.figure_fields):
            return True  # not loaded from the database as a whole: check to be sure
        return stored != self._figure_state()


class YearGuardedQuerySet(models.QuerySet):
    """Bulk writes that touch a closed year are refused by the database
    (``kpis.core.year_policy``); its refusal comes out as the same ``ClosedYearError`` that a
    single ``save()`` raises, with the year in the message, and the write is undone to
    a savepoint so the caller's transaction goes on."""

    def update(self, **kwargs):
        with year_policy.db_refusals(savepoint_on=self.db):
            return super().update(**kwargs)

    def delete(self):
        with year_policy.db_refusals(savepoint_on=self.db):
            return super().delete()

    def bulk_update(self, objs, fields, *args, **kwargs):
        with year_policy.db_refusals(savepoint_on=self.db):
            return super().bulk_update(objs, fields, *args, **kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        with year_policy.db_refusals(savepoint_on=self.db):
            return super().bulk_create(objs, *args, **kwargs)


class ReportDatedQuerySet(YearGuardedQuerySet):
    """Queries by report year, for any model that names its ``report_date_field``."""

    def in_year(self, year: int):
        field = self.model.report_date_field
        return self.filter(
            **{
                f"{field}__gte": datetime.date(year, 1, 1),
                f"{field}__lt": datetime.date(year + 1, 1, 1),
            }
        )

    def report_years(self) -> list[int]:
        field = self.model.report_date_field
        dates = self.exclude(**{f"{field}__isnull": True}).dates(field, "year")
        return [d.year for d in dates]


class ReportDated(models.Model):
    """A record whose own date field decides the report year it counts in.

    There is deliberately no separate ``year`` field that could disagree with the date.
    Which years a write touches (the report date's year; for a stock every year from
    start to end) is the year policy's question (``kpis.core.year_policy``); the database
    keeps the answer, ``save``/``clean``/``delete`` ask it first for a clear message.
    """

    report_date_field: ClassVar[str]

    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)

    objects = ReportDatedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._ensure_write_allowed(deleting=False)
        with year_policy.db_refusals():
            super().save(*args, **kwargs)
        self._stored_rule_values = self._rule_values()

    def delete(self, *args, **kwargs):
        self._ensure_write_allowed(deleting=True)
        with year_policy.db_refusals():
            return super().delete(*args, **kwargs)

    @property
    def report_date(self) -> datetime.date | None:
        return getattr(self, self.report_date_field)

    @property
    def report_year(self) -> int | None:
        date = self.report_date
        return date.year if date else None

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        names = year_policy.rule_fields(cls)
        if names <= set(field_names):
            instance._stored_rule_values = instance._rule_values()
        return instance

    def _rule_values(self) -> dict:
        return year_policy.row_values(self, year_policy.rule_fields(type(self)))

    def _stored_values(self) -> dict | None:
        """The row as the database has it, so that moving a record out of a closed year
        is refused as well as moving one in. A new instance given the id of an existing
        row overwrites that row: it is looked up too."""
        if self.pk is None:
            return None
        if not hasattr(self, "_stored_rule_values"):
            names = sorted(year_policy.rule_fields(type(self)))
            rows = type(self)._base_manager.filter(pk=self.pk).values(*names)
            self._stored_rule_values = rows.first() if names else {}
        return self._stored_rule_values

    def _ensure_write_allowed(self, *, deleting: bool) -> None:
        stored = self._stored_values()
        new = None if deleting else self._rule_values()
        if deleting and stored is None:
            stored = self._rule_values()
        year_policy.ensure_write_allowed(type(self), new, stored, using=self._state.db or "default")

    def clean(self):
        super().clean()
        try:
            self._ensure_write_allowed(deleting=False)
        except ClosedYearError as error:
            raise ValidationError({self.report_date_field: error.messages}) from error


class Registration(ReportDated):
    """Work an adviser registers: who did it, on which themes, with notes."""

    adviser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("adviseur"),
        help_text=_("De adviseur van het netwerk die dit heeft uitgevoerd of geregistreerd."),
    )
    themes = models.ManyToManyField(
        "kpis.Theme",
        blank=True,
        related_name="%(app_label)s_%(class)s_set",
        verbose_name=_("maatschappelijke opgaven"),
        help_text=_("De maatschappelijke opgaven waar dit aan bijdraagt."),
    )
    notes = models.TextField(_("notities"), blank=True, help_text=_("Vrije toelichting."))

    class Meta:
        abstract = True


END_BEFORE_START = _("De einddatum mag niet voor de begindatum liggen.")


def end_not_before_start(
    start: str, end: str, name: str, message=END_BEFORE_START, *, end_required: bool = False
) -> FieldCheck:
    """ "End >= start" as one named database constraint, reported on the end field. An
    empty end passes (still running), unless the end is required (its column NOT NULL).
    """
    later = models.Q(**{f"{end}__gte": models.F(start)})
    condition = later if end_required else models.Q(**{f"{end}__isnull": True}) | later
    return FieldCheck(field=end, condition=condition, name=name, violation_error_message=message)


def non_negative(field: str, name: str) -> FieldCheck:
    return FieldCheck(
        field=field,
        condition=models.Q(**{f"{field}__gte": 0}),
        name=name,
        violation_error_message=_("Dit getal mag niet negatief zijn."),
    )
