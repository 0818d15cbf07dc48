"""Import batches: which file brought which rows, so a batch can be traced and undone."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    model_label = models.CharField(
        _("soort registratie"),
        max_length=100,
        help_text=_("Welke registraties het bestand bevatte, bijv. 'kpis.transportreservation'."),
    )
    file_name = models.CharField(
        _("bestandsnaam"), max_length=255, help_text=_("Naam van het bestand.")
    )
    checksum = models.CharField(
        _("controlegetal (SHA-256)"),
        max_length=64,
        help_text=_("Vingerafdruk van de inhoud; hetzelfde bestand twee keer importeren kan niet."),
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("geïmporteerd door"),
        help_text=_("Wie het bestand importeerde."),
    )
    imported_at = models.DateTimeField(
        _("geïmporteerd op"), default=timezone.now, help_text=_("Moment van importeren.")
    )
    row_count = models.PositiveIntegerField(
        _("aantal rijen"), default=0, help_text=_("Aantal geïmporteerde rijen.")
    )
    source = models.CharField(
        _("via"),
        max_length=20,
        default="admin",
        help_text=_("Hoe het bestand binnenkwam: admin of opdrachtregel."),
    )

    class Meta:
        verbose_name = _("importbatch")
        verbose_name_plural = _("importbatches")
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_label", "checksum"],
                name="importbatch_unique_file",
                violation_error_message=_("Dit bestand is al eens geïmporteerd."),
            )
        ]

    def __str__(self):
        return f"{self.file_name} ({self.imported_at:%d-%m-%Y %H:%M})"
