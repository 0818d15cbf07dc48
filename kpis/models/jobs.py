"""Work that runs in the background, one row per job: its progress and outcome.

``TransportImportJob``: a fast transport import. The upload view makes one and enqueues
``kpis.jobs.import_job`` (Django's tasks API); the task updates the progress fields as it
goes and fills in the outcome: the batch, or the Dutch errors with their row numbers. The
progress page reads this row. The stored file is deleted when the job ends.

``ReportBuild``: the concept PDF of a year's annual report, made from one data version
by ``kpis.reporting.pdf_builds.build_report_pdf``. It is output made from the data, not
data: its table is left out of the data version, the audit trail and the backup
(``kpis.core.data_version.DERIVED_MODELS``), so that storing a PDF never makes it stale.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TransportImportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "wachtrij", _("in de wachtrij")
        RUNNING = "bezig", _("bezig")
        DONE = "klaar", _("geïmporteerd")
        FAILED = "mislukt", _("niet geïmporteerd")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gestart door"),
    )
    file = models.FileField(
        _("bestand"),
        upload_to="transport-imports/",
        blank=True,
        help_text=_("Het geüploade bestand, tot de taak klaar is."),
    )
    file_name = models.CharField(_("bestandsnaam"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    stage = models.CharField(
        _("stap"), max_length=20, blank=True, help_text=_("'gecontroleerd' of 'geschreven'.")
    )
    rows_total = models.PositiveIntegerField(
        _("rijen in het bestand"), default=0, help_text=_("Geschat bij het uploaden.")
    )
    rows_done = models.PositiveIntegerField(_("rijen verwerkt"), default=0)
    batch = models.ForeignKey(
        "kpis.ImportBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("importbatch"),
    )
    row_count = models.PositiveIntegerField(_("geïmporteerde rijen"), default=0)
    errors = models.JSONField(
        _("fouten"),
        default=list,
        blank=True,
        help_text=_("[rij, kolom, melding] per fout (de eerste duizend)."),
    )
    error_count = models.PositiveIntegerField(_("aantal fouten"), default=0)
    task_id = models.CharField(_("taak"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("geüpload op"), default=timezone.now)
    updated_at = models.DateTimeField(_("bijgewerkt op"), default=timezone.now)
    finished_at = models.DateTimeField(_("klaar op"), null=True, blank=True)

    class Meta:
        verbose_name = _("importtaak (transport)")
        verbose_name_plural = _("importtaken (transport)")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("admin:kpis_transportreservation_import_job", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        # Checking is the first half of the work, writing the second.
        done = min(self.rows_done, self.rows_total) / self.rows_total
        return int(50 * done + (50 if self.stage == "geschreven" else 0))


class ReportBuild(models.Model):
    """One making of a year's report PDF from the data as it was at one data version."""

    class Status(models.TextChoices):
        QUEUED = "wachtrij", _("in de wachtrij")
        RUNNING = "bezig", _("bezig")
        DONE = "klaar", _("klaar")
        FAILED = "mislukt", _("mislukt")

    class Stage(models.TextChoices):
        FIGURES = "cijfers", _("cijfers en grafieken verzamelen")
        LAYOUT = "opmaak", _("de PDF opmaken")

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    STEPS = 3  # waiting, figures, layout: the progress bar's length

    year = models.PositiveSmallIntegerField(_("jaar"), help_text=_("Het verslagjaar."))
    data_version = models.CharField(
        _("gegevensversie"),
        max_length=100,
        help_text=_(
            "De gegevensversie (kpis.core.data_version) waaruit de PDF is gemaakt; "
            "verandert er iets, dan hoort er een nieuwe PDF bij."
        ),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    stage = models.CharField(
        _("stap"),
        max_length=10,
        choices=Stage.choices,
        blank=True,
        help_text=_("Waar de taak mee bezig is."),
    )
    pdf = models.BinaryField(
        _("PDF"), null=True, blank=True, help_text=_("Het conceptverslag, als het klaar is.")
    )
    error = models.TextField(
        _("reden"), blank=True, help_text=_("Waarom de PDF niet gemaakt kon worden.")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gevraagd door"),
        help_text=_("Leeg: een bezoeker zonder account."),
    )
    task_id = models.CharField(_("taak"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("gevraagd op"), default=timezone.now)
    started_at = models.DateTimeField(_("begonnen op"), null=True, blank=True)
    finished_at = models.DateTimeField(_("klaar op"), null=True, blank=True)

    class Meta:
        verbose_name = _("jaarverslag-PDF (gemaakt)")
        verbose_name_plural = _("jaarverslag-PDF's (gemaakt)")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A second request (a double click, another visitor) while one is under way
            # joins that build instead of starting another.
            models.UniqueConstraint(
                fields=["year", "data_version"],
                condition=Q(status__in=["wachtrij", "bezig"]),
                name="reportbuild_one_under_way",
                violation_error_message=_(
                    "De PDF van dit jaar wordt al gemaakt uit deze gegevens."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.year} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("kpis:report_pdf", args=[self.year])

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def step(self) -> int:
        """How far it is, out of ``STEPS``."""
        if self.status == self.Status.DONE:
            return self.STEPS
        if self.status == self.Status.RUNNING:
            return 2 if self.stage == self.Stage.LAYOUT else 1
        return 0
