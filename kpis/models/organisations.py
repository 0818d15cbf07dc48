"""Organisations in and around the network, and the themes (maatschappelijke opgaven)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kpis.core.registration import FigureReference, FigureReferenceQuerySet


class Province(models.TextChoices):
    GRONINGEN = "groningen", "Groningen"
    FRIESLAND = "friesland", "Friesland"
    DRENTHE = "drenthe", "Drenthe"
    OVERIJSSEL = "overijssel", "Overijssel"
    FLEVOLAND = "flevoland", "Flevoland"
    GELDERLAND = "gelderland", "Gelderland"
    UTRECHT = "utrecht", "Utrecht"
    NOORD_HOLLAND = "noord-holland", "Noord-Holland"
    ZUID_HOLLAND = "zuid-holland", "Zuid-Holland"
    ZEELAND = "zeeland", "Zeeland"
    NOORD_BRABANT = "noord-brabant", "Noord-Brabant"
    LIMBURG = "limburg", "Limburg"

    @classmethod
    def adjective(cls, value: str) -> str:
        """The Dutch adjective ("Flevolandse best practices"); empty for no province."""
        return PROVINCE_ADJECTIVES.get(value, "")


PROVINCE_ADJECTIVES = {
    "groningen": "Groningse",
    "friesland": "Friese",
    "drenthe": "Drentse",
    "overijssel": "Overijsselse",
    "flevoland": "Flevolandse",
    "gelderland": "Gelderse",
    "utrecht": "Utrechtse",
    "noord-holland": "Noord-Hollandse",
    "zuid-holland": "Zuid-Hollandse",
    "zeeland": "Zeeuwse",
    "noord-brabant": "Brabantse",
    "limburg": "Limburgse",
}


class SlugNaturalKeyManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class FigureReferenceSlugManager(SlugNaturalKeyManager.from_queryset(FigureReferenceQuerySet)):
    """Natural keys by slug, and bulk writes guarded like ``FigureReference`` saves."""


class OrganisationManager(models.Manager.from_queryset(FigureReferenceQuerySet)):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Organisation(FigureReference):
    class Kind(models.TextChoices):
        LIBRARY = "library", _("bibliotheek")
        PROVINCE = "province", _("provincie")
        MUNICIPALITY = "municipality", _("gemeente")
        PARTNER = "partner", _("partnerorganisatie")
        OTHER = "other", _("overig")

    name = models.CharField(
        _("naam"), max_length=200, unique=True, help_text=_("Officiële naam van de organisatie.")
    )
    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_(
            "Korte, vaste code (bijvoorbeeld 'bieb-noord'), gebruikt in imports en exports."
        ),
    )
    kind = models.CharField(
        _("soort"),
        max_length=20,
        choices=Kind.choices,
        default=Kind.LIBRARY,
        help_text=_("Bibliotheek, provincie, gemeente, partner of overig."),
    )
    province = models.CharField(
        _("provincie"),
        max_length=20,
        choices=Province.choices,
        help_text=_(
            "De provincie waarin de organisatie gevestigd is. Bepaalt of transport "
            "binnen de provincie of interprovinciaal telt."
        ),
    )
    joined_network_on = models.DateField(
        _("lid van het netwerk sinds"),
        null=True,
        blank=True,
        help_text=_("Datum waarop de organisatie zich bij het netwerk aansloot."),
    )
    notes = models.TextField(_("notities"), blank=True, help_text=_("Vrije toelichting."))

    # What the figures read: the province decides transport's scope, the date counts
    # new network organisations.
    figure_fields = ("province", "joined_network_on")

    objects = OrganisationManager()

    class Meta:
        verbose_name = _("organisatie")
        verbose_name_plural = _("organisaties")
        ordering = ["name"]
        indexes = [models.Index(fields=["joined_network_on"], name="organisation_joined_idx")]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)


class Theme(models.Model):
    name = models.CharField(
        _("naam"),
        max_length=100,
        unique=True,
        help_text=_("Bijvoorbeeld Geletterdheid, Digitale inclusie, Leven lang ontwikkelen."),
    )
    slug = models.SlugField(
        _("code"), max_length=100, unique=True, help_text=_("Vaste code voor imports en exports.")
    )

    objects = SlugNaturalKeyManager()

    class Meta:
        verbose_name = _("maatschappelijke opgave")
        verbose_name_plural = _("maatschappelijke opgaven")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)
