"""Targets (streefwaarden): what a figure should reach in a year."""

from collections.abc import Callable
from decimal import Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kpis.core import year_policy
from kpis.core.registration import FieldCheck, YearGuardedQuerySet, non_negative


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

    objects = YearGuardedQuerySet.as_manager()

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
            FieldCheck(
                field="year",
                condition=models.Q(year__gte=2000, year__lte=2100),
                name="target_year_plausible",
                violation_error_message=_("Kies een jaar tussen 2000 en 2100."),
            ),
        ]

    def __str__(self):
        return f"{self.key} {self.year}: {self.value}"

    # The figure keys that exist, set by the reporting layer at start-up (``kpis.apps``),
    # so that this model never imports it.
    known_keys: ClassVar[Callable[[], set[str]] | None] = None

    def save(self, *args, **kwargs):
        year_policy.ensure_years_open(self._years())
        with year_policy.db_refusals():
            super().save(*args, **kwargs)
        self._stored_year = self.year

    def delete(self, *args, **kwargs):
        year_policy.ensure_years_open(self._years())
        with year_policy.db_refusals():
            return super().delete(*args, **kwargs)

    def clean(self):
        super().clean()
        known = type(self).known_keys
        if self.key and known is not None and self.key not in known():
            raise ValidationError({"key": _("Onbekende figuur '%(key)s'.") % {"key": self.key}})
        try:
            year_policy.ensure_years_open(self._years())
        except year_policy.ClosedYearError as error:
            raise ValidationError({"year": error.messages}) from error

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_year = instance.__dict__.get("year")
        return instance

    def _years(self) -> set[int]:
        """A target of a closed year is frozen with the year's published figures."""
        return {self.year, getattr(self, "_stored_year", None)} - {None}
