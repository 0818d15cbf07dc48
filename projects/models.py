from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kpis.core.registration import (
    FieldCheck,
    FigureReference,
    Registration,
    end_not_before_start,
)
from kpis.models.organisations import FigureReferenceSlugManager

DECIDED_BEFORE_SUBMITTED = _("Het besluit kan niet voor de indiening liggen.")


class Project(Registration):
    class Kind(models.TextChoices):
        PROVINCIAL = "provincial", _("provinciaal project")
        PARTNER = "partner", _("partnerproject")

    report_date_field = "started_on"

    title = models.CharField(_("titel"), max_length=300, help_text=_("Naam van het project."))
    kind = models.CharField(
        _("soort"),
        max_length=12,
        choices=Kind.choices,
        default=Kind.PROVINCIAL,
        help_text=_(
            "Provinciaal project (door het netwerk ontwikkeld en geïmplementeerd) of "
            "partnerproject."
        ),
    )
    started_on = models.DateField(
        _("gestart op"), help_text=_("Start van de implementatie; bepaalt het verslagjaar.")
    )
    ended_on = models.DateField(
        _("afgerond op"), null=True, blank=True, help_text=_("Leeg zolang het project loopt.")
    )
    organisations = models.ManyToManyField(
        "kpis.Organisation",
        blank=True,
        related_name="projects",
        verbose_name=_("organisaties"),
        help_text=_("Deelnemende bibliotheken en partners."),
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projecten")
        ordering = ["-started_on", "title"]
        indexes = [models.Index(fields=["started_on", "kind"], name="project_start_idx")]
        constraints = [
            end_not_before_start("started_on", "ended_on", "project_end_not_before_start")
        ]

    def __str__(self):
        return self.title


class Fund(FigureReference):
    name = models.CharField(
        _("naam"), max_length=200, unique=True, help_text=_("Bijvoorbeeld 'Innovatiefonds'.")
    )
    slug = models.SlugField(
        _("code"),
        max_length=100,
        unique=True,
        help_text=_("Vaste code voor imports, exports en figuren."),
    )

    figure_fields = ("slug",)  # the Innovatiefonds figure filters on it

    objects = FigureReferenceSlugManager()

    class Meta:
        verbose_name = _("fonds")
        verbose_name_plural = _("fondsen")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class ProjectApplication(Registration):
    """A project (grant) application by a library that the network supported."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("in behandeling")
        AWARDED = "awarded", _("toegekend")
        REJECTED = "rejected", _("afgewezen")
        WITHDRAWN = "withdrawn", _("ingetrokken")

    report_date_field = "submitted_on"

    title = models.CharField(_("titel"), max_length=300, help_text=_("Naam van de aanvraag."))
    applicant = models.ForeignKey(
        "kpis.Organisation",
        on_delete=models.PROTECT,
        related_name="project_applications",
        verbose_name=_("aanvrager"),
        help_text=_("De organisatie die aanvroeg."),
    )
    fund = models.ForeignKey(
        Fund,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("fonds"),
        help_text=_("Het fonds waarbij is aangevraagd."),
    )
    submitted_on = models.DateField(_("ingediend op"), help_text=_("Bepaalt het verslagjaar."))
    amount_requested = models.DecimalField(
        _("aangevraagd bedrag (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"), _("Een bedrag kan niet negatief zijn."))],
        help_text=_("Bedrag in euro's, als bekend."),
    )
    outcome = models.CharField(
        _("uitkomst"),
        max_length=10,
        choices=Outcome.choices,
        default=Outcome.PENDING,
        help_text=_("Stand van de aanvraag."),
    )
    decided_on = models.DateField(
        _("besluit op"), null=True, blank=True, help_text=_("Datum van het besluit van het fonds.")
    )

    class Meta:
        verbose_name = _("projectaanvraag")
        verbose_name_plural = _("projectaanvragen")
        ordering = ["-submitted_on", "title"]
        indexes = [models.Index(fields=["submitted_on"], name="application_date_idx")]
        constraints = [
            FieldCheck(
                field="amount_requested",
                condition=models.Q(amount_requested__isnull=True)
                | models.Q(amount_requested__gte=0),
                name="application_amount_non_negative",
                violation_error_message=_("Dit getal mag niet negatief zijn."),
            ),
            end_not_before_start(
                "submitted_on",
                "decided_on",
                "application_decided_not_before_submitted",
                DECIDED_BEFORE_SUBMITTED,
            ),
        ]

    def __str__(self):
        return self.title


class GuidedTrajectory(Registration):
    """A trajectory in which the network guided the local roll-out of a national assignment."""

    report_date_field = "started_on"

    title = models.CharField(_("titel"), max_length=300, help_text=_("Naam van het traject."))
    national_assignment = models.CharField(
        _("landelijke opdracht"),
        max_length=300,
        help_text=_(
            "De landelijke opdracht die lokaal is uitgezet, bijvoorbeeld 'Digitaal Burgerschap'."
        ),
    )
    started_on = models.DateField(_("gestart op"), help_text=_("Bepaalt het verslagjaar."))
    ended_on = models.DateField(
        _("afgerond op"), null=True, blank=True, help_text=_("Leeg zolang het traject loopt.")
    )
    organisations = models.ManyToManyField(
        "kpis.Organisation",
        blank=True,
        related_name="guided_trajectories",
        verbose_name=_("organisaties"),
        help_text=_("De bibliotheken die begeleid zijn."),
    )

    class Meta:
        verbose_name = _("begeleid traject")
        verbose_name_plural = _("begeleide trajecten")
        ordering = ["-started_on", "title"]
        indexes = [models.Index(fields=["started_on"], name="trajectory_start_idx")]
        constraints = [
            end_not_before_start("started_on", "ended_on", "trajectory_end_not_before_start")
        ]

    def __str__(self):
        return self.title
