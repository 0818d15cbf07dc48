"""Year closings, reopenings and import batches: a record of what happened, read-only here.

Closing and reopening go through ``kpis.closing`` (which stores the published figures
and logs the reason); an import batch is made by the import. Deleting a batch here
would delete its rows around the closed-year check, so that is not offered either.
"""

from django.contrib import admin
from django.template.defaultfilters import truncatechars
from django.utils.translation import gettext_lazy as _

from kpis.models import ClosedYear, ImportBatch, YearReopening


class ReadOnlyAdmin(admin.ModelAdmin):
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClosedYear)
class ClosedYearAdmin(ReadOnlyAdmin):
    list_display = ("year", "closed_at", "closed_by")
    list_select_related = ("closed_by",)
    search_fields = ("=year",)
    fields = ("year", "closed_at", "closed_by", "snapshot")


@admin.register(YearReopening)
class YearReopeningAdmin(ReadOnlyAdmin):
    list_display = ("year", "reopened_at", "reopened_by", "short_reason", "closed_at")
    list_filter = ("year",)
    list_select_related = ("reopened_by",)
    search_fields = ("reason",)
    date_hierarchy = "reopened_at"
    fields = ("year", "reopened_at", "reopened_by", "reason", "closed_at", "snapshot")

    @admin.display(description=_("reden"), ordering="reason")
    def short_reason(self, reopening):
        return truncatechars(reopening.reason, 80)


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ("file_name", "model_label", "row_count", "imported_by", "imported_at", "source")
    list_filter = ("model_label", "source")
    list_select_related = ("imported_by",)
    search_fields = ("file_name", "=checksum")
    date_hierarchy = "imported_at"
    fields = (
        "file_name",
        "model_label",
        "row_count",
        "checksum",
        "imported_by",
        "imported_at",
        "source",
    )
