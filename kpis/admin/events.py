from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kpis.core.admin import (
    ADVISER_FILTER,
    ORGANISATIONS_FILTER,
    REGISTRATION_FIELDSET,
    THEMES_FILTER,
    ImportExportAdmin,
    RegistrationAdmin,
    ReportYearFilter,
)
from kpis.models import Event
from kpis.resources import EventResource


@admin.register(Event)
class EventAdmin(ImportExportAdmin, RegistrationAdmin):
    resource_classes = [EventResource]
    list_display = ("title", "kind", "held_on", "online", "participants", "adviser")
    list_totals = ("participants",)
    list_filter = (
        ReportYearFilter,
        "kind",
        "online",
        THEMES_FILTER,
        ORGANISATIONS_FILTER,
        ADVISER_FILTER,
    )
    list_select_related = ("adviser",)
    search_fields = ("title", "notes")
    autocomplete_fields = (*RegistrationAdmin.autocomplete_fields, "organisations")
    radio_fields = {"kind": admin.VERTICAL}
    fieldsets = (
        (None, {"fields": ("title", "kind", "held_on", "online", "organisations")}),
        (_("Deelnemers"), {"fields": ("participants",)}),
        REGISTRATION_FIELDSET,
    )
