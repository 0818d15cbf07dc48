"""Interlibrary transport reservations (IBL)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from kpis.core.registration import FieldCheck, ReportDated, ReportDatedQuerySet
from kpis.models.network import SINGLE_ID, Network
from kpis.models.organisations import Organisation


def _home_libraries(province: str | None = None) -> models.QuerySet:
    """The home province's organisations: of ``province``, or of the network's own
    province (``Network.home_province``), read by the database in the same query."""
    if province is None:
        province = Network.objects.filter(pk=SINGLE_ID).values("home_province")
        return Organisation.objects.filter(province__in=province)
    return Organisation.objects.filter(province=province)


def home_library_ids(province: str | None = None) -> list[int]:
    """The ids of the home province's libraries (one query)."""
    return list(_home_libraries(province).values_list("pk", flat=True))


def scope_conditions(
    province: str | None = None, home_ids: list[int] | None = None
) -> tuple[models.Q, models.Q]:
    """(within the province, between it and another): the one definition that the
    figures, the admin filter and the querysets share. One end elsewhere counts as
    interprovincial, delivered or received; two ends elsewhere are not ours. The
    province is the network's (``kpis.models.network``) unless given.

    The home libraries are a subquery on their ids, or the ids themselves when given
    (``home_library_ids()``): the yearly aggregation passes them, because at millions
    of rows the database checks a literal list much faster than a subquery's result.
    Either way no join to Organisation per end, and "exactly one end at home" is one
    comparison, (origin at home) <> (destination at home)."""
    home = home_ids or _home_libraries(province).values("pk")
    from_home = models.Q(origin__in=home)
    to_home = models.Q(destination__in=home)
    one_end_at_home = ~models.Q(Exact(_boolean(from_home), _boolean(to_home)))
    return from_home & to_home, one_end_at_home


def _boolean(condition: models.Q) -> models.ExpressionWrapper:
    return models.ExpressionWrapper(condition, output_field=models.BooleanField())


class TransportQuerySet(ReportDatedQuerySet):
    def within_province(self, province: str | None = None):
        return self.filter(scope_conditions(province)[0])

    def interprovincial(self, province: str | None = None):
        return self.filter(scope_conditions(province)[1])


class TransportReservation(ReportDated):
    """A number of reservations delivered from one library to another on a day or in a month.

    Whether a row is within the province or interprovincial follows from the two
    libraries' provinces, never from a flag typed by hand.
    """

    class Period(models.TextChoices):
        DAY = "day", _("dag")
        MONTH = "month", _("maand")

    report_date_field = "delivered_on"

    origin = models.ForeignKey(
        "kpis.Organisation",
        on_delete=models.PROTECT,
        related_name="transport_sent",
        verbose_name=_("van bibliotheek"),
        help_text=_("De bibliotheek die de reserveringen leverde."),
    )
    destination = models.ForeignKey(
        "kpis.Organisation",
        on_delete=models.PROTECT,
        related_name="transport_received",
        verbose_name=_("naar bibliotheek"),
        help_text=_("De bibliotheek die de reserveringen ontving."),
    )
    delivered_on = models.DateField(
        _("geleverd op"),
        help_text=_("Leverdatum, of de eerste dag van de maand bij een maandtotaal."),
    )
    period = models.CharField(
        _("periode"),
        max_length=5,
        choices=Period.choices,
        default=Period.DAY,
        help_text=_("'maand' als de rij een maandtotaal van de vervoerder is."),
    )
    quantity = models.PositiveIntegerField(
        _("aantal"),
        default=1,
        validators=[MinValueValidator(1, _("Het aantal reserveringen is minstens 1."))],
        help_text=_("Aantal reserveringen (minstens 1)."),
    )

    import_batch = models.ForeignKey(
        "kpis.ImportBatch",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="transport_rows",
        verbose_name=_("importbatch"),
        help_text=_("Het bestand waarmee deze rij is geïmporteerd; leeg bij invoer met de hand."),
    )

    objects = TransportQuerySet.as_manager()

    class Meta:
        verbose_name = _("transportreservering")
        verbose_name_plural = _("transportreserveringen")
        ordering = ["-delivered_on", "origin", "destination"]
        indexes = [models.Index(fields=["delivered_on"], name="transport_date_idx")]
        constraints = [
            FieldCheck(
                field="quantity",
                condition=models.Q(quantity__gte=1),
                name="transport_quantity_at_least_one",
                violation_error_message=_("Het aantal reserveringen is minstens 1."),
            ),
            FieldCheck(
                field="destination",
                condition=~models.Q(origin=models.F("destination")),
                name="transport_origin_differs_from_destination",
                violation_error_message=_("Van- en naar-bibliotheek moeten verschillen."),
            ),
            FieldCheck(
                field="delivered_on",
                condition=models.Q(period="day") | models.Q(delivered_on__day=1),
                name="transport_month_starts_on_first",
                violation_error_message=_("Een maandtotaal staat op de eerste dag van de maand."),
            ),
        ]

    def __str__(self):
        return f"{self.origin} → {self.destination}: {self.quantity} ({self.delivered_on:%d-%m-%Y})"


class TransportTotal(models.Model):
    """A transport summary (``kpis.transport_summary``): per period and pair of
    libraries, the quantity and the number of rows. Kept by database triggers beside the
    reservations and never written through Django; which pairs are "within the
    province" is decided on reading."""

    origin = models.ForeignKey(
        "kpis.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("van bibliotheek"),
    )
    destination = models.ForeignKey(
        "kpis.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("naar bibliotheek"),
    )
    quantity = models.BigIntegerField(_("aantal"), help_text=_("Som van de reserveringen."))
    row_count = models.BigIntegerField(_("rijen"), help_text=_("Aantal transportrijen."))

    class Meta:
        abstract = True


class TransportDayTotal(TransportTotal):
    """Per day: for the last days of a period that ends within a month."""

    pk = models.CompositePrimaryKey("day", "origin", "destination")
    day = models.DateField(_("dag"))

    class Meta:
        managed = False
        db_table = "bnf_transport_day"
        verbose_name = _("transport per dag")
        verbose_name_plural = _("transport per dag")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%d-%m-%Y} {self.origin_id} → {self.destination_id}: {self.quantity}"


class TransportMonthTotal(TransportTotal):
    """Per month: the charts per month and the whole months of a period up to a day."""

    pk = models.CompositePrimaryKey("month", "origin", "destination")
    month = models.DateField(_("maand"), help_text=_("De eerste dag van de maand."))

    class Meta:
        managed = False
        db_table = "bnf_transport_month"
        verbose_name = _("transport per maand")
        verbose_name_plural = _("transport per maand")
        ordering = ["month"]

    def __str__(self):
        return f"{self.month:%m-%Y} {self.origin_id} → {self.destination_id}: {self.quantity}"


class TransportYearTotal(TransportTotal):
    """Per year: the figures of whole years."""

    pk = models.CompositePrimaryKey("year", "origin", "destination")
    year = models.IntegerField(_("jaar"))

    class Meta:
        managed = False
        db_table = "bnf_transport_year"
        verbose_name = _("transport per jaar")
        verbose_name_plural = _("transport per jaar")
        ordering = ["year"]

    def __str__(self):
        return f"{self.year} {self.origin_id} → {self.destination_id}: {self.quantity}"
