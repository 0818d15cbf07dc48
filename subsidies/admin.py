from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kpis.core.admin import (
    ADVISER_FILTER,
    REGISTRATION_FIELDSET,
    THEMES_FILTER,
    ImportExportAdmin,
    RegistrationAdmin,
    RelatedCodeListFilter,
    ReportYearFilter,
    format_euro,
)
from subsidies.models import Funder, Subsidy
from subsidies.resources import FunderResource, SubsidyResource


@admin.register(Funder)
class FunderAdmin(ImportExportAdmin, admin.ModelAdmin):
    resource_classes = [FunderResource]
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Subsidy)
class SubsidyAdmin(ImportExportAdmin, RegistrationAdmin):
    # The report year is the award year: subsidies still pending have no year yet.
    resource_classes = [SubsidyResource]
    list_display = (
        "title",
        "funder",
        "amount_display",
        "status",
        "role",
        "applied_on",
        "awarded_on",
        "adviser",
    )
    list_totals = (("amount", "amount_display"),)
    list_filter = (
        ReportYearFilter,
        "status",
        "role",
        ("funder__slug", RelatedCodeListFilter),
        THEMES_FILTER,
        ADVISER_FILTER,
    )
    list_select_related = ("funder", "adviser")
    search_fields = ("title", "funder__name", "notes")
    autocomplete_fields = (*RegistrationAdmin.autocomplete_fields, "funder", "beneficiaries")
    fieldsets = (
        (None, {"fields": ("title", "funder", "role", "beneficiaries")}),
        (_("Bedrag en stand"), {"fields": ("amount", "status", "applied_on", "awarded_on")}),
        REGISTRATION_FIELDSET,
    )

    @admin.display(description=_("bedrag"), ordering="amount")
    def amount_display(self, subsidy):
        return format_euro(subsidy.amount)
