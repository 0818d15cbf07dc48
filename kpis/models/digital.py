"""Informatiepunten Digitale Overheid (IDO)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce, Lower, Trim
from django.utils.translation import gettext_lazy as _

from .base import Registration, ReportDatedQuerySet, end_not_before_start


class InformationPointQuerySet(ReportDatedQuerySet):
    def open_on(self, day: datetime.date):
        """Points open at the end of ``day``: a stock, not a flow."""
        return self.filter(opened_on__lte=day).filter(
            models.Q(closed_on__isnull=True) | models.Q(closed_on__gt=day)
        )

    def open_during(self, year: int):
        """Points open on at least one day of ``year``."""
        return self.filter(opened_on__lt=datetime.date(year + 1, 1, 1)).filter(
            models.Q(closed_on__isnull=True) | models.Q(closed_on__gt=datetime.date(year, 1, 1))
        )

    def sharing_location_in(self, year: int):
        """Points open in ``year`` at the same time as another point at the same location
        (compared without case and surrounding spaces): most likely one point registered
        twice, counted twice in the stock. A point is open from its opening day up to,
        not including, its closing day."""
        outer_end = Coalesce(models.OuterRef("closed_on"), models.Value(datetime.date.max))
        others = (
            InformationPoint.objects.open_during(year)
            .annotate(place=Lower(Trim("location")))
            .filter(place=Lower(Trim(models.OuterRef("location"))))
            .exclude(pk=models.OuterRef("pk"))
            .filter(opened_on__lt=outer_end)
            .filter(
                models.Q(closed_on__isnull=True)
                | models.Q(closed_on__gt=models.OuterRef("opened_on"))
            )
        )
        return self.open_during(year).filter(models.Exists(others))


class InformationPoint(Registration):
    report_date_field = "opened_on"

    name = models.CharField(
        _("naam"), max_length=200, unique=True, help_text=_("Bijvoorbeeld 'IDO Bibliotheek Urk'.")
    )
    organisation = models.ForeignKey(
        "kpis.Organisation",
        on_delete=models.PROTECT,
        related_name="information_points",
        verbose_name=_("bibliotheek"),
        help_text=_("De bibliotheekorganisatie die het informatiepunt draait."),
    )
    location = models.CharField(_("locatie"), max_length=200, help_text=_("Vestiging of plaats."))
    opened_on = models.DateField(_("geopend op"), help_text=_("Datum van opening."))
    closed_on = models.DateField(
        _("gesloten op"), null=True, blank=True, help_text=_("Leeg zolang het punt open is.")
    )

    objects = InformationPointQuerySet.as_manager()

    class Meta:
        verbose_name = _("Informatiepunt Digitale Overheid")
        verbose_name_plural = _("Informatiepunten Digitale Overheid")
        ordering = ["name"]
        indexes = [models.Index(fields=["opened_on", "closed_on"], name="ido_open_idx")]
        constraints = [
            end_not_before_start("opened_on", "closed_on", "ido_closed_not_before_opened")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.opened_on and self.closed_on and self.closed_on < self.opened_on:
            raise ValidationError(
                {"closed_on": _("De sluitingsdatum mag niet voor de openingsdatum liggen.")}
            )
