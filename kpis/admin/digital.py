import datetime

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils.translation import gettext_lazy as _

from kpis.core.admin import (
    ADVISER_FILTER,
    REGISTRATION_FIELDSET,
    ImportExportAdmin,
    LibraryListFilter,
    RegistrationAdmin,
    ReportYearFilter,
)
from kpis.models import InformationPoint
from kpis.resources import InformationPointResource


class OpenAtYearEndFilter(admin.SimpleListFilter):
    """Points open on 31 December of a year: the stock the report counts, not the openings.

    ``?open_at_end_of=2021``; ``?year=2021`` lists the points opened in 2021.
    """

    title = _("open op 31 december van")
    parameter_name = "open_at_end_of"

    def lookups(self, request, model_admin):
        opened = model_admin.get_queryset(request).report_years()
        if not opened:
            return []
        years = range(opened[0], max(opened[-1], datetime.date.today().year) + 1)
        return [(str(year), str(year)) for year in reversed(years)]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.open_on(datetime.date(int(value), 12, 31))
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error


class SharedLocationFilter(OpenAtYearEndFilter):
    """Points open in a year at the same time as another point at the same location:
    ``?same_location_in=2021`` (the closing checklist links here, ``kpis.reporting.checklist``)."""

    title = _("tegelijk open op dezelfde locatie in")
    parameter_name = "same_location_in"

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.sharing_location_in(int(value))
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error


@admin.register(InformationPoint)
class InformationPointAdmin(ImportExportAdmin, RegistrationAdmin):
    resource_classes = [InformationPointResource]
    list_display = ("name", "organisation", "location", "opened_on", "closed_on", "is_open")
    list_filter = (
        ReportYearFilter,
        OpenAtYearEndFilter,
        SharedLocationFilter,
        ("organisation__code", LibraryListFilter),
        ADVISER_FILTER,
    )
    list_select_related = ("organisation",)
    search_fields = ("name", "location", "organisation__name")
    autocomplete_fields = (*RegistrationAdmin.autocomplete_fields, "organisation")
    fieldsets = (
        (None, {"fields": ("name", "organisation", "location", "opened_on", "closed_on")}),
        REGISTRATION_FIELDSET,
    )

    @admin.display(description=_("open"), boolean=True, ordering="closed_on")
    def is_open(self, point):
        return point.closed_on is None
