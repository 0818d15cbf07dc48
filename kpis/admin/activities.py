import datetime

from django.contrib import admin, messages
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
    ReportDatedInline,
    ReportYearFilter,
)
from kpis.models import (
    KnowledgeCircle,
    KnowledgeCircleMeeting,
    SupportActivity,
    SupportKind,
    Training,
)
from kpis.resources import (
    KnowledgeCircleMeetingResource,
    KnowledgeCircleResource,
    SupportActivityResource,
    SupportKindResource,
    TrainingResource,
)


@admin.register(SupportKind)
class SupportKindAdmin(ImportExportAdmin, FigureReferenceAdmin):
    resource_classes = [SupportKindResource]
    list_display = ("name", "slug", "description")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(SupportActivity)
class SupportActivityAdmin(ImportExportAdmin, RegistrationAdmin):
    resource_classes = [SupportActivityResource]
    list_display = ("title", "kind", "carried_out_on", "adviser")
    list_filter = (
        ReportYearFilter,
        ("kind__slug", RelatedCodeListFilter),
        THEMES_FILTER,
        ADVISER_FILTER,
    )
    list_select_related = ("kind", "adviser")
    search_fields = ("title", "notes")
    autocomplete_fields = (*RegistrationAdmin.autocomplete_fields, "kind", "organisations")
    fieldsets = (
        (None, {"fields": ("title", "kind", "carried_out_on", "organisations")}),
        REGISTRATION_FIELDSET,
    )


@admin.register(Training)
class TrainingAdmin(ImportExportAdmin, RegistrationAdmin):
    resource_classes = [TrainingResource]
    list_display = ("title", "held_on", "participants", "evaluation_score", "adviser")
    list_totals = ("participants",)
    list_filter = (ReportYearFilter, THEMES_FILTER, ORGANISATIONS_FILTER, ADVISER_FILTER)
    list_select_related = ("adviser",)
    search_fields = ("title", "notes")
    autocomplete_fields = (*RegistrationAdmin.autocomplete_fields, "organisations")
    fieldsets = (
        (None, {"fields": ("title", "held_on", "organisations")}),
        (
            _("Deelnemers en evaluatie"),
            {"fields": ("participants", "respondents", "evaluation_score")},
        ),
        REGISTRATION_FIELDSET,
    )


COUNTS_THROUGH_MEETINGS = _(
    "Een kenniskring telt in de jaarcijfers mee in elk jaar waarin hij minstens één keer "
    "bijeenkwam. Vul daarom hieronder de bijeenkomsten in: zonder bijeenkomst telt de "
    "kenniskring niet mee."
)
NO_MEETINGS_YET = _(
    "Deze kenniskring heeft nog geen bijeenkomsten en telt daarom nog niet mee in de "
    "jaarcijfers. Voeg een bijeenkomst toe zodra die er is."
)


class KnowledgeCircleMeetingInline(ReportDatedInline):
    model = KnowledgeCircleMeeting
    fields = ("held_on", "topic", "participants", "adviser")
    autocomplete_fields = ("adviser",)
    extra = 1


class NoMeetingsInYearFilter(ReportYearFilter):
    """Circles that existed in a year but did not meet in it, so count for nothing:
    ``?no_meetings_in=2021`` (the closing checklist links here, ``kpis.reporting.checklist``)."""

    title = _("zonder bijeenkomsten in")
    parameter_name = "no_meetings_in"

    def years(self, queryset):
        years = queryset.report_years()
        return (
            list(range(years[0], max(years[-1], datetime.date.today().year) + 1)) if years else []
        )

    def in_year(self, queryset, year):
        return queryset.without_meetings_in(year)


@admin.register(KnowledgeCircle)
class KnowledgeCircleAdmin(ImportExportAdmin, RegistrationAdmin):
    resource_classes = [KnowledgeCircleResource]
    list_display = ("name", "started_on", "ended_on", "is_active", "adviser")
    list_filter = (ReportYearFilter, NoMeetingsInYearFilter, THEMES_FILTER, ADVISER_FILTER)
    list_select_related = ("adviser",)
    search_fields = ("name", "notes")
    autocomplete_fields = (*RegistrationAdmin.autocomplete_fields, "organisations")
    inlines = (KnowledgeCircleMeetingInline,)
    fieldsets = (
        (
            None,
            {
                "fields": ("name", "started_on", "ended_on", "organisations"),
                "description": COUNTS_THROUGH_MEETINGS,
            },
        ),
        REGISTRATION_FIELDSET,
    )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not form.instance.meetings.exists():
            self.message_user(request, NO_MEETINGS_YET, messages.WARNING)

    def get_deletion_years(self, circle):
        # Its meetings go with it, and they count in their own years.
        return super().get_deletion_years(circle) | set(circle.meetings.report_years())

    @admin.display(description=_("actief"), boolean=True, ordering="ended_on")
    def is_active(self, circle):
        return circle.ended_on is None


@admin.register(KnowledgeCircleMeeting)
class KnowledgeCircleMeetingAdmin(ImportExportAdmin, RegistrationAdmin):
    resource_classes = [KnowledgeCircleMeetingResource]
    list_display = ("circle", "held_on", "topic", "participants", "adviser")
    list_totals = ("participants",)
    list_filter = (ReportYearFilter, "circle", ADVISER_FILTER)
    list_select_related = ("circle", "adviser")
    search_fields = ("circle__name", "topic", "notes")
    autocomplete_fields = (*RegistrationAdmin.autocomplete_fields, "circle")
    fieldsets = (
        (None, {"fields": ("circle", "held_on", "topic", "participants")}),
        REGISTRATION_FIELDSET,
    )
