"""Building blocks shared by every registration type."""

import datetime
import functools
from typing import ClassVar

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models
from django.utils.translation import gettext_lazy as _


class ClosedYearError(ValidationError):
    """A write that would change the figures of a year whose report is published."""


def closed_year_message(year: int) -> str:
    return _(
        "Het jaar %(year)s is afgesloten: registraties uit dat jaar kunnen niet meer "
        "worden toegevoegd, gewijzigd of verwijderd. Een coördinator kan het jaar heropenen."
    ) % {"year": year}


def ensure_years_open(years) -> None:
    """Refuse (ClosedYearError) if any of ``years`` is closed. One query, or none."""
    years = {year for year in years if year}
    if not years:
        return
    closed = apps.get_model("kpis", "ClosedYear").objects.filter(year__in=years)
    first = closed.order_by("year").values_list("year", flat=True).first()
    if first is not None:
        raise ClosedYearError(closed_year_message(first), code="closed_year")


def _guarded(write):
    from kpis.closing import refuse_changes_to_closed_figures

    return refuse_changes_to_closed_figures(write)


class FigureReferenceQuerySet(models.QuerySet):
    """Bulk writes to ``FigureReference`` data, refused and undone like a single save
    when they would change a closed year's published figures."""

    def update(self, **kwargs):
        return _guarded(functools.partial(super().update, **kwargs))

    def delete(self):
        return _guarded(super().delete)

    def bulk_create(self, objs, *args, **kwargs):
        return _guarded(functools.partial(super().bulk_create, objs, *args, **kwargs))

    def bulk_update(self, objs, fields, *args, **kwargs):
        return _guarded(functools.partial(super().bulk_update, objs, fields, *args, **kwargs))


class FigureReference(models.Model):
    """Reference data that figures read through: a library's province and joining date,
    a channel's flags, the code of a support kind or fund. Registrations carry their own
    date and are locked by it (``ReportDated``); a change here has no date but can
    recount a published year, so it is refused, undone, when it would change a closed
    year's figures (``kpis.closing.refuse_changes_to_closed_figures``)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        return _guarded(functools.partial(super().save, *args, **kwargs))

    def delete(self, *args, **kwargs):
        return _guarded(functools.partial(super().delete, *args, **kwargs))

    def clean(self):
        """The refusal as a form error: the change is tried, compared and undone."""
        from kpis.closing import check_changes_to_closed_figures

        super().clean()
        pk, adding = self.pk, self._state.adding
        try:
            check_changes_to_closed_figures(functools.partial(models.Model.save, self))
        except ClosedYearError as error:
            raise ValidationError(error.messages) from error
        except IntegrityError:
            pass  # a duplicate name or code: the uniqueness check reports it next
        finally:
            self.pk, self._state.adding = pk, adding


class ReportDatedQuerySet(models.QuerySet):
    """Queries by report year, for any model that names its ``report_date_field``.

    Bulk writes (``update``, ``delete``, ``bulk_create``) refuse to touch a closed year,
    like ``save()`` and ``delete()`` on a single record do.
    """

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

    def update(self, **kwargs):
        years = set(self.report_years())
        new_date = kwargs.get(self.model.report_date_field)
        if isinstance(new_date, datetime.date):
            years.add(new_date.year)
        ensure_years_open(years)
        return super().update(**kwargs)

    def delete(self):
        ensure_years_open(self.report_years())
        return super().delete()

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        stored = self.filter(pk__in=[obj.pk for obj in objs]).report_years()
        ensure_years_open({*stored, *(obj.report_year for obj in objs)})
        return super().bulk_update(objs, fields, *args, **kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        ensure_years_open({obj.report_year for obj in objs})
        return super().bulk_create(objs, *args, **kwargs)


class ReportDated(models.Model):
    """A record whose own date field decides the report year it counts in.

    There is deliberately no separate ``year`` field that could disagree with the date.
    """

    report_date_field: ClassVar[str]

    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)

    objects = ReportDatedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        ensure_years_open({self.report_year, self._stored_year()})
        super().save(*args, **kwargs)
        self._stored_report_date = self.report_date

    def delete(self, *args, **kwargs):
        ensure_years_open({self._stored_year() or self.report_year})
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
        if cls.report_date_field in field_names:
            instance._stored_report_date = instance.report_date
        return instance

    def _stored_year(self) -> int | None:
        """The report year as the database has it, so moving a record out of a closed
        year is refused as well as moving one in."""
        if self._state.adding or self.pk is None:
            return None
        if not hasattr(self, "_stored_report_date"):
            self._stored_report_date = (
                type(self)
                ._base_manager.filter(pk=self.pk)
                .values_list(self.report_date_field, flat=True)
                .first()
            )
        stored = self._stored_report_date
        return stored.year if stored else None

    def clean(self):
        super().clean()
        try:
            ensure_years_open({self.report_year, self._stored_year()})
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
        help_text=_("De adviseur van BNF die dit heeft uitgevoerd of geregistreerd."),
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


def end_not_before_start(start: str, end: str, name: str, message=END_BEFORE_START):
    """A named database constraint: an optional end date is never before the start date."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{end}__isnull": True})
        | models.Q(**{f"{end}__gte": models.F(start)}),
        name=name,
        violation_error_message=message,
    )


def non_negative(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__gte": 0}),
        name=name,
        violation_error_message=_("Dit getal mag niet negatief zijn."),
    )
