"""Building blocks shared by every registration type."""

import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportDatedQuerySet(models.QuerySet):
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
    """

    report_date_field: ClassVar[str]

    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)

    objects = ReportDatedQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def report_date(self) -> datetime.date | None:
        return getattr(self, self.report_date_field)

    @property
    def report_year(self) -> int | None:
        date = self.report_date
        return date.year if date else None


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
