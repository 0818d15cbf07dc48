"""Year closing: once a year's report is published its records stay as they are."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpis.core.rules import FieldCheck


class ClosedYear(models.Model):
    """A closed report year, with the figures as they were published.

    While this record exists, every registration dated in ``year`` refuses creation,
    change and deletion (see ``kpis.core.registration.ensure_years_open``).
    """

    year = models.PositiveSmallIntegerField(
        _("jaar"), unique=True, help_text=_("Het verslagjaar dat is afgesloten.")
    )
    closed_at = models.DateTimeField(
        _("afgesloten op"), default=timezone.now, help_text=_("Moment van afsluiten.")
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("afgesloten door"),
        help_text=_("De coördinator die het jaar afsloot."),
    )
    snapshot = models.JSONField(
        _("vastgestelde cijfers"),
        default=list,
        help_text=_("Alle figuren van het jaar zoals ze bij het afsluiten waren."),
    )
    # The report as published, made inside the closing transaction; the database refuses
    # any change to it (kpis.core.year_policy, the snapshot guard). Empty for a year closed
    # before reports were archived.
    report_pdf = models.BinaryField(
        _("jaarverslag (PDF)"),
        null=True,
        blank=True,
        help_text=_("Het jaarverslag zoals het bij het afsluiten is vastgesteld."),
    )
    report_pdf_sha256 = models.CharField(
        _("controlegetal PDF"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 van het vastgestelde jaarverslag (PDF)."),
    )
    # What the closing checklist (kpis.reporting.checklist) warned about and the coordinator saw
    # before closing: [{key, message, count, severity}, ...]. Written once, at closing;
    # empty (null) for a year closed before there was a checklist. Nullable, so that
    # adding it is an ALTER TABLE on SQLite, not a rebuilt table under its triggers.
    acknowledged_warnings = models.JSONField(
        _("geziene waarschuwingen"),
        null=True,
        blank=True,
        help_text=_("De waarschuwingen van de afsluitlijst die de coördinator heeft gezien."),
    )

    class Meta:
        verbose_name = _("afgesloten jaar")
        verbose_name_plural = _("afgesloten jaren")
        ordering = ["-year"]
        # Coordinators close a year once its report is published, and reopen it.
        permissions = [("close_year", _("Mag verslagjaren afsluiten en heropenen"))]

    def __str__(self):
        return str(self.year)


class YearReopening(models.Model):
    """The log of reopened years: who, when, why, and what had been published."""

    year = models.PositiveSmallIntegerField(_("jaar"), help_text=_("Het heropende jaar."))
    reopened_at = models.DateTimeField(
        _("heropend op"), default=timezone.now, help_text=_("Moment van heropenen.")
    )
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("heropend door"),
        help_text=_("De coördinator die het jaar heropende."),
    )
    reason = models.TextField(_("reden"), help_text=_("Waarom het jaar is heropend."))
    closed_at = models.DateTimeField(
        _("was afgesloten op"), help_text=_("Wanneer het jaar daarvoor was afgesloten.")
    )
    snapshot = models.JSONField(
        _("cijfers zoals vastgesteld"),
        default=list,
        help_text=_("De figuren zoals ze bij het afsluiten waren vastgesteld."),
    )
    report_pdf = models.BinaryField(
        _("jaarverslag zoals vastgesteld (PDF)"),
        null=True,
        blank=True,
        help_text=_("Het jaarverslag zoals het bij het afsluiten was vastgesteld."),
    )
    report_pdf_sha256 = models.CharField(
        _("controlegetal PDF"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 van dat jaarverslag (PDF)."),
    )

    class Meta:
        verbose_name = _("heropend jaar")
        verbose_name_plural = _("heropende jaren")
        ordering = ["-reopened_at"]
        constraints = [
            FieldCheck(
                field="reason",
                condition=~models.Q(reason=""),
                name="reopening_has_reason",
                violation_error_message=_("Geef een reden voor het heropenen."),
            )
        ]

    def __str__(self):
        return f"{self.year} ({self.reopened_at:%d-%m-%Y})"
