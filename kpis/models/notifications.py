"""Who wants which e-mail: reminders to register and the coordinators' monthly digest."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationPreference(models.Model):
    """One user's choice of e-mails, and when each was last sent (so that a command run
    twice by cron sends nothing twice). A user without this record gets both."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("gebruiker"),
        help_text=_("Voor wie deze instellingen gelden."),
    )
    reminders = models.BooleanField(
        _("herinneringen"),
        default=True,
        help_text=_(
            "Een e-mail als je een tijd niets hebt geregistreerd (voor adviseurs), met wat "
            "er nog ontbreekt."
        ),
    )
    digest = models.BooleanField(
        _("maandoverzicht"),
        default=True,
        help_text=_(
            "Aan het begin van elke maand: wat er vorige maand is geregistreerd, wat er "
            "ontbreekt en de cijfers tegen de streefwaarden (voor coördinatoren)."
        ),
    )
    last_reminder_on = models.DateField(
        _("laatste herinnering op"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Wanneer de laatste herinnering is verstuurd."),
    )
    last_digest_month = models.DateField(
        _("laatste maandoverzicht over"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("De eerste dag van de maand waarover het laatste overzicht ging."),
    )

    class Meta:
        verbose_name = _("meldingsinstelling")
        verbose_name_plural = _("meldingsinstellingen")
        ordering = ["user__username"]

    def __str__(self):
        return str(self.user)

    @classmethod
    def for_user(cls, user) -> "NotificationPreference":
        """The stored choice, or the default (both e-mails) unsaved."""
        try:
            return user.notification_preference
        except cls.DoesNotExist:
            return cls(user=user)
