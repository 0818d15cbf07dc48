"""Informatiepunten Digitale Overheid (IDO)."""

import datetime

from django.db import models
from django.db.models.functions import Lower, Trim
from django.utils.translation import gettext_lazy as _

from kpis.core.registration import (
    Registration,
    ReportDatedQuerySet,
    StockRule,
    end_not_before_start,
)

STOCK = StockRule(start="opened_on", end="closed_on")
"""A point counts in the stock from its opening day up to, not including, its closing day."""


class InformationPointQuerySet(ReportDatedQuerySet):
    def open_on(self, day: datetime.date):
        """Points open at the end of ``day``: a stock, not a flow."""
        return self.filter(STOCK.open_on(day))

    def open_during(self, year: int):
        """Points open on at least one day of ``year``."""
        return self.filter(STOCK.open_during(year))

    def sharing_location_in(self, year: int):
        """Points open in ``year`` at the same time as another point at the same location
        (compared without case and surrounding spaces): most likely one point registered
        twice, counted twice in the stock."""
        others = (
            InformationPoint.objects.open_during(year)
            .annotate(place=Lower(Trim("location")))
            .filter(place=Lower(Trim(models.OuterRef("location"))))
            .exclude(pk=models.OuterRef("pk"))
            .filter(STOCK.overlapping(models.OuterRef(STOCK.start), models.OuterRef(STOCK.end)))
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

    stock = STOCK

    objects = InformationPointQuerySet.as_manager()

    class Meta:
        verbose_name = _("Informatiepunt Digitale Overheid")
        verbose_name_plural = _("Informatiepunten Digitale Overheid")
        ordering = ["name"]
        indexes = [models.Index(fields=["opened_on", "closed_on"], name="ido_open_idx")]
        constraints = [
            end_not_before_start(
                STOCK.start,
                STOCK.end,
                "ido_closed_not_before_opened",
                _("De sluitingsdatum mag niet voor de openingsdatum liggen."),
            )
        ]

    def __str__(self):
        return self.name
