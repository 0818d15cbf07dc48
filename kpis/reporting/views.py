"""Public figure pages: thin views over ``kpis.reporting.aggregation``; the network's logo
and colours."""

import datetime
import functools
from decimal import Decimal

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from kpis.core.page_cache import public_page
from kpis.models import ClosedYear, Network, ReportBuild, Testimonial
from kpis.models.network import LOGO_FORMATS
from kpis.reporting import aggregation, charts, closing, exports, pdf_builds, report_pdf
from kpis.reporting.figures import Figure
from kpis.reporting.tables import comparison_table


def _history_or_404(year: int) -> aggregation.History:
    """All figures, or 404 for a year without records, targets or closing (bar this year)."""
    history = aggregation.history()
    if year not in history.years and year != datetime.date.today().year:
        raise Http404(f"Geen gegevens voor {year}.")
    return history


def _is_staff(request) -> bool:
    return request.user.is_active and request.user.is_staff


def _closed_year(request, year: int, history: aggregation.History) -> dict:
    """The year's closing, if any, and for staff any drift of the live figures from the
    published ones (everyone else sees only what was published)."""
    closed = ClosedYear.objects.select_related("closed_by").filter(year=year).first()
    drift = []
    if closed and _is_staff(request):
        drift = closing.differences(closed, history.for_year(year, live=True))
    return {"closed": closed, "drift": drift}


def admin_records_url(figure: Figure, year: int) -> str | None:
    """The admin list of the records behind a figure in a year (for staff)."""
    if figure.model is None:  # published, no longer declared
        return None
    opts = figure.model._meta
    params = {figure.admin_year_param: year, **figure.admin_params}
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(params)}"


@require_safe
def index(request):
    years = aggregation.history().data_years
    year = years[-1] if years else datetime.date.today().year
    return redirect("kpis:dashboard", year=year)


@require_safe
@public_page
def dashboard(request, year: int):
    history = _history_or_404(year)
    report = aggregation.year_report(year, history)
    if _is_staff(request):
        for item in report.figures:
            item.records_url = admin_records_url(item.figure, year)
    section_charts = charts.section_charts(report)
    for item in report.figures:
        item.chart = charts.figure_chart(item)
    return render(
        request,
        "kpis/dashboard.html",
        {
            "report": report,
            "year": year,
            "sections": [
                (label, items, section_charts.get(label, [])) for label, items in report.sections
            ],
            "previous_year": year - 1,
            "table": comparison_table(report),
            "testimonials": Testimonial.objects.published()
            .in_year(year)
            .select_related("organisation"),
            **_closed_year(request, year, history),
        },
    )


@require_safe
@public_page
def annual_report(request, year: int):
    history = _history_or_404(year)
    report = aggregation.year_report(year, history)
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


RETRY = "opnieuw"
"""``report.pdf?opnieuw``: make the PDF again after a build failed."""
REFRESH_SECONDS = 2


@require_safe
@public_page
def annual_report_pdf(request, year: int):
    """A closed year's PDF is the one archived at closing, served byte for byte; an open
    year's is a concept made in the background (``kpis.reporting.pdf_builds``) from the
    data as it is now, and served once it is there.

    A GET may start that build. That is safe for a GET (no CSRF token needed): it is
    idempotent per data version (at most one build under way per year and version,
    shared by every request), it changes no data, and its work is what this view used
    to do in every request.
    """
    history = _history_or_404(year)
    closed = ClosedYear.objects.filter(year=year).first()
    archived = closed is not None and closed.report_pdf_sha256
    if archived:
        content = bytes(closed.report_pdf)
    else:  # open, or closed before reports were archived: made from what is served
        build = pdf_builds.request_build(year, user=request.user, retry=RETRY in request.GET)
        if build is None:  # no data version to build against: made here, as before
            content = report_pdf.year_pdf(year, history)
        elif build.status != ReportBuild.Status.DONE:
            return _report_build_page(request, year, build)
        else:
            content = bytes(build.pdf)
    prefix = Network.objects.current().file_prefix
    if closed is not None:
        name = f"{prefix}-jaarverslag-{year}-vastgesteld-{closed.closed_at.date().isoformat()}.pdf"
    else:
        name = f"{prefix}-jaarverslag-{year}-concept.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    if archived:
        response["X-BNF-Report-SHA256"] = closed.report_pdf_sha256
    return response


def _report_build_page(request, year: int, build: ReportBuild):
    """The page that says the PDF is being made and refreshes itself until it is there
    (then the same address serves it), or why it failed. Never kept: not by the page
    cache (not a 200), not by a browser (``no-store``)."""
    failed = build.status == ReportBuild.Status.FAILED
    response = render(
        request,
        "kpis/report_build.html",
        {
            "year": year,
            "build": build,
            "failed": failed,
            "refresh_seconds": REFRESH_SECONDS,
            "pdf_url": reverse("kpis:report_pdf", args=[year]),
            "retry": RETRY,
        },
        # 202: accepted, still being made; 500: it could not be made.
        status=500 if failed else 202,
    )
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@public_page
def figures_json(request, year: int):
    history = _history_or_404(year)
    report = history.for_year(year)
    rows = [
        {k: _json_number(v) for k, v in row.items() if k != "year"}
        for row in exports.figure_rows(report)
    ]
    state = _closed_year(request, year, history)
    closed = state["closed"]
    data = {
        "year": year,
        "closed_on": closed.closed_at.date().isoformat() if closed else None,
        "differs_from_published": [d.key for d in state["drift"]],
        "figures": rows,
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})


def _json_number(value):
    """JSON numbers, not strings: money keeps its cents (263568.5), counts stay integers."""
    return float(value) if isinstance(value, Decimal) else value


def _export(year: int | None, response_for, extension: str):
    closed = None
    if year is None:
        history = aggregation.history()
        years, name = history.years, "alle-jaren"
    else:
        history = _history_or_404(year)
        years, name = [year], str(year)
        closed = ClosedYear.objects.filter(year=year).first()
        if closed:
            name += f"-vastgesteld-{closed.closed_at.date().isoformat()}"
    prefix = Network.objects.current().file_prefix
    response = response_for(
        exports.export_rows(history, years), f"{prefix}-figuren-{name}.{extension}"
    )
    if closed:
        response["X-BNF-Closed-On"] = closed.closed_at.date().isoformat()
    return response


@require_safe
@public_page
def figures_csv(request, year: int | None = None):
    return _export(year, exports.csv_response, "csv")


@require_safe
@public_page
def figures_xlsx(request, year: int | None = None):
    return _export(year, exports.xlsx_response, "xlsx")


def _sandboxed(view):
    """An uploaded file served as it is: nothing in it may run or load anything, even
    when it is opened on its own (an SVG can hold scripts; the upload refuses them too)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        )
        return response

    return wrapped


@_sandboxed
@require_safe
@public_page
def network_logo(request):
    """The network's own logo (``Network.logo_url``; without one, pages link the static
    default)."""
    content, kind = Network.objects.current().logo_content()
    return HttpResponse(content, content_type=LOGO_FORMATS[kind])


@require_safe
@public_page
def network_css(request):
    """The network's colours over the site's stylesheet (linked when they differ)."""
    return HttpResponse(
        Network.objects.current().stylesheet(), content_type="text/css; charset=utf-8"
    )
