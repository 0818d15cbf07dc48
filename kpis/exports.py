"""Figure exports for the provincie: CSV and XLSX with a stable, versioned schema.

The rows come from the same ``figure_rows`` that ``figures.json`` serves, so the files
say what the dashboard says by construction. Every text cell goes through
``neutralise_formula`` (OWASP CSV injection): a spreadsheet never runs what a user typed.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.http import HttpResponse

from kpis import reporting

SCHEMA_VERSION = "1"
COLUMNS = ["key", "label", "section", "unit", "kind", "year", "value", "target"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise_formula(value):
    """Prefix a text cell that a spreadsheet would read as a formula with a quote.

    Numbers (including negative ones) are not text and stay numbers.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def machine_number(value):
    """Plain numbers: 14513, 263568.00 — no thousands separators, a dot for decimals."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    return int(value)


def figure_rows(report: reporting.YearReport) -> list[dict]:
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


def export_rows(history: reporting.History, years) -> list[list]:
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


def xlsx_response(rows: list[list], filename: str) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("figures")
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-BNF-Schema-Version"] = SCHEMA_VERSION
    return response
