"""Quotes and feedback, as the annual report prints them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kpis.core.registration import Registration, ReportDatedQuerySet


class TestimonialQuerySet(ReportDatedQuerySet):
    def published(self):
        """Only what the person agreed to see published; the only ones public pages show."""
        return self.filter(publication_allowed=True)


class Testimonial(Registration):
    report_date_field = "given_on"

    text = models.TextField(
        _("tekst"), help_text=_("Het citaat, zoals het gepubliceerd mag worden.")
    )
    person = models.CharField(
        _("naam"), max_length=200, blank=True, help_text=_("Wie het zei. Leeg voor anoniem.")
    )
    role = models.CharField(
        _("functie"), max_length=200, blank=True, help_text=_("Functie van de persoon.")
    )
    organisation = models.ForeignKey(
        "kpis.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="testimonials",
        verbose_name=_("organisatie"),
        help_text=_("De organisatie van de persoon."),
    )
    context = models.CharField(
        _("aanleiding"),
        max_length=200,
        blank=True,
        help_text=_("Waarover het gaat, bijvoorbeeld 'Feedback over de glossy'."),
    )
    given_on = models.DateField(
        _("datum"), help_text=_("Datum van de uitspraak; bepaalt het verslagjaar.")
    )
    publication_allowed = models.BooleanField(
        _("publicatie toegestaan"),
        default=False,
        help_text=_(
            "Alleen aangevinkte citaten verschijnen op openbare pagina's en in het verslag."
        ),
    )

    objects = TestimonialQuerySet.as_manager()

    class Meta:
        verbose_name = _("citaat")
        verbose_name_plural = _("citaten")
        ordering = ["-given_on"]
        indexes = [models.Index(fields=["given_on"], name="testimonial_date_idx")]

    def __str__(self):
        who = self.person or _("anoniem")
        return f"{who}: {self.text[:60]}"
