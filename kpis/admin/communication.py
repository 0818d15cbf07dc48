from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kpis.core.admin import (
    ADVISER_FILTER,
    REGISTRATION_FIELDSET,
    THEMES_FILTER,
    FigureReferenceAdmin,
    ImportExportAdmin,
    RegistrationAdmin,
    RelatedCodeListFilter,
    ReportDatedAdmin,
    ReportYearFilter,
)
from kpis.models import Channel, ChannelPost, ChannelStatistic, Publication
from kpis.resources import (
    ChannelPostResource,
    ChannelResource,
    ChannelStatisticResource,
    PublicationResource,
)

CHANNEL_FILTER = ("channel__slug", RelatedCodeListFilter)


@admin.register(Channel)
class ChannelAdmin(ImportExportAdmin, FigureReferenceAdmin):
    resource_classes = [ChannelResource]
    list_display = ("name", "slug", "audience", "report_posts", "report_engagement", "order")
    list_filter = ("audience", "report_posts", "report_engagement")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "audience", "order")}),
        (_("Jaarverslag"), {"fields": ("report_posts", "report_engagement")}),
    )


@admin.register(ChannelPost)
class ChannelPostAdmin(ImportExportAdmin, RegistrationAdmin):
    resource_classes = [ChannelPostResource]
    list_display = ("title", "channel", "published_on", "views", "likes", "adviser")
    list_totals = ("views", "likes")
    list_filter = (ReportYearFilter, CHANNEL_FILTER, THEMES_FILTER, ADVISER_FILTER)
    list_select_related = ("channel", "adviser")
    search_fields = ("title", "url", "notes")
    # A handful of channels: one click on a radio button, not a search box.
    radio_fields = {"channel": admin.HORIZONTAL}
    fieldsets = (
        (None, {"fields": ("title", "channel", "published_on", "url")}),
        (_("Bereik"), {"fields": ("views", "likes")}),
        REGISTRATION_FIELDSET,
    )


@admin.register(ChannelStatistic)
class ChannelStatisticAdmin(ImportExportAdmin, ReportDatedAdmin):
    resource_classes = [ChannelStatisticResource]
    list_display = ("channel", "period_start", "period_end", "views", "visitors")
    list_totals = ("views", "visitors")
    list_filter = (ReportYearFilter, CHANNEL_FILTER)
    list_select_related = ("channel",)
    search_fields = ("channel__name", "notes")
    autocomplete_fields = ("channel",)
    fieldsets = (
        (None, {"fields": ("channel", "period_start", "period_end")}),
        (_("Cijfers"), {"fields": ("views", "visitors", "notes")}),
    )


@admin.register(Publication)
class PublicationAdmin(ImportExportAdmin, RegistrationAdmin):
    resource_classes = [PublicationResource]
    list_display = ("title", "kind", "published_on", "recipients", "adviser")
    list_totals = ("recipients",)
    list_filter = (ReportYearFilter, "kind", THEMES_FILTER, ADVISER_FILTER)
    list_select_related = ("adviser",)
    search_fields = ("title", "url", "notes")
    fieldsets = (
        (None, {"fields": ("title", "kind", "published_on", "recipients", "url")}),
        REGISTRATION_FIELDSET,
    )
