"""Transport reservations: the list, and the fast lane for files of many rows.

Besides the usual screens the admin offers "Snel importeren" (a CSV/XLSX upload
through ``kpis.transport_import``, all rows or none, shown per row what is wrong) and a
streamed CSV export of the raw rows (``export-csv/?year=2021``) that keeps memory flat
for a million rows. A file of more than ``BNF_IMPORT_JOB_ROWS`` rows is imported in the
background (``kpis.jobs``): the upload answers with a progress page
(``importeren/taken/<id>/``, refreshed by the browser until the job is done), which
only the user who started the job (or a superuser) can see.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ShowFacets
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Min
from django.http import (
    Http404,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kpis import jobs, transport_import
from kpis.core import audit, cells
from kpis.core.admin import LibraryListFilter, ReportDatedAdmin, ReportYearFilter
from kpis.models import TransportImportJob, TransportReservation


class TransportImportForm(forms.Form):
    file = forms.FileField(
        label=_("Bestand"),
        help_text=_(
            "CSV (UTF-8, UTF-16 of Windows-1252; komma, puntkomma of tab) of XLSX (het eerste "
            "blad, zonder formules), met een kopregel."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            cells.check_size(upload.size)  # before anything reads it
        except cells.FileRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None
        return upload


IMPORT_COLUMNS = [
    ("datum", _("Leverdatum: 2021-03-15 of 15-03-2021.")),
    (
        "maand",
        _("In plaats van datum, voor een maandtotaal: 2021-03 of 03-2021."),
    ),
    (
        "periode",
        _("Optioneel, bij datum: 'dag' (standaard) of 'maand' (datum op de 1e)."),
    ),
    ("van", _("Code (bijv. 'bieb-noord') of naam van de leverende bibliotheek.")),
    ("naar", _("Code of naam van de ontvangende bibliotheek (niet dezelfde).")),
    ("aantal", _("Geheel getal van minstens 1, alleen cijfers: 1234, niet 1.234.")),
]
"""The columns of an import file, as the upload page explains them."""


class TransportScopeFilter(admin.SimpleListFilter):
    """Within the home province or interprovincial, as the report splits them."""

    title = _("bereik")
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [
            ("within", _("binnen de provincie")),
            ("interprovincial", _("interprovinciaal")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "within":
            return queryset.within_province()
        if self.value() == "interprovincial":
            return queryset.interprovincial()
        return queryset


class YearSpanFilter(ReportYearFilter):
    """The report-year filter for a table of millions of rows: the years from the first
    to the last record (two index lookups) instead of a DISTINCT over every row."""

    def years(self, queryset) -> list[int]:
        field = queryset.model.report_date_field
        span = queryset.order_by().aggregate(first=Min(field), last=Max(field))
        if span["first"] is None:
            return []
        return list(range(span["first"].year, span["last"].year + 1))


@admin.register(TransportReservation)
class TransportReservationAdmin(ReportDatedAdmin):
    """Tens of thousands of rows a year, so the list avoids work that grows with the table.

    No full result count, no facet counts, ordering on the indexed date only, exact
    search on library codes, and filters that list libraries from the small
    organisation table rather than distinct values from this one, and the years from
    the first and last date instead of a pass over the date index.
    """

    list_display = ("delivered_on", "period", "origin", "destination", "quantity")
    list_totals = ("quantity",)
    list_filter = (
        YearSpanFilter,
        "period",
        TransportScopeFilter,
        ("origin__code", LibraryListFilter),
        ("destination__code", LibraryListFilter),
        "import_batch",
    )
    list_select_related = ("origin", "destination")
    list_per_page = 100
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    # The drill-down would read every row's date for its year list; the year filter
    # above covers it.
    date_hierarchy = None
    ordering = ("-delivered_on",)
    search_fields = ("=origin__code", "=destination__code")
    search_help_text = _("Zoek op de code van een bibliotheek, bijvoorbeeld 'bieb-noord'.")
    autocomplete_fields = ("origin", "destination")
    fields = ("origin", "destination", "delivered_on", "period", "quantity", "import_batch")
    readonly_fields = ("import_batch",)
    change_list_template = "admin/kpis/transportreservation/change_list.html"

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("importeren/", wrap(self.import_view), name=f"{prefix}_import"),
            path(
                "importeren/taken/<int:job_id>/",
                wrap(self.import_job_view),
                name=f"{prefix}_import_job",
            ),
            path("export-csv/", wrap(self.export_csv_view), name=f"{prefix}_export_csv"),
            *super().get_urls(),
        ]

    @audit.imports_files
    def import_view(self, request):
        """Upload a file; all rows are stored as one batch, or none and every error shown."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TransportImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            rows = transport_import.count_rows(upload)
            if jobs.runs_as_job(rows):
                job = jobs.start_import(upload, user=request.user, rows=rows)
                return HttpResponseRedirect(job.get_absolute_url())
            try:
                result = transport_import.import_transport(
                    upload, user=request.user, source=transport_import.SOURCE_ADMIN
                )
            except transport_import.DatabaseBusy as busy:  # a lock or statement timeout
                form.add_error(None, str(busy))
            if result is not None and result.ok:
                batch = result.batch
                text = _("%(rows)s transportreserveringen geïmporteerd uit '%(name)s'.") % {
                    "rows": batch.row_count,
                    "name": batch.file_name,
                }
                if result.encoding:
                    text += " " + _("Gelezen als %(encoding)s.") % {"encoding": result.encoding}
                self.log_addition(request, batch, str(text))
                batch_url = reverse("admin:kpis_importbatch_change", args=[batch.pk])
                self.message_user(
                    request,
                    format_html(
                        '{} <a href="{}">{}</a>', text, batch_url, _("Bekijk de importbatch.")
                    ),
                    messages.SUCCESS,
                )
                rows_url = reverse("admin:kpis_transportreservation_changelist")
                return HttpResponseRedirect(f"{rows_url}?import_batch__id__exact={batch.pk}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Transportreserveringen snel importeren"),
            "form": form,
            "result": result,
            "columns": IMPORT_COLUMNS,
            "max_size": cells.megabytes(cells.max_bytes()) if cells.max_bytes() else "",
            "jobs": self.visible_jobs(request)[:10],
            "job_rows": jobs.job_rows(),
        }
        return TemplateResponse(request, "admin/kpis/transportreservation/import.html", context)

    def visible_jobs(self, request):
        """The background imports this user may follow: their own (a coordinator: all)."""
        queryset = TransportImportJob.objects.select_related("batch", "user")
        if request.user.has_perm("kpis.view_transportimportjob"):
            return queryset
        return queryset.filter(user=request.user)

    def import_job_view(self, request, job_id: int):
        """The progress of a background import, and its outcome once it is done."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        try:
            job = self.visible_jobs(request).get(pk=job_id)
        except TransportImportJob.DoesNotExist:
            raise Http404(_("Deze importtaak bestaat niet (of is niet van u).")) from None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Transportimport: %(name)s") % {"name": job.file_name},
            "job": job,
            "errors": [
                {"row": row, "column": column, "message": message}
                for row, column, message in job.errors
            ],
            "errors_not_listed": max(job.error_count - len(job.errors), 0),
            "refresh_seconds": 2,
            "rows_url": (
                reverse("admin:kpis_transportreservation_changelist")
                + f"?import_batch__id__exact={job.batch_id}"
                if job.batch_id
                else None
            ),
        }
        return TemplateResponse(request, "admin/kpis/transportreservation/import_job.html", context)

    def export_csv_view(self, request):
        """All rows (of ``?year=``) as CSV, streamed: memory stays flat for a million rows."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        year = request.GET.get("year") or None
        if year is not None:
            if not (year.isascii() and year.isdigit() and 1 <= int(year) < 9999):
                return HttpResponseBadRequest(_("'%(year)s' is geen jaartal.") % {"year": year})
            year = int(year)
        rows = transport_import.export_queryset(year)
        name = f"transportreserveringen-{year}.csv" if year else "transportreserveringen.csv"
        response = StreamingHttpResponse(
            transport_import.export_csv_lines(rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
