"""Evidence in the admin: a table on every registration's form, the download, and the
pages for adding to and removing from a record whose form is read-only (a closed year).

The table (``EvidenceInline``) is added to every ``ReportDatedAdmin`` by its
``get_inlines``. Rows are added or deleted, never changed. Files are downloaded only
through ``EvidenceAdmin.download_view``, for those the access rule in ``kpis.evidence``
lets see the evidence; every download is logged in the audit trail ("bekeken").
"""

from urllib.parse import quote

from auditlog.signals import accessed
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.forms import BaseGenericInlineFormSet
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kpis import evidence as access
from kpis.core import file_types
from kpis.models import Evidence

EMPTY = "-"  # as the admin shows an empty value


def person(user) -> str:
    if user is None:
        return EMPTY
    return user.get_full_name() or user.get_username()


def record_change_url(model, pk) -> str | None:
    opts = model._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
    except NoReverseMatch:
        return None


class EvidenceForm(forms.ModelForm):
    """A file (checked by its content and size) or a link, with a description."""

    upload = forms.FileField(
        label=_("Bestand"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ",".join(file_types.EXTENSIONS)}),
        help_text=_(
            "Een PDF, foto of afbeelding, of Office-document; het type volgt uit de inhoud."
        ),
    )

    # People paste links without a scheme (Django 6's default).
    url = Evidence._meta.get_field("url").formfield(assume_scheme="https")

    class Meta:
        model = Evidence
        fields = ("url", "description")
        # The admin's 610 px text box would push the table past a laptop screen.
        widgets = {"description": forms.TextInput(attrs={"size": 24})}

    def clean_upload(self):
        uploaded = self.cleaned_data.get("upload")
        if uploaded:
            self.instance.attach_file(uploaded)
        return uploaded


class EvidenceFormSet(BaseGenericInlineFormSet):
    user = None  # set per request by EvidenceInline.get_formset
    add_elsewhere_url = ""

    def __init__(
        self,
        data=None,
        files=None,
        instance=None,
        save_as_new=False,
        prefix=None,
        queryset=None,
        **kwargs,
    ):
        start = prefix or self.get_default_prefix()
        if data is not None and f"{start}-{TOTAL_FORM_COUNT}" not in data:
            # A record's form posted without the evidence table (a script, a page from
            # before it existed): no evidence added or deleted, instead of a refusal.
            data = data.copy()
            data[f"{start}-{TOTAL_FORM_COUNT}"] = data[f"{start}-{INITIAL_FORM_COUNT}"] = "0"
        super().__init__(data, files, instance, save_as_new, prefix, queryset, **kwargs)

    def save_new(self, form, commit=True):
        form.instance.added_by = self.user
        return super().save_new(form, commit=commit)


class EvidenceDisplay:
    """Read-only columns shared by the table on a record's form and the evidence pages."""

    @admin.display(description=_("bestand"))
    def upload(self, evidence):
        if not evidence.pk or not evidence.file:
            return EMPTY
        file_type = evidence.file_type
        return format_html(
            '<a href="{}">{}</a> <span class="help">({}, {})</span>',
            evidence.download_url(),
            evidence.file_name,
            file_type.label if file_type else evidence.media_type,
            filesizeformat(evidence.size or 0),
        )

    @admin.display(description=_("toegevoegd"))
    def added(self, evidence):
        if not evidence.pk:
            return ""
        moment = date_format(localtime(evidence.created_at), "SHORT_DATETIME_FORMAT")
        return format_html("{}<br>{}", person(evidence.added_by), moment)


class EvidenceInline(EvidenceDisplay, GenericTabularInline):
    """Evidence on a record's form: add files and links, open or delete them."""

    model = Evidence
    form = EvidenceForm
    formset = EvidenceFormSet
    fields = ("upload", "url", "description", "added")
    readonly_fields = ("added",)
    extra = 1
    # "Bekijken": the item's own page, where it can also be deleted (a closed year's too).
    show_change_link = True
    template = "admin/kpis/evidence/inline.html"

    class Media:
        css = {"all": ["kpis/evidence.css"]}

    def has_view_permission(self, request, obj=None):
        return access.may_see_evidence_of(request.user, self.parent_model)

    def parent_is_editable(self, request, obj) -> bool:
        """Whether the record's own form can be saved (not in a closed year, say)."""
        if obj is None or obj.pk is None:
            return True
        parent_admin = self.admin_site.get_model_admin(self.parent_model)
        return parent_admin.has_change_permission(request, obj)

    def has_add_permission(self, request, obj):
        # Through this table only when the record's form is saved; else add_elsewhere_url.
        return access.may_add_evidence_to(
            request.user, self.parent_model
        ) and self.parent_is_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return False  # evidence is added and deleted, never changed

    def has_delete_permission(self, request, obj=None):
        return access.may_remove_evidence_of(request.user, self.parent_model)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("added_by")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.user = request.user
        formset.add_elsewhere_url = self.add_elsewhere_url(request, obj)
        return formset

    def add_elsewhere_url(self, request, obj) -> str:
        """The page for adding evidence when the record's own form is read-only (a closed
        year), for those who may add it; "" otherwise."""
        if self.parent_is_editable(request, obj):
            return ""
        if not access.may_add_evidence_to(request.user, self.parent_model):
            return ""
        opts = self.parent_model._meta
        label = f"{opts.app_label}.{opts.model_name}:{obj.pk}"
        return reverse("admin:kpis_evidence_add") + f"?record={quote(label, safe='.:')}"


@admin.register(Evidence)
class EvidenceAdmin(EvidenceDisplay, admin.ModelAdmin):
    """The evidence pages behind the table on a record's form: the download, adding to a
    record whose form is read-only (``?record=kpis.training:12``), viewing and deleting
    one item. Not on the admin index: people reach it from the record."""

    form = EvidenceForm
    list_display = ("__str__", "record_link", "description", "added")
    list_select_related = ("added_by",)
    search_fields = ("file_name", "url", "description")

    # --- permissions: the access rule of kpis.evidence ---------------------------------

    def get_model_perms(self, request):
        return {"add": False, "change": False, "delete": False, "view": False}

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return access.may_handle_evidence(request.user, "view")
        return access.may_see_evidence_of(request.user, obj.record_model())

    def has_add_permission(self, request):
        # Always to a record (``?record=``): no "add" button on the list.
        return access.may_handle_evidence(request.user, "add") and "record" in request.GET

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return access.may_handle_evidence(request.user, "delete")
        return access.may_remove_evidence_of(request.user, obj.record_model())

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("record")
        return queryset.filter(content_type__in=access.visible_content_types(request.user))

    # --- the pages ---------------------------------------------------------------------

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("upload", "url", "description")
        return ("record_link", "upload", "url", "description", "added")

    @admin.display(description=_("registratie"))
    def record_link(self, evidence):
        record = evidence.record  # prefetched per kind of record (get_queryset)
        if record is None:
            return EMPTY
        model = type(record)
        text = f"{capfirst(model._meta.verbose_name)}: {record}"
        url = record_change_url(model, record.pk)
        return format_html('<a href="{}">{}</a>', url, text) if url else text

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="kpis_evidence_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, pk):
        evidence = access.evidence_for(request.user, pk)
        if not evidence.file:
            raise Http404
        try:
            stored = evidence.file.storage.open(evidence.file.name, "rb")
        except FileNotFoundError:
            raise Http404 from None
        accessed.send(sender=Evidence, instance=evidence)
        file_type = evidence.file_type
        response = FileResponse(
            stored,
            as_attachment=not (file_type and file_type.inline),
            filename=evidence.file_name,
            content_type=evidence.media_type or "application/octet-stream",
        )
        response["Cache-Control"] = "private, no-store"
        return response

    def _record_to_add_to(self, request):
        record = access.record_for(request.GET.get("record", ""))
        if not access.may_add_evidence_to(request.user, type(record)):
            raise PermissionDenied
        return record

    def add_view(self, request, form_url="", extra_context=None):
        record = self._record_to_add_to(request)
        request.evidence_record = record
        title = gettext("Bewijsstuk toevoegen aan %(kind)s ‘%(record)s’") % {
            "kind": record._meta.verbose_name,
            "record": record,
        }
        extra_context = {
            **(extra_context or {}),
            "title": title,
            "subtitle": None,
            # Saving goes back to the record: no "save and add another" or "and continue".
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
        }
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            record = request.evidence_record
            obj.content_type = ContentType.objects.get_for_model(type(record))
            obj.object_id = record.pk
            obj.added_by = request.user
        super().save_model(request, obj, form, change)

    def _back_to_record(self, request, model, pk, message):
        self.message_user(request, message, messages.SUCCESS)
        url = record_change_url(model, pk) if model else None
        return HttpResponseRedirect(url or reverse("admin:index"))

    def response_add(self, request, obj, post_url_continue=None):
        message = gettext("Bewijsstuk ‘%(evidence)s’ is toegevoegd.") % {"evidence": obj}
        return self._back_to_record(request, obj.record_model(), obj.object_id, message)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            request.evidence_of = (obj.record_model(), obj.object_id)
        return super().delete_view(request, object_id, extra_context)

    def response_delete(self, request, obj_display, obj_id):
        model, pk = getattr(request, "evidence_of", (None, None))
        message = gettext("Bewijsstuk ‘%(evidence)s’ is verwijderd.") % {"evidence": obj_display}
        return self._back_to_record(request, model, pk, message)
