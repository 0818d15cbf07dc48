"""The base of every import/export resource: one file format, checked row by row.

A resource maps one model to a spreadsheet: one column per field, headed by a Dutch
name (``datum``, ``bedrag``; ``column_name``), related records by their fixed code.
Subclasses of ``BnfResource`` only declare their model, columns, the Dutch names that
``COLUMN_NAMES`` does not give (``column_names``) and the columns that identify a record
(``import_id_fields``); everything else is shared here:

- a file may head its columns with the Dutch name, the field's own (English) name that
  files had before (``published_on``), or the field's label (``geplaatst op``), in any
  case, with spaces or underscores (``kpis.core.cells.header_key``);

- every row is validated like a form would (field validators, the model's
  ``clean()`` with the closed-year check, constraints) and errors are reported per
  row and column, in Dutch;
- a row that matches an existing record by its identifying columns updates it, or
  is skipped when nothing changed, so importing the same file twice changes nothing;
- the whole file is one transaction (``IMPORT_EXPORT_USE_TRANSACTIONS``): one bad row
  and nothing is written;
- two rows of one file for the same record (the same ``import_id_fields``) are refused,
  naming both rows;
- every lookup that would cost a query per row (existing records, related codes,
  closed years, uniqueness) is done once per file, so a file of tens of thousands of
  rows imports in seconds;
- exported text cells never start a spreadsheet formula (``neutralise_formula``).
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import operator
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import connections, models, router
from django.db.models import DEFERRED, CheckConstraint, UniqueConstraint
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext as _
from import_export import resources
from import_export.fields import Field
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import RowResult

from kpis.core import audit, cells, checked_imports, widgets, year_policy
from kpis.core.cells import neutralise_formula

PREVIEW_ROWS = 100
"""The preview shows this many rows in full; the counts cover the whole file."""

IN_CHUNK = 500
"""Values per ``__in`` query when looking up the records a file refers to."""

WRITE_BATCH = 1000
"""Rows per query where records are not written with ``COPY`` (updates, SQLite)."""

COLUMN_NAMES = {
    "adviser": "adviseur",
    "channel": "kanaal",
    "code": "code",
    "description": "omschrijving",
    "ended_on": "afgerond op",
    "kind": "soort",
    "likes": "likes",
    "name": "naam",
    "notes": "notities",
    "organisation": "organisatie",
    "organisations": "organisaties",
    "participants": "deelnemers",
    "slug": "code",
    "started_on": "gestart op",
    "status": "status",
    "themes": "opgaven",
    "title": "titel",
    "url": "link",
    "views": "views",
}
"""The Dutch column of a field name that several models share; a resource names the
rest in ``column_names``. The convention, shared with the fast transport import
(``datum``, ``van``, ``naar``, ``aantal``): lower case Dutch words separated by a
space; the date that decides the report year is ``datum`` where it is the record's only
date, otherwise the event (``aangevraagd op``). Like a figure's key, a column name is
part of every file people keep: never rename one (add the old name to the aliases)."""


def natural_key_fields(model) -> tuple[str, str | None]:
    """The column a file uses for a record of ``model``, and an alternative it accepts.

    Users by username; otherwise the first unique of ``code``, ``slug``, ``name``, with
    the unique name accepted as well (``FlevoMeer Bibliotheek`` for ``fmb``).
    """
    if model is get_user_model():
        return model.USERNAME_FIELD, None
    unique = set()
    for name in ("code", "slug", "name"):
        try:
            if model._meta.get_field(name).unique:
                unique.add(name)
        except FieldDoesNotExist:
            continue
    for name in ("code", "slug", "name"):
        if name in unique:
            return name, ("name" if name != "name" and "name" in unique else None)
    raise TypeError(f"{model._meta.label} has no code, slug or unique name to refer to it by.")


def widget_for(django_field):
    """The widget for a model field: strict numbers and dates, related records by code."""
    if django_field.many_to_many:
        return widgets.NaturalKeysWidget(
            django_field.related_model, *natural_key_fields(django_field.related_model)
        )
    if django_field.many_to_one:
        return widgets.NaturalKeyWidget(
            django_field.related_model, *natural_key_fields(django_field.related_model)
        )
    if django_field.choices:
        return widgets.ChoiceWidget(django_field.choices)
    if isinstance(django_field, models.DateTimeField):
        raise TypeError(f"{django_field} : date-times are not part of any import.")
    if isinstance(django_field, models.DateField):
        return widgets.DateWidget()
    if isinstance(django_field, models.DecimalField):
        return widgets.DecimalWidget()
    if isinstance(django_field, models.IntegerField):
        return widgets.IntegerWidget()
    if isinstance(django_field, models.BooleanField):
        return widgets.BooleanWidget()
    return widgets.TextWidget()


class NaturalKeyInstanceLoader(BaseInstanceLoader):
    """Finds the existing records a file describes, for the whole file at once.

    A row describes an existing record when its ``import_id_fields`` columns match that
    record's values. One query per ``IN_CHUNK`` distinct values of one of those columns
    (preferably a date) replaces Django's query per row; the records' many-to-many
    values come along (``_import_m2m_stored``: field name -> ids), so an unchanged row
    is recognised without further queries. Each identifying cell is read once per
    distinct text (as the rows themselves read it, but from that cell alone), and the
    other columns only in the rows that share the narrowing value with a record: none
    in a file of new records.
    """

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        fields = [resource.fields[name] for name in resource.get_import_id_fields()]
        self.columns = [field.column_name for field in fields]
        self.by_row_key = {}
        headers = dataset.headers if dataset is not None else None
        if not headers or any(column not in headers for column in self.columns):
            return  # reported by the resource: a file without them cannot be imported
        if getattr(resource, "checked", None) is not None:
            return  # its preview found every row new, and nothing has changed since

        model = resource._meta.model
        attnames = [model._meta.get_field(field.attribute).attname for field in fields]
        positions = [headers.index(column) for column in self.columns]
        read = [{} for _field in fields]  # per identifying column: cell -> its value

        def value_of(index, cell):
            values = read[index]
            if cell not in values:
                try:
                    value = fields[index].clean({self.columns[index]: cell})
                    values[cell] = _comparable(value)
                except ValueError:
                    values[cell] = _INVALID  # the row reports its own error
            return values[cell]

        # Narrow the query on a date column if there is one: it spreads best.
        narrow = next(
            (i for i, f in enumerate(fields) if isinstance(f.widget, widgets.DateWidget)), 0
        )
        for values in dataset:
            value_of(narrow, values[positions[narrow]])
        found = {}
        keys = sorted((value for value in read[narrow].values() if value is not _INVALID), key=str)
        for chunk in chunks(keys):
            lookup = {f"{attnames[narrow]}__in": chunk}
            for instance in resource.get_queryset().filter(**lookup):
                found[tuple(getattr(instance, attname) for attname in attnames)] = instance
        if not found:
            return  # every row is new: no need to read the other columns here
        # Only rows that share that value with a record can describe one.
        shared = {key[narrow] for key in found}
        for values in dataset:
            cells = tuple(values[position] for position in positions)
            if cells in self.by_row_key or read[narrow][cells[narrow]] not in shared:
                continue
            key = tuple(value_of(index, cell) for index, cell in enumerate(cells))
            if key in found:
                self.by_row_key[cells] = found[key]
        self.load_m2m(model, resource.m2m_names, list(self.by_row_key.values()))

    @staticmethod
    def load_m2m(model, names, instances):
        by_pk = {instance.pk: instance for instance in instances}
        for instance in instances:
            instance._import_m2m_stored = {name: set() for name in names}
        for name in names:
            field = model._meta.get_field(name)
            through = field.remote_field.through
            source, target = field.m2m_column_name(), field.m2m_reverse_name()
            for chunk in chunks(list(by_pk)):
                links = through.objects.filter(**{f"{source}__in": chunk})
                for pk, related_pk in links.values_list(source, target):
                    by_pk[pk]._import_m2m_stored[name].add(related_pk)

    def get_instance(self, row):
        return self.by_row_key.get(tuple(row.get(column) for column in self.columns))


def new_record_values(model) -> tuple[list, list]:
    """What ``model()`` gives each column, for ``model(*values)``: the default of each
    concrete field where it is the same every time, and ``(index, get_default)`` for
    the fields whose default is made anew for each record (a callable, a database
    default). A generated column is left to the database (``DEFERRED``), as ``model()``
    leaves it."""
    values, made = [], []
    for index, field in enumerate(model._meta.concrete_fields):
        if field.generated:
            values.append(DEFERRED)
            continue
        if (field.has_default() and callable(field.default)) or field.has_db_default():
            made.append((index, field.get_default))
            values.append(None)
        else:
            values.append(field.get_default())
    return values, made


_INVALID = object()  # a cell its widget refuses


def chunks(values: list):
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def _comparable(value):
    """A cleaned cell as the database stores it: related records by their id."""
    return value.pk if isinstance(value, models.Model) else value


class Column(Field):
    """import-export's field for one column, reading a cell with less work per row.

    ``Field.clean`` is asked for every cell of every row (twice: preview and
    confirmation); this one gives the same value (``tests/test_import_export.py``)
    but checks for an empty cell only where the field has a default to put there.
    """

    def clean(self, row, **kwargs):
        try:
            value = row[self.column_name]
        except KeyError:
            return super().clean(row, **kwargs)  # import-export's own message
        value = self.widget.clean(value, row=row, **kwargs)
        default = self.default
        if default is NOT_PROVIDED or not (value is None or value == ""):
            return value
        return default() if callable(default) else default


class UniqueCheck:
    """One set of fields whose values no two records may share."""

    def __init__(self, model, fields: tuple[str, ...], constraint=None):
        self.model = model
        self.fields = fields
        self.field_set = frozenset(fields)
        self.attnames = tuple(model._meta.get_field(name).attname for name in fields)
        self.constraint = constraint

    def message(self, instance) -> ValidationError:
        if self.constraint is not None:
            return ValidationError(self.constraint.get_violation_error_message())
        return instance.unique_error_message(self.model, self.fields)


def unique_checks(model) -> list[UniqueCheck]:
    checks = [
        UniqueCheck(model, (field.name,))
        for field in model._meta.concrete_fields
        if field.unique and not field.primary_key
    ]
    checks += [UniqueCheck(model, tuple(fields)) for fields in model._meta.unique_together]
    checks += [
        UniqueCheck(model, tuple(constraint.fields), constraint)
        for constraint in model._meta.constraints
        if isinstance(constraint, UniqueConstraint)
        and constraint.fields
        and constraint.condition is None
        and not constraint.expressions
    ]
    return checks


# --- the resource ---------------------------------------------------------------------


class BnfResource(resources.ModelResource):
    """A model as a spreadsheet: columns named after the fields, records by natural key.

    Subclasses set ``Meta.model``, ``Meta.fields`` (the columns, in order) and
    ``Meta.import_id_fields`` (the columns that identify a record, so a second import
    of the same file updates or skips instead of adding).
    """

    class Meta:
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        # Unchanged rows and the preview are worked out here from a cheap snapshot of
        # each existing record, instead of import-export's copy and diff of every row.
        skip_diff = True
        use_bulk = True
        # Every record is written after the last row is checked, in one go per kind of
        # write (``bulk_create``): a constant number of queries, whatever the size.
        batch_size = None
        chunk_size = 2000  # rows per query (and prefetch) when exporting
        instance_loader_class = NaturalKeyInstanceLoader

    column_names: dict[str, str] = {}
    """Dutch column names of this resource's fields that ``COLUMN_NAMES`` lacks."""

    column_meanings: dict[str, str] = {}
    """A field's meaning in the column help where its ``help_text`` fits the form only."""

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        column = cls.column_names.get(field_name) or COLUMN_NAMES.get(field_name)
        if column is None:
            raise TypeError(
                f"{cls.__name__}: give the field '{field_name}' a Dutch column name "
                "(column_names, or COLUMN_NAMES in kpis.core.resources)."
            )
        return Column(
            attribute=field_name,
            column_name=column,
            widget=widget_for(django_field),
            readonly=readonly,
            default=django_field.default,
        )

    @classmethod
    def header_aliases(cls) -> dict[str, str]:
        """Every header a file may use (as ``cells.header_key``) -> its column name.

        The Dutch name, the field's own name (what files were headed with before) and its
        label. A label or field name that two columns share is left out: only the Dutch
        name can tell them apart then.
        """
        model = cls._meta.model
        aliases, taken = {}, {}
        fields = list(cls.fields.items())
        for _name, field in fields:
            aliases[cells.header_key(field.column_name)] = field.column_name
        for name, field in fields:
            for other in (name, model._meta.get_field(name).verbose_name):
                key = cells.header_key(other)
                if key in aliases and aliases[key] != field.column_name:
                    continue  # another column's Dutch name, or already ambiguous
                taken.setdefault(key, set()).add(field.column_name)
        for key, columns in taken.items():
            if len(columns) == 1:
                aliases.setdefault(key, next(iter(columns)))
        return aliases

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        model = self._meta.model
        self.m2m_names = [
            name for name, field in self.fields.items() if model._meta.get_field(name).many_to_many
        ]
        self.fk_names = [
            name for name, field in self.fields.items() if model._meta.get_field(name).many_to_one
        ]
        self.unique_checks = unique_checks(model)
        id_fields = tuple(self._meta.import_id_fields)
        if not any(set(check.fields) == set(id_fields) for check in self.unique_checks):
            # Two rows for one record: without a constraint both would become records.
            self.unique_checks.append(UniqueCheck(model, id_fields))
        self.column_of = {name: field.column_name for name, field in self.fields.items()}
        self.attnames = {}  # field name or attname -> attname, for constraint conditions
        for field in model._meta.concrete_fields:
            self.attnames[field.name] = self.attnames[field.attname] = field.attname
        self.check_constraints_declared = [
            constraint
            for constraint in model._meta.constraints
            if isinstance(constraint, CheckConstraint)
        ]
        self.validated_fields = [
            field for field in model._meta.concrete_fields if not field.generated
        ]
        # What a preview keeps of a new record for its confirmation (checked_imports): the
        # values of the fields ``validated_fields`` holds, by their place in ``model()``.
        kept = [
            (index, field.attname)
            for index, field in enumerate(model._meta.concrete_fields)
            if not field.generated
        ]
        self.kept_positions = [index for index, _attname in kept]
        self.kept_attnames = [attname for _index, attname in kept]
        # attrgetter of several names gives a tuple; the id and one field are the least
        self.kept_values = operator.attrgetter(*self.kept_attnames)
        self.write_db = router.db_for_write(model)
        self._import_fields = super().get_import_fields()
        self._new_values, self._new_made = new_record_values(model)
        self.import_user = self.file_name = None
        self.dry_run = False
        self._reset()

    def _reset(self):
        self.row_number = None
        self.current = None
        self.checks_state = self.checked = self.kept = None
        self.made_again, self.related = [], {}  # of a confirmation that uses its preview
        self.seen = defaultdict(dict)
        self.valid_values = set()
        for field in self.fields.values():
            if hasattr(field.widget, "reset"):
                field.widget.reset()  # codes and dates are looked up once per file

    # -- reading the file ---------------------------------------------------------------

    @classmethod
    def column_help(cls) -> list[dict]:
        """Each column as the import page explains it: ``name``, ``meaning``, ``hint`` (how
        to write it, with an example), ``identifies`` (part of the record's identity) and
        ``also`` (the other headers a file may use for it)."""
        model = cls._meta.model
        aliases = cls.header_aliases()
        rows = []
        for name in cls().get_import_order():
            field = model._meta.get_field(name)
            column = cls.fields[name].column_name
            meaning = cls.column_meanings.get(name) or field.help_text
            text = f"{capfirst(field.verbose_name)}: {meaning}".rstrip(": ")
            hint = column_format(field)
            identifies = name in cls._meta.import_id_fields
            if identifies:
                hint += " " + _(
                    "Bepaalt samen met de andere vetgedrukte kolommen welk record het is."
                )
            also = sorted(
                {
                    str(other)
                    for other in (name, field.verbose_name)
                    if aliases.get(cells.header_key(other)) == column
                    and cells.header_key(other) != cells.header_key(column)
                }
            )
            rows.append(
                {
                    "name": column,
                    "meaning": text,
                    "hint": hint.strip(),
                    "identifies": identifies,
                    "also": also,
                }
            )
        return rows

    @classmethod
    def columns_by_field(cls) -> dict[str, str]:
        """Field name -> the column it is in a file (for messages)."""
        return {name: field.column_name for name, field in cls.fields.items()}

    def import_data(self, dataset, *args, **kwargs):
        """import-export's import, with Python's cyclic garbage collector paused and the
        closed years read once.

        An import keeps every row's instance and result alive until it ends; with tens
        of thousands of rows the collector's full passes over that growing heap cost
        up to a fifth of the import, and find nothing to free (the rows are no cycles;
        reference counting frees the rest as usual). See ``cyclic_gc_paused``. The
        closed years are what each row's ``clean()`` checks its dates against
        (``year_policy.closed_years_known``): one query per file, not one per row.
        """
        self.dry_run = kwargs.get("dry_run", args[0] if args else False)
        with cyclic_gc_paused(), year_policy.closed_years_known(year_policy.closed_years()):
            return super().import_data(dataset, *args, **kwargs)

    def before_import(self, dataset, **kwargs):
        self._reset()
        self.import_user = kwargs.get("user")
        self.file_name = kwargs.get("file_name")
        self.inspection = getattr(dataset, "inspection", None)  # kpis.core.formats
        self._check_headers(dataset)
        if checked_imports.applies(dataset, self.import_user):
            # Before the first row: what the checks depend on (kpis.core.checked_imports).
            self.checks_state = checked_imports.state(self)
            if self.dry_run:
                self.kept = ([], [])
            else:
                self.checked = self.checked_rows(dataset)

    # -- a confirmation after its preview (kpis.core.checked_imports) ---------------------

    def checked_rows(self, dataset):
        """What the preview of this file kept, ready to write, or ``None``."""
        checked = checked_imports.take(self, dataset, self.import_user, self.checks_state)
        if checked is None:
            return None
        model = self._meta.model
        related = {}
        for name in self.m2m_names:
            wanted = {pk for links in checked.m2m for pk in links.get(name, ())}
            if wanted:
                found = model._meta.get_field(name).related_model._base_manager.in_bulk(wanted)
                if len(found) != len(wanted):
                    return None
                related[name] = found
        in_file = {
            model._meta.get_field(field.attribute).attname
            for field in self._import_fields
            if field.column_name in dataset.headers and field.attribute not in self.m2m_names
        }
        concrete = model._meta.concrete_fields
        # A default made anew for each record (a moment, a random code) is made again.
        self.made_again = [
            (index, default)
            for index, default in self._new_made
            if concrete[index].attname not in in_file
        ]
        self.related = related
        return checked

    def import_row(self, row, instance_loader, **kwargs):
        if self.checked is not None:
            return self.import_checked_row(row, **kwargs)
        row_result = super().import_row(row, instance_loader, **kwargs)
        if self.kept is not None:
            if row_result.import_type == RowResult.IMPORT_TYPE_NEW:
                instance = self.current
                self.kept[0].append(self.kept_values(instance))
                self.kept[1].append(
                    {name: [obj.pk for obj in objs] for name, objs in instance._import_m2m.items()}
                    if instance._import_m2m
                    else {}
                )
            else:
                self.kept = None  # a change, an unchanged row or an error: check again
        return row_result

    def import_checked_row(self, row, **kwargs):
        """A new record of the preview written as the preview found it."""
        number = kwargs["row_number"]
        values = self._new_values.copy()
        for position, value in zip(self.kept_positions, self.checked.rows[number - 1], strict=True):
            values[position] = value
        for index, default in self.made_again:
            values[index] = default()
        instance = self._meta.model(*values)
        instance._import_m2m = {
            name: [self.related[name][pk] for pk in pks]
            for name, pks in self.checked.m2m[number - 1].items()
        }
        self.row_number, self.current = number, instance
        self.save_instance(instance, True, row, **kwargs)
        row_result = self.get_row_result_class()()
        row_result.import_type = RowResult.IMPORT_TYPE_NEW
        row_result.add_instance_info(instance)
        if kwargs.get("retain_instance_in_row_result") or self._meta.store_instance:
            row_result.instance = instance
        return row_result

    def _check_headers(self, dataset):
        """Each header to its column name (Dutch, or what files used before); refused when
        a column is unknown, twice there, or one that identifies a record is missing."""
        aliases = self.header_aliases()
        while len(dataset) and all(cells.is_empty(value) for value in dataset[-1]):
            dataset.pop()  # empty lines a spreadsheet leaves at the end
        problems, headers, found = [], [], {}
        for index, raw in enumerate(dataset.headers):
            written = cells.text(raw)
            column = aliases.get(cells.header_key(raw))
            headers.append(column or written)
            if not written:
                if any(not cells.is_empty(v) for v in dataset.get_col(index)):
                    problems.append(_("Kolom %(number)s heeft geen kop.") % {"number": index + 1})
            elif column is None:
                problems.append(_("Onbekende kolom '%(name)s'.") % {"name": cells.shown(written)})
            elif column in found:
                problems.append(
                    _("De kolom '%(name)s' staat er twee keer (als '%(one)s' en '%(other)s').")
                    % {"name": column, "one": found[column], "other": written}
                )
            else:
                found[column] = written
        missing = [
            self.fields[name].column_name
            for name in self.get_import_id_fields()
            if self.fields[name].column_name not in found
        ]
        if missing:
            problems.append(
                _("De kolommen %(names)s ontbreken; ze bepalen welk record een rij is.")
                % {"names": ", ".join(f"'{name}'" for name in missing)}
            )
        dataset.headers = headers
        if problems:
            del dataset[:]  # no point checking rows against the wrong columns
            problems.append(
                _("De kolommen heten: %(names)s.")
                % {"names": ", ".join(f.column_name for f in self.get_import_fields())}
            )
            raise ValueError(" ".join(problems))

    def before_import_row(self, row, **kwargs):
        self.row_number = kwargs.get("row_number")

    def after_init_instance(self, instance, new, row, **kwargs):
        self.current = instance
        if not new:
            instance._import_original = self.snapshot(instance)
            if (self.row_number or 0) <= PREVIEW_ROWS:
                instance._import_original_cells = self.preview_values(instance)
        elif (
            "adviser" in self.fields
            and self.fields["adviser"].column_name not in row
            and self.import_user is not None
        ):
            # As in the admin form: without an adviser column, new records are yours.
            instance.adviser = self.import_user

    def get_import_fields(self):
        return self._import_fields  # asked for every row: worked out once, in __init__

    def init_instance(self, row=None):
        """A new record with its fields' defaults, as ``Model()`` makes it, but with the
        defaults that are the same every time worked out once (``new_record_values``)."""
        values = self._new_values.copy()
        for index, default in self._new_made:
            values[index] = default()
        return self._meta.model(*values)

    def import_instance(self, instance, row, **kwargs):
        """Each cell through its widget; a refused cell becomes an error of its column.

        Many-to-many values are kept on the instance (``_import_m2m``) for the save:
        they are checked now, with the other cells, and written after the record.
        """
        errors = {}
        instance._import_m2m = {}
        for field in self._import_fields:
            if field.readonly or field.column_name not in row:
                continue
            try:
                value = field.clean(row)
            except ValueError as error:
                errors[field.attribute] = [ValidationError(str(error), code="invalid")]
                continue
            if field.attribute in self.m2m_names:
                instance._import_m2m[field.attribute] = value
            else:
                setattr(instance, field.attribute, value)
        if errors:
            raise ValidationError(errors)

    # -- unchanged rows -------------------------------------------------------------------

    def snapshot(self, instance) -> dict:
        """The values an import can change, to tell an unchanged row from a changed one."""
        values = {}
        for name in self.fields:
            if name in self.m2m_names:
                values[name] = frozenset(self.m2m_ids(instance, name))
            else:
                values[name] = getattr(instance, self.attnames[name])
        return values

    def m2m_ids(self, instance, name) -> set:
        """The ids a many-to-many field will have: from the row, else as stored."""
        pending = getattr(instance, "_import_m2m", {})
        if name in pending:
            return {obj.pk for obj in pending[name]}
        stored = getattr(instance, "_import_m2m_stored", {})
        if name in stored:
            return stored[name]
        if instance.pk is None:
            return set()
        return set(getattr(instance, name).values_list("pk", flat=True))

    def skip_row(self, instance, original, row, import_validation_errors=None):
        before = getattr(instance, "_import_original", None)
        if import_validation_errors or before is None:
            return False
        return self.snapshot(instance) == before

    # -- validation -----------------------------------------------------------------------

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        # Related records found by code exist: Django would query each one again.
        found = {
            name for name in self.fk_names if getattr(instance, self.attnames[name]) is not None
        }
        try:
            self.clean_instance(instance, exclude=set(errors) | found)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        failed = {name for name in errors if name != NON_FIELD_ERRORS}
        for check in (self.check_unique, self.check_constraints):
            try:
                check(instance, failed)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def clean_instance(self, instance, exclude):
        """What ``full_clean()`` checks before constraints, with less work per row.

        Field by field as Django's ``clean_fields()`` does, but a value this file already
        showed to be valid for a field is not validated again (dates, counts and codes
        repeat row after row); then the model's ``clean()``, with the closed years read
        once per file (``import_data``). Constraints follow, in memory.
        """
        errors = {}
        valid_values = self.valid_values
        for field in self.validated_fields:
            if field.name in exclude:
                continue
            raw = getattr(instance, field.attname)
            if field.blank and raw in field.empty_values:
                continue
            key = (field.attname, raw)
            if key in valid_values:
                continue
            try:
                value = field.clean(raw, instance)
            except ValidationError as error:
                errors[field.name] = error.error_list
                continue
            setattr(instance, field.attname, value)
            if type(value) is type(raw) and value == raw:
                valid_values.add(key)
        try:
            instance.clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def check_unique(self, instance, failed):
        """No two rows of the file, and no row and another record, share unique values.

        Values that identify the record (``import_id_fields``) can only match the record
        the row updates, so only the file is checked for them; any other unique values
        are looked up in the database as well.
        """
        id_fields = set(self.get_import_id_fields())
        for check in self.unique_checks:
            if failed and failed & check.field_set:
                continue
            key = tuple(getattr(instance, attname) for attname in check.attnames)
            if None in key:
                continue
            earlier = self.seen[check.fields].setdefault(key, self.row_number)
            if earlier != self.row_number:
                raise ValidationError(
                    {
                        check.fields[0]: _("Dezelfde %(columns)s als rij %(row)s van dit bestand.")
                        % {
                            "columns": get_text_list(
                                [f"'{self.column_of.get(name, name)}'" for name in check.fields],
                                _("en"),
                            ),
                            "row": spreadsheet_row(earlier),
                        }
                    }
                )
            if check.field_set != id_fields:
                lookup = dict(zip(check.attnames, key, strict=True))
                others = self._meta.model._default_manager.filter(**lookup)
                if instance.pk is not None:
                    others = others.exclude(pk=instance.pk)
                if others.exists():
                    raise check.message(instance)

    def check_constraints(self, instance, failed):
        """The model's check constraints, as ``full_clean()`` checks them: each on its own
        field (``kpis.core.rules.FieldCheck``), evaluated in Python, so without a query
        per row and constraint."""
        model, using = self._meta.model, self.write_db
        errors = {}
        for constraint in self.check_constraints_declared:
            try:
                constraint.validate(model, instance, exclude=failed, using=using)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    # -- saving ---------------------------------------------------------------------------

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk is not None and hasattr(instance, "updated_at"):
            instance.updated_at = timezone.now()  # bulk_update does not run auto_now

    def get_bulk_update_fields(self):
        id_fields = set(self.get_import_id_fields())
        names = [
            name
            for name, field in self.fields.items()
            if name not in id_fields and name not in self.m2m_names and not field.readonly
        ]
        if hasattr(self._meta.model, "updated_at"):
            names.append("updated_at")
        return names

    def save_instance(self, instance, is_create, row, **kwargs):
        if kwargs.get("dry_run"):
            return  # the preview writes nothing: no need to keep every record until the end
        super().save_instance(instance, is_create, row, **kwargs)

    def save_m2m(self, instance, row, **kwargs):
        pass  # written after the records, all at once: write_m2m

    # The preview (dry run) writes nothing: every rule was checked row by row above, and
    # the confirmation writes inside one transaction that any database error rolls back.

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if dry_run:
            self.create_instances.clear()
            return
        created = list(self.create_instances)
        if not created:
            return
        model = self._meta.model
        try:
            if not copy_create(model, created):
                model.objects.bulk_create(created, batch_size=WRITE_BATCH)
        except Exception as error:
            self.handle_import_error(result, error, raise_errors)
            return
        finally:
            self.create_instances.clear()
        self.write_m2m(created, created=True)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if dry_run:
            self.update_instances.clear()
            return
        updated = list(self.update_instances)
        failures = len(result.base_errors) if result else 0
        super().bulk_update(using_transactions, dry_run, raise_errors, WRITE_BATCH, result)
        if not result or len(result.base_errors) == failures:
            self.write_m2m(updated, created=False)

    def write_m2m(self, instances, *, created: bool):
        """Many-to-many values of bulk-saved records: a query or two per field."""
        for name in self.m2m_names:
            field = self._meta.model._meta.get_field(name)
            through = field.remote_field.through
            rows = [instance for instance in instances if name in instance._import_m2m]
            if not rows:
                continue
            if not created:
                through.objects.filter(
                    **{f"{field.m2m_field_name()}__in": [instance.pk for instance in rows]}
                ).delete()
            through.objects.bulk_create(
                [
                    through(
                        **{field.m2m_column_name(): instance.pk, field.m2m_reverse_name(): obj.pk}
                    )
                    for instance in rows
                    for obj in instance._import_m2m[name]
                ],
                batch_size=WRITE_BATCH,
            )

    # -- the preview ----------------------------------------------------------------------

    def preview_values(self, instance) -> list[str]:
        cells = []
        for field in self.get_import_fields():
            if field.attribute in self.m2m_names:
                ids = self.m2m_ids(instance, field.attribute)
                cells.append(", ".join(sorted(field.widget.lookup.key_of(pk) for pk in ids)))
            else:
                value = field.export(instance)
                cells.append("" if value is None else str(value))
        return cells

    def after_import_row(self, row, row_result, **kwargs):
        instance = self.current
        if (
            instance is None
            or (self.row_number or 0) > PREVIEW_ROWS
            or row_result.import_type not in RowResult.valid_import_types
        ):
            return
        after = self.preview_values(instance)
        before = getattr(instance, "_import_original_cells", None)
        if before is None:
            row_result.diff = after
        else:
            row_result.diff = [
                new if old == new else format_html("<del>{}</del> <ins>{}</ins>", old, new)
                for old, new in zip(before, after, strict=True)
            ]

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        result.file_name = self.file_name
        inspection = getattr(self, "inspection", None)
        result.encoding_label = inspection.label if inspection is not None else ""
        valid = not (result.has_errors() or result.has_validation_errors())
        if self.dry_run and self.kept is not None and valid:
            checked_imports.keep(self, dataset, self.import_user, self.checks_state, *self.kept)
        self.kept = self.checked = None
        if not kwargs.get("dry_run") and not result.has_errors():
            # Bulk writes send no signals: the audit trail gets its entries here.
            audit.log_import_result(result, self._meta.model, file_name=self.file_name)
            result.batch = self.record_batch(dataset, result, kwargs.get("source"))

    def record_batch(self, dataset, result, source):
        """The import as one ``ImportBatch`` that can be undone (``kpis.core.import_batches``)."""
        from kpis.core import import_batches

        ids = {RowResult.IMPORT_TYPE_NEW: [], RowResult.IMPORT_TYPE_UPDATE: []}
        for row in result:
            instance = getattr(row, "instance", None)
            if row.import_type in ids and instance is not None and instance.pk is not None:
                ids[row.import_type].append(instance.pk)
        return import_batches.record_admin_import(
            self._meta.model,
            ids[RowResult.IMPORT_TYPE_NEW],
            ids[RowResult.IMPORT_TYPE_UPDATE],
            result.totals[RowResult.IMPORT_TYPE_SKIP],
            file_name=self.file_name,
            checksum=import_batches.checksum_of(dataset),
            user=self.import_user,
            source=source or import_batches.SOURCE_COMMAND,
        )

    # -- writing a file -------------------------------------------------------------------

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(*self.fk_names).prefetch_related(*self.m2m_names)

    def export_field(self, field, instance, **kwargs):
        # Every text cell, whatever the format: a spreadsheet never runs what a user typed.
        return neutralise_formula(super().export_field(field, instance, **kwargs))


@contextlib.contextmanager
def cyclic_gc_paused():
    """Pause Python's cyclic garbage collector for the block (a file import).

    Only the collector of reference cycles: memory without cycles is freed as always.
    Process-wide, so for as long as one import runs (seconds); it is switched back on
    afterwards only if it was on before.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def copy_create(model, instances: list) -> bool:
    """Insert new records with PostgreSQL's ``COPY``; False where that is not possible.

    What ``bulk_create`` does, faster for a file of thousands of rows: Django 5.2 sends
    each column as an array (``INSERT ... SELECT * FROM UNNEST(...)``) that psycopg
    quotes value by value in Python; ``COPY`` takes the rows as they are. The ids are
    taken from the table's own sequence first (one query), so the records, their
    many-to-many rows and their audit entries know them, as after ``bulk_create``.
    The values are prepared by the fields themselves (``auto_now_add`` included), except
    where that is known to change nothing (``copy_types``); the database's triggers
    (the closed-year guard) run for ``COPY`` as for ``INSERT``, and a refusal comes out
    as ``ClosedYearError`` with the savepoint undone, as the model's ``bulk_create``
    does.
    """
    using = router.db_for_write(model)
    connection = connections[using]
    opts = model._meta
    if connection.vendor != "postgresql" or not opts.pk.auto_created:
        return False
    fields = [field for field in opts.concrete_fields if not field.generated]
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [opts.db_table, opts.pk.column])
        sequence = cursor.fetchone()[0]
    if sequence is None:
        return False
    with year_policy.db_refusals(savepoint_on=using), connection.cursor() as cursor:
        new = [instance for instance in instances if instance.pk is None]
        if new:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(new)])
            for instance, (pk,) in zip(new, cursor.fetchall(), strict=True):
                instance.pk = pk
        plan = [(field, field.attname, _own_pre_save(field), copy_types(field)) for field in fields]
        for instance in instances:
            instance._prepare_related_fields_for_save(operation_name="bulk_create")
        with (
            connection.wrap_database_errors,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            # Row by row as they are made: the database stores one while the next is made.
            for instance in instances:
                row = []
                for field, attname, pre_save, types in plan:
                    if pre_save:
                        value = field.pre_save(instance, True)
                    else:
                        value = getattr(instance, attname)
                    if value is not None and type(value) not in types:
                        value = field.get_db_prep_save(value, connection)
                    row.append(value)
                copy.write_row(row)
    for instance in instances:
        instance._state.adding = False
        instance._state.db = using
    return True


# Field classes whose values of these types PostgreSQL takes as they are: Django's
# ``get_db_prep_save`` gives them back unchanged (an int as psycopg's ``Int4``, which
# ``COPY`` writes the same). Exact classes only: a subclass may prepare differently.
_TEXT = (models.CharField, models.TextField, models.URLField, models.SlugField)
_WHOLE = (
    models.IntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
    models.AutoField,
    models.BigAutoField,
)
COPY_TYPES = {
    **{cls: frozenset({str}) for cls in _TEXT},
    **{cls: frozenset({int}) for cls in _WHOLE},
    models.BooleanField: frozenset({bool}),
    models.DateField: frozenset({datetime.date}),
}


def copy_types(field) -> frozenset:
    """The value types that ``copy_create`` writes for ``field`` without asking the field
    to prepare them (``COPY_TYPES``; a foreign key as its target). Nothing else skips
    ``get_db_prep_save``; ``None`` is ``NULL`` for all of them."""
    if type(field) is models.ForeignKey:
        return copy_types(field.target_field)
    if (
        type(field) is models.DateTimeField
        and (field.auto_now or field.auto_now_add)
        and settings.USE_TZ
    ):
        return frozenset({datetime.datetime})  # the moment of saving: aware, as stored
    return COPY_TYPES.get(type(field), frozenset())


def _own_pre_save(field) -> bool:
    """Whether ``field`` sets its value when saved (``auto_now_add``, a file's upload):
    otherwise ``copy_create`` simply reads it."""
    own = type(field).pre_save
    if own in (models.DateField.pre_save, models.DateTimeField.pre_save, models.TimeField.pre_save):
        return field.auto_now or field.auto_now_add
    return own is not models.Field.pre_save


def spreadsheet_row(number: int) -> int:
    """import-export counts data rows from 1; a spreadsheet shows the header as row 1."""
    return number + 1


def _examples(model, key: str, alternative: str | None) -> tuple[list[str], list[str]]:
    """Two codes (and names) of ``model`` as they are in this database, for the help."""
    queryset = model._default_manager.all()
    if model is get_user_model():
        queryset = queryset.filter(is_active=True, is_staff=True).order_by(key)
    fields = [key, alternative] if alternative else [key]
    rows = list(queryset.values_list(*fields)[:2])
    codes = [str(row[0]) for row in rows]
    names = [str(row[1]) for row in rows] if alternative else []
    return codes, names


def column_format(field) -> str:
    """How to write a value of ``field`` in a file, in a Dutch sentence with an example."""
    if field.many_to_many or field.many_to_one:
        related = field.related_model
        key, alternative = natural_key_fields(related)
        what = (
            related._meta.verbose_name_plural if field.many_to_many else related._meta.verbose_name
        )
        codes, names = _examples(related, key, alternative)
        if related is get_user_model():
            text = _("De gebruikersnaam waarmee de %(what)s inlogt") % {"what": field.verbose_name}
        elif field.many_to_many and alternative:
            text = _("Codes of namen van %(what)s, gescheiden door komma's") % {"what": what}
        elif field.many_to_many:
            text = _("Codes van %(what)s, gescheiden door komma's") % {"what": what}
        elif alternative:
            text = _("De code of de naam van een %(what)s") % {"what": what}
        else:
            text = _("De code van een %(what)s") % {"what": what}
        if field.many_to_many and len(codes) == 2:
            examples = [", ".join(codes)] + ([", ".join(names)] if names else [])
        else:
            examples = codes[:1] + names[:1]
        if examples:
            return _("%(text)s, bijvoorbeeld %(examples)s.") % {
                "text": text,
                "examples": _(" of ").join(f"'{example}'" for example in examples),
            }
        return _("%(text)s (er zijn nog geen %(what)s).") % {
            "text": text,
            "what": related._meta.verbose_name_plural,
        }
    if field.choices:
        return _("Een van: %(labels)s (of de code: %(codes)s).") % {
            "labels": ", ".join(str(label) for _code, label in field.choices),
            "codes": ", ".join(str(code) for code, _label in field.choices),
        }
    if isinstance(field, models.DateField):
        return _("Datum als 2021-03-15 of 15-03-2021, of een datumcel.")
    if isinstance(field, models.DecimalField):
        return _(
            "Getal zonder duizendtallen, hoogstens 2 decimalen: 263568.50 of 263568,50 "
            "(niet 263.568,50)."
        )
    if isinstance(field, models.IntegerField):
        return _("Geheel getal, alleen cijfers: 1234 (niet 1.234).")
    if isinstance(field, models.BooleanField):
        return _("ja of nee (of 1 of 0).")
    return ""


def error_lines(result, columns: dict[str, str] | None = None) -> list[str]:
    """Every problem an import found, one Dutch line each, in file order.

    ``Rij 3, kolom 'bedrag': Een bedrag kan niet negatief zijn.`` Rows are numbered as a
    spreadsheet shows them (``spreadsheet_row``); ``columns`` (field name -> column, as
    ``BnfResource.columns_by_field``) names a field's column as the file does.
    """
    columns = columns or {}
    lines = [str(error.error) for error in result.base_errors]
    by_row = []
    for row in result.error_rows:
        for error in row.errors:
            by_row.append((row.number, _("Rij %(row)s: %(message)s"), "", str(error.error)))
    for row in result.invalid_rows:
        for column, messages in row.field_specific_errors.items():
            for message in messages:
                by_row.append(
                    (
                        row.number,
                        _("Rij %(row)s, kolom '%(column)s': %(message)s"),
                        columns.get(column, column),
                        message,
                    )
                )
        for message in row.non_field_specific_errors:
            by_row.append((row.number, _("Rij %(row)s: %(message)s"), "", message))
    by_row.sort(key=lambda line: line[0])
    for number, template, column, message in by_row:
        lines.append(
            template % {"row": spreadsheet_row(number), "column": column, "message": message}
        )
    return lines
