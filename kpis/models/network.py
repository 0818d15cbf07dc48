"""The network's identity: who this instance is for (name, province, libraries, look).

Everything that used to be written into the code and templates for one network
(Bibliotheeknetwerk Flevoland) is one row here that a coordinator edits in the admin.
It is a single row today (a constraint allows only id 1); records do not refer to it
yet, but it is an ordinary table so that it can own them when several networks share
one instance.

Pages read it through ``Network.objects.current()``: once per request (the middleware
``kpis.middleware.NetworkMiddleware`` keeps it for the request) and from the cache under
the data version (``kpis.core.data_version``: the table has the same triggers as every other
table of this app, so an edit shows on the next page, the page cache included).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.templatetags.static import static
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kpis.core.registration import FigureReference, FigureReferenceQuerySet
from kpis.models.organisations import Organisation, Province

SINGLE_ID = 1
DEFAULT_NAME = "Bibliotheeknetwerk"
# The site's colours until now (kpis/static/kpis/bnf.css): both pass WCAG AA on white.
DEFAULT_PRIMARY = "#0f4c81"
DEFAULT_ACCENT = "#b3441f"
DEFAULT_LOGO = "kpis/network-logo.svg"
LOGO_MAX_BYTES = 500 * 1024
LOGO_FORMATS = {"svg": "image/svg+xml", "png": "image/png", "jpeg": "image/jpeg"}
LOGO_EXTENSIONS = {".svg": "svg", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}
# WCAG 2.x level AA for normal text.
MIN_CONTRAST = 4.5
WHITE = "#ffffff"

hex_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Geef een kleur als #rrggbb, bijvoorbeeld #0f4c81.")
)


# --- colours -----------------------------------------------------------------------------


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of ``#rrggbb``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)))[::-1]
    return (lighter + 0.05) / (darker + 0.05)


def darker(colour: str, share: float = 0.3) -> str:
    """``colour`` mixed with ``share`` black: never less contrast with white."""
    r, g, b = (round(int(colour[i : i + 2], 16) * (1 - share)) for i in (1, 3, 5))
    return f"#{r:02x}{g:02x}{b:02x}"


# --- the logo ----------------------------------------------------------------------------

_SVG_FORBIDDEN = {"script", "foreignobject", "iframe", "object", "embed", "audio", "video"}


def logo_format(name: str) -> str | None:
    return LOGO_EXTENSIONS.get(Path(name or "").suffix.lower())


def _check_svg(content: bytes) -> None:
    text = content.decode("utf-8", errors="replace")
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise ValidationError(
            _("Het SVG-bestand bevat een DOCTYPE of entiteiten; sla het op als gewone SVG."),
            code="logo_svg_unsafe",
        )
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        raise ValidationError(_("Dit SVG-bestand is onleesbaar."), code="logo_unreadable") from None
    if root.tag.rpartition("}")[2].lower() != "svg":
        raise ValidationError(_("Dit is geen SVG-afbeelding."), code="logo_unreadable")
    for element in root.iter():
        tag = element.tag.rpartition("}")[2].lower() if isinstance(element.tag, str) else ""
        attributes = {name.rpartition("}")[2].lower(): v for name, v in element.attrib.items()}
        outside = [
            value
            for name, value in attributes.items()
            if name == "href" and not value.strip().startswith(("#", "data:image/"))
        ]
        if tag in _SVG_FORBIDDEN or outside or any(n.startswith("on") for n in attributes):
            raise ValidationError(
                _(
                    "Het SVG-bestand bevat scripts, ingebedde pagina's of verwijzingen naar "
                    "andere bestanden; een logo moet op zichzelf staan."
                ),
                code="logo_svg_unsafe",
            )


def _check_typst_reads(content: bytes, kind: str) -> None:
    """The PDF must be able to print it: typst decodes the image fully."""
    import json

    import typst

    source = b"#let d = json(bytes(sys.inputs.data))\n#image(bytes(d.logo), format: d.kind)\n"
    logo = content.decode("utf-8") if kind == "svg" else list(content)
    try:
        typst.compile(
            source,
            sys_inputs={"data": json.dumps({"logo": logo, "kind": kind})},
            ignore_system_fonts=True,
        )
    except Exception:
        raise ValidationError(
            _("Deze afbeelding is beschadigd of onleesbaar."), code="logo_unreadable"
        ) from None


def validate_logo(upload) -> None:
    """An SVG, PNG or JPEG file of at most 500 kB that the report's PDF can print."""
    kind = logo_format(upload.name)
    if kind is None:
        raise ValidationError(
            _("Een logo is een SVG-, PNG- of JPEG-bestand (.svg, .png, .jpg)."),
            code="logo_format",
        )
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(
            _("Het logo is %(size)s kB; hoogstens %(limit)s kB.")
            % {"size": -(-upload.size // 1024), "limit": LOGO_MAX_BYTES // 1024},
            code="logo_size",
        )
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    signatures = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff"}
    if kind == "svg":
        _check_svg(content)
    elif not content.startswith(signatures[kind]):
        raise ValidationError(
            _("De inhoud van het bestand past niet bij de extensie (.%(ext)s).")
            % {"ext": Path(upload.name).suffix.lower().lstrip(".")},
            code="logo_format",
        )
    _check_typst_reads(content, kind)


# --- the identity ------------------------------------------------------------------------

# The identity read in this request (``NetworkMiddleware``): None outside requests.
_request_identity: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "bnf_network", default=None
)


@contextlib.contextmanager
def identity_per_request():
    """Read the identity at most once within the block (a request)."""
    token = _request_identity.set({})
    try:
        yield
    finally:
        _request_identity.reset(token)


def forget_current() -> None:
    """After a write: the rest of the request reads the identity again."""
    memo = _request_identity.get()
    if memo is not None:
        memo.clear()


_ASK = object()


class NetworkManager(models.Manager.from_queryset(FigureReferenceQuerySet)):
    def current(self, version=_ASK) -> Network:
        """The identity, with ``member_names`` filled in: per request once, from the
        cache under the data version (``version`` if the caller has read it; else one
        query for it outside a page view, none within one), or else two queries (the
        row and its libraries). Without a row (a database just flushed) the defaults,
        unsaved."""
        memo = _request_identity.get()
        if memo is not None and "identity" in memo:
            return memo["identity"]
        from kpis.core import page_cache

        if not settings.BNF_FIGURE_CACHE:
            version = None
        elif version is _ASK:
            version = page_cache.current_version()
        if version is None:
            identity = self._load()
        else:
            # The fields in the key: processes of different releases sharing a cache
            # never read each other's pickled identity.
            fields = ",".join(f.attname for f in self.model._meta.concrete_fields)
            key = f"kpis.network:{version}:{hashlib.sha256(fields.encode()).hexdigest()[:8]}"
            identity = page_cache.single_flight(key, self._load, settings.BNF_FIGURE_CACHE_SECONDS)
        if memo is not None:
            memo["identity"] = identity
        return identity

    def _load(self) -> Network:
        network = self.filter(pk=SINGLE_ID).first()
        if network is None:
            network = self.model(home_province="")
            network.member_names = []
        else:
            network.member_names = list(
                network.members.order_by("name").values_list("name", flat=True)
            )
        return network


class Network(FigureReference):
    """The network this instance serves. One row (id 1) for now."""

    name = models.CharField(
        _("naam"),
        max_length=200,
        default=DEFAULT_NAME,
        help_text=_(
            "De volledige naam, bijvoorbeeld 'Bibliotheeknetwerk Zeeland': in de kop van elke "
            "pagina, op het jaarverslag en in de paginatitels."
        ),
    )
    short_name = models.CharField(
        _("korte naam"),
        max_length=20,
        blank=True,
        help_text=_(
            "Afkorting, bijvoorbeeld 'BNZ': het merkteken in de kop, de titel van de admin "
            "en de bestandsnamen van exports. Leeg: de volledige naam."
        ),
    )
    tagline = models.CharField(
        _("ondertitel"),
        max_length=200,
        blank=True,
        help_text=_("Een regel onder de naam in de kop van de pagina's; leeg laten mag."),
    )
    home_province = models.CharField(
        _("thuisprovincie"),
        max_length=20,
        choices=Province.choices,
        help_text=_(
            "De provincie van het netwerk. Transport tussen twee bibliotheken in deze "
            "provincie telt als 'binnen de provincie', met één kant erbuiten als "
            "interprovinciaal."
        ),
    )
    members = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="networks",
        limit_choices_to={"kind": Organisation.Kind.LIBRARY},
        verbose_name=_("aangesloten bibliotheken"),
        help_text=_(
            "De bibliotheken die het netwerk ondersteunt; hun namen staan in de introductie "
            "van het dashboard als die leeg is."
        ),
    )
    logo = models.FileField(
        _("logo"),
        upload_to="network/",
        blank=True,
        validators=[validate_logo],
        help_text=_(
            "SVG, PNG of JPEG, hoogstens 500 kB; op het jaarverslag (pagina en PDF) en in de "
            "kop van de pagina's. Leeg: het standaardlogo."
        ),
    )
    primary_colour = models.CharField(
        _("hoofdkleur"),
        max_length=7,
        default=DEFAULT_PRIMARY,
        validators=[hex_colour],
        help_text=_(
            "De kleur van de kop, knoppen en koppen, als #rrggbb. Witte tekst erop en de "
            "kleur als tekst op wit moeten goed leesbaar zijn: minstens 4,5:1 contrast."
        ),
    )
    accent_colour = models.CharField(
        _("accentkleur"),
        max_length=7,
        default=DEFAULT_ACCENT,
        validators=[hex_colour],
        help_text=_(
            "De tweede kleur (merkteken, kleine koppen, lijnen), als #rrggbb; ook minstens "
            "4,5:1 contrast met wit."
        ),
    )
    intro = models.TextField(
        _("introductie"),
        blank=True,
        help_text=_(
            "Eén of twee zinnen onder de titel van het dashboard. Leeg: 'Wat [naam] dit jaar "
            "deed voor [aangesloten bibliotheken] en de provincie …'."
        ),
    )
    section_titles = models.JSONField(
        _("titels van de onderdelen"),
        default=dict,
        blank=True,
        help_text=_(
            "Eigen titels voor de onderdelen van dashboard en verslag, per onderdeel; leeg: "
            "de standaardtitel."
        ),
    )

    # The province decides which transport is "within the province".
    figure_fields = ("home_province",)

    objects = NetworkManager()

    class Meta:
        verbose_name = _("netwerk")
        verbose_name_plural = _("netwerk")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pk=SINGLE_ID),
                name="network_single_row",
                violation_error_message=_(
                    "Er is één netwerk per installatie; wijzig het bestaande."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("kpis:index")

    def save(self, *args, **kwargs):
        if self.pk is None:  # the one row (an id from a sequence could be another)
            self.pk = SINGLE_ID
        try:
            super().save(*args, **kwargs)
        finally:
            forget_current()

    def clean(self):
        try:
            super().clean()  # a trial write of the province, undone (FigureReference)
        finally:
            forget_current()

    # --- what the pages show -----------------------------------------------------------

    @property
    def short(self) -> str:
        """The short name, else the full name."""
        return self.short_name.strip() or self.name

    @property
    def admin_title(self) -> str:
        """The admin's header and title ("BNF registratie")."""
        return gettext("%(network)s registratie") % {"network": self.short}

    @property
    def file_prefix(self) -> str:
        """For file names: 'bnf' in bnf-figuren-2021.csv."""
        return slugify(self.short) or "netwerk"

    @property
    def province_name(self) -> str:
        return Province(self.home_province).label if self.home_province in Province else ""

    @property
    def province_adjective(self) -> str:
        return Province.adjective(self.home_province)

    def section_title(self, key: str) -> str | None:
        """The network's own title for a report section (``kpis.reporting.figures.Section``)."""
        titles = self.section_titles if isinstance(self.section_titles, dict) else {}
        title = titles.get(str(key))
        if not isinstance(title, str):
            return None
        return title.strip() or None

    @property
    def intro_text(self) -> str:
        if self.intro.strip():
            return self.intro.strip()
        whom = [*(getattr(self, "member_names", None) or []), gettext("de provincie")]
        listed = whom[0]
        if len(whom) > 1:
            listed = gettext("%(first)s en %(last)s") % {
                "first": ", ".join(whom[:-1]),
                "last": whom[-1],
            }
        return gettext(
            "Wat %(network)s dit jaar deed voor %(whom)s — rechtstreeks berekend uit de "
            "registraties."
        ) % {"network": self.name, "whom": listed}

    # --- the look ----------------------------------------------------------------------

    @property
    def has_own_colours(self) -> bool:
        return (self.primary_colour.lower(), self.accent_colour.lower()) != (
            DEFAULT_PRIMARY,
            DEFAULT_ACCENT,
        )

    @property
    def style_version(self) -> str:
        """Changes with the colours: the stylesheet's address carries it."""
        colours = f"{self.primary_colour}{self.accent_colour}".lower()
        return hashlib.sha256(colours.encode()).hexdigest()[:12]

    def stylesheet(self) -> str:
        """The colours as CSS custom properties over kpis/static/kpis/bnf.css."""
        primary, accent = self.primary_colour.lower(), self.accent_colour.lower()
        return (
            ":root {\n"
            f"  --brand: {primary};\n"
            f"  --brand-dark: {darker(primary)};\n"
            f"  --accent: {accent};\n"
            f"  --accent-text: {accent};\n"
            "}\n"
        )

    @property
    def has_own_logo(self) -> bool:
        return bool(self.logo) and logo_format(self.logo.name) is not None

    @property
    def logo_url(self) -> str:
        if not self.has_own_logo:
            return static(DEFAULT_LOGO)
        version = hashlib.sha256(self.logo.name.encode()).hexdigest()[:12]
        return f"{reverse('kpis:network_logo')}?v={version}"

    def logo_content(self) -> tuple[bytes, str]:
        """(the logo's bytes, its format: svg, png or jpeg); the default logo when there is
        none or its file is gone from the storage."""
        if self.has_own_logo:
            try:
                with self.logo.storage.open(self.logo.name, "rb") as stored:
                    return stored.read(), logo_format(self.logo.name)
            except OSError:
                pass
        return default_logo(), "svg"


def default_logo() -> bytes:
    return (Path(__file__).resolve().parent.parent / "static" / DEFAULT_LOGO).read_bytes()
