"""The annual report: the printable page and its PDF, thin views over ``kpis.report_pdf``.

A closed year's PDF is the one archived at closing (``ClosedYear.report_pdf``), served
byte for byte; an open year's PDF is made on request and marked as a concept.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kpis import report_pdf, reporting
from kpis.models import ClosedYear
from kpis.views import _closed_year, _history_or_404


@require_safe
def annual_report(request, year: int):
    history = _history_or_404(year)
    report = reporting.year_report(year, history)
    return render(
        request,
        "kpis/report.html",
        {
            "report": report,
            "year": year,
            "doc": report_pdf.report_document(report, history),
            **_closed_year(request, year, history),
        },
    )


@require_safe
def annual_report_pdf(request, year: int):
    history = _history_or_404(year)
    closed = ClosedYear.objects.filter(year=year).first()
    if closed is not None and closed.report_pdf_sha256:
        content = bytes(closed.report_pdf)
    else:
        # Open, or closed before reports were archived: made from what is served.
        content = report_pdf.year_pdf(year, history)
    if closed is not None:
        name = f"bnf-jaarverslag-{year}-vastgesteld-{closed.closed_at.date().isoformat()}.pdf"
    else:
        name = f"bnf-jaarverslag-{year}-concept.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    if closed is not None and closed.report_pdf_sha256:
        response["X-BNF-Report-SHA256"] = closed.report_pdf_sha256
    return response
