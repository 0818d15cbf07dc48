"""Import batches: which file brought which rows, and undoing a batch as a whole.

A batch is made by an import (the fast transport import, or any admin import of
records: ``kpis.core.import_batches``), never by hand, and is not changed afterwards. The
standard delete stays off: it would delete the batch's rows around the closed-year
check. "Ongedaan maken" is the way out instead: a confirmation page that says how many
rows go (and how many changed records stay as they are), refused while one of their
years is closed or a row was changed since, then the rows and the batch itself go in
one transaction, logged in the admin history and the audit trail.
"""

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kpis.admin.closing import ReadOnlyAdmin
from kpis.core import import_batches
from kpis.core.admin import closed_year_error
from kpis.models import ClosedYearError, ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "file_name",
        "model_label",
        "row_count",
        "updated_count",
        "imported_by",
        "imported_at",
        "source",
        "undo_link",
    )
    list_filter = ("model_label", "source")
    list_select_related = ("imported_by",)
    search_fields = ("file_name", "=checksum")
    date_hierarchy = "imported_at"
    fields = (
        "file_name",
        "model_label",
        "row_count",
        "updated_count",
        "skipped_count",
        "checksum",
        "imported_by",
        "imported_at",
        "source",
        "undo_link",
    )
    readonly_fields = ("undo_link",)

    @admin.display(description=_("ongedaan maken"))
    def undo_link(self, batch):
        url = reverse("admin:kpis_importbatch_undo", args=[batch.pk])
        return format_html('<a href="{}">{}</a>', url, _("Ongedaan maken…"))

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/ongedaan-maken/",
                self.admin_site.admin_view(self.undo_view),
                name=f"{prefix}_undo",
            ),
            *super().get_urls(),
        ]

    def has_undo_permission(self, request, batch) -> bool:
        """Delete permission on the kind of records the batch brought."""
        try:
            model = apps.get_model(batch.model_label)
        except (LookupError, ValueError):
            return request.user.is_superuser
        codename = get_permission_codename("delete", model._meta)
        return request.user.has_perm(f"{model._meta.app_label}.{codename}")

    def undo_view(self, request, object_id):
        batch = self.get_object(request, unquote(object_id))
        if batch is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_undo_permission(request, batch):
            raise PermissionDenied
        error = busy = None
        if request.method == "POST":
            # undo_batch checks the years itself, and waits for locks only so long: the
            # page's own counts come after, so that they never hold up the answer.
            try:
                deleted = import_batches.undo_batch(batch)
            except ClosedYearError as refusal:  # closed since the page was shown
                error = refusal
            except import_batches.UndoRefused as refusal:  # changed or needed since
                error = ValidationError(refusal.message)
            except import_batches.DatabaseBusy as refusal:  # a lock held elsewhere
                error = busy = ValidationError(str(refusal))
            except ImportBatch.DoesNotExist:  # undone meanwhile, in another tab
                return HttpResponseRedirect(reverse("admin:kpis_importbatch_changelist"))
            else:
                LogEntry.objects.log_actions(
                    user_id=request.user.pk,
                    queryset=[batch],
                    action_flag=DELETION,
                    change_message=str(
                        _("Importbatch ongedaan gemaakt: %(rows)s rijen verwijderd.")
                        % {"rows": deleted}
                    ),
                    single_object=True,
                )
                self.message_user(
                    request,
                    _("Import '%(name)s' ongedaan gemaakt: %(rows)s rijen verwijderd.")
                    % {"name": batch.file_name, "rows": deleted},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:kpis_importbatch_changelist"))
        counts, years = [], []
        if busy is None:  # while the table is locked the counts would wait as well
            counts = [
                (model._meta.verbose_name_plural, rows.count())
                for model, rows in import_batches.batch_rows_by_model(batch)
            ]
            counts = [(name, count) for name, count in counts if count]
            years = sorted(import_batches.batch_years(batch))
            error = error or closed_year_error(years)
            if error is None:
                changed = import_batches.changed_since(batch)
                if changed:
                    error = ValidationError(import_batches.changed_message(changed))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import ongedaan maken"),
            "batch": batch,
            "counts": counts,
            "total": sum(count for _name, count in counts),
            "years": years,
            "kept": batch.updated_count,
            "error": error.messages[0] if error else None,
        }
        return TemplateResponse(request, "admin/kpis/importbatch/undo.html", context)
