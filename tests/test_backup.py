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
from django.core.serializers.base import DeserializationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError
from django.db.models import QuerySet

from kpis import backup
from kpis.core import audit
from kpis.core.roles import ADVISER, COORDINATOR
from kpis.models import ChannelPost, ClosedYear, ClosedYearError, Training
from kpis.reporting import closing
from subsidies.models import Subsidy
from tests.factories import (
    make_closed_year,
    make_import_batch,
    make_theme,
    make_training,
    make_transport,
)

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

    # Forced over the same data with its year open again: the archive closes it last.
    ClosedYear.objects.all()._raw_delete(DEFAULT_DB_ALIAS)
    call_command("restore_data", str(archive), "--force", stdout=io.StringIO())
    assert contents(backup.archived_models()) == before  # same ids: overwritten, no doubles


def test_forced_it_overwrites_changed_records_and_their_links(busy_database, tmp_path):
    archive = tmp_path / "bnf.zip"
    ClosedYear.objects.all()._raw_delete(DEFAULT_DB_ALIAS)
    call_command("backup_data", str(archive), stdout=io.StringIO())
    before = contents(backup.archived_models())
    training = Training.objects.filter(themes__isnull=False).order_by("pk").first()
    Training.objects.filter(pk=training.pk).update(participants=999, notes="gewijzigd")
    training.themes.set([make_theme(name="Later toegevoegd")])
    newer = make_transport(delivered_on=datetime.date(2022, 3, 1))

    call_command("restore_data", str(archive), "--force", stdout=io.StringIO())

    after = contents(backup.archived_models())
    for label, rows in before.items():
        assert after[label][: len(rows)] == rows, label  # overwritten as archived
    added = {label: rows[len(before[label]) :] for label, rows in after.items()}
    assert {label for label, rows in added.items() if rows} == {
        "kpis.organisation",  # the new transport's libraries
        "kpis.theme",
        "kpis.transportreservation",
        "auditlog.logentry",
    }
    assert [row["id"] for row in added["kpis.transportreservation"]] == [newer.pk]  # kept


def test_forced_it_refuses_records_of_a_year_closed_here(busy_database, tmp_path):
    archive = tmp_path / "bnf.zip"
    call_command("backup_data", str(archive), stdout=io.StringIO())
    assert ClosedYear.objects.filter(year=2021).exists()  # and the archive has 2021 records
    before = contents(backup.archived_models())

    with pytest.raises(CommandError, match="afgesloten jaar") as refused:
        call_command("restore_data", str(archive), "--force", stdout=io.StringIO())

    assert "niets gewijzigd" in str(refused.value)
    assert contents(backup.archived_models()) == before


def test_a_restored_database_takes_new_records_and_keeps_the_moments(busy_database, tmp_path):
    archive = tmp_path / "bnf.zip"
    post = ChannelPost.objects.order_by("pk").first()
    stamps = ChannelPost.objects.filter(pk=post.pk).values("created_at", "updated_at").get()
    anna_groups = sorted(User.objects.get(username="anna").groups.values_list("name", flat=True))
    highest = {
        model: model._base_manager.order_by("-pk").values_list("pk", flat=True).first()
        for model in (User, Training, ChannelPost, ClosedYear, LogEntry)
    }
    call_command("backup_data", str(archive), stdout=io.StringIO())
    empty_database()

    call_command("restore_data", str(archive), stdout=io.StringIO())

    restored = ChannelPost.objects.get(pk=post.pk)
    assert (restored.title, restored.published_on) == (post.title, post.published_on)
    assert {"created_at": restored.created_at, "updated_at": restored.updated_at} == stamps
    assert sorted(User.objects.get(username="anna").groups.values_list("name", flat=True)) == (
        anna_groups
    )
    assert Training.objects.filter(themes__name="Nieuwe opgave").exists()
    assert ClosedYear.objects.get().year == 2021
    # The id sequences are past the restored ids: new records get new ones.
    assert User.objects.create_user("nieuw").pk > highest[User]
    assert make_transport(delivered_on=datetime.date(2022, 5, 1)).pk
    assert make_training(held_on=datetime.date(2022, 5, 2)).pk > highest[Training]
    assert make_closed_year(year=2023).pk > highest[ClosedYear]
    assert LogEntry.objects.order_by("-pk").first().pk > highest[LogEntry]  # audited again


def test_closed_years_are_written_after_every_registration(busy_database, tmp_path, monkeypatch):
    """Also from an archive that has them in between (as older archives do)."""
    archive = tmp_path / "bnf.zip"
    with monkeypatch.context() as old_order:
        old_order.setattr(backup, "loaded_last", lambda: [])
        call_command("backup_data", str(archive), stdout=io.StringIO())
    with zipfile.ZipFile(archive) as opened:
        labels = [item["model"] for item in json.loads(opened.read("data.json"))]
    assert labels.index("kpis.closedyear") < labels.index("kpis.channelpost")
    empty_database()
    written = []
    write_model = backup._Loader.write_model

    def spy(self, model, objects):
        written.append(model._meta.label_lower)
        return write_model(self, model, objects)

    monkeypatch.setattr(backup._Loader, "write_model", spy)

    call_command("restore_data", str(archive), stdout=io.StringIO())

    ours = [label for label in written if label.split(".")[0] in backup.OUR_APPS]
    assert ours[-1] == "kpis.closedyear" and ours.count("kpis.closedyear") == 1
    assert {"kpis.training", "kpis.transportreservation", "subsidies.subsidy"} <= set(ours)
    assert backup.archived_models()[-1] is ClosedYear  # new archives: last as well


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError('bnf-closed-year: 2021 is afgesloten (tabel "kpis_channelpost")'),
        ClosedYearError("Het jaar 2021 is afgesloten."),
    ],
    ids=["database", "model"],
)
def test_a_refusal_half_way_leaves_nothing_behind(busy_database, tmp_path, monkeypatch, error):
    archive = tmp_path / "bnf.zip"
    call_command("backup_data", str(archive), stdout=io.StringIO())
    empty_database()
    groups = contents([Group])
    monkeypatch.setattr(backup, "BATCH_SIZE", 3)  # many batches: the refusal comes late
    bulk_create = QuerySet.bulk_create
    calls = []

    def refusing(self, objs, *args, **kwargs):
        calls.append(self.model)
        if self.model is ChannelPost:  # after the users, reference data, transport, ...
            raise error
        return bulk_create(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", refusing)

    with pytest.raises(CommandError, match="afgesloten jaar.*niets gewijzigd"):
        call_command("restore_data", str(archive), stdout=io.StringIO())

    assert len(calls) > 20 and len(set(calls)) > 10
    left = {
        label: len(rows)
        for label, rows in contents(backup.archived_models()).items()
        if rows and label != "auth.group"
    }
    assert left == {}
    assert contents([Group]) == groups


def test_any_other_refused_write_is_a_command_error_too(busy_database, tmp_path, monkeypatch):
    archive = tmp_path / "bnf.zip"
    call_command("backup_data", str(archive), stdout=io.StringIO())
    empty_database()

    def refusing(self, objs, *args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(QuerySet, "bulk_create", refusing)

    with pytest.raises(CommandError, match="Herstel mislukt, er is niets gewijzigd: duplicate"):
        call_command("restore_data", str(archive), stdout=io.StringIO())
    assert not ChannelPost.objects.exists() and not User.objects.exists()


@pytest.mark.parametrize("chunk_size", [1, 7, 1 << 20])
def test_fixtures_are_read_one_object_at_a_time(chunk_size):
    text = '[{"a": [1, {"b": "x]},"}]}, {"c": "\\u00e9\\"]"} ,\n {}]'

    items = backup.json_array_items(io.StringIO(text), chunk_size=chunk_size)

    assert list(items) == json.loads(text)
    assert list(backup.json_array_items(io.StringIO(" [ ] "), chunk_size=chunk_size)) == []
    for broken in ('[{"a": 1}', '[{"a": 1} {"b": 2}]', '{"a": 1}', '[{"a": '):
        with pytest.raises(DeserializationError):
            list(backup.json_array_items(io.StringIO(broken), chunk_size=chunk_size))


def test_a_damaged_archive_is_refused_in_dutch(db, tmp_path):
    archive = tmp_path / "bnf.zip"
    call_command("backup_data", str(archive), stdout=io.StringIO())
    damaged = tmp_path / "kapot.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(damaged, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data[:-5] if name == "data.json" else data)

    with pytest.raises(CommandError, match="beschadigd of onleesbaar"):
        call_command("restore_data", str(damaged), stdout=io.StringIO())


def test_it_never_overwrites_an_archive_and_refuses_what_is_not_one(db, tmp_path):
    archive = tmp_path / "bnf.zip"
    archive.write_text("iets anders")

    with pytest.raises(CommandError, match="bestaat al"):
        call_command("backup_data", str(archive))
    with pytest.raises(CommandError, match="geen back-up"):
        call_command("restore_data", str(archive))
    with pytest.raises(CommandError, match="bestaat niet"):
        call_command("restore_data", str(tmp_path / "weg.zip"))
