from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kpis.core.registration import (
    FieldCheck,
    Registration,
    ReportDatedQuerySet,
    end_not_before_start,
    non_negative,
)
from kpis.models.organisations import SlugNaturalKeyManager


class Funder(models.Model):
    name = models.CharField(
        _("naam"),
        max_length=200,
        unique=True,
        help_text=_("Naam van de subsidiegever of het fonds."),
    )
    slug = models.SlugField(
        _("code"), max_length=100, unique=True, help_text=_("Vaste code voor imports en exports.")
    )

    objects = SlugNaturalKeyManager()

    class Meta:
        verbose_name = _("subsidiegever")
        verbose_name_plural = _("subsidiegevers")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class SubsidyQuerySet(ReportDatedQuerySet):
    def awarded(self):
        return self.filter(status=Subsidy.Status.AWARDED)


class Subsidy(Registration):
    """A subsidy applied for with the network as lead or co-applicant.

    It counts in the report year of its award date ("(mede-)binnengehaald").
    """

    class Status(models.TextChoices):
        APPLIED = "applied", _("aangevraagd")
        AWARDED = "awarded", _("toegekend")
        REJECTED = "rejected", _("afgewezen")

    class Role(models.TextChoices):
        LEAD = "lead", _("hoofdaanvrager")
        CO_APPLICANT = "co_applicant", _("medeaanvrager")

    report_date_field = "awarded_on"

    title = models.CharField(
        _("titel"), max_length=300, help_text=_("Naam van de subsidie of het project.")
    )
    funder = models.ForeignKey(
        Funder,
        on_delete=models.PROTECT,
        related_name="subsidies",
        verbose_name=_("subsidiegever"),
        help_text=_("Wie de subsidie verstrekt."),
    )
    amount = models.DecimalField(
        _("bedrag (€)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), _("Een bedrag kan niet negatief zijn."))],
        help_text=_("Toegekend (of aangevraagd) bedrag in euro's, bijvoorbeeld 12.500,00."),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.APPLIED,
        help_text=_("Stand van de aanvraag."),
    )
    role = models.CharField(
        _("rol van het netwerk"),
        max_length=15,
        choices=Role.choices,
        default=Role.LEAD,
        help_text=_("Het netwerk als hoofd- of medeaanvrager."),
    )
    applied_on = models.DateField(_("aangevraagd op"), help_text=_("Datum van indienen."))
    awarded_on = models.DateField(
        _("toegekend op"),
        null=True,
        blank=True,
        help_text=_("Datum van de toekenning; bepaalt het verslagjaar."),
    )
    beneficiaries = models.ManyToManyField(
        "kpis.Organisation",
        blank=True,
        related_name="subsidies",
        verbose_name=_("begunstigden"),
        help_text=_("De organisaties voor wie de subsidie is."),
    )

    objects = SubsidyQuerySet.as_manager()

    class Meta:
        verbose_name = _("subsidie")
        verbose_name_plural = _("subsidies")
        ordering = ["-applied_on", "title"]
        indexes = [models.Index(fields=["awarded_on", "status"], name="subsidy_awarded_idx")]
        constraints = [
            non_negative("amount", "subsidy_amount_non_negative"),
            FieldCheck(
                field="awarded_on",
                condition=~models.Q(status="awarded") | models.Q(awarded_on__isnull=False),
                name="subsidy_awarded_has_date",
                violation_error_message=_("Vul de datum van toekenning in."),
            ),
            FieldCheck(
                field="awarded_on",
                condition=models.Q(status="awarded") | models.Q(awarded_on__isnull=True),
                name="subsidy_award_date_only_when_awarded",
                violation_error_message=_(
                    "Alleen een toegekende subsidie heeft een toekenningsdatum."
                ),
            ),
            end_not_before_start(
                "applied_on",
                "awarded_on",
                "subsidy_awarded_not_before_applied",
                _("De toekenning kan niet voor de aanvraag liggen."),
            ),
        ]

    def __str__(self):
        return self.title
