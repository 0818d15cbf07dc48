"""The audit trail in the admin: the whole log for coordinators, one record's for all.

The log (django-auditlog's ``LogEntry``) is listed, filtered and searched by those
with its view permission: coordinators and superusers. Every change form gets an
"Audittrail" button (``templates/admin/change_form_object_tools.html``) to the history
of that one record, which anyone who may see the record may see.
"""

import datetime
from decimal import Decimal

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kpis.core import audit

ACTIONS = {
    LogEntry.Action.CREATE: _("aangemaakt"),
    LogEntry.Action.UPDATE: _("gewijzigd"),
    LogEntry.Action.DELETE: _("verwijderd"),
    LogEntry.Action.ACCESS: _("bekeken"),
}
EMPTY = "–"
# In a record's audit trail, the entries of its evidence (kpis.Evidence).
EVIDENCE_ACTIONS = {
    LogEntry.Action.CREATE: _("bewijsstuk toegevoegd: %(evidence)s"),
    LogEntry.Action.UPDATE: _("bewijsstuk gewijzigd: %(evidence)s"),
    LogEntry.Action.DELETE: _("bewijsstuk verwijderd: %(evidence)s"),
    LogEntry.Action.ACCESS: _("bewijsstuk geopend: %(evidence)s"),
}


def field_label(model, name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except (FieldDoesNotExist, AttributeError):
        return name
    if _is_reverse(field):  # a reverse relation has no verbose name of its own
        return str(capfirst(field.related_model._meta.verbose_name))
    return str(capfirst(getattr(field, "verbose_name", name)))


def _is_reverse(field) -> bool:
    """A relation seen from the other side (``Organisation.transport_sent``, ...)."""
    return isinstance(field, models.ForeignObjectRel)


def _related_shown(field, value) -> str:
    """The record a stored foreign key ("3") points to, by its name."""
    related, target = field.related_model, field.target_field
    try:
        return str(related._base_manager.get(**{target.name: target.to_python(value)}))
    except ValidationError:  # an old entry that stored the name itself
        return str(value)
    except related.DoesNotExist:
        return _("%(model)s %(pk)s (verwijderd)") % {
            "model": capfirst(related._meta.verbose_name),
            "pk": value,
        }


def _shown(field, value) -> str:
    """A stored change value ("None", "3", "flevoland") as a person reads it."""
    if value in (None, "None", ""):
        return EMPTY
    if field is None:
        return str(value)
    if _is_reverse(field):  # a reverse one-to-one: stored as the other record's name
        return str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if (field.many_to_one or field.one_to_one) and hasattr(field, "target_field"):
        return _related_shown(field, value)  # not a generic relation: logged as its text
    try:
        if isinstance(field, models.DateTimeField):
            moment = datetime.datetime.fromisoformat(str(value))
            if timezone.is_naive(moment):  # stored in UTC
                moment = moment.replace(tzinfo=datetime.UTC)
            return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
        if isinstance(field, models.DateField):
            return date_format(datetime.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
        if isinstance(field, models.DecimalField):
            return number_format(Decimal(str(value)), use_l10n=True, force_grouping=True)
    except (ValueError, ArithmeticError):
        pass
    if isinstance(field, models.BooleanField):
        return {"True": _("ja"), "False": _("nee")}.get(str(value), str(value))
    return str(value)


def change_rows(entry) -> list[tuple[str, str, str]]:
    """``(field, before, after)`` for every change in ``entry``, in Dutch."""
    model = entry.content_type.model_class()
    rows = []
    for name, change in (entry.changes_dict or {}).items():
        label = field_label(model, name)
        if isinstance(change, dict) and change.get("type") == "m2m":
            objects = ", ".join(change.get("objects", []))
            if change.get("operation") == "add":
                rows.append((label, EMPTY, _("toegevoegd: %(objects)s") % {"objects": objects}))
            else:
                rows.append((label, _("verwijderd: %(objects)s") % {"objects": objects}, EMPTY))
            continue
        try:
            field = model._meta.get_field(name) if model else None
        except FieldDoesNotExist:
            field = None
        if field is not None and _is_reverse(field) and not field.one_to_one:
            # django-auditlog stores the records on the other side of a relation as
            # their manager ("kpis.TransportReservation.None"), which says nothing.
            continue
        before, after = (list(change) + [None, None])[:2]
        rows.append((label, _shown(field, before), _shown(field, after)))
    return rows


class ActionFilter(admin.SimpleListFilter):
    title = _("actie")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(str(value), label) for value, label in ACTIONS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class ModelFilter(admin.SimpleListFilter):
    """The kind of record, among the audited models."""

    title = _("soort gegevens")
    parameter_name = "model"

    def lookups(self, request, model_admin):
        types = ContentType.objects.get_for_models(*audit.audited_models()).values()
        choices = [(f"{ct.app_label}.{ct.model}", capfirst(ct.name)) for ct in types]
        return sorted(choices, key=lambda choice: str(choice[1]))

    def queryset(self, request, queryset):
        if not self.value() or "." not in self.value():
            return queryset
        app_label, model = self.value().split(".", 1)
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class PathFilter(admin.SimpleListFilter):
    title = _("via")
    parameter_name = "path"

    def lookups(self, request, model_admin):
        return list(audit.PATH_LABELS.items())

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(additional_data__path=self.value())


class ActorFilter(admin.SimpleListFilter):
    """Staff members only: everyone else cannot change anything."""

    title = _("door")
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        users = get_user_model().objects.filter(Q(is_staff=True) | Q(is_superuser=True))
        return [(str(user.pk), user.get_username()) for user in users.order_by("username")]

    def queryset(self, request, queryset):
        return queryset.filter(actor_id=self.value()) if self.value() else queryset


class EntryDisplay:
    """Columns and fields shared by the log list and a record's history."""

    @admin.display(description=_("moment"), ordering="timestamp")
    def moment(self, entry):
        return entry.timestamp

    @admin.display(description=_("door"), ordering="actor__username")
    def who(self, entry):
        if entry.actor:
            return entry.actor.get_username()
        return entry.actor_email or _("systeem")

    @admin.display(description=_("actie"), ordering="action")
    def action_label(self, entry):
        return ACTIONS.get(entry.action, entry.action)

    @admin.display(description=_("via"))
    def path_label(self, entry):
        path_value = (entry.additional_data or {}).get("path", "")
        label = audit.PATH_LABELS.get(path_value, path_value)
        command = (entry.additional_data or {}).get("command")
        return f"{label} ({command})" if command else label

    @admin.display(description=_("gegevens"))
    def record(self, entry):
        kind = capfirst(entry.content_type.name) if entry.content_type_id else ""
        text = f"{kind}: {entry.object_repr}"
        try:
            url = reverse(
                "admin:auditlog_logentry_object", args=[entry.content_type_id, entry.object_pk]
            )
        except NoReverseMatch:
            return text
        return format_html('<a href="{}">{}</a>', url, text)

    @admin.display(description=_("gewijzigde velden"))
    def changed_fields(self, entry):
        if entry.action != LogEntry.Action.UPDATE:
            return ""
        return ", ".join(label for label, _before, _after in change_rows(entry))

    @admin.display(description=_("wijzigingen"))
    def changes_table(self, entry):
        rows = change_rows(entry)
        if not rows:
            return EMPTY
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody>"
            "</table>",
            _("veld"),
            _("voor"),
            _("na"),
            format_html(
                "".join(["<tr><td>{}</td><td>{}</td><td>{}</td></tr>"] * len(rows)),
                *(value for row in rows for value in row),
            ),
        )


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditLogEntryAdmin(EntryDisplay, admin.ModelAdmin):
    """The whole audit trail, read-only, for those with its view permission."""

    list_display = ("moment", "record", "action_label", "changed_fields", "who", "path_label")
    list_filter = (ActionFilter, ModelFilter, PathFilter, ActorFilter)
    list_select_related = ("content_type", "actor")
    date_hierarchy = "timestamp"
    search_fields = ("object_repr", "=object_pk", "actor__username", "=cid")
    search_help_text = _("Zoek op de naam van een record, een id of een gebruikersnaam.")
    list_per_page = 50
    fields = (
        "moment",
        "record",
        "action_label",
        "who",
        "path_label",
        "remote_addr",
        "cid",
        "changes_table",
    )
    readonly_fields = fields
    history_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, object_id)
        if entry is not None:
            title = f"{capfirst(self.action_label(entry))}: {entry.object_repr}"
            extra_context = {**(extra_context or {}), "title": title, "subtitle": None}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "object/<int:content_type_id>/<path:object_pk>/",
                self.admin_site.admin_view(self.object_history_view),
                name="auditlog_logentry_object",
            ),
            *super().get_urls(),
        ]

    def object_history_view(self, request, content_type_id, object_pk):
        """The audit trail of one record: for whoever may see that record."""
        try:
            content_type = ContentType.objects.get_for_id(content_type_id)
        except ContentType.DoesNotExist:
            raise Http404 from None
        model = content_type.model_class()
        if model is None or not auditlog.contains(model):
            raise Http404
        model_admin = self.admin_site._registry.get(model)
        obj = model_admin.get_object(request, object_pk) if model_admin else None
        if not (
            self.has_view_permission(request)
            or (model_admin and model_admin.has_view_permission(request, obj))
        ):
            raise PermissionDenied
        # The record's own entries, and those of the evidence added to or removed from it.
        evidence = ContentType.objects.get_for_model(apps.get_model("kpis", "Evidence"))
        record_label = f"{model._meta.app_label}.{model._meta.model_name}:{object_pk}"
        entries = (
            LogEntry.objects.filter(
                Q(content_type=content_type, object_pk=object_pk)
                | Q(content_type=evidence, additional_data__record=record_label)
            )
            .select_related("actor", "content_type")
            .order_by("-timestamp", "-pk")
        )
        page = Paginator(entries, self.history_per_page).get_page(request.GET.get(PAGE_VAR))
        opts = model._meta
        change_url = None
        if obj is not None and model_admin:
            change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Audittrail: %(object)s")
            % {"object": obj if obj is not None else self._last_repr(entries, object_pk)},
            "opts": opts,
            "object": obj,
            "change_url": change_url,
            "page": page,
            "page_var": PAGE_VAR,
            "rows": [
                {
                    "entry": entry,
                    "action": (
                        EVIDENCE_ACTIONS[entry.action] % {"evidence": entry.object_repr}
                        if entry.content_type_id == evidence.pk and content_type != evidence
                        else self.action_label(entry)
                    ),
                    "who": self.who(entry),
                    "path": self.path_label(entry),
                    "changes": change_rows(entry),
                }
                for entry in page
            ],
            "log_url": reverse("admin:auditlog_logentry_changelist")
            + "?"
            + urlencode({"model": f"{opts.app_label}.{opts.model_name}", "object_pk": object_pk}),
            "can_see_log": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/audit/object_history.html", context)

    @staticmethod
    def _last_repr(entries, object_pk) -> str:
        entry = entries.first()
        return entry.object_repr if entry else str(object_pk)
