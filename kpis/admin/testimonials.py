from django.contrib import admin
from django.template.defaultfilters import truncatechars
from django.utils.translation import gettext_lazy as _

from kpis.core.admin import (
    ADVISER_FILTER,
    REGISTRATION_FIELDSET,
    ImportExportAdmin,
    RegistrationAdmin,
    RelatedCodeListFilter,
    ReportYearFilter,
)
from kpis.models import Testimonial
from kpis.resources import TestimonialResource


@admin.register(Testimonial)
class TestimonialAdmin(ImportExportAdmin, RegistrationAdmin):
    # publication_allowed is deliberately not list_editable: publishing a quote is a
    # decision taken in the form, not by a stray click in the list.
    resource_classes = [TestimonialResource]
    list_display = ("short_text", "person", "organisation", "given_on", "publication_allowed")
    list_filter = (
        ReportYearFilter,
        "publication_allowed",
        ("organisation__code", RelatedCodeListFilter),
        ADVISER_FILTER,
    )
    list_select_related = ("organisation",)
    search_fields = ("text", "person", "role", "context", "organisation__name")
    autocomplete_fields = (*RegistrationAdmin.autocomplete_fields, "organisation")
    fieldsets = (
        (None, {"fields": ("text", "person", "role", "organisation")}),
        (_("Herkomst en publicatie"), {"fields": ("context", "given_on", "publication_allowed")}),
        REGISTRATION_FIELDSET,
    )

    @admin.display(description=_("tekst"), ordering="text")
    def short_text(self, testimonial):
        return truncatechars(testimonial.text, 80)
