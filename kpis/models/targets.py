"""Targets (streefwaarden): what a figure should reach in a year."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import non_negative


class Target(models.Model):
    key = models.CharField(
        _("figuur"),
        max_length=100,
        help_text=_("De sleutel van de figuur, bijvoorbeeld 'subsidies.awarded'."),
    )
    year = models.PositiveSmallIntegerField(
        _("jaar"),
        validators=[
            MinValueValidator(2000, _("Kies een jaar tussen 2000 en 2100.")),
            MaxValueValidator(2100, _("Kies een jaar tussen 2000 en 2100.")),
        ],
        help_text=_("Het verslagjaar van de streefwaarde."),
    )
    value = models.DecimalField(
        _("streefwaarde"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), _("Een streefwaarde kan niet negatief zijn."))],
        help_text=_("Het getal dat we willen halen."),
    )
    note = models.CharField(
        _("toelichting"), max_length=300, blank=True, help_text=_("Optionele ambitie in woorden.")
    )

    class Meta:
        verbose_name = _("streefwaarde")
        verbose_name_plural = _("streefwaarden")
        ordering = ["-year", "key"]
        constraints = [
            non_negative("value", "target_value_non_negative"),
            models.UniqueConstraint(
                fields=["key", "year"],
                name="target_unique_per_key_and_year",
                violation_error_message=_("Voor deze figuur is in dit jaar al een streefwaarde."),
            ),
            models.CheckConstraint(
                condition=models.Q(year__gte=2000, year__lte=2100),
                name="target_year_plausible",
                violation_error_message=_("Kies een jaar tussen 2000 en 2100."),
            ),
        ]

    def __str__(self):
        return f"{self.key} {self.year}: {self.value}"

    def clean(self):
        super().clean()
        from kpis.figures import known_keys

        if self.key and self.key not in known_keys():
            raise ValidationError({"key": _("Onbekende figuur '%(key)s'.") % {"key": self.key}})
