from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kpis.core.admin import FigureReferenceAdmin, ImportExportAdmin, ReportYearFilter
from kpis.models import Organisation, Theme
from kpis.resources import OrganisationResource, ThemeResource


class JoinedYearFilter(ReportYearFilter):
    """The year an organisation joined the network, as ``?year=`` like every other list."""

    title = _("lid van het netwerk geworden in")

    def years(self, queryset):
        return [day.year for day in queryset.dates("joined_network_on", "year")]

    def in_year(self, queryset, year):
        return queryset.filter(joined_network_on__year=year)


@admin.register(Organisation)
class OrganisationAdmin(ImportExportAdmin, FigureReferenceAdmin):
    resource_classes = [OrganisationResource]
    list_display = ("name", "code", "kind", "province", "joined_network_on")
    list_filter = ("kind", "province", JoinedYearFilter)
    search_fields = ("name", "code")
    list_per_page = 100
    fieldsets = (
        (None, {"fields": ("name", "code", "kind")}),
        (_("Netwerk"), {"fields": ("province", "joined_network_on")}),
        (_("Toelichting"), {"fields": ("notes",)}),
    )


@admin.register(Theme)
class ThemeAdmin(ImportExportAdmin, admin.ModelAdmin):
    resource_classes = [ThemeResource]
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
