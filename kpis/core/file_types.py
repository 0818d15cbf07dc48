"""What an uploaded evidence file is, read from its content (never its name or the browser's say).

One registry (``TYPES``) names every kind of file we take: PDF, photos and other
images, and office documents. ``inspect_upload`` reads the first bytes (and, for a ZIP,
the names in its directory) and returns the ``FileType``, or refuses the file with a
Dutch sentence that names it. An ``.exe`` renamed ``.pdf`` is no PDF here; a PNG named
``.pdf`` is a PNG and is stored and served as one.

Office documents are ZIP files (OOXML: ``.docx``/``.xlsx``/``.pptx``; OpenDocument:
``.odt``/``.ods``/``.odp``). Only their directory and one small part are read, so a
ZIP bomb costs nothing. Documents with macros and the old binary Office formats
(``.doc``, ``.xls``, ``.ppt``, which can carry macros unseen) are refused. SVG is
refused as well: it is a document that can hold scripts, not a picture.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

HEAD_BYTES = 64
# [Content_Types].xml of an office document is a few kB; more is no document of ours.
CONTENT_TYPES_LIMIT = 1 << 20
ODF_MIMETYPE_LIMIT = 100


@dataclass(frozen=True)
class FileType:
    media_type: str
    extension: str
    label: str
    # Shown in the browser (a picture, a PDF) rather than downloaded.
    inline: bool = False


PDF = FileType("application/pdf", ".pdf", _("PDF"), inline=True)
PNG = FileType("image/png", ".png", _("PNG-afbeelding"), inline=True)
JPEG = FileType("image/jpeg", ".jpg", _("JPEG-foto"), inline=True)
GIF = FileType("image/gif", ".gif", _("GIF-afbeelding"), inline=True)
WEBP = FileType("image/webp", ".webp", _("WebP-afbeelding"), inline=True)
HEIC = FileType("image/heic", ".heic", _("HEIC-foto"))
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docx",
    _("Word-document"),
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsx",
    _("Excel-werkmap"),
)
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".pptx",
    _("PowerPoint-presentatie"),
)
ODT = FileType("application/vnd.oasis.opendocument.text", ".odt", _("OpenDocument-tekst"))
ODS = FileType(
    "application/vnd.oasis.opendocument.spreadsheet", ".ods", _("OpenDocument-rekenblad")
)
ODP = FileType(
    "application/vnd.oasis.opendocument.presentation", ".odp", _("OpenDocument-presentatie")
)

TYPES = (PDF, PNG, JPEG, GIF, WEBP, HEIC, DOCX, XLSX, PPTX, ODT, ODS, ODP)
BY_MEDIA_TYPE = {file_type.media_type: file_type for file_type in TYPES}
# For the file picker only (``accept``); what counts is the content.
EXTENSIONS = (*(file_type.extension for file_type in TYPES), ".jpeg", ".heif")

# The main part's content type in [Content_Types].xml, per OOXML document.
OOXML_MAIN_PARTS = {
    b"wordprocessingml.document.main+xml": DOCX,
    b"spreadsheetml.sheet.main+xml": XLSX,
    b"presentationml.presentation.main+xml": PPTX,
}
ODF_MIMETYPES = {file_type.media_type.encode(): file_type for file_type in (ODT, ODS, ODP)}
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def accepted_types_text() -> str:
    """'PDF, PNG-afbeelding, …' for help texts and refusals."""
    return ", ".join(str(file_type.label) for file_type in TYPES)


def _refused(name: str, reason: str) -> ValidationError:
    return ValidationError(
        gettext("Het bestand '%(name)s' is niet opgeslagen: %(reason)s")
        % {"name": name, "reason": reason},
        code="evidence_file",
    )


def _not_accepted(name: str) -> ValidationError:
    return _refused(
        name,
        gettext(
            "de inhoud is geen bestandstype dat we aannemen (%(types)s). De bestandsnaam telt "
            "niet, alleen de inhoud."
        )
        % {"types": accepted_types_text()},
    )


def _sniff_head(head: bytes) -> FileType | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return HEIC
    return None


def _sniff_zip(uploaded, name: str) -> FileType | None:
    try:
        archive = zipfile.ZipFile(uploaded)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        mimetype = members.get("mimetype")
        if mimetype is not None and mimetype.file_size <= ODF_MIMETYPE_LIMIT:
            found = ODF_MIMETYPES.get(archive.read(mimetype).strip())
            if found is not None:
                return found
        types_part = members.get("[Content_Types].xml")
        if types_part is None or types_part.file_size > CONTENT_TYPES_LIMIT:
            return None
        try:
            content_types = archive.read(types_part)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
            return None
    if b"macroEnabled" in content_types or any(n.endswith("vbaProject.bin") for n in members):
        raise _refused(
            name,
            gettext(
                "het document bevat macro's. Sla het op als gewoon document (.docx, .xlsx, "
                ".pptx) of als PDF."
            ),
        )
    for main_part, file_type in OOXML_MAIN_PARTS.items():
        if main_part in content_types:
            return file_type
    return None


def sniff(uploaded, name: str = "") -> FileType:
    """The type of ``uploaded`` (a file object) by its content, or a ``ValidationError``."""
    uploaded.seek(0)
    head = uploaded.read(HEAD_BYTES)
    uploaded.seek(0)
    try:
        found = _sniff_head(head)
        if found is None and head.startswith(b"PK\x03\x04"):
            found = _sniff_zip(uploaded, name)
    finally:
        uploaded.seek(0)
    if found is not None:
        return found
    if head.startswith(OLE2_SIGNATURE):
        raise _refused(
            name,
            gettext(
                "oude Office-bestanden (.doc, .xls, .ppt) nemen we niet aan. Sla het op als "
                ".docx, .xlsx of .pptx, of als PDF."
            ),
        )
    raise _not_accepted(name)


def inspect_upload(uploaded, *, max_bytes: int) -> FileType:
    """Check an uploaded file: its size first (nothing read), then its content."""
    name = getattr(uploaded, "name", "") or ""
    size = uploaded.size
    if size > max_bytes:
        raise _refused(
            name,
            gettext("het is %(size)s, de grens is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)},
        )
    if size == 0:
        raise _refused(name, gettext("het bestand is leeg."))
    return sniff(uploaded, name)


def checksum(uploaded) -> str:
    """SHA-256 of the content, as hex (read in chunks, the file's position restored)."""
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in iter(lambda: uploaded.read(1 << 20), b""):
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()
