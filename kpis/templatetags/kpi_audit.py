"""The link from a record's change form to its audit trail."""

from auditlog.registry import auditlog
from django import template
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

register = template.Library()


@register.simple_tag
def audit_trail_url(opts, obj) -> str:
    """The record's audit trail page, or "" for a model whose changes are not logged."""
    if obj is None or obj.pk is None or not auditlog.contains(opts.model):
        return ""
    content_type = ContentType.objects.get_for_model(opts.model)
    return reverse("admin:auditlog_logentry_object", args=[content_type.pk, obj.pk])
