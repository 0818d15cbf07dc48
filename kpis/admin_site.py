"""The admin site: a start page for the daily work, and the models in groups people know.

The index is the start page ("Start"): a button per registration type, the ones the
user registers most first; the user's own latest registrations; what is missing. A
coordinator also sees the year against its targets, the open checklist items before
closing, and links to the dashboard and the report.

The models are listed in three groups instead of per app: "Registreren" (every
report-dated model), "Beheer" (reference data, targets, texts, users, closings) and,
last, "Controle" (the audit trail and login protection). The app pages
(``/admin/kpis/``) stay as Django makes them.
"""

import datetime
from dataclasses import dataclass

from auditlog.models import LogEntry as AuditEntry
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from kpis.core.registration import ReportDated
from kpis.core.roles import CLOSE_YEAR_PERMISSION
from kpis.models import Network

# Apps whose models are about checking the work, not doing it: listed last.
CONTROL_APPS = ("auditlog", "axes")
# How far back "most used" looks.
USAGE_DAYS = 365
LATEST_SHOWN = 8


@dataclass(frozen=True)
class RegistrationType:
    model: type
    name: str
    add_url: str
    changelist_url: str
    used: int
    used_by_team: int


def is_registration(model) -> bool:
    return issubclass(model, ReportDated)


class BnfAdminSite(admin.AdminSite):
    index_title = _("Start")
    index_template = "admin/start.html"

    @property
    def site_header(self):
        """ "<network> registratie", from the network's identity (kpis.Network)."""
        return Network.objects.current().admin_title

    site_title = site_header

    def i18n_javascript(self, request, extra_context=None):
        """Django's admin texts for its scripts, with ours for what its Dutch lacks."""
        return JavaScriptCatalog.as_view(packages=["django.contrib.admin", "kpis"])(request)

    # --- the model list, in groups -----------------------------------------------------

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps  # an app's own page: as Django makes it
        groups = {
            "registreren": {"name": _("Registreren"), "models": []},
            "beheer": {"name": _("Beheer"), "models": []},
            "controle": {"name": _("Controle"), "models": []},
        }
        for app in apps:
            for entry in app["models"]:
                if is_registration(entry["model"]):
                    group = "registreren"
                elif app["app_label"] in CONTROL_APPS or entry["object_name"] == "LogEntry":
                    group = "controle"
                    # "Inlogbeveiliging: toegangspogingen": whose list it is stays visible.
                    entry = {**entry, "name": f"{app['name']}: {str(entry['name']).lower()}"}
                else:
                    group = "beheer"
                groups[group]["models"].append(entry)
        index = reverse(f"{self.name}:index")
        listed = []
        for label, group in groups.items():
            if group["models"]:
                group["models"].sort(key=lambda entry: str(entry["name"]).lower())
                # The group's caption leads to its place on the start page.
                url = f"{index}#groep-{label}"
                listed.append(
                    {**group, "app_label": label, "app_url": url, "has_module_perms": True}
                )
        return listed

    # --- the start page ----------------------------------------------------------------

    def index(self, request, extra_context=None):
        base = self.each_context(request)
        context = {
            **base,
            "title": self.index_title,
            "subtitle": None,
            "app_list": base["available_apps"],  # the groups, made once for the page
            "registration_types": self.registration_types(request),
            "latest": self.latest_registrations(request.user),
            **self.work_context(request),
            **(extra_context or {}),
        }
        request.current_app = self.name
        return TemplateResponse(request, self.index_template, context)

    def registration_types(self, request) -> list[RegistrationType]:
        """The registration types this user may add, the ones they add most first."""
        addable = [
            (model, model_admin)
            for model, model_admin in self._registry.items()
            if is_registration(model) and model_admin.has_add_permission(request)
        ]
        if not addable:
            return []
        content_types = ContentType.objects.get_for_models(*(model for model, _a in addable))
        since = timezone.now() - datetime.timedelta(days=USAGE_DAYS)
        # Added in the last year, by this user and by everyone (one query): the user's
        # own habits first; for a new colleague, the team's.
        usage = {
            content_type: (mine, everyone)
            for content_type, mine, everyone in AuditEntry.objects.filter(
                action=AuditEntry.Action.CREATE,
                timestamp__gte=since,
                content_type__in=content_types.values(),
            )
            .values_list("content_type")
            .annotate(mine=Count("id", filter=Q(actor=request.user)), everyone=Count("id"))
            .order_by()
        }
        types = []
        for model, _admin in addable:
            mine, everyone = usage.get(content_types[model].pk, (0, 0))
            types.append(
                RegistrationType(
                    model=model,
                    name=str(model._meta.verbose_name),
                    add_url=reverse(f"{self.name}:{_url_name(model)}_add"),
                    changelist_url=reverse(f"{self.name}:{_url_name(model)}_changelist"),
                    used=mine,
                    used_by_team=everyone,
                )
            )
        return sorted(types, key=lambda t: (-t.used, -t.used_by_team, t.name.lower()))

    def latest_registrations(self, user) -> list[dict]:
        """The user's own latest registrations, from the audit trail (one query)."""
        models = [model for model in self._registry if is_registration(model)]
        content_types = ContentType.objects.get_for_models(*models)
        entries = (
            AuditEntry.objects.filter(
                actor=user,
                action=AuditEntry.Action.CREATE,
                content_type__in=content_types.values(),
            )
            .select_related("content_type")
            .order_by("-timestamp")[:LATEST_SHOWN]
        )
        latest = []
        for entry in entries:
            model = entry.content_type.model_class()
            if model is None:  # a type since removed from the code
                continue
            try:
                url = reverse(f"{self.name}:{_url_name(model)}_change", args=[entry.object_pk])
            except NoReverseMatch:
                url = None
            latest.append(
                {
                    "what": entry.object_repr,
                    "kind": model._meta.verbose_name,
                    "when": entry.timestamp,
                    "url": url,
                }
            )
        return latest

    def work_context(self, request) -> dict:
        """What is missing, and for a coordinator the year at a glance (the reporting
        layer; imported here so that loading the admin site does not need it)."""
        from kpis.reporting import aggregation, checklist

        context = {"missing": checklist.missing_for_adviser(request.user)}
        if request.user.has_perm(CLOSE_YEAR_PERMISSION):
            year = timezone.localdate().year
            report = aggregation.year_report(year)
            context.update(
                coordinator=True,
                year=year,
                targets=[value for value in report.figures if value.target],
                checklist=checklist.year_checklist(year),
                dashboard_url=reverse("kpis:dashboard", args=[year]),
                report_url=reverse("kpis:report", args=[year]),
            )
        return context


def _url_name(model) -> str:
    return f"{model._meta.app_label}_{model._meta.model_name}"
