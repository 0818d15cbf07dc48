"""User accounts as coordinators manage them: roles by group, no way up to superuser.

Django's own user admin lets anyone with "change user" tick "superuser" or hand out
single permissions, on any account including their own. Coordinators may change
users (to give advisers and the provincie their accounts and roles), so here only a
superuser can touch those two fields or change a superuser's account (and its
password).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kpis.models import NotificationPreference

User = get_user_model()


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ("reminders", "digest")


class NotificationPreferenceInline(admin.StackedInline):
    """The account's e-mail choices on its form: whoever may change the account (a
    coordinator) may change them, without a permission of their own."""

    model = NotificationPreference
    form = NotificationPreferenceForm
    can_delete = False
    max_num = 1
    verbose_name = verbose_name_plural = _("meldingen per e-mail")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("auth.view_user")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("auth.change_user")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("auth.change_user")

    def has_delete_permission(self, request, obj=None):
        return False


class RoleUserAdmin(UserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "roles")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    inlines = (NotificationPreferenceInline,)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()  # not on the short "add" form

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("meldingen/", wrap(self.notifications_view), name="notification_preferences"),
            *super().get_urls(),
        ]

    def notifications_view(self, request):
        """ "Meldingen": every staff member chooses their own e-mails (linked from the
        user tools at the top of every admin page)."""
        preference = NotificationPreference.for_user(request.user)
        form = NotificationPreferenceForm(
            request.POST if request.method == "POST" else None, instance=preference
        )
        if form.is_bound and form.is_valid():
            form.save()
            messages.success(request, gettext("Je keuze voor meldingen is opgeslagen."))
            return redirect("admin:notification_preferences")
        return TemplateResponse(
            request,
            "admin/notification_preferences.html",
            {**self.admin_site.each_context(request), "title": _("Meldingen"), "form": form},
        )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("rollen"))
    def roles(self, user):
        return ", ".join(group.name for group in user.groups.all())

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, RoleUserAdmin)
