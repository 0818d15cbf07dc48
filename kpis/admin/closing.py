"""Year closings and reopenings: a record of what happened, read-only here.

Closing and reopening go through ``kpis.reporting.closing`` (which stores the published figures
and logs the reason), from the pages "Jaar afsluiten" and "Heropenen" below, for
users with the permission ``kpis.close_year`` (coordinators). Both ask for
confirmation first: only a POST changes anything. Import batches have their own
admin in ``imports``.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import truncatechars
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kpis.core import year_policy
from kpis.core.admin import year_column
from kpis.core.roles import CLOSE_YEAR_PERMISSION
from kpis.models import ClosedYear, YearReopening
from kpis.reporting import aggregation, checklist, closing


class ReadOnlyAdmin(admin.ModelAdmin):
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CloseYearForm(forms.Form):
    year = forms.TypedChoiceField(
        label=_("Jaar"),
        coerce=int,
        error_messages={
            "required": _("Kies het jaar dat u wilt afsluiten."),
            "invalid_choice": _("Kies een jaar met registraties dat nog niet is afgesloten."),
        },
    )

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]


class ReopenYearForm(forms.Form):
    reason = forms.CharField(
        label=_("Reden"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Waarom moet het jaar weer open? Dit komt in het logboek."),
        error_messages={"required": _("Geef een reden voor het heropenen.")},
    )


@admin.register(ClosedYear)
class ClosedYearAdmin(ReadOnlyAdmin):
    list_display = (year_column(), "closed_at", "closed_by", "reopen_link")
    list_select_related = ("closed_by",)
    search_fields = ("=year",)
    fields = (year_column(), "closed_at", "closed_by", "warnings_seen", "snapshot")
    readonly_fields = ("warnings_seen",)
    change_list_template = "admin/kpis/closedyear/change_list.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("afsluiten/", wrap(self.close_view), name="kpis_closedyear_close"),
            path("<int:year>/heropenen/", wrap(self.reopen_view), name="kpis_closedyear_reopen"),
            *super().get_urls(),
        ]

    @staticmethod
    def may_close(request) -> bool:
        return request.user.has_perm(CLOSE_YEAR_PERMISSION)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_close": self.may_close(request)}
        return super().changelist_view(request, extra_context)

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if self.may_close(request) else [f for f in shown if f != "reopen_link"]

    @admin.display(description=_("geziene waarschuwingen"))
    def warnings_seen(self, closed):
        """What the closing checklist warned about, as the coordinator acknowledged it."""
        if closed.acknowledged_warnings is None:
            return _("(afgesloten zonder afsluitlijst)")
        if not closed.acknowledged_warnings:
            return _("Geen: de afsluitlijst was leeg.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li>{}</li>", ((w["message"],) for w in closed.acknowledged_warnings)
            ),
        )

    @admin.display(description=_("heropenen"))
    def reopen_link(self, closed):
        url = reverse("admin:kpis_closedyear_reopen", args=[closed.year])
        return format_html('<a href="{}">{}</a>', url, _("Heropenen…"))

    @staticmethod
    def closable_years() -> list[int]:
        """Years that have records and are not closed, newest first."""
        closed = set(ClosedYear.objects.values_list("year", flat=True))
        latest = year_policy.latest_plausible_year()  # never a year after next year
        years = {year for year in aggregation.history().data_years if year <= latest}
        return sorted(years - closed, reverse=True)

    def _page(self, request, template, title, **context):
        return TemplateResponse(
            request,
            f"admin/kpis/closedyear/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                "changelist_url": reverse("admin:kpis_closedyear_changelist"),
                **context,
            },
        )

    def close_view(self, request):
        """Choose a year, see the figures that will be frozen and the checklist's
        warnings, confirm (POST) to close. With warnings, the POST must acknowledge
        exactly the warnings shown (``checklist.fingerprint``); otherwise nothing is
        closed and the page says why."""
        if not self.may_close(request):
            raise PermissionDenied
        years = self.closable_years()
        if request.method == "POST":
            form = CloseYearForm(request.POST, years=years)
            if form.is_valid():
                year = form.cleaned_data["year"]
                warnings = checklist.year_checklist(year)
                refusal = self.acknowledgement_refusal(request, warnings)
                if refusal:
                    return self._confirm_page(request, year, warnings, refusal)
                seen = [item.as_dict() for item in warnings]
                try:
                    closed = closing.close_year(year, request.user, acknowledged=seen)
                except ValidationError as error:
                    self.message_user(request, error.messages[0], messages.ERROR)
                    return redirect("admin:kpis_closedyear_changelist")
                message = gettext("Jaar %(year)s afgesloten; de cijfers zijn vastgesteld.") % {
                    "year": year
                }
                log = message
                if warnings:
                    log += " " + gettext("Gezien: %(warnings)s") % {
                        "warnings": "; ".join(item.message for item in warnings)
                    }
                self.log_addition(request, closed, log)
                self.message_user(request, message, messages.SUCCESS)
                return redirect("admin:kpis_closedyear_changelist")
        else:
            form = CloseYearForm(request.GET if "year" in request.GET else None, years=years)
            if form.is_bound and form.is_valid():
                year = form.cleaned_data["year"]
                return self._confirm_page(request, year, checklist.year_checklist(year))
        return self._page(
            request, "close_choose.html", gettext("Jaar afsluiten"), form=form, years=years
        )

    @staticmethod
    def acknowledgement_refusal(request, warnings) -> str | None:
        """Why the POST may not close the year: warnings not acknowledged, or not the
        ones that were shown (they changed since the page was opened)."""
        if not warnings:
            return None
        if request.POST.get("acknowledge") != "on":
            return gettext(
                "Het jaar is niet afgesloten: vink aan dat u de waarschuwingen hieronder "
                "hebt gezien."
            )
        if request.POST.get("warnings") != checklist.fingerprint(warnings):
            return gettext(
                "Het jaar is niet afgesloten: de waarschuwingen zijn veranderd sinds u de "
                "pagina opende. Bekijk ze hieronder opnieuw."
            )
        return None

    def _confirm_page(self, request, year, warnings, refusal=None):
        return self._page(
            request,
            "close_confirm.html",
            gettext("Jaar %(year)s afsluiten") % {"year": year},
            year=year,
            report=aggregation.year_report(year),
            year_not_over=year >= datetime.date.today().year,
            warnings=warnings,
            warnings_fingerprint=checklist.fingerprint(warnings),
            refusal=refusal,
        )

    def reopen_view(self, request, year):
        """Ask for the reason, and reopen (POST) with it."""
        if not self.may_close(request):
            raise PermissionDenied
        closed = get_object_or_404(ClosedYear.objects.select_related("closed_by"), year=year)
        form = ReopenYearForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                reopening = closing.reopen_year(year, request.user, form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error("reason", error.messages[0])
            else:
                message = gettext("Jaar %(year)s heropend. Reden: %(reason)s") % {
                    "year": year,
                    "reason": reopening.reason,
                }
                self.log_addition(request, reopening, message)
                self.message_user(
                    request,
                    gettext("Jaar %(year)s is heropend; registraties kunnen weer veranderen.")
                    % {"year": year},
                    messages.SUCCESS,
                )
                return redirect("admin:kpis_closedyear_changelist")
        return self._page(
            request,
            "reopen.html",
            gettext("Jaar %(year)s heropenen") % {"year": year},
            closed=closed,
            form=form,
        )


@admin.register(YearReopening)
class YearReopeningAdmin(ReadOnlyAdmin):
    list_display = (year_column(), "reopened_at", "reopened_by", "short_reason", "closed_at")
    list_filter = ("year",)
    list_select_related = ("reopened_by",)
    search_fields = ("reason",)
    date_hierarchy = "reopened_at"
    fields = (year_column(), "reopened_at", "reopened_by", "reason", "closed_at", "snapshot")

    @admin.display(description=_("reden"), ordering="reason")
    def short_reason(self, reopening):
        return truncatechars(reopening.reason, 80)
