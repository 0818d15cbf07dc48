"""Support work, trainings and kenniskringen."""

import datetime
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kpis.core.registration import (
    FieldCheck,
    FigureReference,
    Registration,
    ReportDatedQuerySet,
    end_not_before_start,
    ensure_years_open,
    non_negative,
)
from kpis.models.organisations import FigureReferenceSlugManager


class SupportKind(FigureReference):
    """A kind of countable support work (advice, process optimised, best practice shared...).

    Kinds are data: a new kind of the same shape is one admin record (plus, if it is to
    appear in the report, one figure declaration in ``kpis/reporting/figures.py``).
    """

    name = models.CharField(
        _("naam"), max_length=200, unique=True, help_text=_("Zoals de adviseur het noemt.")
    )
    slug = models.SlugField(
        _("code"), max_length=100, unique=True, help_text=_("Vaste code; figuren verwijzen ernaar.")
    )
    description = models.TextField(
        _("omschrijving"), blank=True, help_text=_("Wat wel en niet onder deze soort valt.")
    )

    figure_fields = ("slug",)  # the figures filter on it

    objects = FigureReferenceSlugManager()

    class Meta:
        verbose_name = _("soort ondersteuning")
        verbose_name_plural = _("soorten ondersteuning")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class SupportActivity(Registration):
    report_date_field = "carried_out_on"

    kind = models.ForeignKey(
        SupportKind,
        on_delete=models.PROTECT,
        related_name="activities",
        verbose_name=_("soort"),
        help_text=_(
            "Advies, procesoptimalisatie, ondersteunde dienst, gedeelde best practice, ..."
        ),
    )
    title = models.CharField(
        _("titel"), max_length=250, help_text=_("Korte omschrijving van het werk.")
    )
    carried_out_on = models.DateField(
        _("datum"), help_text=_("Datum van uitvoering of oplevering; bepaalt het verslagjaar.")
    )
    organisations = models.ManyToManyField(
        "kpis.Organisation",
        blank=True,
        related_name="support_activities",
        verbose_name=_("organisaties"),
        help_text=_("De bibliotheken of partners die hiervan profiteren."),
    )

    class Meta:
        verbose_name = _("ondersteuningsactiviteit")
        verbose_name_plural = _("ondersteuningsactiviteiten")
        ordering = ["-carried_out_on", "title"]
        indexes = [models.Index(fields=["carried_out_on"], name="support_date_idx")]

    def __str__(self):
        return self.title


class Training(Registration):
    report_date_field = "held_on"

    title = models.CharField(_("titel"), max_length=250, help_text=_("Naam van de training."))
    held_on = models.DateField(
        _("datum"), help_text=_("Datum van de (eerste) bijeenkomst; bepaalt het verslagjaar.")
    )
    participants = models.PositiveIntegerField(
        _("deelnemers"), default=0, help_text=_("Aantal deelnemers.")
    )
    evaluation_score = models.DecimalField(
        _("evaluatiecijfer"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("10"))],
        help_text=_("Gemiddeld rapportcijfer van de deelnemers, op een schaal van 1 tot 10."),
    )
    respondents = models.PositiveIntegerField(
        _("respondenten"),
        null=True,
        blank=True,
        help_text=_("Aantal deelnemers dat de evaluatie invulde."),
    )
    organisations = models.ManyToManyField(
        "kpis.Organisation",
        blank=True,
        related_name="trainings",
        verbose_name=_("organisaties"),
        help_text=_("Organisaties waarvan medewerkers deelnamen."),
    )

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainingen")
        ordering = ["-held_on", "title"]
        indexes = [models.Index(fields=["held_on"], name="training_date_idx")]
        constraints = [
            non_negative("participants", "training_participants_non_negative"),
            FieldCheck(
                field="evaluation_score",
                condition=models.Q(evaluation_score__isnull=True)
                | models.Q(evaluation_score__gte=1, evaluation_score__lte=10),
                name="training_score_within_scale",
                violation_error_message=_("Het evaluatiecijfer ligt tussen 1 en 10."),
            ),
            FieldCheck(
                field="respondents",
                condition=models.Q(respondents__isnull=True)
                | models.Q(respondents__lte=models.F("participants")),
                name="training_respondents_not_above_participants",
                violation_error_message=_("Er kunnen niet meer respondenten dan deelnemers zijn."),
            ),
            FieldCheck(
                field="respondents",
                condition=models.Q(evaluation_score__isnull=True)
                | models.Q(respondents__isnull=False, respondents__gte=1),
                name="training_score_needs_respondents",
                violation_error_message=_("Vul in hoeveel deelnemers de evaluatie invulden."),
            ),
        ]

    def __str__(self):
        return self.title


class KnowledgeCircleQuerySet(ReportDatedQuerySet):
    def active_in(self, year: int):
        """Circles that existed at some moment of ``year``: started by its end, not
        stopped before it began."""
        return self.filter(started_on__lte=datetime.date(year, 12, 31)).filter(
            models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=datetime.date(year, 1, 1))
        )

    def without_meetings_in(self, year: int):
        """Active circles without a meeting in ``year``: a kring counts only through its
        meetings (``knowledge.kenniskringen``), so these count for nothing that year."""
        meetings = KnowledgeCircleMeeting.objects.filter(
            circle=models.OuterRef("pk"),
            held_on__gte=datetime.date(year, 1, 1),
            held_on__lt=datetime.date(year + 1, 1, 1),
        )
        return self.active_in(year).filter(~models.Exists(meetings))


class KnowledgeCircle(Registration):
    """A kenniskring: a recurring peer meeting on a theme."""

    report_date_field = "started_on"

    name = models.CharField(
        _("naam"), max_length=200, unique=True, help_text=_("Naam van de kenniskring.")
    )
    started_on = models.DateField(_("gestart op"), help_text=_("Datum waarop de kring begon."))
    ended_on = models.DateField(
        _("gestopt op"), null=True, blank=True, help_text=_("Leeg zolang de kring bestaat.")
    )
    organisations = models.ManyToManyField(
        "kpis.Organisation",
        blank=True,
        related_name="knowledge_circles",
        verbose_name=_("deelnemende organisaties"),
        help_text=_("Organisaties die aan de kring deelnemen."),
    )

    objects = KnowledgeCircleQuerySet.as_manager()

    class Meta:
        verbose_name = _("kenniskring")
        verbose_name_plural = _("kenniskringen")
        ordering = ["name"]
        constraints = [
            end_not_before_start("started_on", "ended_on", "circle_end_not_before_start")
        ]

    def __str__(self):
        return self.name

    def delete(self, *args, **kwargs):
        # Its meetings go with it: none of them may lie in a closed year either.
        ensure_years_open(self.meetings.report_years())
        return super().delete(*args, **kwargs)


class KnowledgeCircleMeeting(Registration):
    """One meeting of a kenniskring; a kring counts in every year in which it met."""

    report_date_field = "held_on"

    circle = models.ForeignKey(
        KnowledgeCircle,
        on_delete=models.CASCADE,
        related_name="meetings",
        verbose_name=_("kenniskring"),
        help_text=_("De kring waar deze bijeenkomst bij hoort."),
    )
    held_on = models.DateField(
        _("datum"), help_text=_("Datum van de bijeenkomst; bepaalt het verslagjaar.")
    )
    topic = models.CharField(
        _("onderwerp"), max_length=250, blank=True, help_text=_("Onderwerp van de bijeenkomst.")
    )
    participants = models.PositiveIntegerField(
        _("deelnemers"), default=0, help_text=_("Aantal deelnemers.")
    )

    class Meta:
        verbose_name = _("bijeenkomst kenniskring")
        verbose_name_plural = _("bijeenkomsten kenniskringen")
        ordering = ["-held_on"]
        indexes = [models.Index(fields=["held_on"], name="meeting_date_idx")]
        constraints = [
            non_negative("participants", "meeting_participants_non_negative"),
            models.UniqueConstraint(
                fields=["circle", "held_on"],
                name="meeting_unique_per_circle_and_day",
                violation_error_message=_("Deze kenniskring heeft op die dag al een bijeenkomst."),
            ),
        ]

    def __str__(self):
        return f"{self.circle} – {self.held_on:%d-%m-%Y}"
