"""Evidence: a file or a link that backs up a registration (an award letter, a photo, a post).

Any report-dated record can have evidence, through a generic relation (content type and
id), so a new registration type has it without a migration. Evidence counts in no
figure: it is for staff, who see it on the record's form and download it through a
view that checks their permissions (``kpis.admin.evidence``); it is never on a public
page and never under a public media URL. The files go through Django's storage API,
to the storage named by ``settings.BNF_EVIDENCE_STORAGE`` (a private directory by
default, S3-compatible by setting; see the README, "Bewijsstukken").

A row is one file or one link, never both (a database constraint). It is not changed
after it is added: to replace a file, add the new one and delete the old one, so the
audit trail shows both steps.
"""

import hashlib
import os
import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import URLValidator
from django.db import models
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kpis.core import file_types
from kpis.core.registration import ReportDated

# Other spellings of an extension that need no correcting ("foto.jpeg" stays as it is).
EXTENSION_ALIASES = {".jpg": {".jpeg", ".jfif"}, ".heic": {".heif"}}
WEB_SCHEMES = ("http", "https")


def evidence_storage():
    """The storage for evidence files: the alias ``BNF_EVIDENCE_STORAGE`` in ``STORAGES``."""
    return storages[settings.BNF_EVIDENCE_STORAGE]


def evidence_upload_to(instance, filename: str) -> str:
    """``kpis.training/<random>.pdf``: grouped per kind of record, no personal names."""
    content_type = ContentType.objects.get_for_id(instance.content_type_id)
    extension = os.path.splitext(filename)[1].lower()
    return f"{content_type.app_label}.{content_type.model}/{uuid.uuid4().hex}{extension}"


class EvidenceFieldFile(FieldFile):
    """A stored evidence file whose URL is the permission-checked download view.

    Wherever Django shows a file as a link (a form's "Huidig", a read-only field), that
    link goes through the view; the storage's own URL is never handed out.
    """

    @property
    def url(self):
        self._require_file()
        return self.instance.download_url()


class EvidenceFileField(models.FileField):
    attr_class = EvidenceFieldFile


class Evidence(models.Model):
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("soort registratie"),
        help_text=_("Het soort record waar dit bewijsstuk bij hoort."),
    )
    object_id = models.PositiveBigIntegerField(
        _("registratie-id"), help_text=_("Het id van het record.")
    )
    record = GenericForeignKey("content_type", "object_id")
    file = EvidenceFileField(
        _("bestand"),
        upload_to=evidence_upload_to,
        storage=evidence_storage,
        max_length=255,
        blank=True,
        help_text=_("Het opgeslagen bestand (alleen via de beveiligde downloadpagina)."),
    )
    file_name = models.CharField(
        _("bestandsnaam"),
        max_length=255,
        blank=True,
        help_text=_("De naam van het bestand zoals het werd toegevoegd."),
    )
    media_type = models.CharField(
        _("bestandstype"),
        max_length=100,
        blank=True,
        help_text=_("Het type, bepaald uit de inhoud van het bestand."),
    )
    size = models.PositiveBigIntegerField(
        _("grootte (bytes)"), null=True, blank=True, help_text=_("Grootte van het bestand.")
    )
    checksum = models.CharField(
        _("controlegetal (SHA-256)"),
        max_length=64,
        blank=True,
        help_text=_("Vingerafdruk van de inhoud, om een hersteld bestand te controleren."),
    )
    url = models.URLField(
        _("link"),
        max_length=2000,
        blank=True,
        validators=[
            URLValidator(
                schemes=WEB_SCHEMES,
                message=_("Voer een webadres in dat begint met http:// of https://."),
                code="not_a_web_address",  # "invalid" would get the field's own message
            )
        ],
        help_text=_("Een webadres (http of https), bijvoorbeeld het nieuwsbericht."),
    )
    description = models.CharField(
        _("omschrijving"),
        max_length=300,
        blank=True,
        help_text=_("Wat het is, bijvoorbeeld 'Toekenningsbrief provincie'."),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("toegevoegd door"),
        help_text=_("Wie het bewijsstuk toevoegde."),
    )
    created_at = models.DateTimeField(_("toegevoegd op"), auto_now_add=True)

    class Meta:
        verbose_name = _("bewijsstuk")
        verbose_name_plural = _("bewijsstukken")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="evidence_record_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(file="") & ~models.Q(url=""))
                | (~models.Q(file="") & models.Q(url="")),
                name="evidence_file_or_link",
                violation_error_message=_("Een bewijsstuk is een bestand óf een link."),
            ),
            models.CheckConstraint(
                condition=models.Q(url="")
                | models.Q(url__istartswith="http://")
                | models.Q(url__istartswith="https://"),
                name="evidence_link_is_web_address",
                violation_error_message=_("Een link begint met http:// of https://."),
            ),
            models.CheckConstraint(
                condition=models.Q(file="")
                | (
                    models.Q(size__isnull=False) & ~models.Q(media_type="") & ~models.Q(checksum="")
                ),
                name="evidence_file_has_details",
                violation_error_message=_(
                    "Van een bestand zijn type, grootte en controlegetal bekend."
                ),
            ),
        ]

    def __str__(self):
        return self.file_name or self.url

    # --- the record ---------------------------------------------------------------------

    @property
    def record_label(self) -> str:
        """``kpis.training:12``: the record, the same in every database (no content type id)."""
        content_type = ContentType.objects.get_for_id(self.content_type_id)
        return f"{content_type.app_label}.{content_type.model}:{self.object_id}"

    def record_model(self):
        return ContentType.objects.get_for_id(self.content_type_id).model_class()

    def get_additional_data(self) -> dict:
        """Stored with each audit entry (django-auditlog), so the record's own audit trail
        lists the evidence added to it and removed from it."""
        return {"record": self.record_label}

    def download_url(self) -> str:
        return reverse("admin:kpis_evidence_download", args=[self.pk])

    @property
    def file_type(self) -> file_types.FileType | None:
        return file_types.BY_MEDIA_TYPE.get(self.media_type)

    # --- adding -------------------------------------------------------------------------

    def attach_file(self, uploaded) -> None:
        """Make this evidence the uploaded file, after checking its size and content.

        Raises a ``ValidationError`` in Dutch (nothing stored) for a file that is too
        large (``BNF_EVIDENCE_MAX_BYTES``), empty, or of a type we do not take.
        """
        found = file_types.inspect_upload(uploaded, max_bytes=settings.BNF_EVIDENCE_MAX_BYTES)
        # No control characters: the name goes into the download's Content-Disposition.
        name = "".join(ch for ch in os.path.basename(uploaded.name or "") if ch.isprintable())
        name = name.strip() or gettext("bestand")
        stem, extension = os.path.splitext(name)
        if extension.lower() not in {found.extension, *EXTENSION_ALIASES.get(found.extension, ())}:
            name = f"{stem or name}{found.extension}"
        self.file_name = name[-255:]
        self.media_type = found.media_type
        self.size = uploaded.size
        self.checksum = file_types.checksum(uploaded)
        uploaded.name = name
        self.file = uploaded

    def clean(self):
        super().clean()
        if self.content_type_id is not None:
            model = self.record_model()
            if model is None or not issubclass(model, ReportDated):
                raise ValidationError(_("Bewijsstukken horen bij een registratie."))
            if not model._base_manager.filter(pk=self.object_id).exists():
                raise ValidationError(_("Deze registratie bestaat niet (meer)."))
        if not self.file and not self.url:
            raise ValidationError(_("Voeg een bestand of een link toe."))
        if self.file and self.url:
            raise ValidationError(
                _("Een bestand en een link samen kan niet; voeg ze als twee bewijsstukken toe.")
            )

    def stored_checksum(self) -> str:
        """SHA-256 of the file as the storage has it now."""
        digest = hashlib.sha256()
        with self.file.storage.open(self.file.name, "rb") as stored:
            for chunk in iter(lambda: stored.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
