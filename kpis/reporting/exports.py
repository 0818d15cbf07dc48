"""Figure exports for the provincie: CSV and XLSX with a stable, versioned schema.

The rows come from the same ``figure_rows`` that ``figures.json`` serves, so the files
say what the dashboard says by construction. Every text cell goes through
``neutralise_formula`` (OWASP CSV injection): a spreadsheet never runs what a user typed.

The XLSX file opens on a sheet for people, "Jaarcijfers": one row per figure, one column
per year, Dutch headers, euro and thousands formats, a frozen header. The sheet for
machines ("figures", schema version 1: ``COLUMNS``, one row per figure per year, plain
numbers) follows it unchanged; it is the same as the CSV.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _

from kpis.core.cells import neutralise_formula
from kpis.reporting import aggregation

SCHEMA_VERSION = "1"
COLUMNS = ["key", "label", "section", "unit", "kind", "year", "value", "target"]

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def machine_number(value):
    """Plain numbers: 14513, 263568.00 — no thousands separators, a dot for decimals."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    return int(value)


def figure_rows(report: aggregation.YearReport) -> list[dict]:
    """The figures of one year as plain data: the JSON and the files share these rows."""
    return [
        {
            "key": item.key,
            "label": str(item.figure.label),
            "section": item.figure.section_label,
            "unit": item.figure.unit.value,
            "kind": item.figure.kind.value,
            "year": report.year,
            "value": machine_number(item.value),
            "target": machine_number(item.target),
            "detail": item.detail,
        }
        for item in report.figures
    ]


def export_rows(history: aggregation.History, years) -> list[list]:
    rows = []
    for year in years:
        for row in figure_rows(history.for_year(year)):
            rows.append([neutralise_formula(row[column]) for column in COLUMNS])
    return rows


def csv_response(rows: list[list], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # BOM: Excel then reads the file as UTF-8 (accents intact)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-BNF-Schema-Version"] = SCHEMA_VERSION
    return response


PEOPLE_SHEET = "Jaarcijfers"
MACHINE_SHEET = "figures"

NUMBER_FORMATS = {
    "euro": '"€" #,##0.00',
    "score": "0.0",
}
"""Cell formats by unit; any other unit counts (``#,##0``, or ``#,##0.0`` for an average).
Excel and LibreOffice show the separators of the reader's language: 14.513 in Dutch."""


def _number_format(unit: str, kind: str) -> str:
    if unit in NUMBER_FORMATS:
        return NUMBER_FORMATS[unit]
    return "#,##0.0" if kind == "average" else "#,##0"


def people_table(rows: list[list]) -> tuple[list[str], list[list], list[str]]:
    """The machine rows as one row per figure and a column per year.

    Returns the header (Onderdeel, Figuur, Eenheid, the years, Streefwaarde <last year>),
    the rows, and each row's number format.
    """
    from kpis.reporting.figures import Unit

    index = {column: i for i, column in enumerate(COLUMNS)}
    years = sorted({row[index["year"]] for row in rows})
    figures: dict[str, dict] = {}
    for row in rows:
        figure = figures.setdefault(
            row[index["key"]],
            {
                "section": row[index["section"]],
                "label": row[index["label"]],
                "unit": row[index["unit"]],
                "kind": row[index["kind"]],
                "values": {},
                "target": None,
            },
        )
        figure["values"][row[index["year"]]] = row[index["value"]]
        if years and row[index["year"]] == years[-1]:
            figure["target"] = row[index["target"]]
    units = dict(Unit.choices)
    header = [_("Onderdeel"), _("Figuur"), _("Eenheid"), *[str(year) for year in years]]
    if years:
        header.append(_("Streefwaarde %(year)s") % {"year": years[-1]})
    table, formats = [], []
    for figure in figures.values():
        cells = [
            figure["section"],
            figure["label"],
            neutralise_formula(str(units.get(figure["unit"], figure["unit"]))),
            *[figure["values"].get(year) for year in years],
        ]
        if years:
            cells.append(figure["target"])
        table.append(cells)
        formats.append(_number_format(figure["unit"], figure["kind"]))
    return header, table, formats


def _people_sheet(workbook, rows: list[list]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    header, table, formats = people_table(rows)
    sheet = workbook.create_sheet(PEOPLE_SHEET)
    widths = [
        max([len(str(row[0] or "")) for row in table] + [len(header[0])]) + 2,
        max([len(str(row[1] or "")) for row in table] + [len(header[1])]) + 2,
        max([len(str(row[2] or "")) for row in table] + [len(header[2])]) + 2,
    ]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width, 60)
    for index in range(len(widths) + 1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    sheet.freeze_panes = "D2"  # the header row, and the figure's name beside every year
    bold = Font(bold=True)
    heading = []
    for index, title in enumerate(header):
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        if index >= len(widths):
            cell.alignment = Alignment(horizontal="right")
        heading.append(cell)
    sheet.append(heading)
    wrapped = Alignment(wrap_text=True, vertical="top")
    for row, number_format in zip(table, formats, strict=True):
        out = [row[0], WriteOnlyCell(sheet, value=row[1]), row[2]]
        out[1].alignment = wrapped  # a long label wraps instead of running under the years
        for value in row[len(widths) :]:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            out.append(cell)
        sheet.append(out)


def xlsx_response(rows: list[list], filename: str) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    _people_sheet(workbook, rows)
    sheet = workbook.create_sheet(MACHINE_SHEET)
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-BNF-Schema-Version"] = SCHEMA_VERSION
    return response
