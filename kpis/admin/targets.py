from django.contrib import admin
from django.db import models

from kpis.models import Target
from kpis.resources import TargetResource

from .base import DutchDecimalField, ImportExportAdmin


@admin.register(Target)
class TargetAdmin(ImportExportAdmin, admin.ModelAdmin):
    resource_classes = [TargetResource]
    # The key stays a text field; Target.clean() checks it against the figure registry.
    list_display = ("key", "year", "value", "note")
    list_filter = ("year",)
    search_fields = ("key", "note")
    formfield_overrides = {models.DecimalField: {"form_class": DutchDecimalField}}
    fields = ("key", "year", "value", "note")
