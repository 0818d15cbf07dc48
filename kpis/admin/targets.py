"""Targets: chosen by the figure's name, grouped by report section, never a typed key."""

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kpis.core.admin import DutchDecimalField, ImportExportAdmin, year_column
from kpis.models import Target
from kpis.reporting import aggregation
from kpis.resources import TargetResource
from kpis.templatetags.kpi_format import figure_value


def figure_choices(current: str | None = None) -> list:
    """Every declared figure (the channels' included), grouped by report section.

    A key no longer declared (a channel removed) stays choosable under its own
    heading, so that an old target can still be opened and saved.
    """
    groups: dict[str, list] = {}
    for figure in aggregation.declared_figures_now():
        groups.setdefault(figure.section_label, []).append((figure.key, capfirst(figure.label)))
    choices = [("", "---------"), *groups.items()]
    known = {key for items in groups.values() for key, _label in items}
    if current and current not in known:
        choices.append((str(_("Niet meer in het verslag")), [(current, current)]))
    return choices


class TargetForm(forms.ModelForm):
    key = forms.ChoiceField(
        label=_("figuur"), help_text=_("De figuur uit het jaarverslag waar dit het doel van is.")
    )

    class Meta:
        model = Target
        fields = ("key", "year", "value", "note")
        widgets = {"year": forms.NumberInput(attrs={"min": 2000, "max": 2100})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = figure_choices(self.instance.key)


@admin.register(Target)
class TargetAdmin(ImportExportAdmin, admin.ModelAdmin):
    resource_classes = [TargetResource]
    form = TargetForm
    list_filter = ("year",)
    search_fields = ("key", "note")
    formfield_overrides = {
        models.DecimalField: {"form_class": DutchDecimalField, "whole_as_integer": True}
    }
    fields = ("key", "year", "value", "note")

    def get_list_display(self, request):
        """The figure's name and the target in its unit (€ 50.000, 120), from the
        declarations read once per list."""
        figures = {figure.key: figure for figure in aggregation.declared_figures_now()}

        @admin.display(description=_("figuur"), ordering="key")
        def figure_label(target):
            figure = figures.get(target.key)
            return capfirst(figure.label) if figure else target.key

        @admin.display(description=_("streefwaarde"), ordering="value")
        def target_value(target):
            return figure_value(target.value, figures.get(target.key, _PlainCount))

        return (figure_label, year_column(), target_value, "note")


class _PlainCount:
    """A figure-like stand-in for a key no longer declared: shown as a whole count."""

    unit = kind = None
