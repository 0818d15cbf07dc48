"""Server-side SVG charts for the dashboard and the printed report.

Every chart is a ``Chart``: a title, a Dutch text summary (the text alternative), a
standalone SVG document and the same numbers as a table. The SVG uses presentation
attributes (``fill``, ``stroke``, ``x``...) and class names only: no ``style``
attribute, no ``<style>``, no script, so it passes our Content Security Policy on the
dashboard and reads the same when the PDF embeds it as a file.

Why not pygal: it writes an inline ``<style>`` block, ``style`` attributes and a
JavaScript tooltip layer, all of which the CSP forbids and none of which a PDF needs;
the few chart shapes we need are a page of code.

The chart data that the yearly figures do not hold (transport per month, subsidies per
funder) is one grouped query each, cached under the data version like the figures.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Sum
from django.utils.dates import MONTHS, MONTHS_3
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kpis.core import page_cache
from kpis.reporting.aggregation import FigureValue, YearReport
from kpis.reporting.figures import Section
from kpis.templatetags.kpi_format import dutch_number, figure_value

FONT = "Segoe UI, Helvetica Neue, Arial, Liberation Sans, sans-serif"
INK = "#16243a"
MUTED = "#4f5a6b"
GRID = "#dfe4ec"
CURRENT = "#0f4c81"  # this year
EARLIER = "#5f86ad"  # earlier years, last year (3:1 against white)
TARGET = "#a8401b"  # the target line
BARS_WIDTH = 440  # horizontal bar charts: narrow enough to stay legible on a phone


@dataclass(frozen=True)
class ChartTable:
    """The chart's numbers as a table: the headers and the rows, already formatted."""

    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    summary: str
    svg: SafeString
    table: ChartTable
    wide: bool = field(default=False)


@dataclass(frozen=True)
class _Series:
    name: str
    css: str
    fill: str
    values: Sequence[Decimal | int | None]
    # earlier categories than the last in a lighter shade (a figure's earlier years)
    earlier_fill: str | None = None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _nice_top(value: float) -> float:
    """A round upper bound for the axis: 1, 2, 2.5 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** (len(str(int(value))) - 1)
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _text(x, y, content, *, size=13, anchor="start", fill=INK, css="", weight=None) -> str:
    extra = f' font-weight="{weight}"' if weight else ""
    css_attr = f' class="{css}"' if css else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}"{css_attr}{extra}>{escape(content)}</text>'
    )


def _document(key: str, title: str, summary: str, width: int, height: int, body: list[str]):
    title_id, desc_id = f"{key}-title", f"{key}-desc"
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="chart-svg" '
        f'aria-labelledby="{title_id} {desc_id}" font-family="{FONT}">'
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<desc id="{desc_id}">{escape(summary)}</desc>'
        f'<rect width="{width}" height="{height}" fill="#ffffff" class="chart-bg"/>'
        + "".join(body)
        + "</svg>"
    )


def _legend(series: Sequence[_Series], x: float, y: float) -> list[str]:
    parts = []
    for item in series:
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{item.fill}" '
            f'class="{item.css}"/>'
        )
        parts.append(_text(x + 17, y, item.name, size=13, fill=MUTED))
        x += 30 + 7.5 * len(item.name)
    return parts


def _columns(
    categories: Sequence[str],
    series: Sequence[_Series],
    fmt: Callable,
    *,
    x0: float,
    y0: float,
    width: float,
    height: float,
    target: Decimal | None = None,
    target_label: str = "",
    value_labels: bool = True,
) -> list[str]:
    """Vertical bars, one group per category, with a value axis (or value labels) and an
    optional dashed target line."""
    numbers = [float(v) for s in series for v in s.values if v is not None]
    top = _nice_top(max([*numbers, float(target or 0)], default=0))
    axis = 0 if value_labels else 52
    left, plot_w = x0 + axis, width - axis
    label_room = 20 if value_labels else 0
    plot_top, base = y0 + label_room, y0 + height - 22
    plot_h = base - plot_top

    def y_of(value) -> float:
        return base - float(value) / top * plot_h

    parts = [f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="{MUTED}"/>']
    if not value_labels:
        for share in (0.5, 1):
            y = y_of(top * share)
            parts.append(
                f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
                f'stroke="{GRID}" class="chart-grid"/>'
            )
            parts.append(_text(left - 6, y + 4, dutch_number(top * share), anchor="end", size=12))
    band = plot_w / max(len(categories), 1)
    bar_w = min(band * 0.72 / max(len(series), 1), 56)
    group_w = bar_w * len(series)
    for i, category in enumerate(categories):
        start = left + i * band + (band - group_w) / 2
        for j, item in enumerate(series):
            value = item.values[i]
            x = start + j * bar_w
            if value is None:
                continue
            y = y_of(value)
            fill, css = item.fill, item.css
            if item.earlier_fill and i < len(categories) - 1:
                fill, css = item.earlier_fill, "bar-earlier"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{base - y:.1f}" fill="{fill}" class="{css}"/>'
            )
            if value_labels:
                parts.append(_text(x + bar_w / 2 - 1, y - 5, fmt(value), anchor="middle"))
        parts.append(_text(left + i * band + band / 2, base + 16, category, anchor="middle"))
    if target is not None:
        y = y_of(target)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 4" class="chart-target"/>'
        )
        parts.append(_text(left + plot_w, y - 5, target_label, anchor="end", fill=TARGET))
    return parts


def _bars(
    rows: Sequence[tuple[str, Decimal | int | None, str]],
    *,
    x0: float,
    y0: float,
    width: float,
    top: float | None = None,
    fill: str = CURRENT,
    css: str = "bar-current",
    markers: Sequence[Decimal | None] = (),
) -> tuple[list[str], float]:
    """Horizontal bars, a label above each: (label, value, value as text). ``markers``:
    a target per row, drawn as a tick. Returns the parts and the height used."""
    numbers = [float(v) for _label, v, _t in rows if v is not None]
    numbers += [float(m) for m in markers if m is not None]
    top = top or max(numbers, default=0) or 1
    bar_w = width - 90
    parts, y = [], y0
    for i, (label, value, text) in enumerate(rows):
        parts.append(_text(x0, y + 13, _shorten(label), size=13))
        length = 0 if value is None else max(float(value) / top * bar_w, 1)
        parts.append(
            f'<rect x="{x0}" y="{y + 19}" width="{length:.1f}" height="14" fill="{fill}" '
            f'class="{css}"/>'
        )
        parts.append(_text(x0 + length + 6, y + 31, text, size=13, weight="600"))
        marker = markers[i] if i < len(markers) else None
        if marker is not None:
            mx = x0 + float(marker) / top * bar_w
            parts.append(
                f'<line x1="{mx:.1f}" y1="{y + 15}" x2="{mx:.1f}" y2="{y + 37}" '
                f'stroke="{TARGET}" stroke-width="3" class="chart-target"/>'
            )
        y += 42
    return parts, y - y0


def _shorten(label: str, limit: int = 58) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


# --- cached chart data ---------------------------------------------------------------

_ASK = object()


def _cached(name: str, compute: Callable, version=_ASK):
    """``compute()``, kept in the cache under the data version (one query to read it,
    unless the caller already has it) as the yearly figures are."""
    if not settings.BNF_FIGURE_CACHE:
        return compute()
    if version is _ASK:
        version = page_cache.current_version()
    if version is None:
        return compute()
    # The network's province (which pairs are "within") is data: in the version.
    key = f"kpis.chart.{name}:{version}"
    return page_cache.single_flight(key, compute, settings.BNF_FIGURE_CACHE_SECONDS)


def transport_months(year: int, version=_ASK) -> dict[int, dict[str, list[int]]]:
    """{year: {"within": [12 months], "between": [12 months]}} for ``year`` and the year
    before: one query over the monthly transport summary (``kpis.transport_summary``),
    whose pairs are placed within or between provinces as it is read, after one for the
    home libraries' ids (a literal list is checked much faster than a subquery)."""

    def compute():
        from kpis.models import TransportMonthTotal
        from kpis.models.transport import home_library_ids, scope_conditions

        within, between = scope_conditions(home_ids=home_library_ids())
        rows = (
            TransportMonthTotal.objects.filter(
                month__gte=datetime.date(year - 1, 1, 1),
                month__lt=datetime.date(year + 1, 1, 1),
            )
            .values("month")
            .order_by()
            .annotate(
                within=Sum("quantity", filter=within), between=Sum("quantity", filter=between)
            )
        )
        months = {y: {"within": [0] * 12, "between": [0] * 12} for y in (year - 1, year)}
        for row in rows:
            day = row["month"]
            for scope in ("within", "between"):
                months[day.year][scope][day.month - 1] += row[scope] or 0
        return months

    return _cached(f"transport:{year}", compute, version)


def subsidy_funders(year: int, version=_ASK) -> list[tuple[str, Decimal, int]]:
    """[(funder name, awarded amount, number of subsidies)] awarded in ``year``, largest
    first: one grouped query."""

    def compute():
        from subsidies.models import Subsidy

        rows = (
            Subsidy.objects.awarded()
            .in_year(year)
            .values("funder__name")
            .order_by()
            .annotate(total=Sum("amount"), n=Count("pk"))
        )
        result = [(r["funder__name"], r["total"] or Decimal(0), r["n"]) for r in rows]
        return sorted(result, key=lambda r: (-r[1], r[0]))

    return _cached(f"subsidies:{year}", compute, version)


# --- the charts ----------------------------------------------------------------------


def _period(report_or_item) -> str:
    through = report_or_item.through
    if through:
        return _("%(year)s t/m %(date)s") % {
            "year": through.year,
            "date": date_format(through, "j F"),
        }
    return str(report_or_item.year)


def figure_chart(item: FigureValue) -> Chart:
    """A figure over its years, side by side as bars (this year darker), with this
    year's target as a dashed line; with one year: its value against the target. A
    year without registrations yet has an empty slot, never a bar at 0."""
    figure = item.figure
    points = [(y, v) for y, v in item.history if v is not None and y < item.year]
    registered = dict(item.history).get(item.year) is not None or item.value
    points.append((item.year, item.value if registered else None))
    categories = [str(y) for y, _v in points]
    values = [v for _y, v in points]
    current = values[-1]

    def fmt(value):
        return figure_value(value, figure)

    label = str(figure.label)
    title = label[:1].upper() + label[1:]
    if current is None:
        sentences = [_("%(year)s: nog geen registraties.") % {"year": item.year}]
    else:
        sentences = [_("%(period)s: %(value)s.") % {"period": _period(item), "value": fmt(current)}]
    if len(points) > 1:
        earlier = "; ".join(f"{c}: {fmt(v)}" for c, v in zip(categories[:-1], values, strict=False))
        sentences.append(_("Eerdere jaren: %(list)s.") % {"list": earlier})
    if item.target is not None:
        text = _("Streefwaarde %(year)s: %(target)s") % {
            "year": item.year,
            "target": fmt(item.target),
        }
        if item.pace_percent is not None:
            text += _(" (%(percent)s%% van het tempo)") % {"percent": item.pace_percent}
        elif item.target_percent is not None and current is not None:
            text += _(" (%(percent)s%% gehaald)") % {"percent": item.target_percent}
        sentences.append(text + ".")
    summary = " ".join(sentences)
    key = f"chart-{_slug(figure.key)}"
    width, height = 300, 130
    target_label = ""
    if item.target is not None:
        target_label = _("streefwaarde %(target)s") % {"target": fmt(item.target)}
    body = _columns(
        categories,
        [_Series(title, "bar-current", CURRENT, values, earlier_fill=EARLIER)],
        fmt,
        x0=8,
        y0=4,
        width=width - 16,
        height=height - 6,
        target=item.target,
        target_label=target_label,
    )
    if current is None:
        body.append(
            _text(width - 8 - (width - 16) / len(categories) / 2, height - 60, "–", anchor="middle")
        )
    rows = [
        [c, fmt(v) if v is not None else _("nog geen registraties")]
        for c, v in zip(categories, values, strict=True)
    ]
    if item.target is not None:
        rows.append([_("streefwaarde %(year)s") % {"year": item.year}, fmt(item.target)])
    return Chart(
        key=key,
        title=title,
        summary=summary,
        svg=_document(key, title, summary, width, height, body),
        table=ChartTable([_("jaar"), _("waarde")], rows),
    )


def transport_month_chart(year: int, version=_ASK, through: datetime.date | None = None) -> Chart:
    """Reservations per month, within the province and between provinces, this year
    against last year (``through``: a year in progress counts up to that day)."""
    months = transport_months(year, version)
    now, before = months[year], months[year - 1]
    names = [str(MONTHS_3[m]) for m in range(1, 13)]
    title = _("Transportreserveringen per maand, %(year)s en %(previous)s") % {
        "year": year,
        "previous": year - 1,
    }
    scopes = [("within", _("Binnen de provincie")), ("between", _("Tussen provincies"))]
    last_month = through.month if through and through.year == year else 12
    sentences = []
    for scope, name in scopes:
        total, total_before = sum(now[scope]), sum(before[scope][:last_month])
        busiest = max(range(12), key=lambda m: now[scope][m])
        text = _("%(scope)s: %(total)s in %(year)s") % {
            "scope": name,
            "total": dutch_number(total),
            "year": year if last_month == 12 else _period_text(year, through),
        }
        if total:
            text += _(", de drukste maand %(month)s (%(value)s)") % {
                "month": MONTHS[busiest + 1],
                "value": dutch_number(now[scope][busiest]),
            }
        if not any(before["within"]) and not any(before["between"]):
            text += _("; %(previous)s: geen registraties") % {"previous": year - 1}
        elif last_month == 12:
            text += _("; %(previous)s: %(before)s") % {
                "previous": year - 1,
                "before": dutch_number(total_before),
            }
        else:
            text += _("; januari t/m %(month)s %(previous)s: %(before)s") % {
                "month": MONTHS[last_month],
                "previous": year - 1,
                "before": dutch_number(total_before),
            }
        sentences.append(text + ".")
    summary = " ".join(sentences)
    key = f"chart-transport-months-{year}"
    width, panel = 520, 190
    this_year, last_year = str(year), str(year - 1)
    body = _legend(
        [
            _Series(this_year, "bar-current", CURRENT, []),
            _Series(last_year, "bar-earlier", EARLIER, []),
        ],
        60,
        20,
    )
    y = 34
    for scope, name in scopes:
        body.append(_text(8, y + 14, name, size=14, weight="700"))
        body += _columns(
            names,
            [
                _Series(
                    this_year,
                    "bar-current",
                    CURRENT,
                    now[scope][:last_month] + [None] * (12 - last_month),
                ),
                _Series(last_year, "bar-earlier", EARLIER, before[scope]),
            ],
            dutch_number,
            x0=8,
            y0=y + 24,
            width=width - 16,
            height=panel - 30,
            value_labels=False,
        )
        y += panel
    rows = [
        [
            str(MONTHS[m + 1]),
            dutch_number(now["within"][m]) if m < last_month else "–",
            dutch_number(before["within"][m]),
            dutch_number(now["between"][m]) if m < last_month else "–",
            dutch_number(before["between"][m]),
        ]
        for m in range(12)
    ]
    headers = [
        _("maand"),
        f"{_('binnen de provincie')} {year}",
        f"{_('binnen de provincie')} {year - 1}",
        f"{_('tussen provincies')} {year}",
        f"{_('tussen provincies')} {year - 1}",
    ]
    return Chart(
        key=key,
        title=title,
        summary=summary,
        svg=_document(key, title, summary, width, y + 6, body),
        table=ChartTable(headers, rows),
        wide=True,
    )


def _period_text(year: int, through: datetime.date | None) -> str:
    if not through:
        return str(year)
    return _("%(year)s t/m %(date)s") % {"year": year, "date": date_format(through, "j F")}


def _channel_name(item: FigureValue, template: str) -> str:
    """The channel's name from a channel figure's label ("berichten op Yammer")."""
    before, _sep, after = template.partition("%(channel)s")
    label = str(item.figure.label)
    if label.startswith(before) and label.endswith(after):
        return label[len(before) : len(label) - len(after)] or label
    return label


def _channels(report: YearReport, section: Section | None = None) -> list[dict]:
    """[{name, posts, views, likes}] per channel in report order, from the report's
    channel figures (the website's are static figures)."""
    channels: dict[str, dict] = {}
    templates = {
        "posts": _("berichten op %(channel)s"),
        "views": _("views op %(channel)s"),
        "likes": _("likes op %(channel)s"),
    }
    for item in report.figures:
        if section is not None and item.figure.section != section:
            continue
        key = item.key
        if key in ("communication.news_posts", "communication.website_views"):
            slug, metric, name = "website", "posts" if "posts" in key else "views", _("Website")
        elif key.split(".")[1:2] and key.split(".")[1] in templates and key.count(".") == 2:
            metric, slug = key.split(".")[1], key.split(".")[2]
            name = _channel_name(item, templates[metric])
        else:
            continue
        channel = channels.setdefault(slug, {"name": name, "slug": slug})
        if metric == "posts" or "name" not in channel:
            channel["name"] = name
        channel[metric] = item
    return list(channels.values())


def communication_chart(report: YearReport, section: Section | None = None) -> Chart:
    """Posts per channel, and the views and likes where a channel reports them: one
    panel per measure, each on its own scale (views outnumber posts a hundredfold)."""
    channels = _channels(report, section)
    year = report.year
    title = _("Berichten, views en likes per kanaal in %(year)s") % {"year": year}
    if section is not None:
        title = f"{_section_title(report, section)}: {title[:1].lower()}{title[1:]}"
    measures = [("posts", _("Berichten")), ("views", _("Views")), ("likes", _("Likes"))]
    empty = not report.has_records
    body, y, sentences = [], 8, []
    for metric, name in measures:
        rows = [
            (c["name"], c[metric].value, figure_value(c[metric].value, c[metric].figure))
            for c in channels
            if metric in c
        ]
        if not rows:
            continue
        if empty:
            rows = [(label, None, "–") for label, _v, _t in rows]
        body.append(_text(8, y + 16, name, size=14, weight="700"))
        parts, used = _bars(rows, x0=8, y0=y + 24, width=BARS_WIDTH - 16)
        body += parts
        y += 24 + used + 8
        sentences.append(
            _("%(measure)s: %(list)s.")
            % {"measure": name, "list": "; ".join(f"{label} {text}" for label, _v, text in rows)}
        )
    if not sentences:
        sentences = [_("Geen kanalen met berichten in %(year)s.") % {"year": year}]
    elif empty:
        sentences = [_("%(year)s: nog geen registraties.") % {"year": year}]
    summary = " ".join(sentences)
    key = f"chart-communication-{_slug(section.value) if section else 'all'}-{year}"
    headers = [
        _("kanaal"),
        *[name.lower() for metric, name in measures if any(metric in c for c in channels)],
    ]
    table_rows = [
        [c["name"]]
        + [
            (figure_value(c[m].value, c[m].figure) if not empty else "–") if m in c else "–"
            for m, _n in measures
            if any(m in ch for ch in channels)
        ]
        for c in channels
    ]
    return Chart(
        key=key,
        title=title,
        summary=summary,
        svg=_document(key, title, summary, BARS_WIDTH, y + 4, body),
        table=ChartTable(headers, table_rows),
        wide=True,
    )


def subsidy_funder_chart(year: int, version=_ASK) -> Chart:
    """The amount awarded per funder in ``year``, largest first."""
    funders = subsidy_funders(year, version)
    title = _("Toegekende subsidies per subsidiegever in %(year)s") % {"year": year}
    total = sum((amount for _n, amount, _c in funders), Decimal(0))
    if funders:
        summary = _("%(list)s; samen %(total)s.") % {
            "list": "; ".join(f"{name} € {dutch_number(amount)}" for name, amount, _c in funders),
            "total": f"€ {dutch_number(total)}",
        }
    else:
        summary = _("Geen toegekende subsidies in %(year)s.") % {"year": year}
    rows = [(name, amount, f"€ {dutch_number(amount)}") for name, amount, _c in funders]
    parts, used = _bars(rows, x0=8, y0=8, width=BARS_WIDTH - 16)
    if not funders:
        parts = [_text(8, 28, summary)]
        used = 30
    key = f"chart-subsidy-funders-{year}"
    return Chart(
        key=key,
        title=title,
        summary=summary,
        svg=_document(key, title, summary, BARS_WIDTH, used + 14, parts),
        table=ChartTable(
            [_("subsidiegever"), _("subsidies"), _("bedrag")],
            [[name, str(n), f"€ {dutch_number(amount)}"] for name, amount, n in funders],
        ),
        wide=True,
    )


def section_chart(report: YearReport, section: Section, items: list[FigureValue]) -> Chart:
    """A section's figures as bars, the target as a tick; one shared scale when they
    share a unit, else each bar on its own."""
    same_unit = len({item.figure.unit for item in items}) == 1
    top = None
    if same_unit:
        numbers = [float(n) for i in items for n in (i.value, i.target) if n is not None]
        top = max(numbers, default=0) or 1
    empty = not report.has_records
    rows, markers, parts, y = [], [], [], 8
    for item in items:
        value = None if empty else item.value
        text = figure_value(value, item.figure) if value is not None else "–"
        rows.append((str(item.figure.label), value, text))
        markers.append(item.target)
    if same_unit:
        parts, used = _bars(rows, x0=8, y0=y, width=BARS_WIDTH - 16, top=top, markers=markers)
    else:
        used = 0
        for row, marker in zip(rows, markers, strict=True):
            row_top = max(float(row[1] or 0), float(marker or 0)) or 1
            more, h = _bars(
                [row], x0=8, y0=y + used, width=BARS_WIDTH - 16, top=row_top, markers=[marker]
            )
            parts += more
            used += h
    year = report.year
    title = f"{_section_title(report, section)} {year}"
    if empty:
        summary = _("%(year)s: nog geen registraties.") % {"year": year}
    else:
        summary = "; ".join(f"{label}: {text}" for label, _v, text in rows) + "."
    key = f"chart-section-{_slug(section.value)}-{year}"
    table_rows = [
        [label, text, figure_value(i.target, i.figure) if i.target is not None else "–"]
        for (label, _v, text), i in zip(rows, items, strict=True)
    ]
    return Chart(
        key=key,
        title=title,
        summary=summary,
        svg=_document(key, title, summary, BARS_WIDTH, used + 14, parts),
        table=ChartTable([_("figuur"), str(year), _("streefwaarde")], table_rows),
        wide=True,
    )


def _section_title(report: YearReport, section: Section) -> str:
    """The section's title as the report shows it (the network's, or as published)."""
    for item in report.figures:
        if item.figure.section == section:
            return item.figure.section_label
    return str(section.label)


def section_charts(report: YearReport) -> dict[str, list[Chart]]:
    """{section title: its charts} in report order: the subsidies per funder, the
    channels, the transport per month; a bar chart of the figures for the others.
    Reads the data version once for the cached chart data."""
    version = page_cache.current_version() if settings.BNF_FIGURE_CACHE else None
    charts: dict[str, list[Chart]] = {}
    for label, items in report.sections:
        section = items[0].figure.section
        if section == Section.SUBSIDIES:
            chart = subsidy_funder_chart(report.year, version)
        elif section in (Section.COMMUNICATION_EXTERNAL, Section.COMMUNICATION_INTERNAL):
            chart = communication_chart(report, section)
        elif section == Section.TRANSPORT:
            chart = transport_month_chart(report.year, version, report.through)
        else:
            chart = section_chart(report, section, items)
        charts[label] = [chart]
    return charts


def report_charts(report: YearReport) -> list[Chart]:
    """The section charts in report order (the printed report and its PDF)."""
    return [chart for charts in section_charts(report).values() for chart in charts]
