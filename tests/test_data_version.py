"""The figure cache: a write of any kind shows on the next request, never a stale figure."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis import transport_summary
from kpis.core import data_version
from kpis.models import Network, Organisation, Training, TransportReservation
from kpis.models.transport import home_library_ids
from kpis.reporting import aggregation
from kpis.reporting.figures import declared_figures
from tests.factories import make_organisation, make_training, make_transport, set_network

YEAR = 2021
DAY = datetime.date(YEAR, 3, 15)


def trainings() -> int:
    return aggregation.history().for_year(YEAR)["knowledge.trainings"].value


def within() -> int:
    return aggregation.history().for_year(YEAR)["transport.within_province"].value


def installed_triggers() -> set[str]:
    """The tracked tables that have the data-version trigger in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = %s",
                [data_version.TRIGGER],
            )
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [f"{data_version.TRIGGER}_%"],
            )
        return {table for (table,) in cursor.fetchall()}


@pytest.mark.django_db
def test_every_table_a_figure_reads_is_watched_by_a_trigger(demo_2021):
    with CaptureQueriesContext(connection) as queries:
        aggregation.compute_history(declared_figures())
    read = set()
    for query in queries.captured_queries:
        read |= set(re.findall(r'(?:FROM|JOIN) "([a-z_0-9]+)"', query["sql"]))
    assert {"bnf_transport_year", "subsidies_subsidy", "kpis_target"} <= read
    # The transport summary changes only with its rows, whose trigger moves the version.
    summaries = {level.table for level in transport_summary.LEVELS}
    assert read - summaries <= set(data_version.tracked_tables())
    assert installed_triggers() == set(data_version.tracked_tables())
    assert "kpis_training_organisations" in installed_triggers()  # many-to-many too


@pytest.mark.django_db
@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda: make_training(held_on=DAY), id="save"),
        pytest.param(
            lambda: Training.objects.bulk_create(
                [Training(title=f"T{i}", held_on=DAY, participants=1) for i in range(3)]
            ),
            id="bulk_create",
        ),
        pytest.param(lambda: Training.objects.filter(title="Oud").update(held_on=DAY), id="update"),
        pytest.param(lambda: Training.objects.filter(held_on=DAY).delete(), id="delete"),
        pytest.param(
            lambda: connection.cursor().execute(
                "INSERT INTO kpis_training (created_at, updated_at, title, held_on, "
                "participants, notes) VALUES (%s, %s, 'Rauw', %s, 1, '')",
                [datetime.datetime.now(datetime.UTC)] * 2 + [DAY],
            ),
            id="raw SQL",
        ),
    ],
)
def test_every_way_of_writing_shows_in_the_next_figures(write):
    make_training(held_on=DAY)
    make_training(title="Oud", held_on=DAY - datetime.timedelta(days=400))
    before = trainings()
    version = data_version.current()

    write()

    assert data_version.current() != version
    assert trainings() == Training.objects.filter(held_on__year=YEAR).count() != before


@pytest.mark.django_db
def test_a_change_to_the_libraries_behind_a_figure_shows_too():
    """Moving a library to another province changes the transport figures without any
    transport row being written."""
    library = make_organisation()
    make_transport(origin=library, quantity=5, delivered_on=DAY)
    assert within() == 5

    Organisation.objects.filter(pk=library.pk).update(province="utrecht")

    assert within() == 0
    assert TransportReservation.objects.count() == 1


@pytest.mark.django_db
def test_a_many_to_many_change_moves_the_version():
    training = make_training(held_on=DAY)
    library = make_organisation()
    version = data_version.current()

    training.organisations.add(library)

    assert data_version.current() != version
    version = data_version.current()
    training.organisations.remove(library)
    assert data_version.current() != version


@pytest.mark.django_db
def test_figures_computed_inside_a_rolled_back_write_are_never_served_afterwards():
    make_training(held_on=DAY)
    assert trainings() == 1

    with pytest.raises(RuntimeError), transaction.atomic():
        make_training(held_on=DAY)
        assert trainings() == 2  # the transaction sees, and caches, its own write
        raise RuntimeError("rolled back")

    assert trainings() == 1
    make_training(held_on=DAY)
    assert trainings() == 2


@pytest.mark.django_db
def test_an_edit_in_the_admin_shows_on_the_dashboard_at_once(coordinator_client):
    make_training(held_on=DAY)
    training = make_training(held_on=DAY, participants=10)
    dashboard = reverse("kpis:dashboard", args=[YEAR])

    def shown(key):
        page = coordinator_client.get(dashboard).content.decode()
        return re.search(rf'data-key="{re.escape(key)}".*?data-value>([^<]*)<', page, re.S)[1]

    assert shown("knowledge.trainings") == "2"
    url = reverse("admin:kpis_training_change", args=[training.pk])
    form = {
        "title": training.title,
        "held_on": "15-03-2020",
        "participants": "10",
        "respondents": "",
        "evaluation_score": "",
        "notes": "",
    }
    response = coordinator_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]

    assert shown("knowledge.trainings") == "1"


# Reading the network's identity without the cache: its row and its libraries.
NETWORK_QUERIES = 2


def uncached_queries() -> int:
    """The figures' own queries (the network's identity read before: cached)."""
    network = Network.objects.current()
    with CaptureQueriesContext(connection) as queries:
        aggregation.compute_history(declared_figures(home_ids=home_library_ids(), network=network))
    return len(queries)


@pytest.mark.django_db
def test_unchanged_data_is_read_from_the_cache_and_the_cache_can_be_switched_off(
    settings, django_assert_num_queries
):
    make_training(held_on=DAY)
    computed = uncached_queries()
    with django_assert_num_queries(1 + computed):
        assert trainings() == 1
    with django_assert_num_queries(1):
        assert trainings() == 1

    settings.BNF_FIGURE_CACHE = False
    for _ in range(2):
        with django_assert_num_queries(computed + NETWORK_QUERIES):
            assert trainings() == 1


@pytest.mark.django_db
def test_without_a_version_row_nothing_is_cached(django_assert_num_queries):
    """After a hand-made deletion of the version row (until the next migrate)."""
    make_training(held_on=DAY)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {data_version.TABLE}")
    assert data_version.current() is None
    computed = uncached_queries()
    for _ in range(2):
        with django_assert_num_queries(1 + computed + NETWORK_QUERIES):
            assert trainings() == 1
    make_training(held_on=DAY)
    assert trainings() == 2
    data_version.install()  # what the next migrate does
    assert data_version.current() is not None


@pytest.mark.django_db
def test_a_new_home_province_is_a_new_data_version():
    library = make_organisation()
    make_transport(origin=library, destination=make_organisation(), quantity=5, delivered_on=DAY)
    assert within() == 5
    version = data_version.current()
    set_network(home_province="utrecht")
    assert data_version.current() != version
    assert within() == 0


@pytest.mark.django_db
def test_install_is_idempotent():
    data_version.install()
    data_version.install()
    assert installed_triggers() == set(data_version.tracked_tables())
    version = data_version.current()
    assert version is not None
    cache.clear()
    make_training(held_on=DAY)
    assert data_version.current() != version


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_a_long_writer_does_not_hold_up_a_write_on_another_connection():
    """Each connection bumps its own slot: no queue behind one version row."""
    import psycopg

    params = connection.settings_dict

    def connect():
        return psycopg.connect(
            dbname=params["NAME"],
            user=params["USER"],
            host=params["HOST"],
            port=params["PORT"] or 5432,
        )

    insert = (
        f"INSERT INTO {Training._meta.db_table} (title, held_on, participants, notes, "
        "created_at, updated_at) VALUES (%s, %s, 1, '', now(), now())"
    )
    long_writer, other = connect(), connect()
    try:
        with long_writer.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            long_pid = cursor.fetchone()[0]
            cursor.execute(insert, ["Lang", DAY])  # stays uncommitted
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            if cursor.fetchone()[0] % data_version.SLOTS == long_pid % data_version.SLOTS:
                pytest.skip("both connections share a slot")
            cursor.execute("SET lock_timeout = '1s'")
            cursor.execute(insert, ["Kort", DAY])  # would wait on one shared row
        other.commit()
        before = data_version.current()
        long_writer.commit()
        assert data_version.current() != before  # the long writer's commit is seen too
    finally:
        long_writer.close()
        other.close()
    assert set(Training.objects.values_list("title", flat=True)) == {"Lang", "Kort"}
