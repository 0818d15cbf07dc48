"""Import batches: which file brought which rows, so a batch can be traced and undone.

A batch knows its rows in one of two ways. Transport reservations carry the batch in
a column of their own (``TransportReservation.import_batch``: a million rows are
written and deleted by that column). Every other kind of record, imported through the
admin's django-import-export pages, is listed in ``ImportBatchRange`` (batch, content
type, a run of consecutive ids), written in the import's own transaction; the
registration tables get no column for it. ``kpis.core.import_batches`` reads and undoes
both.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpis.core.registration import FieldCheck


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
        _("aantal rijen"),
        default=0,
        help_text=_("Aantal nieuwe rijen: die verdwijnen weer als de import ongedaan wordt."),
    )
    updated_count = models.PositiveIntegerField(
        _("bijgewerkt"),
        default=0,
        help_text=_(
            "Aantal bestaande records dat de import wijzigde; ongedaan maken laat ze zoals "
            "ze nu zijn."
        ),
    )
    skipped_count = models.PositiveIntegerField(
        _("ongewijzigd"), default=0, help_text=_("Rijen van het bestand die niets veranderden.")
    )
    same_file_again = models.BooleanField(
        _("zelfde bestand opnieuw toegestaan"),
        default=False,
        help_text=_(
            "Ja voor registraties met een eigen sleutel: een tweede import van hetzelfde "
            "bestand voegt niets toe. Nee voor transport, waar elke rij telt."
        ),
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
                condition=Q(same_file_again=False),
                name="importbatch_unique_file",
                violation_error_message=_("Dit bestand is al eens geïmporteerd."),
            )
        ]

    def __str__(self):
        return f"{self.file_name} ({self.imported_at:%d-%m-%Y %H:%M})"


class ImportBatchRange(models.Model):
    """A run of consecutive ids of one kind that an admin import created or changed.

    The batch's list of its records, as runs: the new records of a file get their ids
    from one sequence call (``kpis.core.resources.copy_create``), so they are nearly
    always one run; changed records may be many. Written and deleted in bulk (``COPY``/
    ``bulk_create``, one ``DELETE``) in the import's and the undo's transaction, so
    without an audit entry each: the records' own entries and the batch's say what
    happened.
    """

    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the index below starts with it
        verbose_name=_("importbatch"),
        help_text=_("De import die de records bracht."),
    )
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("soort record"),
        help_text=_("Het model van de records."),
    )
    first_id = models.PositiveBigIntegerField(
        _("eerste record-id"), help_text=_("Het id van het eerste record van de reeks.")
    )
    last_id = models.PositiveBigIntegerField(
        _("laatste record-id"),
        help_text=_("Het id van het laatste record; alle ids ertussen horen er ook bij."),
    )
    created = models.BooleanField(
        _("nieuw"),
        help_text=_(
            "Ja: de import maakte de records (ongedaan maken verwijdert ze). "
            "Nee: de import wijzigde bestaande records (die blijven)."
        ),
    )

    class Meta:
        verbose_name = _("reeks van een importbatch")
        verbose_name_plural = _("reeksen van importbatches")
        ordering = ["batch", "content_type", "created", "first_id"]
        constraints = [
            FieldCheck(
                field="last_id",
                condition=Q(last_id__gte=F("first_id")),
                name="importbatchrange_last_not_before_first",
                violation_error_message=_(
                    "Het laatste id van een reeks kan niet kleiner zijn dan het eerste."
                ),
            )
        ]
        indexes = [
            # The batch's records of one kind; with ``first_id`` a record's run is one
            # index step away (``kpis.core.import_batches``, many runs).
            models.Index(
                fields=["batch", "content_type", "created", "first_id"],
                name="importbatchrange_batch_kind",
            )
        ]

    def __str__(self):
        if self.first_id == self.last_id:
            return f"{self.content_type_id}:{self.first_id}"
        return f"{self.content_type_id}:{self.first_id}-{self.last_id}"
