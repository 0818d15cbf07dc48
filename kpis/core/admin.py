"""Building blocks shared by the admins of every app.

The admin is the data-entry screen for advisers, so these pieces carry the habits
every registration form shares: the adviser defaults to whoever is logged in, the
list filters on report year, numbers are typed and shown the Dutch way.
"""

import functools
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path, get_last_value_from_parameters
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ImportForm as PackageImportForm
from import_export.forms import SelectableFieldsExportForm
from import_export.results import RowResult

from kpis.admin.evidence import EvidenceInline
from kpis.core import audit, cells, formats, year_policy
from kpis.core.resources import PREVIEW_ROWS, error_lines
from kpis.core.year_policy import ensure_years_open
from kpis.models import ClosedYearError, Organisation, Registration


def format_euro(amount) -> str:
    """'€ 12.500,00' (with a non-breaking space, so a list cell never splits it)."""
    if amount is None:
        return ""
    return "€\xa0" + number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


YEAR = _("jaar")


def year_column(field: str = "year", description=YEAR):
    """A list column for a year field: "2021", where Django would print "2.021"."""

    @admin.display(description=description, ordering=field)
    def year(obj):
        value = getattr(obj, field)
        return "" if value is None else str(value)

    year.__name__ = f"{field}_column"
    return year


class DutchDecimalField(forms.DecimalField):
    """A decimal as a Dutch person types it: '263.568,50', '263568,50' or '€ 263.568,50'.

    Django's own DecimalField renders as <input type="number"> and only reads the
    Dutch separators when it is localized; this field always is, and tolerates a
    euro sign and spaces pasted along from a spreadsheet. With ``whole_as_integer`` a
    whole number shows without decimals ("50", not "50,00"), as a count should.
    """

    def __init__(self, *, whole_as_integer: bool = False, **kwargs):
        kwargs["localize"] = True
        self.whole_as_integer = whole_as_integer
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if self.whole_as_integer and isinstance(value, Decimal) and value == value.to_integral():
            return int(value)
        return super().prepare_value(value)

    def to_python(self, value):
        if isinstance(value, str):
            value = "".join(value.replace("€", "").split())
        return super().to_python(value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.setdefault("inputmode", "decimal")
        return attrs


class ReportYearFilter(admin.SimpleListFilter):
    """Filter on report year, for any model with a ``report_date_field``.

    Lists only the years that have records, newest first; ``?year=2021`` is the link
    the dashboard uses to show the records behind a figure.
    """

    title = _("verslagjaar")
    parameter_name = "year"
    # The years a date can have (datetime.MINYEAR, datetime.MAXYEAR).
    first_year, last_year = 1, 9999

    def years(self, queryset) -> list[int]:
        return queryset.report_years()

    def in_year(self, queryset, year: int):
        return queryset.in_year(year)

    def lookups(self, request, model_admin):
        years = self.years(model_admin.get_queryset(request))
        return [(str(year), str(year)) for year in sorted(years, reverse=True)]

    def has_output(self):
        # Also when no record has a report date yet: the admin drops a filter without
        # output, and with it the ?year= restriction a dashboard link relies on.
        return bool(self.lookup_choices) or self.value() is not None

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        # "twintig", or a year no date can have (0, -1, 99999999999): the admin turns
        # IncorrectLookupParameters into its usual "?e=1" redirect instead of a 500.
        try:
            year = int(value)
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error
        if not self.first_year <= year <= self.last_year:
            # Checked here, not left to the lookup: a ``__year`` lookup only computes
            # its dates when the list is fetched, after this filter has returned.
            raise IncorrectLookupParameters(f"year {year} out of range")
        try:
            return self.in_year(queryset, year)
        except (ValueError, OverflowError) as error:  # 9999: no 1 January after it
            raise IncorrectLookupParameters(error) from error


class AdviserListFilter(admin.RelatedFieldListFilter):
    """Filter on adviser that lists staff members only, not every account."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, ordering=ordering, limit_choices_to={"is_staff": True}
        )


class RelatedCodeListFilter(admin.FieldListFilter):
    """Filter on a related record by its fixed code: ``?kind__slug__exact=advies``.

    Use it with the path to the code, ``("kind__slug", RelatedCodeListFilter)``.
    Unlike Django's id-based filter its links read well and stay the same in every
    database the data is loaded into, so a figure can declare the link to its records.
    """

    limit_choices_to: dict = {}

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.lookup_kwarg = f"{field_path}__exact"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_val = get_last_value_from_parameters(self.used_parameters, self.lookup_kwarg)
        relation = get_fields_from_path(model, field_path)[-2]
        self.title = relation.verbose_name
        related = field.model._default_manager.filter(**self.limit_choices_to)
        self.lookup_choices = [(getattr(obj, field.attname), str(obj)) for obj in related]

    def expected_parameters(self):
        return [self.lookup_kwarg]

    def has_output(self):
        # A chosen value always applies, even when there is nothing to choose between.
        return len(self.lookup_choices) > 1 or self.lookup_val is not None

    def get_facet_counts(self, pk_attname, filtered_qs):
        return {
            f"{index}__c": models.Count(pk_attname, filter=models.Q(**{self.lookup_kwarg: code}))
            for index, (code, _name) in enumerate(self.lookup_choices)
        }

    def choices(self, changelist):
        facet_counts = self.get_facet_queryset(changelist) if changelist.add_facets else None
        yield {
            "selected": self.lookup_val is None,
            "query_string": changelist.get_query_string(remove=[self.lookup_kwarg]),
            "display": _("Alle"),
        }
        for index, (code, name) in enumerate(self.lookup_choices):
            if facet_counts is not None:
                name = f"{name} ({facet_counts[f'{index}__c']})"
            yield {
                "selected": self.lookup_val == code,
                "query_string": changelist.get_query_string({self.lookup_kwarg: code}),
                "display": name,
            }


class LibraryListFilter(RelatedCodeListFilter):
    """Filter on an organisation by its code, listing libraries only.

    For example ``("origin__code", LibraryListFilter)``: ``?origin__code__exact=fmb``.
    """

    limit_choices_to = {"kind": Organisation.Kind.LIBRARY}


# list_filter entries most registrations share.
ADVISER_FILTER = ("adviser", AdviserListFilter)
THEMES_FILTER = ("themes__slug", RelatedCodeListFilter)
ORGANISATIONS_FILTER = ("organisations__code", RelatedCodeListFilter)


def closed_year_error(years) -> ClosedYearError | None:
    try:
        ensure_years_open(years)
    except ClosedYearError as error:
        return error
    return None


class ClosedYearInlineFormSet(BaseInlineFormSet):
    """Inline rows of a closed year: unchanged ones stay as they are, deleting one is refused.

    Without this, every save of the parent would re-validate the untouched rows of a
    closed year and fail on them, and a ticked "verwijderen" would end in an error page.
    """

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if i < self.initial_form_count():
            # An existing row without changes is skipped by validation and by save.
            form.empty_permitted = True
        return form

    def clean(self):
        super().clean()
        field = self.model.report_date_field
        years = {form.initial[field].year for form in self.deleted_forms if form.initial.get(field)}
        error = closed_year_error(years)
        if error:
            raise ValidationError(error.messages)


class ReportDatedInline(admin.TabularInline):
    """Rows of a report-dated model inside the form of their (report-dated) parent.

    Read-only while the parent's own year is closed, as the parent's form is then.
    """

    formset = ClosedYearInlineFormSet

    def parent_is_closed(self, parent) -> bool:
        parent_admin = self.admin_site.get_model_admin(self.parent_model)
        return bool(parent_admin.closed_year_error(parent))

    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and not self.parent_is_closed(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self.parent_is_closed(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self.parent_is_closed(obj)


class ReportDatedAdmin(admin.ModelAdmin):
    """Admin for a model whose ``report_date_field`` decides its report year.

    Subclasses put ``ReportYearFilter`` first in ``list_filter``; the date drill-down
    at the top of the list always follows the report date.

    A record of a closed year opens read-only, with the reason on top, and cannot be
    deleted, alone or in a bulk action; the models refuse such writes anyway, this
    turns the refusal into something a person sees before trying.
    """

    list_per_page = 50
    # Summed at the foot of the list for the filtered rows, next to their count: model
    # fields, or (field, list column) where the column shows the field differently.
    list_totals: tuple = ()
    formfield_overrides = {
        models.DecimalField: {"form_class": DutchDecimalField},
        # Django 6 default; people paste links without a scheme.
        models.URLField: {"assume_scheme": "https"},
    }

    @property
    def date_hierarchy(self):
        return self.model.report_date_field

    def get_inlines(self, request, obj):
        # Every registration can carry evidence (files, links); see kpis/admin/evidence.py.
        return [*super().get_inlines(request, obj), EvidenceInline]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            # Read by admin/change_list_results.html as the table's foot row.
            changelist.totals = self.totals_row(changelist)
        return response

    def totals_row(self, changelist) -> list[dict]:
        """The foot row of the list: how many rows the filters give, and the sum of
        each ``list_totals`` field over all of them (not just this page), in one query."""
        columns = dict(
            (entry, entry) if isinstance(entry, str) else entry for entry in self.list_totals
        )
        sums = {field: models.Sum(field) for field in columns}
        totals = changelist.queryset.aggregate(rows=models.Count("pk"), **sums)
        cells = [{"text": "", "css": ""} for _column in changelist.list_display]
        placed = {column: field for field, column in columns.items()}
        label_at = None
        for index, column in enumerate(changelist.list_display):
            if column in placed:
                field = placed[column]
                text = self.total_text(field, totals[field])
                cells[index] = {"text": text, "css": "total-number"}
            elif label_at is None and column != "action_checkbox":
                label_at = index
        count = number_format(totals["rows"], use_l10n=True, force_grouping=True)
        label = ngettext("Totaal (%(count)s rij)", "Totaal (%(count)s rijen)", totals["rows"])
        label %= {"count": count}
        if label_at is not None:
            cells[label_at] = {"text": label, "css": "total-label"}
        return cells

    def total_text(self, field: str, total) -> str:
        if isinstance(self.model._meta.get_field(field), models.DecimalField):
            return format_euro(total or 0)
        return number_format(total or 0, use_l10n=True, force_grouping=True)

    def get_deletion_years(self, obj) -> set[int]:
        """Report years that deleting ``obj`` touches besides its own (cascades)."""
        return set()

    def closed_year_error(self, obj, *, deleting=False) -> ClosedYearError | None:
        """Why ``obj`` (as stored) may not change: a closed year it counts in (for a
        stock every year it is open), asked of the year policy."""
        if obj is None or obj.pk is None:
            return None
        # Asked several times per page: remember the answer on the object.
        cache = obj.__dict__.setdefault("_admin_closed_year_errors", {})
        if deleting not in cache:
            stored = obj._stored_values() or obj._rule_values()
            try:
                year_policy.ensure_spans_open(year_policy.spans(type(obj), stored))
                if deleting:
                    ensure_years_open(self.get_deletion_years(obj))
                cache[deleting] = None
            except ClosedYearError as error:
                cache[deleting] = error
        return cache[deleting]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and not self.closed_year_error(obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and not self.closed_year_error(obj, deleting=True)

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        error = next(filter(None, (self.closed_year_error(o, deleting=True) for o in objs)), None)
        if error:
            # Listed as what the user may not delete; the admin then refuses the POST.
            perms_needed.add(error.messages[0])
        return to_delete, model_count, perms_needed, protected

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        error = self.closed_year_error(obj)
        if error and request.method == "GET":
            self.message_user(request, error.messages[0], messages.WARNING)
        return super().render_change_form(request, context, add, change, form_url, obj)


class FigureReferenceAdmin(admin.ModelAdmin):
    """Admin for reference data that figures read through (``FigureReference``).

    A change that would recount a closed year is refused on the form (the model's
    ``clean``); a deletion that would is listed as what may not be deleted, so the
    admin refuses it before anything happens, alone or in a bulk action.
    """

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if not protected:
            pks = [obj.pk for obj in objs]
            deletion = self.model._base_manager.filter(pk__in=pks)
            try:
                # the plain QuerySet.delete: the trial itself does the checking
                year_policy.guard_reference_write(
                    functools.partial(models.QuerySet.delete, deletion), keep=False
                )
            except ClosedYearError as error:
                perms_needed.add(error.messages[0])
        return to_delete, model_count, perms_needed, protected


# The fields every registration shares, as the last group of its form.
REGISTRATION_FIELDSET = (
    _("Registratie"),
    {"fields": ("adviser", "themes", "notes")},
)


class RegistrationAdmin(ReportDatedAdmin):
    """Admin for work an adviser registers (models subclassing ``Registration``).

    The adviser defaults to the logged-in user: on the add form, and on saving a new
    record (inline rows included) whose adviser was left empty. Subclasses extend
    ``autocomplete_fields`` with their own relations and end their ``fieldsets`` with
    REGISTRATION_FIELDSET.
    """

    autocomplete_fields = ("adviser", "themes")

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("adviser", request.user.pk)
        return initial

    def save_model(self, request, obj, form, change):
        # Only new records: editing someone else's record must not make you its adviser.
        if not change and obj.adviser_id is None:
            obj.adviser = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            if isinstance(obj, Registration) and obj.pk is None and obj.adviser_id is None:
                obj.adviser = request.user
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


# --- import and export of files ---------------------------------------------------------


class ImportForm(PackageImportForm):
    """The upload form, refusing a file over ``BNF_IMPORT_MAX_BYTES`` before it is read."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            cells.check_size(upload.size)
        except cells.FileRefused as refusal:
            raise ValidationError(str(refusal)) from None
        return upload


class ExportForm(SelectableFieldsExportForm):
    """The export form, with each column's label next to its name in the file."""

    def _get_field_label(self, resource, field_name):
        field = resource._meta.model._meta.get_field(field_name)
        return f"{capfirst(field.verbose_name)} ({resource.fields[field_name].column_name})"


class ImportExportAdmin(ImportExportMixin):
    """CSV and XLSX import and export in an admin list, with the model's resource.

    Put it before the admin base class and name the resource::

        class ChannelPostAdmin(ImportExportAdmin, RegistrationAdmin):
            resource_classes = [ChannelPostResource]

    Importing is django-import-export's two steps: the file is checked and previewed
    (nothing saved), then confirmed. Whatever step finds an error, nothing is saved:
    also the confirmation rolls back on a row error (the data may have changed since
    the preview, a year may have been closed). Importing needs the add and change
    permission of the model, exporting the view permission.
    """

    # Reading goes through kpis.core.cells (formats.CSV/XLSX); writing is import-export's own.
    import_formats = (formats.CSV, formats.XLSX)
    export_formats = (base_formats.CSV, base_formats.XLSX)
    import_template_name = "admin/import_export/bnf_import.html"
    export_template_name = "admin/import_export/bnf_export.html"
    import_form_class = ImportForm
    export_form_class = ExportForm
    to_encoding = "utf-8-sig"  # with a BOM Excel reads the file as UTF-8 (accents intact)

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True
        kwargs["source"] = "admin"  # the ImportBatch's "via" (kpis.core.import_batches)
        return kwargs

    def write_to_tmp_storage(self, import_file, input_format):
        """import-export's, without adding the chunks up one by one (quadratic in size)."""
        tmp_storage = self.get_tmp_storage_class()(
            encoding=None,
            read_mode=input_format.get_read_mode(),
            **self.get_tmp_storage_class_kwargs(),
        )
        tmp_storage.save(b"".join(import_file.chunks()))
        return tmp_storage

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, cells.FileRefused):
            form.add_error("import_file", str(e))
            return
        form.add_error(
            "import_file",
            gettext("Het bestand kon niet worden gelezen (%(error)s).")
            % {"error": type(e).__name__},
        )

    @audit.imports_files
    def process_import(self, request, **kwargs):
        return super().process_import(request, **kwargs)

    @audit.imports_files
    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        if isinstance(response, TemplateResponse):
            self.add_import_context(request, response.context_data)
        return response

    def add_import_context(self, request, context):
        resource_class = self.get_import_resource_classes(request)[0]
        context["columns"] = resource_class.column_help()
        context["preview_rows"] = PREVIEW_ROWS
        context["max_size"] = cells.megabytes(cells.max_bytes()) if cells.max_bytes() else ""
        result = context.get("result")
        if result is not None:
            context["error_lines"] = error_lines(result, resource_class.columns_by_field())
            context["totals"] = result.totals
            context["encoding"] = getattr(result, "encoding_label", "")

    def process_result(self, result, request):
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        # Rolled back: show what went wrong, with the form to try again.
        form = self.get_import_form_class(request)(
            self.get_import_formats(), self.get_import_resource_classes(request)
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Importeren"),
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
            "result": result,
            "import_error_display": self.import_error_display,
        }
        self.add_import_context(request, context)
        messages.error(request, _("Er is niets geïmporteerd."))
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    def add_success_message(self, result, request):
        totals = result.totals
        messages.success(
            request,
            gettext(
                "Import klaar: %(new)s nieuw, %(update)s bijgewerkt, %(skip)s ongewijzigd "
                "(%(what)s)."
            )
            % {
                "new": totals[RowResult.IMPORT_TYPE_NEW],
                "update": totals[RowResult.IMPORT_TYPE_UPDATE],
                "skip": totals[RowResult.IMPORT_TYPE_SKIP],
                "what": self.model._meta.verbose_name_plural,
            },
        )

    def generate_log_entries(self, result, request):
        """One entry in Django's admin history for the whole import, not one per record.

        The audit trail (``kpis.core.audit.log_import_result``) already holds an entry per
        record with its values, the importer and the file; an admin history entry per
        row on top of that cost more time than the import itself. This one says who
        imported which file with how many new, changed and unchanged rows, under the
        model, without a record of its own (so no link in "recent actions").
        """
        if self.get_skip_admin_log():
            return
        totals = result.totals
        new, changed = totals[RowResult.IMPORT_TYPE_NEW], totals[RowResult.IMPORT_TYPE_UPDATE]
        if not (new or changed):
            return
        file_name = getattr(result, "file_name", None) or gettext("een bestand")
        message = gettext(
            "Import van %(file)s: %(new)s nieuw, %(update)s bijgewerkt, %(skip)s ongewijzigd; "
            "per record in de audittrail."
        ) % {
            "file": file_name,
            "new": new,
            "update": changed,
            "skip": totals[RowResult.IMPORT_TYPE_SKIP],
        }
        LogEntry.objects.create(
            user_id=request.user.pk,
            content_type=ContentType.objects.get_for_model(self.model),
            object_id=None,
            object_repr=file_name[: LogEntry._meta.get_field("object_repr").max_length],
            action_flag=ADDITION if new else CHANGE,
            change_message=message,
        )
