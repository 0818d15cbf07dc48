"""Tabular views of the figures (django-tables2): the year comparison on the dashboard."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from kpis.templatetags.kpi_format import figure_value


class YearValueColumn(tables.Column):
    def __init__(self, year: int, **kwargs):
        self.year = year
        super().__init__(
            verbose_name=str(year),
            accessor=tables.A(f"values__{year}"),
            attrs={"td": {"class": "num"}, "th": {"class": "num"}},
            orderable=False,
            default="–",
            **kwargs,
        )

    def render(self, value, record):
        return figure_value(value, record["figure"])


class ComparisonTable(tables.Table):
    """One row per figure, one column per year: the text alternative to the trend charts."""

    section = tables.Column(verbose_name=_("onderdeel"), orderable=False)
    label = tables.Column(verbose_name=_("figuur"), orderable=False)

    class Meta:
        attrs = {"class": "comparison"}
        orderable = False

    def __init__(self, report, **kwargs):
        years = [year for year, _value in report.figures[0].history] if report.figures else []
        rows = [
            {
                "section": item.figure.section_label,
                "label": item.figure.label,
                "figure": item.figure,
                "values": dict(item.history),
            }
            for item in report.figures
        ]
        super().__init__(
            rows,
            extra_columns=[(str(year), YearValueColumn(year)) for year in years],
            **kwargs,
        )
