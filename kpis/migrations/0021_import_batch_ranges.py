"""An admin import's batch lists its records as runs of consecutive ids.

``ImportBatchRange`` (batch, kind, first and last id, new or changed) takes the place of
``ImportBatchRow`` (one row per record): the new records of a file get their ids from
one sequence call, so 20,000 imported posts are one run instead of 20,000 rows (and
40,000 deferred key checks at the commit). The rows there are become runs (consecutive
ids of one batch, kind and new/changed merged); going back expands them again.
"""

import django.db.models.deletion
from django.db import migrations, models

BATCH_SIZE = 5_000


def runs_of(rows):
    """``(batch, kind, created, first_id, last_id)`` for ``rows`` of
    ``(batch, kind, created, object_id)`` sorted in that order: consecutive ids merged."""
    run = None
    for batch, kind, created, object_id in rows:
        if run is not None and run[:3] == [batch, kind, created] and object_id <= run[4] + 1:
            run[4] = max(run[4], object_id)
            continue
        if run is not None:
            yield tuple(run)
        run = [batch, kind, created, object_id, object_id]
    if run is not None:
        yield tuple(run)


def _in_batches(objects):
    batch = []
    for obj in objects:
        batch.append(obj)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def rows_to_ranges(apps, schema_editor):
    Row = apps.get_model("kpis", "ImportBatchRow")
    Range = apps.get_model("kpis", "ImportBatchRange")
    using = schema_editor.connection.alias
    rows = (
        Row.objects.using(using)
        .order_by("batch_id", "content_type_id", "created", "object_id")
        .values_list("batch_id", "content_type_id", "created", "object_id")
        .iterator(chunk_size=BATCH_SIZE)
    )
    ranges = (
        Range(batch_id=batch, content_type_id=kind, created=created, first_id=first, last_id=last)
        for batch, kind, created, first, last in runs_of(rows)
    )
    for chunk in _in_batches(ranges):
        Range.objects.using(using).bulk_create(chunk)


def ranges_to_rows(apps, schema_editor):
    Row = apps.get_model("kpis", "ImportBatchRow")
    Range = apps.get_model("kpis", "ImportBatchRange")
    using = schema_editor.connection.alias
    ranges = (
        Range.objects.using(using)
        .order_by("batch_id", "content_type_id", "created", "first_id")
        .values_list("batch_id", "content_type_id", "created", "first_id", "last_id")
        .iterator(chunk_size=BATCH_SIZE)
    )
    rows = (
        Row(batch_id=batch, content_type_id=kind, created=created, object_id=object_id)
        for batch, kind, created, first, last in ranges
        for object_id in range(first, last + 1)
    )
    for chunk in _in_batches(rows):
        Row.objects.using(using).bulk_create(chunk)


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("kpis", "0020_report_build"),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportBatchRange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("first_id", models.PositiveBigIntegerField(help_text="Het id van het eerste record van de reeks.", verbose_name="eerste record-id")),
                ("last_id", models.PositiveBigIntegerField(help_text="Het id van het laatste record; alle ids ertussen horen er ook bij.", verbose_name="laatste record-id")),
                ("created", models.BooleanField(help_text="Ja: de import maakte de records (ongedaan maken verwijdert ze). Nee: de import wijzigde bestaande records (die blijven).", verbose_name="nieuw")),
                ("batch", models.ForeignKey(db_index=False, help_text="De import die de records bracht.", on_delete=django.db.models.deletion.CASCADE, related_name="+", to="kpis.importbatch", verbose_name="importbatch")),
                ("content_type", models.ForeignKey(help_text="Het model van de records.", on_delete=django.db.models.deletion.CASCADE, related_name="+", to="contenttypes.contenttype", verbose_name="soort record")),
            ],
            options={
                "verbose_name": "reeks van een importbatch",
                "verbose_name_plural": "reeksen van importbatches",
                "ordering": ["batch", "content_type", "created", "first_id"],
            },
        ),
        migrations.AddIndex(
            model_name="importbatchrange",
            index=models.Index(fields=["batch", "content_type", "created", "first_id"], name="importbatchrange_batch_kind"),
        ),
        migrations.AddConstraint(
            model_name="importbatchrange",
            constraint=models.CheckConstraint(condition=models.Q(("last_id__gte", models.F("first_id"))), name="importbatchrange_last_not_before_first", violation_error_message="Het laatste id van een reeks kan niet kleiner zijn dan het eerste."),
        ),
        migrations.RunPython(rows_to_ranges, ranges_to_rows),
        migrations.DeleteModel(
            name="ImportBatchRow",
        ),
    ]
