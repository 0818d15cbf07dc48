from django.contrib import admin
from django.contrib.admin import ShowFacets
from django.utils.translation import gettext_lazy as _

from kpis.models import TransportReservation

from .base import LibraryListFilter, ReportDatedAdmin, ReportYearFilter


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


@admin.register(TransportReservation)
class TransportReservationAdmin(ReportDatedAdmin):
    """Tens of thousands of rows a year, so the list avoids work that grows with the table.

    No full result count, no facet counts, ordering on the indexed date only, exact
    search on library codes, and filters that list libraries from the small
    organisation table rather than distinct values from this one. What remains is the
    list of years (year filter and date drill-down): one pass over the date index.
    """

    list_display = ("delivered_on", "period", "origin", "destination", "quantity")
    list_filter = (
        ReportYearFilter,
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
    ordering = ("-delivered_on",)
    search_fields = ("=origin__code", "=destination__code")
    search_help_text = _("Zoek op de code van een bibliotheek, bijvoorbeeld 'fmb'.")
    autocomplete_fields = ("origin", "destination")
    fields = ("origin", "destination", "delivered_on", "period", "quantity", "import_batch")
    readonly_fields = ("import_batch",)
