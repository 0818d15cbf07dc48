"""The texts of a year's annual report that are not figures: what a coordinator writes.

Plain text with two conventions, no HTML: a blank line starts a new paragraph and a
line starting with "- " is a bullet. ``text_blocks`` reads that into paragraphs and
lists; the report page and the PDF render those blocks and escape every character,
so nothing a person types becomes markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

BULLETS = ("- ", "* ", "• ")


@dataclass(frozen=True)
class Block:
    """A paragraph (``kind == "p"``, one line) or a bullet list (``"ul"``, one per item)."""

    kind: str
    lines: tuple[str, ...]


def _bullet(line: str) -> str | None:
    for mark in BULLETS:
        if line.startswith(mark):
            return line[len(mark) :].strip()
    return None


def text_blocks(text: str) -> list[Block]:
    """Paragraphs on blank lines, bullet lists from lines starting with "- "; the lines of
    a paragraph join with a space (a line break in a textarea is not a new paragraph)."""
    blocks: list[Block] = []
    for chunk in (text or "").replace("\r\n", "\n").split("\n\n"):
        kind, lines = None, []
        for raw in chunk.split("\n"):
            line = raw.strip()
            if not line:
                continue
            item = _bullet(line)
            this = "p" if item is None else "ul"
            if kind and this != kind:
                blocks.append(_block(kind, lines))
                lines = []
            kind = this
            lines.append(line if item is None else item)
        if kind:
            blocks.append(_block(kind, lines))
    return blocks


def _block(kind: str, lines: list[str]) -> Block:
    return Block(kind, (" ".join(lines),) if kind == "p" else tuple(lines))


def bullet_lines(text: str) -> list[str]:
    """One bullet per non-empty line, with or without a leading "- "."""
    items = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if line:
            items.append(_bullet(line) or line)
    return items


class ReportTextQuerySet(models.QuerySet):
    def for_report(self, year: int) -> ReportText | None:
        return self.filter(year=year).first()


class ReportText(models.Model):
    """The written parts of one year's annual report (page and PDF)."""

    year = models.PositiveSmallIntegerField(
        _("jaar"), unique=True, help_text=_("Het verslagjaar waar deze teksten bij horen.")
    )
    intro = models.TextField(
        _("inleiding"),
        blank=True,
        help_text=_(
            "Wie het netwerk is en wat het jaar bracht; op de eerste pagina. Een lege regel begint "
            "een nieuwe alinea, een regel die begint met '- ' is een opsommingsteken. "
            "Geen HTML: alles wordt getoond zoals het er staat."
        ),
    )
    board = models.TextField(
        _("van het bestuur"),
        blank=True,
        help_text=_("Het woord van het bestuur. Alinea's en '- ' zoals bij de inleiding."),
    )
    section_texts = models.JSONField(
        _("teksten per onderdeel"),
        default=dict,
        blank=True,
        help_text=_(
            "Een korte tekst bij elk onderdeel van het verslag (Subsidies, Transport, ...), "
            "per onderdeel; leeg laten mag."
        ),
    )
    plans = models.TextField(
        _("plannen voor volgend jaar"),
        blank=True,
        help_text=_("'Wat gaan wij volgend jaar voor jullie betekenen?': één punt per regel."),
    )
    updated_at = models.DateTimeField(
        _("laatst gewijzigd"), auto_now=True, help_text=_("Wanneer de teksten zijn gewijzigd.")
    )

    objects = ReportTextQuerySet.as_manager()

    class Meta:
        verbose_name = _("verslagtekst")
        verbose_name_plural = _("verslagteksten")
        ordering = ["-year"]

    def __str__(self):
        return str(_("Verslagtekst %(year)s") % {"year": self.year})

    def get_absolute_url(self):
        return reverse("kpis:report", args=[self.year])

    def section_text(self, section: str) -> str:
        """The text of one report section (a ``kpis.reporting.figures.Section`` value)."""
        texts = self.section_texts if isinstance(self.section_texts, dict) else {}
        value = texts.get(str(section), "")
        return value if isinstance(value, str) else ""

    @property
    def intro_blocks(self) -> list[Block]:
        return text_blocks(self.intro)

    @property
    def board_blocks(self) -> list[Block]:
        return text_blocks(self.board)

    @property
    def plan_items(self) -> list[str]:
        return bullet_lines(self.plans)
