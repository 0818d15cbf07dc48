"""Bijeenkomsten: the network meetings, inspiration sessions and conferences the network
organises for the libraries and their partners."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kpis.core.registration import FieldCheck, Registration, non_negative


class Event(Registration):
    """One bijeenkomst the network organised (or co-organised), on one day."""

    report_date_field = "held_on"

    class Kind(models.TextChoices):
        NETWORK = "network", _("netwerkbijeenkomst")
        INSPIRATION = "inspiration", _("kennis- of inspiratiesessie")
        CONFERENCE = "conference", _("congres of symposium")
        VISIT = "visit", _("werkbezoek")

    title = models.CharField(_("titel"), max_length=250, help_text=_("Naam van de bijeenkomst."))
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices, default=Kind.NETWORK)
    held_on = models.DateField(
        _("datum"), help_text=_("Datum van de bijeenkomst; bepaalt het verslagjaar.")
    )
    online = models.BooleanField(_("online"), default=False, help_text=_("Online gehouden."))
    participants = models.PositiveIntegerField(
        _("deelnemers"),
        default=0,
        help_text=_("Aantal deelnemers (de organisatie niet meegeteld)."),
    )
    organisations = models.ManyToManyField(
        "kpis.Organisation",
        blank=True,
        related_name="events",
        verbose_name=_("organisaties"),
        help_text=_("Organisaties waarvan mensen deelnamen of die meeorganiseerden."),
    )

    class Meta:
        verbose_name = _("bijeenkomst")
        verbose_name_plural = _("bijeenkomsten")
        ordering = ["-held_on", "title"]
        indexes = [models.Index(fields=["held_on"], name="event_date_idx")]
        constraints = [
            non_negative("participants", "event_participants_non_negative"),
            FieldCheck(
                field="title",
                condition=~models.Q(title=""),
                name="event_title_not_empty",
                violation_error_message=_("Geef de bijeenkomst een titel."),
            ),
            models.UniqueConstraint(
                fields=["title", "held_on"],
                name="event_unique_title_per_day",
                violation_error_message=_(
                    "Er staat al een bijeenkomst met deze titel op deze datum."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%d-%m-%Y})"
