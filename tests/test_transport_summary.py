"""The transport summary equals the rows it summarises, after every way of writing, and
the figures read from it equal the figures read from the rows."""

import datetime
import random

import pytest
from django.db import connection
from django.db.models import Count, F, Sum
from django.db.models.functions import ExtractYear, TruncMonth

from kpis import transport_import, transport_summary
from kpis.core import import_batches
from kpis.models import (
    Organisation,
    Province,
    TransportDayTotal,
    TransportMonthTotal,
    TransportReservation,
    TransportYearTotal,
)
from kpis.models.transport import home_library_ids
from kpis.reporting import aggregation
from kpis.reporting.figures import declared_figures
from tests.factories import make_organisation, make_transport

pytestmark = pytest.mark.django_db

TABLE = TransportReservation._meta.db_table


@pytest.fixture
def libraries():
    return [
        make_organisation(code="fmb"),
        make_organisation(code="dnb"),
        make_organisation(code="utr", province=Province.UTRECHT),
        make_organisation(code="gld", province=Province.GELDERLAND),
    ]


SUMMARIES = (
    (TransportDayTotal, "day", F("delivered_on")),
    (TransportMonthTotal, "month", TruncMonth("delivered_on")),
    (TransportYearTotal, "year", ExtractYear("delivered_on")),
)


def summarised() -> tuple[dict, ...]:
    """What the summary tables hold: per (day, pair), (month, pair) and (year, pair)."""
    return tuple(
        {
            (getattr(row, period), row.origin_id, row.destination_id): (row.quantity, row.row_count)
            for row in model.objects.all()
        }
        for model, period, _expression in SUMMARIES
    )


def counted() -> tuple[dict, ...]:
    """The same, counted from the rows."""
    result = []
    for _model, _period, expression in SUMMARIES:
        rows = (
            TransportReservation.objects.annotate(key_period=expression)
            .values("key_period", "origin_id", "destination_id")
            .order_by()
            .annotate(quantity=Sum("quantity"), n=Count("pk"))
        )
        result.append(
            {
                (row["key_period"], row["origin_id"], row["destination_id"]): (
                    row["quantity"],
                    row["n"],
                )
                for row in rows
            }
        )
    return tuple(result)


EMPTY = ({}, {}, {})


def transport_figures(summaries: bool, until=None) -> dict:
    figures = [
        f for f in declared_figures(home_ids=home_library_ids()) if f.key.startswith("transport.")
    ]
    history = aggregation.compute_history(figures, until, summaries=summaries)
    # a year without rows, or one whose figure counts none: the same (no value)
    return {
        key: {year: value for year, value in by_year.items() if value is not None}
        for key, by_year in history.values.items()
    }


def assert_same():
    assert summarised() == counted()
    assert transport_figures(True) == transport_figures(False)
    until = datetime.date(2021, 6, 15)
    assert transport_figures(True, until) == transport_figures(False, until)


def test_every_orm_and_sql_write_keeps_the_summary_equal_to_the_rows(libraries):
    fmb, dnb, utr, gld = libraries
    day = datetime.date(2021, 3, 15)
    row = make_transport(origin=fmb, destination=dnb, quantity=4, delivered_on=day)
    assert_same()
    TransportReservation.objects.bulk_create(
        [
            TransportReservation(origin=fmb, destination=utr, quantity=q, delivered_on=day)
            for q in (1, 2, 3)
        ]
    )
    assert_same()
    row.quantity = 9
    row.save()
    assert_same()
    TransportReservation.objects.filter(origin=fmb, destination=utr).update(
        delivered_on=datetime.date(2021, 6, 20)
    )
    assert_same()
    TransportReservation.objects.filter(pk=row.pk).update(origin=gld)
    assert_same()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (origin_id, destination_id, delivered_on, period, quantity, "
            "created_at, updated_at) VALUES (%s, %s, %s, 'day', 5, %s, %s)",
            [dnb.pk, fmb.pk, day, day, day],
        )
        cursor.execute(f"UPDATE {TABLE} SET quantity = quantity + 1 WHERE origin_id = %s", [dnb.pk])
        assert_same()
        cursor.execute(f"DELETE FROM {TABLE} WHERE destination_id = %s", [utr.pk])
    assert_same()
    row.delete()
    assert_same()
    TransportReservation.objects.all().delete()
    assert summarised() == EMPTY == counted()


def test_random_writes_keep_the_summary_equal_to_the_rows(libraries):
    rng = random.Random(7)
    pairs = [(a, b) for a in libraries for b in libraries if a != b]
    days = [datetime.date(2020, 1, 1) + datetime.timedelta(days=n) for n in range(0, 900, 3)]
    for _round in range(5):
        TransportReservation.objects.bulk_create(
            [
                TransportReservation(
                    origin=pair[0],
                    destination=pair[1],
                    quantity=rng.randint(1, 50),
                    delivered_on=rng.choice(days),
                )
                for pair in (rng.choice(pairs) for _ in range(60))
            ]
        )
        ids = list(TransportReservation.objects.values_list("pk", flat=True))
        TransportReservation.objects.filter(pk__in=rng.sample(ids, 10)).delete()
        moved = rng.sample(
            [i for i in ids if TransportReservation.objects.filter(pk=i).exists()], 5
        )
        TransportReservation.objects.filter(pk__in=moved).update(delivered_on=rng.choice(days))
        assert_same()


def test_moving_a_library_to_another_province_is_seen_through_the_summary(libraries):
    fmb, dnb, _utr, _gld = libraries
    make_transport(origin=fmb, destination=dnb, quantity=7, delivered_on=datetime.date(2021, 2, 1))
    assert transport_figures(True)["transport.within_province"][2021] == 7
    Organisation.objects.filter(pk=dnb.pk).update(province=Province.UTRECHT)
    figures = transport_figures(True)
    assert (
        2021 not in figures["transport.within_province"]
        or not figures["transport.within_province"][2021]
    )
    assert figures["transport.interprovincial"][2021] == 7
    assert_same()


def test_the_fast_import_and_its_undo_keep_the_summary(libraries, tmp_path, coordinator):
    path = tmp_path / "transport.csv"
    lines = ["datum,van,naar,aantal"] + [
        f"{day:02d}-03-2021,fmb,{'dnb' if day % 2 else 'utr'},{day}" for day in range(1, 29)
    ]
    path.write_text("\n".join(lines) + "\n")
    result = transport_import.import_transport(path, user=coordinator)
    assert result.ok
    assert_same()
    import_batches.undo_batch(result.batch)
    assert summarised() == EMPTY == counted()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_copy_and_truncate_keep_the_summary(libraries):
    fmb, dnb, *_ = libraries
    line = f"{fmb.pk}\t{dnb.pk}\t2021-04-02\tday\t6\tnow\tnow\n"
    columns = "(origin_id, destination_id, delivered_on, period, quantity, created_at, updated_at)"
    with connection.cursor() as cursor, cursor.copy(f"COPY {TABLE} {columns} FROM STDIN") as copy:
        copy.write(line * 3)
    assert_same()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending key checks before it
        cursor.execute(f"TRUNCATE {TABLE}")
    assert summarised() == EMPTY


def test_rebuild_gives_the_same_summary(libraries):
    fmb, dnb, *_ = libraries
    make_transport(origin=fmb, destination=dnb, quantity=3, delivered_on=datetime.date(2021, 1, 9))
    before = summarised()
    transport_summary.rebuild()
    assert summarised() == before == counted()


def test_the_figures_read_the_summary_not_the_rows(libraries, django_assert_num_queries):
    fmb, dnb, *_ = libraries
    make_transport(origin=fmb, destination=dnb, quantity=3, delivered_on=datetime.date(2021, 1, 9))
    figures = [
        f for f in declared_figures(home_ids=home_library_ids()) if f.key.startswith("transport.")
    ]
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        aggregation.compute_history(figures)
    transport_queries = [q["sql"] for q in queries.captured_queries if TABLE in q["sql"]]
    # Whole years from the yearly summary; the rows only for their newest day (by index).
    assert all(transport_summary.YEAR_TABLE in sql for sql in transport_queries), transport_queries


def test_the_same_period_last_year_counts_whole_months_and_the_days_of_the_last_one(
    libraries,
):
    fmb, dnb, utr, _gld = libraries
    for day, quantity in [
        (datetime.date(2020, 3, 5), 100),  # a year earlier: not in the period
        (datetime.date(2021, 2, 10), 3),  # a whole month before the day
        (datetime.date(2021, 6, 10), 5),  # the day's month, before it
        (datetime.date(2021, 6, 15), 7),  # the day itself
        (datetime.date(2021, 6, 20), 50),  # the day's month, after it
        (datetime.date(2021, 9, 1), 60),
    ]:
        make_transport(origin=fmb, destination=dnb, quantity=quantity, delivered_on=day)
    make_transport(origin=fmb, destination=utr, quantity=4, delivered_on=datetime.date(2021, 1, 2))
    for summaries in (True, False):
        figures = transport_figures(summaries, until=datetime.date(2021, 6, 15))
        assert figures["transport.within_province"] == {2021: 3 + 5 + 7}
        assert figures["transport.interprovincial"] == {2021: 4}


@pytest.mark.parametrize("day", [2, 14, 15, 16, 27, 30])
def test_a_period_ending_on_any_day_of_a_month_equals_the_rows(libraries, day):
    """Early in a month the daily summary adds its days; late in it the month's total
    less the days after is read: both equal the rows, also when no row is that early."""
    fmb, dnb, utr, _gld = libraries
    for delivered, quantity in [
        (datetime.date(2021, 4, 3), 2),
        (datetime.date(2021, 4, 15), 3),
        (datetime.date(2021, 4, 16), 5),
        (datetime.date(2021, 4, 29), 11),
        (datetime.date(2021, 4, 30), 13),
    ]:
        make_transport(origin=fmb, destination=dnb, quantity=quantity, delivered_on=delivered)
    make_transport(origin=utr, destination=fmb, quantity=7, delivered_on=datetime.date(2021, 4, 20))
    until = datetime.date(2021, 4, day)
    expected = sum(q for d, q in [(3, 2), (15, 3), (16, 5), (29, 11), (30, 13)] if d <= day)
    for summaries in (True, False):
        figures = transport_figures(summaries, until)
        assert figures["transport.within_province"] == ({2021: expected} if expected else {})
        assert figures["transport.interprovincial"] == ({2021: 7} if day >= 20 else {})
