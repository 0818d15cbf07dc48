"""The year comparison on the dashboard, as plain pre-formatted rows.

Built once per request as lists of strings and rendered with a plain template loop:
per-cell template work (a table library's column render calls) cost more than the rest
of the dashboard together.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from kpis.templatetags.kpi_format import figure_value


@dataclass(frozen=True)
class ComparisonRow:
    section: str
    label: str
    # (year, the value as printed) per year
    values: list[tuple[str, str]]


@dataclass(frozen=True)
class ComparisonTable:
    """One row per figure, one column per year: the text alternative to the trend charts."""

    years: list[str]
    rows: list[ComparisonRow]

    @property
    def headers(self) -> list[str]:
        return [_("onderdeel"), _("figuur"), *self.years]


def comparison_table(report) -> ComparisonTable:
    years = [year for year, _value in report.figures[0].history] if report.figures else []
    rows = []
    for item in report.figures:
        values = dict(item.history)
        rows.append(
            ComparisonRow(
                section=item.figure.section_label,
                label=str(item.figure.label),
                values=[(str(year), figure_value(values.get(year), item.figure)) for year in years],
            )
        )
    return ComparisonTable([str(year) for year in years], rows)
