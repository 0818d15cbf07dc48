"""Dutch presentation of figure values: 14.513, € 263.568, 8,0 — years never as 2.021."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from kpis.figures import Kind, Unit

register = template.Library()


def dutch_number(value, decimals: int = 0) -> str:
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return number_format(rounded, decimal_pos=decimals, use_l10n=True, force_grouping=True)


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
    """'+12% t.o.v. 2020' as a small badge; nothing when there is no previous year."""
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
        _("verschil met het jaar ervoor"),
        text,
        _("t.o.v. %(year)s") % {"year": item.year - 1},
    )


@register.inclusion_tag("kpis/_sparkline.html")
def sparkline(item, width: int = 120, height: int = 32):
    """A small trend line over the years, as inline SVG (no script, no CDN)."""
    points = [(year, value) for year, value in item.history if value is not None]
    numbers = [float(value) for _, value in points]
    top = max(numbers, default=0) or 1
    pad = 3
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    coords = [
        (round(pad + i * step, 1), round(height - pad - (n / top) * (height - 2 * pad), 1))
        for i, n in enumerate(numbers)
    ]
    text = ", ".join(f"{year}: {figure_value(value, item.figure)}" for year, value in points)
    return {
        "width": width,
        "height": height,
        "polyline": " ".join(f"{x},{y}" for x, y in coords),
        "last": coords[-1] if coords else None,
        "several": len(coords) > 1,
        "text": text,
        "label": item.figure.label,
    }
