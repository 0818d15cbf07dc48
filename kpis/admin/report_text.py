"""The annual report's texts, one record per year, written by coordinators.

The texts per report section are kept as one JSON object keyed by section
(``kpis.reporting.figures.Section``); the form shows one text box per section, so nobody edits
JSON. A closed year's texts are read-only: they are in its archived PDF.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kpis.core import year_policy
from kpis.core.admin import year_column
from kpis.models import ReportText
from kpis.reporting.figures import Section

SECTION_PREFIX = "section_"


def _section_field(section: Section) -> forms.CharField:
    return forms.CharField(
        label=section.label,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_(
            "Korte tekst boven de cijfers van dit onderdeel. Een lege regel begint een "
            "nieuwe alinea, '- ' een opsommingsteken. Geen HTML."
        ),
    )


class _ReportTextForm(forms.ModelForm):
    class Meta:
        model = ReportText
        fields = ("year", "intro", "board", "plans")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for section in Section:
                self.initial[SECTION_PREFIX + section.value] = self.instance.section_text(
                    section.value
                )

    def save(self, commit=True):
        self.instance.section_texts = {
            section.value: text
            for section in Section
            if (text := self.cleaned_data.get(SECTION_PREFIX + section.value, "").strip())
        }
        return super().save(commit)


# One declared text box per report section (declared, so the admin's fieldsets know them).
ReportTextForm = type(
    "ReportTextForm",
    (_ReportTextForm,),
    {SECTION_PREFIX + section.value: _section_field(section) for section in Section},
)


@admin.register(ReportText)
class ReportTextAdmin(admin.ModelAdmin):
    form = ReportTextForm
    list_display = (year_column(), "updated_at")
    search_fields = ("=year",)

    def get_fieldsets(self, request, obj=None):
        sections = [SECTION_PREFIX + section.value for section in Section]
        year = "year"
        if obj is not None and not self.has_change_permission(request, obj):
            # The read-only view lists the model fields; the per-section boxes are form-only.
            sections = ["section_texts"]
            year = year_column()  # "2021", not "2.021"
        return [
            (None, {"fields": [year, "intro", "board"]}),
            (_("Teksten per onderdeel"), {"fields": sections}),
            (_("Volgend jaar"), {"fields": ["plans"]}),
        ]

    def _closed(self, obj) -> bool:
        return obj is not None and obj.year in year_policy.closed_years()

    def has_change_permission(self, request, obj=None):
        return not self._closed(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._closed(obj) and super().has_delete_permission(request, obj)
