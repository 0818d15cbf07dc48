"""Back-up and restore: every record back, field by field, in an emptied database."""

import datetime
import io
import json
import zipfile

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS

from kpis import audit, backup, closing
from kpis.models import ChannelPost, ClosedYear, ClosedYearError, Training
from kpis.roles import ADVISER, COORDINATOR
from subsidies.models import Subsidy
from tests.factories import make_import_batch, make_theme, make_transport

pytestmark = pytest.mark.django_db


def contents(models) -> dict[str, list[dict]]:
    """Every record of ``models``: all column values and many-to-many ids, by primary key."""
    found = {}
    for model in models:
        rows = []
        for obj in model._base_manager.order_by("pk"):
            row = {f.attname: f.value_from_object(obj) for f in model._meta.concrete_fields}
            for field in model._meta.many_to_many:
                row[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
            rows.append(row)
        found[model._meta.label_lower] = rows
    return found


def empty_database() -> None:
    """What `migrate` leaves in a new database: the role groups, no records."""
    for model in reversed(backup.archived_models()):
        if model is Group:
            continue
        for field in model._meta.many_to_many:
            field.remote_field.through._base_manager.all()._raw_delete(DEFAULT_DB_ALIAS)
        model._base_manager.all()._raw_delete(DEFAULT_DB_ALIAS)


@pytest.fixture
def busy_database(demo_2021, make_role_user, coordinator):
    """The demo year plus what a year of use adds: roles, edits, an import, a closing."""
    adviser = make_role_user(ADVISER, username="anna")
    make_role_user(COORDINATOR, username="karel", first_name="Karel")
    with audit.audit_context(audit.ADMIN, actor=adviser):
        training = Training.objects.order_by("pk").first()
        training.participants += 1
        training.save()
        training.themes.add(make_theme(name="Nieuwe opgave"))
    batch = make_import_batch(imported_by=adviser)
    make_transport(delivered_on=datetime.date(2022, 2, 1), import_batch=batch)
    closing.close_year(2021, coordinator)
    Group.objects.create(name="Eigen groep").permissions.add(
        *Group.objects.get(name=ADVISER).permissions.all()[:3]
    )


def test_it_restores_every_record_into_an_emptied_database(busy_database, tmp_path):
    archive = tmp_path / "bnf.zip"
    models = backup.archived_models()
    before = contents(models)
    out = io.StringIO()

    call_command("backup_data", str(archive), stdout=out)
    empty_database()
    assert ChannelPost.objects.count() == 0 and User.objects.count() == 0
    call_command("restore_data", str(archive), stdout=out)

    after = contents(models)
    assert {label: len(rows) for label, rows in after.items()} == {
        label: len(rows) for label, rows in before.items()
    }
    for label, rows in before.items():
        assert after[label] == rows, label
    # The samples the archive is for: m2m, a closed year that still locks, the audit log.
    assert before["kpis.training"] and any(row["themes"] for row in after["kpis.training"])
    assert before["auditlog.logentry"] and before["kpis.closedyear"]
    assert User.objects.get(username="anna").groups.get().name == ADVISER
    post = ChannelPost.objects.filter(published_on__year=2021).first()
    with pytest.raises(ClosedYearError):
        post.save()
    assert "hersteld" in out.getvalue()


def test_the_archive_has_a_manifest_with_counts_per_model(busy_database, tmp_path):
    archive = tmp_path / "bnf.zip"

    call_command("backup_data", str(archive), stdout=io.StringIO())

    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        assert set(opened.namelist()) == {"manifest.json", "groups.json", "data.json"}
    counts = manifest["counts"]
    assert manifest["format"] == "bnf-backup/1"
    assert counts["subsidies.subsidy"] == Subsidy.objects.count() > 0
    assert counts["auditlog.logentry"] == LogEntry.objects.count() > 0
    assert counts["auth.user"] == User.objects.count()
    assert counts["kpis.closedyear"] == ClosedYear.objects.count() == 1
    assert "kpis" in manifest["migrations"]


def test_it_refuses_a_database_with_records_unless_forced(busy_database, tmp_path):
    archive = tmp_path / "bnf.zip"
    call_command("backup_data", str(archive), stdout=io.StringIO())
    before = contents(backup.archived_models())

    with pytest.raises(CommandError, match="niet leeg"):
        call_command("restore_data", str(archive), stdout=io.StringIO())

    call_command("restore_data", str(archive), "--force", stdout=io.StringIO())
    assert contents(backup.archived_models()) == before  # same ids: overwritten, no doubles


def test_it_never_overwrites_an_archive_and_refuses_what_is_not_one(db, tmp_path):
    archive = tmp_path / "bnf.zip"
    archive.write_text("iets anders")

    with pytest.raises(CommandError, match="bestaat al"):
        call_command("backup_data", str(archive))
    with pytest.raises(CommandError, match="geen back-up"):
        call_command("restore_data", str(archive))
    with pytest.raises(CommandError, match="bestaat niet"):
        call_command("restore_data", str(tmp_path / "weg.zip"))
