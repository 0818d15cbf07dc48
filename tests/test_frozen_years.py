"""Published means frozen: with 2021 closed on the demo data, every path that would move a
2021 figure is refused with a Dutch message naming 2021, and 2021's surfaces stay as
published (kpis.core.year_policy; the database keeps the rule)."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test import Client
from django.urls import reverse

from kpis.core import year_policy
from kpis.core.resources import error_lines
from kpis.models import (
    Channel,
    ClosedYear,
    ImportBatch,
    InformationPoint,
    KnowledgeCircle,
    Organisation,
    Target,
    Training,
)
from kpis.reporting import aggregation, closing
from kpis.resources import InformationPointResource
from tests.factories import make_channel_post, make_import_batch, make_target, make_transport

pytestmark = pytest.mark.django_db

IN_2019 = datetime.date(2019, 3, 1)
IN_2021 = datetime.date(2021, 6, 1)
IN_2022 = datetime.date(2022, 3, 1)
NAMES_2021 = "Het jaar 2021 is afgesloten"


@pytest.fixture
def coordinator_role(make_role_user):
    return make_role_user("Coördinator")


@pytest.fixture
def closed_demo(demo_2021, coordinator_role):
    make_target(key="knowledge.trainings", year=2021, value=5)
    batch = make_import_batch()
    library, other = Organisation.objects.filter(code__in=["fmb", "dnb"]).order_by("code")
    make_transport(origin=library, destination=other, delivered_on=IN_2021, import_batch=batch)
    return closing.close_year(2021, coordinator_role)


def published_2021() -> list[dict]:
    return Client().get("/2021/figures.json").json()["figures"]


def refused(write) -> str:
    """Run ``write`` in a savepoint; return the Dutch message it was refused with."""
    # Any exception: which kind it is (ours, Django's, the driver's) is checked below.
    with pytest.raises(Exception) as error, transaction.atomic():  # noqa: B017
        write()
    refusal = year_policy.refusal_from(error.value)
    assert refusal is not None, error.value
    return refusal.messages[0]


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_every_path_into_a_closed_year_is_refused_and_the_surfaces_stay(closed_demo):
    before = published_2021()
    library = Organisation.objects.get(code="fmb")
    point_2020 = InformationPoint.objects.filter(opened_on__year=2020).first()
    training_2021 = Training.objects.filter(held_on__year=2021).first()
    circle = KnowledgeCircle.objects.filter(meetings__held_on__year=2021).first()
    batch = ImportBatch.objects.filter(transport_rows__delivered_on__year=2021).first()
    training_table = Training._meta.db_table

    attempts = {
        "a point opened in 2019, still open (ORM)": lambda: InformationPoint.objects.create(
            name="IDO Oud", location="Almere", organisation=library, opened_on=IN_2019
        ),
        "a 2020 point closed in 2021": lambda: InformationPoint.objects.filter(
            pk=point_2020.pk
        ).update(closed_on=IN_2021),
        "a 2020 point closed in 2021 (save)": lambda: _close(point_2020),
        "a 2020 point deleted": lambda: InformationPoint.objects.get(pk=point_2020.pk).delete(),
        "update(held_on=...) into 2021": lambda: (
            Training.objects.create(title="Later", held_on=IN_2022, participants=3)
            and Training.objects.filter(title="Later").update(held_on=IN_2021)
        ),
        "update(held_on=F(...))": lambda: Training.objects.filter(pk=training_2021.pk).update(
            held_on=F("held_on")
        ),
        "_base_manager update": lambda: Training._base_manager.filter(pk=training_2021.pk).update(
            title="Anders"
        ),
        "queryset delete of a kenniskring": lambda: KnowledgeCircle.objects.filter(
            pk=circle.pk
        ).delete(),
        "raw INSERT": lambda: raw(
            f"INSERT INTO {training_table} (title, held_on, participants, notes, "
            "created_at, updated_at) VALUES ('Rauw', %s, 1, '', %s, %s)",
            [IN_2021, IN_2021, IN_2021],
        ),
        "raw UPDATE": lambda: raw(
            f"UPDATE {training_table} SET participants = 99 WHERE id = %s", [training_2021.pk]
        ),
        "raw DELETE": lambda: raw(
            f"DELETE FROM {training_table} WHERE id = %s", [training_2021.pk]
        ),
        "bulk_create(update_conflicts=True) over a 2021 row": lambda: Training.objects.bulk_create(
            [Training(pk=training_2021.pk, title="Over", held_on=IN_2022, participants=1)],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["title", "held_on"],
        ),
        "a new instance saved with a 2021 row's pk": lambda: Training(
            pk=training_2021.pk, title="Zelfde id", held_on=IN_2022, participants=1
        ).save(),
        "queryset delete of an import batch with 2021 rows": lambda: ImportBatch.objects.filter(
            pk=batch.pk
        ).delete(),
        "a 2021 target edit": lambda: Target.objects.filter(year=2021).update(value=50),
        "a 2021 target saved": lambda: _retarget(Target.objects.get(year=2021)),
    }
    for name, write in attempts.items():
        assert NAMES_2021 in refused(write), name

    assert published_2021() == before
    assert closing.differences(closed_demo, aggregation.history().for_year(2021, live=True)) == []


def _close(point):
    point.closed_on = IN_2021
    point.save()


def _retarget(target):
    target.value = 50
    target.save()


def test_the_admin_refuses_a_stock_point_that_counts_in_2021_on_its_form(
    closed_demo, coordinator_role, client
):
    client.force_login(coordinator_role)
    library = Organisation.objects.get(code="fmb")
    form = {
        "name": "IDO Oud",
        "organisation": library.pk,
        "location": "Almere",
        "opened_on": "01-03-2019",
        "closed_on": "",
        "notes": "",
    }
    response = client.post(reverse("admin:kpis_informationpoint_add"), form)
    assert response.status_code == 200
    assert NAMES_2021 in response.content.decode()
    assert not InformationPoint.objects.filter(name="IDO Oud").exists()


def test_an_import_row_counting_in_2021_is_refused_with_its_row(closed_demo):
    import tablib

    dataset = tablib.Dataset(headers=["name", "organisation", "location", "opened_on"])
    dataset.append(["IDO Nieuw", "dnb", "Lelystad", "2022-01-10"])
    dataset.append(["IDO Oud", "fmb", "Almere", "2019-03-01"])
    result = InformationPointResource().import_data(dataset, dry_run=True)
    lines = error_lines(result)
    # The header is row 1, so the second data row is row 3, as a spreadsheet shows it.
    assert any(line.startswith("Rij 3") and NAMES_2021 in line for line in lines), lines
    assert not any(line.startswith("Rij 2") for line in lines), lines
    assert (
        not InformationPoint.objects.filter(name__startswith="IDO ")
        .filter(name__in=["IDO Nieuw", "IDO Oud"])
        .exists()
    )


def test_loaddata_of_a_2021_record_is_refused_in_dutch(closed_demo, tmp_path):
    fixture = tmp_path / "late.json"
    record = {
        "model": "kpis.training",
        "fields": {
            "title": "Nagekomen",
            "held_on": "2021-10-01",
            "participants": 4,
            "created_at": "2022-01-02T10:00:00Z",
            "updated_at": "2022-01-02T10:00:00Z",
        },
    }
    fixture.write_text(json.dumps([record]))
    with pytest.raises(CommandError, match=NAMES_2021):
        call_command("loaddata", str(fixture), verbosity=0)
    assert not Training.objects.filter(title="Nagekomen").exists()


def test_a_loaded_closed_year_row_cannot_replace_the_snapshot(closed_demo, tmp_path):
    fixture = tmp_path / "closed.json"
    forged = [{**row, "value": 999} for row in closed_demo.snapshot]
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "kpis.closedyear",
                    "pk": closed_demo.pk,
                    "fields": {
                        "year": 2021,
                        "closed_at": closed_demo.closed_at.isoformat(),
                        "snapshot": forged,
                    },
                }
            ]
        )
    )
    with pytest.raises(CommandError, match="vastgestelde cijfers"):
        call_command("loaddata", str(fixture), verbosity=0)
    assert ClosedYear.objects.get(year=2021).snapshot == closed_demo.snapshot


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_copy_of_a_2021_row_is_refused(closed_demo):
    table = Training._meta.db_table
    columns = "(title, held_on, participants, notes, created_at, updated_at)"
    line = "Gekopieerd\t2021-10-01\t3\t\t2022-01-01 00:00:00+00\t2022-01-01 00:00:00+00\n"

    def copy():
        with connection.cursor() as cursor, cursor.copy(f"COPY {table} {columns} FROM STDIN") as c:
            c.write(line)

    assert NAMES_2021 in refused(copy)
    assert not Training.objects.filter(title="Gekopieerd").exists()


def test_a_new_channel_can_be_added_and_2021_does_not_list_it(closed_demo):
    before = published_2021()
    channel = Channel.objects.create(name="LinkedIn", slug="linkedin", report_engagement=True)
    make_channel_post(channel=channel, published_on=IN_2022)

    assert published_2021() == before
    keys_2021 = {row["key"] for row in before}
    assert "communication.posts.linkedin" not in keys_2021
    later = Client().get("/2022/figures.json").json()["figures"]
    linkedin = {row["key"]: row["value"] for row in later}
    assert linkedin["communication.posts.linkedin"] == 1
    assert "LinkedIn" not in Client().get("/2021/").content.decode()


def test_later_years_compare_with_what_was_published(closed_demo):
    report = aggregation.history().for_year(2022)
    published = {row["key"]: row["value"] for row in closed_demo.snapshot}
    trainings = report["knowledge.trainings"]
    assert trainings.previous == published["knowledge.trainings"] == 5


def test_a_name_only_edit_of_a_library_with_a_closed_year_is_cheap(
    closed_demo, django_assert_max_num_queries
):
    library = Organisation.objects.get(code="fmb")
    library.name = "FlevoMeer Bibliotheek (hernoemd)"
    with django_assert_max_num_queries(12):
        library.full_clean()
        library.save()
    assert Organisation.objects.get(code="fmb").name.endswith("(hernoemd)")


def test_a_date_after_next_year_is_refused_on_every_path(db):
    late = datetime.date(datetime.date.today().year + 2, 1, 1)
    with pytest.raises(ValidationError) as error:
        Training(title="Toekomst", held_on=late, participants=1).full_clean()
    assert "31 december" in error.value.message_dict["held_on"][0]
    message = refused(lambda: Training.objects.create(title="Toekomst", held_on=late))
    assert "31 december" in message
    table = Training._meta.db_table
    message = refused(
        lambda: raw(
            f"INSERT INTO {table} (title, held_on, participants, notes, created_at, "
            "updated_at) VALUES ('Rauw', %s, 1, '', %s, %s)",
            [late, late, late],
        )
    )
    assert "31 december" in message
    next_year = datetime.date(datetime.date.today().year + 1, 12, 31)
    Training.objects.create(title="Gepland", held_on=next_year, participants=1)


def test_the_year_switcher_never_offers_a_year_after_next(db):
    make_target(key="knowledge.trainings", year=2090, value=1)
    assert 2090 not in aggregation.history().years


def test_a_database_refusal_in_a_request_is_a_dutch_page_not_a_500(rf):
    """A write only the database catches (a race with a closing, raw SQL in a view)."""
    from kpis.middleware import YearPolicyRefusalMiddleware

    middleware = YearPolicyRefusalMiddleware(lambda request: None)
    request = rf.post("/admin/kpis/training/1/change/")
    response = middleware.process_exception(request, IntegrityError("bnf-closed-year:2021"))
    assert response.status_code == 409
    assert NAMES_2021 in response.content.decode()
    assert middleware.process_exception(request, IntegrityError("UNIQUE failed")) is None


def test_every_table_a_figure_reads_by_date_has_the_guard(db):
    tables = {model._meta.db_table for model in year_policy.guarded_models()}
    for figure in aggregation.declared_figures_now():
        assert figure.model._meta.db_table in tables, figure.key
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT DISTINCT event_object_table FROM information_schema.triggers")
        else:
            cursor.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'")
        installed = {row[0] for row in cursor.fetchall()}
    assert tables <= installed


def _second_connection():
    import psycopg

    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        host=params["HOST"],
        port=params["PORT"] or 5432,
        password=params["PASSWORD"] or None,
    )


def _insert_training(cursor, title, day):
    cursor.execute(
        f"INSERT INTO {Training._meta.db_table} (title, held_on, participants, notes, "
        "created_at, updated_at) VALUES (%s, %s, 1, '', now(), now())",
        [title, day],
    )


def _close_in_thread(year, user, errors):
    import threading

    def run():
        try:
            closing.close_year(year, user)
        except Exception as error:  # reported to the test
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_closing_waits_for_a_writer_in_flight_and_its_row_is_published():
    writer = _second_connection()
    with writer.cursor() as cursor:
        _insert_training(cursor, "Onderweg", datetime.date(2022, 3, 1))  # not committed
    errors = []
    thread = _close_in_thread(2022, None, errors)
    thread.join(timeout=1)
    assert thread.is_alive(), "closing must wait for the writer's transaction"
    writer.commit()
    thread.join(timeout=30)
    writer.close()
    assert not errors
    published = {row["key"]: row["value"] for row in ClosedYear.objects.get(year=2022).snapshot}
    assert published["knowledge.trainings"] == 1
    assert aggregation.history().for_year(2022, live=True)["knowledge.trainings"].value == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_a_write_arriving_while_the_year_closes_waits_and_is_refused(monkeypatch):
    import threading

    snapshotting, release = threading.Event(), threading.Event()
    compute = aggregation.compute_history

    def slow_compute(figures):
        snapshotting.set()
        release.wait(timeout=30)
        return compute(figures)

    monkeypatch.setattr(aggregation, "compute_history", slow_compute)
    errors = []
    thread = _close_in_thread(2023, None, errors)
    assert snapshotting.wait(timeout=30)  # the tables are locked; the snapshot is being taken

    outcome = []

    def write():
        writer = _second_connection()
        try:
            with writer.cursor() as cursor:
                _insert_training(cursor, "Te laat", datetime.date(2023, 5, 1))
            writer.commit()
            outcome.append("committed")
        except Exception as error:
            outcome.append(error)
        finally:
            writer.close()

    late_writer = threading.Thread(target=write)
    late_writer.start()
    late_writer.join(timeout=1)
    assert late_writer.is_alive(), "a new write must wait for the closing"
    release.set()
    thread.join(timeout=30)
    late_writer.join(timeout=30)
    assert not errors
    assert NAMES_2021.replace("2021", "2023") in year_policy.refusal_from(outcome[0]).messages[0]
    assert not Training.objects.filter(title="Te laat").exists()
    published = {row["key"]: row["value"] for row in ClosedYear.objects.get(year=2023).snapshot}
    assert published["knowledge.trainings"] == 0


def test_the_closing_page_never_offers_a_year_after_next(make_role_user, client):
    late = datetime.date(datetime.date.today().year + 5, 1, 1)
    with connection.cursor() as cursor:  # data from before the rule, around the triggers
        for statement in year_policy._sqlite() if connection.vendor == "sqlite" else []:
            if statement.startswith("DROP"):
                cursor.execute(statement)
        if connection.vendor == "sqlite":
            cursor.execute(
                f"INSERT INTO {Training._meta.db_table} (title, held_on, participants, notes, "
                "created_at, updated_at) VALUES ('Oud', %s, 1, '', %s, %s)",
                [late, late, late],
            )
            year_policy.install()
        else:
            Training.objects.create(title="Gewoon", held_on=IN_2022, participants=1)
    client.force_login(make_role_user("Coördinator"))
    page = client.get(reverse("admin:kpis_closedyear_close")).content.decode()
    assert f">{late.year}<" not in page
