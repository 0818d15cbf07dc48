"""Dutch presentation of figure values: 14.513, € 263.568, 8,0 — years never as 2.021."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kpis.reporting.figures import Kind, Unit

register = template.Library()


_TO_DUTCH = str.maketrans({",": ".", ".": ","})


def dutch_number(value, decimals: int = 0) -> str:
    """14.513, 8,0, -1.234,50: grouped by thousands, rounded half up. Written out rather
    than through ``number_format`` (the same result for Dutch): the dashboard formats
    hundreds of numbers per page, and this is several times faster."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if not rounded:
        rounded = abs(rounded)  # -0,4 is "0", not "-0"
    return f"{rounded:,.{decimals}f}".translate(_TO_DUTCH)


@register.filter
def figure_value(value, figure) -> str:
    """Format a figure's value as the annual report prints it."""
    if value is None:
        return "–"
    if figure.unit == Unit.EURO:
        return f"€ {dutch_number(value)}"
    if figure.kind == Kind.AVERAGE:
        return dutch_number(value, 1)
    return dutch_number(value)


@register.filter
def signed_number(value) -> str:
    if value is None:
        return ""
    text = dutch_number(abs(value))
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else "0")


@register.simple_tag
def change_badge(item):
    """'+12% t.o.v. 2020' as a small badge; nothing when there is no previous year. From
    a small base only the absolute change; a year in progress is compared with the same
    period of last year."""
    if item.change is None:
        return ""
    change = item.change
    direction = "up" if change > 0 else ("down" if change < 0 else "same")
    percent = item.change_percent
    text = signed_number(change)
    if percent is not None:
        text = f"{text} ({signed_number(percent)}%)"
    return format_html(
        '<span class="change change-{}" title="{}">{} {}</span>',
        direction,
        _("verschil met dezelfde periode in het jaar ervoor")
        if item.through
        else _("verschil met het jaar ervoor"),
        text,
        _("t.o.v. dezelfde periode in %(year)s") % {"year": item.year - 1}
        if item.through
        else _("t.o.v. %(year)s") % {"year": item.year - 1},
    )


@register.simple_tag
def chart_figure(chart, compact: bool = False):
    """A chart (``kpis.reporting.charts.Chart``) in a <figure>: the SVG, its summary as the caption
    and its numbers as a table in a <details>. Built here in one pass rather than in a
    template loop: the dashboard has one per figure."""
    classes = (
        "chart" + (" chart-wide" if chart.wide else "") + (" chart-compact" if compact else "")
    )
    esc = conditional_escape
    num = ' class="num"'
    headers = "".join(
        f'<th scope="col"{num if i else ""}>{esc(h)}</th>'
        for i, h in enumerate(chart.table.headers)
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f'<th scope="row">{esc(cell)}</th>' if i == 0 else f'<td class="num">{esc(cell)}</td>'
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in chart.table.rows
    )
    headers, rows = mark_safe(headers), mark_safe(rows)  # every cell escaped above
    title = "" if compact else format_html("<strong>{}.</strong> ", chart.title)
    return format_html(
        '<figure class="{}">{}<figcaption>{}{}</figcaption><details class="chart-table">'
        "<summary>{}</summary><table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>"
        "</details></figure>",
        classes,
        chart.svg,
        title,
        chart.summary,
        _("Als tabel"),
        headers,
        rows,
    )
