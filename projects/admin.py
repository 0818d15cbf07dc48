from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kpis.core.admin import (
    ADVISER_FILTER,
    ORGANISATIONS_FILTER,
    REGISTRATION_FIELDSET,
    THEMES_FILTER,
    FigureReferenceAdmin,
    ImportExportAdmin,
    RegistrationAdmin,
    RelatedCodeListFilter,
    ReportYearFilter,
    format_euro,
)
from projects.models import Fund, GuidedTrajectory, Project, ProjectApplication
from projects.resources import (
    FundResource,
    GuidedTrajectoryResource,
    ProjectApplicationResource,
    ProjectResource,
)


@admin.register(Project)
class ProjectAdmin(ImportExportAdmin, RegistrationAdmin):
    resource_classes = [ProjectResource]
    list_display = ("title", "kind", "started_on", "ended_on", "adviser")
    list_filter = (
        ReportYearFilter,
        "kind",
        THEMES_FILTER,
        ORGANISATIONS_FILTER,
        ADVISER_FILTER,
    )
    list_select_related = ("adviser",)
    search_fields = ("title", "notes")
    autocomplete_fields = (*RegistrationAdmin.autocomplete_fields, "organisations")
    fieldsets = (
        (None, {"fields": ("title", "kind", "organisations")}),
        (_("Looptijd"), {"fields": ("started_on", "ended_on")}),
        REGISTRATION_FIELDSET,
    )


@admin.register(Fund)
class FundAdmin(ImportExportAdmin, FigureReferenceAdmin):
    resource_classes = [FundResource]
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(ProjectApplication)
class ProjectApplicationAdmin(ImportExportAdmin, RegistrationAdmin):
    resource_classes = [ProjectApplicationResource]
    list_display = (
        "title",
        "applicant",
        "fund",
        "submitted_on",
        "amount_requested_display",
        "outcome",
        "adviser",
    )
    list_totals = (("amount_requested", "amount_requested_display"),)
    list_filter = (
        ReportYearFilter,
        "outcome",
        ("fund__slug", RelatedCodeListFilter),
        THEMES_FILTER,
        ADVISER_FILTER,
    )
    list_select_related = ("applicant", "fund", "adviser")
    search_fields = ("title", "applicant__name", "fund__name", "notes")
    autocomplete_fields = (*RegistrationAdmin.autocomplete_fields, "applicant", "fund")
    fieldsets = (
        (None, {"fields": ("title", "applicant", "fund")}),
        (
            _("Aanvraag en besluit"),
            {"fields": ("submitted_on", "amount_requested", "outcome", "decided_on")},
        ),
        REGISTRATION_FIELDSET,
    )

    @admin.display(description=_("aangevraagd bedrag"), ordering="amount_requested")
    def amount_requested_display(self, application):
        return format_euro(application.amount_requested)


@admin.register(GuidedTrajectory)
class GuidedTrajectoryAdmin(ImportExportAdmin, RegistrationAdmin):
    resource_classes = [GuidedTrajectoryResource]
    list_display = ("title", "national_assignment", "started_on", "ended_on", "adviser")
    list_filter = (ReportYearFilter, THEMES_FILTER, ORGANISATIONS_FILTER, ADVISER_FILTER)
    list_select_related = ("adviser",)
    search_fields = ("title", "national_assignment", "notes")
    autocomplete_fields = (*RegistrationAdmin.autocomplete_fields, "organisations")
    fieldsets = (
        (None, {"fields": ("title", "national_assignment", "organisations")}),
        (_("Looptijd"), {"fields": ("started_on", "ended_on")}),
        REGISTRATION_FIELDSET,
    )
