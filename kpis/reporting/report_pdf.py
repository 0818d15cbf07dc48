"""The annual report as one document: the data it shows, and its PDF (made with typst).

``report_document`` gathers what the report page and the PDF both show (figures with
last year and target, the report texts, published quotes, charts); ``render_pdf`` turns
it into an A4 PDF on the server. typst is a self-contained wheel: no browser, no system
libraries. Everything a person typed reaches typst as data (a JSON string in
``sys.inputs``), never as markup, so no text can change the document's layout or code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import typst
from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from kpis.models import Network, ReportText, Testimonial
from kpis.models.report_text import Block, text_blocks
from kpis.reporting import aggregation
from kpis.templatetags.kpi_format import figure_value, signed_number

TEMPLATE = Path(__file__).with_name("report_pdf.typ")


@dataclass
class FigureLine:
    """One figure as the report prints it: all text, already in Dutch."""

    key: str
    value: str
    label: str
    detail: str | None
    previous: str | None
    target: str | None
    note: str = ""
    """A target's note (next year's ambitions)."""


@dataclass
class ReportSection:
    key: str
    label: str
    text: list[Block]
    figures: list[FigureLine]
    charts: list = field(default_factory=list)


@dataclass
class ReportDocument:
    report: aggregation.YearReport
    network: Network
    """Whose report: its name, logo and colour (the current identity, also for a closed
    year; the archived PDF of a closed year keeps the one it was published with)."""
    text: ReportText | None
    testimonials: list[Testimonial]
    sections: list[ReportSection]
    charts: list
    """Charts that belong to no section."""
    ambitions: list[FigureLine]
    """Next year's targets."""

    @property
    def year(self) -> int:
        return self.report.year

    @property
    def next_year(self) -> int:
        return self.report.year + 1

    @property
    def is_concept(self) -> bool:
        return self.report.closed_on is None

    @property
    def intro(self) -> list[Block]:
        return self.text.intro_blocks if self.text else []

    @property
    def board(self) -> list[Block]:
        return self.text.board_blocks if self.text else []

    @property
    def plans(self) -> list[str]:
        return self.text.plan_items if self.text else []

    @property
    def through_text(self) -> str:
        return _date(self.report.through) if self.report.through else ""

    @property
    def closed_text(self) -> str:
        return _date(self.report.closed_on) if self.report.closed_on else ""


def _date(day) -> str:
    return formats.date_format(day, "j F Y")


def report_charts(report: aggregation.YearReport) -> dict[str, list]:
    """{section label: its charts} from ``kpis.reporting.charts`` (title, summary, svg, table);
    charts under the key "" belong to no section. Empty without that module."""
    try:
        from kpis.reporting import charts
    except ImportError:
        return {}
    by_section = getattr(charts, "section_charts", None)
    if by_section is not None:
        return {str(label): list(found) for label, found in by_section(report).items()}
    every = getattr(charts, "report_charts", None)
    return {"": list(every(report))} if every else {}


def figure_line(item: aggregation.FigureValue, report: aggregation.YearReport) -> FigureLine:
    figure = item.figure
    previous = None
    if item.previous is not None:
        when = str(item.year - 1)
        if report.through:
            when = _("%(year)s t/m %(date)s") % {
                "year": when,
                "date": formats.date_format(report.through, "j F"),
            }
        previous = f"{when}: {figure_value(item.previous, figure)}"
        if item.change is not None and item.change != 0:
            change = signed_number(item.change)
            if item.change_percent is not None:
                change += f" ({signed_number(item.change_percent)}%)"
            previous += f" · {change}"
    target = None
    if item.target is not None:
        target = _("streefwaarde %(value)s") % {"value": figure_value(item.target, figure)}
        if report.through and item.pace_percent is not None:
            target += " · " + _("%(percent)s%% van het tempo") % {"percent": item.pace_percent}
        elif item.target_percent is not None:
            target += " · " + _("%(percent)s%% behaald") % {"percent": item.target_percent}
    return FigureLine(
        key=item.key,
        value=figure_value(item.value, figure),
        label=str(figure.label),
        detail=item.detail,
        previous=previous,
        target=target,
    )


def _ambition(item: aggregation.FigureValue) -> FigureLine:
    return FigureLine(
        key=item.key,
        value=figure_value(item.target, item.figure),
        label=str(item.figure.label),
        detail=None,
        note=item.target_note,
        previous=None,
        target=None,
    )


def report_document(
    report: aggregation.YearReport, history: aggregation.History | None = None
) -> ReportDocument:
    """What the report of ``report.year`` shows, for the page and the PDF alike."""
    text = ReportText.objects.for_report(report.year)
    testimonials = list(
        Testimonial.objects.published().in_year(report.year).select_related("organisation")
    )
    charts = report_charts(report)
    sections = []
    for label, items in report.sections:
        section = items[0].figure.section
        key = str(getattr(section, "value", section))
        sections.append(
            ReportSection(
                key=key,
                label=str(label),
                text=text_blocks(text.section_text(key)) if text else [],
                figures=[figure_line(item, report) for item in items],
                charts=charts.pop(str(label), []),
            )
        )
    next_year = (history or aggregation.history()).for_year(report.year + 1)
    return ReportDocument(
        report=report,
        network=Network.objects.current(),
        text=text,
        testimonials=testimonials,
        sections=sections,
        charts=[chart for found in charts.values() for chart in found],
        ambitions=[_ambition(item) for item in next_year.figures if item.target is not None],
    )


def _blocks(blocks: list[Block]) -> list[dict]:
    return [{"kind": b.kind, "lines": list(b.lines)} for b in blocks]


def _line(line: FigureLine) -> dict:
    return {
        "value": line.value,
        "label": line.label,
        "detail": line.detail,
        "previous": line.previous,
        "target": line.target,
        "note": line.note,
    }


def _chart(chart) -> dict:
    return {
        "title": str(getattr(chart, "title", "")),
        "summary": str(getattr(chart, "summary", "")),
        "svg": str(chart.svg),
    }


def _quote_by(quote: Testimonial) -> str:
    who = quote.person or _("Anoniem")
    if quote.role:
        who += f", {quote.role}"
    if quote.organisation and quote.organisation.name not in quote.role:
        who += f" · {quote.organisation}"
    return who


def document_data(doc: ReportDocument) -> dict:
    """Everything the typst template prints, as JSON-safe data (all text final)."""
    year = str(doc.year)
    if doc.is_concept:
        status = _("Concept")
        if doc.through_text:
            status += " · " + _("cijfers t/m %(date)s") % {"date": doc.through_text}
    else:
        status = _("Vastgesteld op %(date)s") % {"date": doc.closed_text}
    logo, logo_format = doc.network.logo_content()
    return {
        "network": doc.network.name,
        "primary": doc.network.primary_colour.lower(),
        "year": year,
        "title": _("Jaarverslag %(year)s") % {"year": year},
        "status": status,
        "concept": doc.is_concept,
        "concept_mark": _("CONCEPT"),
        "page": _("pagina"),
        # typst reads a string as text and an array of numbers as bytes
        "logo": logo.decode("utf-8") if logo_format == "svg" else list(logo),
        "logo_format": logo_format,
        "logo_alt": _("Logo van %(network)s") % {"network": doc.network.name},
        "intro_title": _("Inleiding"),
        "intro": _blocks(doc.intro),
        "board_title": _("Van het bestuur"),
        "board": _blocks(doc.board),
        "sections": [
            {
                "label": s.label,
                "text": _blocks(s.text),
                "figures": [_line(f) for f in s.figures],
                "charts": [_chart(c) for c in s.charts],
            }
            for s in doc.sections
        ],
        "charts_title": _("In beeld"),
        "charts": [_chart(c) for c in doc.charts],
        "quotes_title": _("Trots op, en feedback"),
        "quotes": [
            {"text": q.text, "by": _quote_by(q), "context": q.context} for q in doc.testimonials
        ],
        "plans_title": _("Wat gaan wij in %(year)s voor jullie betekenen?")
        % {"year": doc.next_year},
        "plans": doc.plans,
        "ambitions_title": _("Onze streefwaarden voor %(year)s") % {"year": doc.next_year},
        "ambitions": [_line(a) for a in doc.ambitions],
        "source": _("Alle cijfers over %(year)s zijn berekend uit de registraties van %(network)s.")
        % {"year": year, "network": doc.network.short},
    }


def render_pdf(doc: ReportDocument) -> bytes:
    """The report as an A4 PDF. Only typst's own fonts, so that it looks the same on
    every machine."""
    with translation.override(settings.LANGUAGE_CODE):
        data = document_data(doc)
    return typst.compile(
        TEMPLATE.read_bytes(),
        sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
        ignore_system_fonts=True,
    )


def year_pdf(year: int, history: aggregation.History | None = None) -> bytes:
    """The PDF of ``year`` from the figures as served (a closed year: its snapshot)."""
    history = history or aggregation.history()
    return render_pdf(report_document(aggregation.year_report(year, history), history))


__all__ = [
    "ReportDocument",
    "document_data",
    "render_pdf",
    "report_document",
    "year_pdf",
]
