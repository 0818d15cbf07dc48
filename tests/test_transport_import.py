"""The fast lane for transport data: file import (command and admin), undo, streamed export."""

import contextlib
import csv
import datetime
import hashlib
import io
import threading
import time

import openpyxl
import pytest
from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis import transport_import
from kpis.core import import_batches
from kpis.models import ImportBatch, Organisation, Province, TransportReservation
from kpis.reporting import aggregation, closing
from tests.factories import make_organisation, make_transport

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:kpis_transportreservation_import"
EXPORT_URL = "admin:kpis_transportreservation_export_csv"


@pytest.fixture
def libraries():
    return {
        "fmb": make_organisation(code="fmb", name="FlevoMeer Bibliotheek"),
        "dnb": make_organisation(code="dnb", name="De Nieuwe Bibliotheek"),
        "utr": make_organisation(code="utr", name="Bibliotheek Utrecht", province=Province.UTRECHT),
        "gem": make_organisation(
            code="gem", name="Gemeente Almere", kind=Organisation.Kind.MUNICIPALITY
        ),
    }


def csv_bytes(rows, delimiter=",", bom=False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode()


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def upload(name, content: bytes):
    return SimpleUploadedFile(name, content)


def figures(year):
    report = aggregation.year_report(year)
    return (
        report["transport.within_province"].value,
        report["transport.interprovincial"].value,
    )


def nothing_written():
    return TransportReservation.objects.count() == 0 and ImportBatch.objects.count() == 0


VALID_ROWS = [
    ["Datum", "Van", "Naar", "Aantal"],  # the header in any case
    ["2021-03-15", "fmb", "dnb", "3"],  # within the province
    ["16-03-2021", "De Nieuwe Bibliotheek", "FMB", "2"],  # a name; a code in capitals
    ["2021-04-01", "fmb", "utr", "10"],  # leaving the province
    ["01-05-2021", "utr", "dnb", "5"],  # arriving
    ["", "", "", ""],  # an empty row is skipped
]


# --- a valid file ----------------------------------------------------------------------


def test_a_valid_csv_imports_through_the_command(tmp_path, libraries, coordinator):
    content = csv_bytes(VALID_ROWS)
    path = write(tmp_path, "ibl-2021.csv", content)
    out = io.StringIO()

    call_command("import_transport", str(path), "--user", coordinator.username, stdout=out)

    batch = ImportBatch.objects.get()
    assert batch.file_name == "ibl-2021.csv"
    assert batch.checksum == hashlib.sha256(content).hexdigest()
    assert batch.imported_by == coordinator
    assert batch.row_count == 4
    assert batch.source == "opdrachtregel"
    assert batch.model_label == "kpis.transportreservation"
    assert batch.transport_rows.count() == 4
    assert figures(2021) == (5, 15)
    assert "4 transportreserveringen geïmporteerd" in out.getvalue()


def test_a_csv_with_bom_semicolons_months_and_periods_imports(libraries):
    content = csv_bytes(
        [
            ["MAAND", "datum", "periode", "van", "naar", "aantal", "opmerking"],
            ["2021-03", "", "", "fmb", "dnb", "120"],
            ["04-2021", "", "maand", "dnb", "fmb", "80", "genegeerd"],
            ["", "2021-05-01", "maand", "utr", "fmb", "40"],
            ["", "2021-05-02", "dag", "fmb", "dnb", "1"],
        ],
        delimiter=";",
        bom=True,
    )

    result = transport_import.import_transport(io.BytesIO(content), file_name="maand.csv")

    assert result.ok, result.errors
    rows = TransportReservation.objects.order_by("delivered_on")
    assert [(r.delivered_on, r.period, r.quantity) for r in rows] == [
        (datetime.date(2021, 3, 1), "month", 120),
        (datetime.date(2021, 4, 1), "month", 80),
        (datetime.date(2021, 5, 1), "month", 40),
        (datetime.date(2021, 5, 2), "day", 1),
    ]
    assert result.batch.imported_by is None
    assert result.batch.source == "admin"


def test_a_valid_xlsx_imports_through_the_admin_upload(coordinator_client, coordinator, libraries):
    content = xlsx_bytes(
        [
            ["datum", "van", "naar", "aantal"],
            [datetime.datetime(2021, 3, 15), "fmb", "dnb", 3],  # date cell, number cell
            ["16-03-2021", "dnb", "fmb", 2.0],  # Excel keeps numbers as floats
            [datetime.date(2021, 4, 1), "fmb", "utr", "10"],
            [None, None, None, None],
        ]
    )

    response = coordinator_client.post(
        reverse(IMPORT_URL), {"file": upload("ibl.xlsx", content)}, follow=True
    )

    batch = ImportBatch.objects.get()
    assert response.redirect_chain[-1][0].endswith(f"?import_batch__id__exact={batch.pk}")
    page = response.content.decode()
    assert "3 transportreserveringen geïmporteerd" in page
    assert reverse("admin:kpis_importbatch_change", args=[batch.pk]) in page
    assert (batch.file_name, batch.row_count, batch.source) == ("ibl.xlsx", 3, "admin")
    assert batch.imported_by == coordinator
    assert batch.checksum == hashlib.sha256(content).hexdigest()
    assert figures(2021) == (5, 10)
    assert LogEntry.objects.filter(action_flag=ADDITION, object_id=str(batch.pk)).exists()


def test_a_large_upload_is_read_from_its_temporary_file(coordinator_client, libraries, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # every upload goes to a temporary file
    content = csv_bytes(VALID_ROWS, delimiter=";", bom=True)

    response = coordinator_client.post(reverse(IMPORT_URL), {"file": upload("groot.csv", content)})

    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert (batch.file_name, batch.row_count) == ("groot.csv", 4)
    assert batch.checksum == hashlib.sha256(content).hexdigest()


def test_the_upload_page_explains_the_columns(coordinator_client):
    page = coordinator_client.get(reverse(IMPORT_URL)).content.decode()

    for column in ("datum", "maand", "van", "naar", "aantal"):
        assert f"<code>{column}</code>" in page
    assert 'enctype="multipart/form-data"' in page


def test_the_transport_list_links_to_import_and_export(coordinator_client):
    url = reverse("admin:kpis_transportreservation_changelist")

    page = coordinator_client.get(f"{url}?year=2021").content.decode()

    assert reverse(IMPORT_URL) in page
    assert f"{reverse(EXPORT_URL)}?year=2021" in page


# --- a file with errors ------------------------------------------------------------------

ERROR_ROWS = [
    ["datum", "van", "naar", "aantal"],
    ["2022-03-15", "onbekend", "dnb", "3"],  # 2: unknown library
    ["2022-03-15", "fmb", "dnb", "0"],  # 3: zero
    ["2022-03-15", "fmb", "dnb", "-2"],  # 4: negative
    ["31-02-2022", "fmb", "dnb", "1"],  # 5: no such date
    ["2022-03-15", "fmb", "dnb", "1.234"],  # 6: a Dutch thousands separator
    ["2022-03-15", "fmb", "fmb", "1"],  # 7: to itself
    ["2021-03-15", "fmb", "dnb", "1"],  # 8: a closed year
    ["2022-03-16", "fmb", "dnb", "4"],  # 9: valid
    ["2022-03-15", "fmb", "gem", "2,5"],  # 10: a municipality; a decimal comma
    ["15/03/2022", "fmb", "dnb", ""],  # 11: another date format; no quantity
]
EXPECTED_ERRORS = {
    (2, "van"),
    (3, "aantal"),
    (4, "aantal"),
    (5, "datum"),
    (6, "aantal"),
    (7, "naar"),
    (8, "datum"),
    (10, "naar"),
    (10, "aantal"),
    (11, "datum"),
    (11, "aantal"),
}


@pytest.fixture
def closed_2021(coordinator):
    return closing.close_year(2021, coordinator)


def test_a_csv_with_errors_is_refused_with_every_row_and_column(
    tmp_path, libraries, closed_2021, coordinator
):
    path = write(tmp_path, "fout.csv", csv_bytes(ERROR_ROWS))
    err = io.StringIO()

    with pytest.raises(CommandError, match="11 fout"):
        call_command("import_transport", str(path), stderr=err)

    assert nothing_written()
    result = transport_import.import_transport(path)
    assert {(error.row, error.column) for error in result.errors} == EXPECTED_ERRORS
    messages = {(error.row, error.column): error.message for error in result.errors}
    assert "Onbekende bibliotheek 'onbekend'" in messages[(2, "van")]
    assert "minstens 1" in messages[(3, "aantal")]
    assert "minstens 1" in messages[(4, "aantal")]
    assert "'1.234'" in messages[(6, "aantal")]
    assert "zonder punt of komma" in messages[(6, "aantal")]
    assert "moeten verschillen" in messages[(7, "naar")]
    assert "2021 is een afgesloten jaar" in messages[(8, "datum")]
    assert "geen bibliotheek" in messages[(10, "naar")]
    assert "rij 6, kolom 'aantal'" in err.getvalue()
    assert nothing_written()


def test_an_xlsx_with_errors_is_refused_in_the_admin_with_a_table(
    coordinator_client, libraries, closed_2021
):
    rows = [
        ERROR_ROWS[0],
        ["2022-03-15", "onbekend", "dnb", 3],  # 2
        [datetime.date(2022, 3, 15), "fmb", "dnb", 0],  # 3
        ["2022-03-15", "fmb", "dnb", -2],  # 4
        ["31-02-2022", "fmb", "dnb", 1],  # 5
        ["2022-03-15", "fmb", "dnb", "1.234"],  # 6: typed as text
        ["2022-03-15", "fmb", "fmb", 1],  # 7
        [datetime.datetime(2021, 3, 15), "fmb", "dnb", 1],  # 8: closed
        ["2022-03-16", "fmb", "dnb", 4],  # 9: valid
        ["2022-03-15", "fmb", "gem", 2.5],  # 10
        ["15/03/2022", "fmb", "dnb", None],  # 11
    ]

    response = coordinator_client.post(
        reverse(IMPORT_URL), {"file": upload("fout.xlsx", xlsx_bytes(rows))}
    )

    assert response.status_code == 200
    result = response.context["result"]
    assert {(error.row, error.column) for error in result.errors} == EXPECTED_ERRORS
    page = response.content.decode()
    assert 'id="import-errors"' in page
    assert "<tr><td>6</td><td>aantal</td>" in page
    assert "Niets geïmporteerd" in page
    assert nothing_written()


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (["datum", "van", "naar"], "'aantal'"),
        (["van", "naar", "aantal"], "'datum' (of 'maand')"),
        (["dag", "vanaf", "naar", "aantal"], "'van'"),
    ],
)
def test_a_missing_column_is_named(libraries, header, missing):
    content = csv_bytes([header, ["2022-03-15", "fmb", "dnb", "1"]])

    result = transport_import.import_transport(io.BytesIO(content), file_name="x.csv")

    assert not result.ok
    assert missing in result.errors[0].message
    assert nothing_written()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "leeg"),
        (b"datum,van,naar,aantal\r\n", "geen rijen"),
        # Read as Windows-1252 (what it is), so the name comes through as written.
        (
            "datum,van,naar,aantal\r\n2022-01-03,Bibliothèque,dnb,1\r\n".encode("latin-1"),
            "Onbekende bibliotheek 'Bibliothèque'",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused(libraries, content, message):
    result = transport_import.import_transport(io.BytesIO(content), file_name="x.csv")

    assert not result.ok
    assert message in result.errors[0].message
    assert nothing_written()


def test_a_broken_xlsx_is_refused(libraries):
    result = transport_import.import_transport(io.BytesIO(b"PK\x03\x04kapot"), file_name="x.xlsx")

    assert "geen geldig XLSX" in result.errors[0].message


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (["2022-03-15", "2022-03", "", "fmb", "dnb", "1"], "maand"),  # both filled
        (["", "2022-13", "", "fmb", "dnb", "1"], "maand"),
        (["", "2022-03-15", "", "fmb", "dnb", "1"], "maand"),  # a day is no month
        (["2022-03-15", "", "maand", "fmb", "dnb", "1"], "datum"),  # month not on the 1st
        (["2022-03-15", "", "week", "fmb", "dnb", "1"], "periode"),
        (["1890-03-15", "", "", "fmb", "dnb", "1"], "datum"),
        (["2022-03-15", "", "", "fmb", "dnb", "99999999999"], "aantal"),
    ],
)
def test_month_period_and_range_errors(libraries, row, column):
    content = csv_bytes([["datum", "maand", "periode", "van", "naar", "aantal"], row])

    result = transport_import.import_transport(io.BytesIO(content), file_name="x.csv")

    assert [(error.row, error.column) for error in result.errors] == [(2, column)]


def test_importing_the_same_file_twice_is_refused(tmp_path, libraries):
    path = write(tmp_path, "ibl.csv", csv_bytes(VALID_ROWS))
    call_command("import_transport", str(path), stdout=io.StringIO())
    renamed = write(tmp_path, "ibl-kopie.csv", path.read_bytes())

    with pytest.raises(CommandError):
        call_command("import_transport", str(renamed), stdout=io.StringIO())
    result = transport_import.import_transport(renamed)

    assert "al eens geïmporteerd" in result.errors[0].message
    assert ImportBatch.objects.count() == 1
    assert TransportReservation.objects.count() == 4


def test_a_year_closed_after_checking_is_still_refused(libraries, coordinator, monkeypatch):
    # The check inside the writing transaction, for a year closed while the file was read.
    real_check = transport_import._check

    def check_then_close(*args):
        checked = real_check(*args)
        closing.close_year(2021, coordinator)
        return checked

    monkeypatch.setattr(transport_import, "_check", check_then_close)
    content = csv_bytes(VALID_ROWS)

    result = transport_import.import_transport(io.BytesIO(content), file_name="x.csv")

    assert "2021 is afgesloten" in result.errors[0].message
    assert nothing_written()


def test_checking_needs_the_same_queries_for_many_rows_as_for_one(libraries):
    one = csv_bytes([VALID_ROWS[0], VALID_ROWS[1]])
    many = csv_bytes([VALID_ROWS[0], *[VALID_ROWS[1 + n % 4] for n in range(300)]])

    counts = []
    for content in (one, many):
        with CaptureQueriesContext(connection) as queries:
            result = transport_import.import_transport(io.BytesIO(content), file_name="x.csv")
        assert result.ok
        counts.append(len([q for q in queries if "kpis_organisation" in q["sql"]]))
        import_batches.undo_batch(result.batch)

    assert counts == [1, 1]


def schema(table):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: (info["columns"], info["foreign_key"], info["index"], info["check"])
        for name, info in constraints.items()
    }


def locks_held(table):
    """The lock modes this connection holds on ``table``: a test runs in one transaction,
    so what the import took is still held."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation = %s::regclass",
            [table],
        )
        return {mode for (mode,) in cursor.fetchall()}


# What a row write takes, and less: none of these keeps a reader or a one-row write waiting.
WEAK_LOCKS = {"AccessShareLock", "RowShareLock", "RowExclusiveLock"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY and DDL: PostgreSQL only")
def test_a_large_file_rebuilds_its_indexes_and_keeps_its_foreign_keys(libraries, monkeypatch):
    monkeypatch.setattr(transport_import, "BULK_LOAD_ROWS", 3)
    table = TransportReservation._meta.db_table
    before = schema(table)
    make_transport(origin=libraries["fmb"], destination=libraries["dnb"])  # a pending check

    with CaptureQueriesContext(connection) as queries:
        result = transport_import.import_transport(
            io.BytesIO(csv_bytes(VALID_ROWS)), file_name="groot.csv"
        )

    assert result.ok, result.errors
    statements = [query["sql"] for query in queries]
    assert any(sql.startswith("DROP INDEX") for sql in statements)
    assert not [sql for sql in statements if "CONSTRAINT" in sql and "SET CONSTRAINTS" not in sql]
    assert schema(table) == before  # the same keys and indexes, under the same names
    assert figures(2021) == (5 + 1, 15)
    # The tables the foreign keys refer to: their readers and writers did not wait.
    for model in (Organisation, ImportBatch, get_user_model()):
        assert locks_held(model._meta.db_table) <= WEAK_LOCKS, model
    assert "AccessExclusiveLock" in locks_held(table)  # the dropped indexes: this table only


@pytest.mark.django_db(transaction=True)  # SQLite checks its foreign keys at the commit
@pytest.mark.parametrize("bulk", [False, True], ids=["rij voor rij", "snel"])
def test_a_library_deleted_after_checking_writes_nothing(libraries, monkeypatch, bulk):
    if bulk and connection.vendor != "postgresql":
        pytest.skip("the fast path (indexes rebuilt) is PostgreSQL's")
    monkeypatch.setattr(transport_import, "BULK_LOAD_ROWS", 3 if bulk else 10**9)
    real_check = transport_import._check

    def check_then_delete(*args):
        checked = real_check(*args)
        libraries["utr"].delete()  # the rows still refer to it
        return checked

    monkeypatch.setattr(transport_import, "_check", check_then_delete)

    result = transport_import.import_transport(io.BytesIO(csv_bytes(VALID_ROWS)), file_name="x.csv")

    assert not result.ok
    assert "De database weigerde de rijen" in result.errors[0].message
    assert nothing_written()


def test_progress_is_reported(libraries, monkeypatch):
    monkeypatch.setattr(transport_import, "PROGRESS_EVERY", 100)
    rows = [VALID_ROWS[0], *[VALID_ROWS[1 + n % 4] for n in range(250)]]
    seen = []

    result = transport_import.import_transport(
        io.BytesIO(csv_bytes(rows)),
        file_name="x.csv",
        progress=lambda stage, count: seen.append((stage, count)),
    )

    assert result.rows == 250
    assert [count for stage, count in seen if stage == "gecontroleerd"] == [100, 200, 250]
    assert [count for stage, count in seen if stage == "geschreven"][-1] == 250


def test_count_rows_is_the_data_rows_of_a_csv_or_an_xlsx(tmp_path):
    rows = [VALID_ROWS[0], *[VALID_ROWS[1]] * 7]
    assert transport_import.count_rows(io.BytesIO(csv_bytes(rows))) == 7
    assert transport_import.count_rows(io.BytesIO(csv_bytes(rows)[:-2])) == 7  # no last break
    assert transport_import.count_rows(io.BytesIO(xlsx_bytes(rows))) == 7
    assert transport_import.count_rows(write(tmp_path, "x.csv", csv_bytes(rows[:1]))) == 0
    assert transport_import.count_rows(io.BytesIO(b"")) == 0
    upload_file = upload("x.csv", csv_bytes(rows))
    assert transport_import.count_rows(upload_file) == 7
    assert upload_file.read(5) == b"Datum"  # read from the start again afterwards


def test_progress_every_sets_how_often_progress_is_reported(libraries):
    rows = [VALID_ROWS[0], *[VALID_ROWS[1 + n % 4] for n in range(25)]]
    seen = []

    transport_import.import_transport(
        io.BytesIO(csv_bytes(rows)),
        file_name="x.csv",
        progress=lambda stage, count: seen.append((stage, count)),
        progress_every=10,
    )

    assert [count for stage, count in seen if stage == "gecontroleerd"] == [10, 20, 25]


# --- a busy database ---------------------------------------------------------------------

BUSY = "De database was bezig; er is niets geïmporteerd."


@pytest.fixture
def database_locked(monkeypatch):
    """The writing step fails as SQLite does when another process holds the database."""

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(transport_import, "_insert_many", locked)
    monkeypatch.setattr(transport_import, "_copy", locked)


def test_a_locked_database_is_a_message_on_the_upload_form(
    coordinator_client, libraries, database_locked
):
    response = coordinator_client.post(
        reverse(IMPORT_URL), {"file": upload("ibl.csv", csv_bytes(VALID_ROWS))}
    )

    assert response.status_code == 200
    assert BUSY in response.content.decode()
    assert "over een paar minuten opnieuw" in response.content.decode()
    assert response.context["form"].non_field_errors()
    assert nothing_written()


def test_a_locked_database_is_a_command_error(tmp_path, libraries, database_locked):
    path = write(tmp_path, "ibl.csv", csv_bytes(VALID_ROWS))

    with pytest.raises(CommandError, match=BUSY):
        call_command("import_transport", str(path), stdout=io.StringIO())

    assert nothing_written()


def test_an_operational_error_while_checking_is_a_message_too(libraries, monkeypatch):
    def timed_out(*args):
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(transport_import, "_libraries", timed_out)

    with pytest.raises(transport_import.DatabaseBusy, match="niets geïmporteerd"):
        transport_import.import_transport(io.BytesIO(csv_bytes(VALID_ROWS)), file_name="x.csv")
    assert nothing_written()


def test_other_errors_are_not_taken_for_a_busy_database(libraries, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(transport_import, "_insert_many", broken)
    monkeypatch.setattr(transport_import, "_copy", broken)

    with pytest.raises(RuntimeError):
        transport_import.import_transport(io.BytesIO(csv_bytes(VALID_ROWS)), file_name="x.csv")


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="lock_timeout: PostgreSQL only"
)


LOCK_HELD = 5
"""Seconds the second connection holds its lock at most: an import that waits without a
limit gets it then and the test fails, rather than hanging."""


@contextlib.contextmanager
def transport_table_locked_elsewhere():
    """A second connection holds ``ACCESS EXCLUSIVE`` on the transport table (as a
    restore or migration would) until the block ends, or ``LOCK_HELD`` seconds."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    other = psycopg.connect(**params)
    release = threading.Timer(LOCK_HELD, other.rollback)
    try:
        # Never wait for this test's own connection: fail instead of hanging.
        other.execute("SET lock_timeout = '5s'")
        other.execute(f"LOCK TABLE {TransportReservation._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        release.start()
        yield
    finally:
        release.cancel()
        other.rollback()
        other.close()


@postgresql_only
def test_a_locked_transport_table_is_a_message_on_the_upload_form(
    coordinator_client, libraries, settings
):
    settings.BNF_IMPORT_LOCK_TIMEOUT = 0.2

    with transport_table_locked_elsewhere():
        started = time.monotonic()
        response = coordinator_client.post(
            reverse(IMPORT_URL), {"file": upload("ibl.csv", csv_bytes(VALID_ROWS))}
        )
        waited = time.monotonic() - started

    assert response.status_code == 200
    assert BUSY in response.content.decode()
    assert waited < LOCK_HELD
    assert nothing_written()


@postgresql_only
def test_a_locked_transport_table_is_a_command_error(tmp_path, libraries, settings):
    settings.BNF_IMPORT_LOCK_TIMEOUT = 0.2
    path = write(tmp_path, "ibl.csv", csv_bytes(VALID_ROWS))

    with transport_table_locked_elsewhere(), pytest.raises(CommandError, match=BUSY):
        call_command("import_transport", str(path), stdout=io.StringIO())

    assert nothing_written()
    result = transport_import.import_transport(path)  # and once the lock is gone, it imports
    assert result.ok, result.errors


@postgresql_only
def test_the_lock_timeout_holds_for_the_import_only(libraries, settings):
    settings.BNF_IMPORT_LOCK_TIMEOUT = 12

    def lock_timeout():
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            return cursor.fetchone()[0]

    seen = []
    real_copy = transport_import._copy

    def copy(*args, **kwargs):
        seen.append(lock_timeout())
        return real_copy(*args, **kwargs)

    before = lock_timeout()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transport_import, "_copy", copy)
        result = transport_import.import_transport(
            io.BytesIO(csv_bytes(VALID_ROWS)), file_name="x.csv"
        )

    assert result.ok, result.errors
    assert seen == ["12s"]
    assert lock_timeout() == before  # put back inside this test's own transaction


# --- undo ------------------------------------------------------------------------------------


def undo_url(batch):
    return reverse("admin:kpis_importbatch_undo", args=[batch.pk])


def import_rows(rows, name):
    result = transport_import.import_transport(io.BytesIO(csv_bytes(rows)), file_name=name)
    assert result.ok, result.errors
    return result.batch


def test_undo_removes_exactly_the_rows_of_its_batch(coordinator_client, libraries):
    batch = import_rows(VALID_ROWS, "a.csv")
    other = import_rows([VALID_ROWS[0], ["2021-06-01", "fmb", "dnb", "7"]], "b.csv")
    by_hand = make_transport(origin=libraries["fmb"], destination=libraries["dnb"])

    page = coordinator_client.get(undo_url(batch)).content.decode()
    assert "4 transportreserveringen" in page
    with CaptureQueriesContext(connection) as queries:
        response = coordinator_client.post(undo_url(batch))

    assert response.status_code == 302
    assert not ImportBatch.objects.filter(pk=batch.pk).exists()
    assert set(TransportReservation.objects.values_list("pk", flat=True)) == {
        *other.transport_rows.values_list("pk", flat=True),
        by_hand.pk,
    }
    deletes = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("DELETE") and "kpis_transportreservation" in q["sql"]
    ]
    # One statement by batch id (Django's cascade for the batch may add a second,
    # finding nothing left), never one per row.
    assert deletes[0].endswith(f'"import_batch_id" = {batch.pk}'), deletes
    assert len(deletes) <= 2 and all("import_batch_id" in sql for sql in deletes), deletes
    assert LogEntry.objects.filter(action_flag=DELETION, object_id=str(batch.pk)).exists()


def test_undo_is_refused_for_a_closed_year(coordinator_client, libraries, coordinator):
    batch = import_rows(VALID_ROWS, "a.csv")
    closing.close_year(2021, coordinator)

    page = coordinator_client.get(undo_url(batch)).content.decode()
    response = coordinator_client.post(undo_url(batch))

    assert 'id="undo-refused"' in page
    assert "2021 is afgesloten" in response.content.decode()
    assert ImportBatch.objects.filter(pk=batch.pk).exists()
    assert batch.transport_rows.count() == 4


def test_the_batch_list_links_to_undo(coordinator_client, libraries):
    batch = import_rows(VALID_ROWS, "a.csv")

    page = coordinator_client.get(reverse("admin:kpis_importbatch_changelist")).content.decode()

    assert undo_url(batch) in page


# --- export ----------------------------------------------------------------------------------


def read_export(response):
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_export_streams_every_row(coordinator_client, libraries, monkeypatch):
    monkeypatch.setattr(transport_import, "EXPORT_CHUNK", 3)  # several pieces
    batch = import_rows(VALID_ROWS, "a.csv")
    make_transport(
        origin=libraries["fmb"],
        destination=libraries["utr"],
        delivered_on=datetime.date(2021, 7, 1),
        period="month",
        quantity=250,
    )
    make_transport(
        origin=libraries["fmb"],
        destination=libraries["dnb"],
        delivered_on=datetime.date(2022, 1, 3),
    )

    response = coordinator_client.get(reverse(EXPORT_URL), {"year": 2021})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "transportreserveringen-2021.csv" in response["Content-Disposition"]
    rows = read_export(response)
    assert rows[0] == ["datum", "periode", "van", "naar", "aantal", "batch"]
    assert rows[1:] == [
        ["2021-03-15", "dag", "fmb", "dnb", "3", str(batch.pk)],
        ["2021-03-16", "dag", "dnb", "fmb", "2", str(batch.pk)],
        ["2021-04-01", "dag", "fmb", "utr", "10", str(batch.pk)],
        ["2021-05-01", "dag", "utr", "dnb", "5", str(batch.pk)],
        ["2021-07-01", "maand", "fmb", "utr", "250", ""],
    ]
    everything = read_export(coordinator_client.get(reverse(EXPORT_URL)))
    assert len(everything) == 1 + 6


def test_the_export_imports_back(coordinator_client, libraries):
    batch = import_rows(VALID_ROWS, "a.csv")
    make_transport(
        origin=libraries["fmb"],
        destination=libraries["utr"],
        delivered_on=datetime.date(2021, 7, 1),
        period="month",
        quantity=250,
    )
    before = figures(2021)
    exported = b"".join(coordinator_client.get(reverse(EXPORT_URL)).streaming_content)
    import_batches.undo_batch(batch)
    TransportReservation.objects.all().delete()

    result = transport_import.import_transport(io.BytesIO(exported), file_name="export.csv")

    assert result.ok, result.errors
    assert figures(2021) == before


def test_the_export_neutralises_formulas(coordinator_client, libraries):
    dash = make_organisation(code="-cmd", name="Bibliotheek Min")
    make_transport(origin=dash, destination=libraries["fmb"])

    rows = read_export(coordinator_client.get(reverse(EXPORT_URL)))

    assert rows[1][2] == "'-cmd"
    assert rows[1][3] == "fmb"


def test_the_export_formats_cells_through_neutralise_formula(monkeypatch):
    # Every text cell, whatever it holds, passes the shared function (and CSV quoting).
    monkeypatch.setattr("kpis.core.cells.neutralise_formula", lambda value: f"[{value}]")
    rows = [(datetime.date(2021, 1, 4), "day", 1, 2, 3, None), (DAY_2, "month", 2, 1, 9, 7)]

    class Rows(list):
        def iterator(self, chunk_size):
            return iter(self)

    text = "".join(transport_import.export_csv_lines(Rows(rows), {1: "=cmd", 2: 'a,"b"'}))

    assert text.splitlines()[1:] == [
        '[2021-01-04],[dag],[=cmd],"[a,""b""]",3,',
        '[2021-02-01],[maand],"[a,""b""]",[=cmd],9,7',
    ]
    assert list(csv.reader(io.StringIO(text)))[1][3] == '[a,"b"]'


DAY_2 = datetime.date(2021, 2, 1)


def test_a_malformed_export_year_is_a_bad_request(coordinator_client):
    assert coordinator_client.get(reverse(EXPORT_URL), {"year": "twintig"}).status_code == 400


# --- who may -----------------------------------------------------------------------------------


@pytest.fixture
def batch(libraries):
    return import_rows(VALID_ROWS, "a.csv")


def protected_urls(batch):
    return [reverse(IMPORT_URL), reverse(EXPORT_URL), undo_url(batch)]


def test_anonymous_visitors_get_the_login_page(client, batch):
    for url in protected_urls(batch):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
        assert client.post(url).status_code == 302, url
    assert TransportReservation.objects.count() == 4


def test_a_staff_member_without_a_role_is_refused(client, staff_without_role, batch):
    client.force_login(staff_without_role)

    for url in protected_urls(batch):
        assert client.get(url).status_code == 403, url
    assert client.post(undo_url(batch)).status_code == 403
    assert client.post(reverse(IMPORT_URL)).status_code == 403
    assert TransportReservation.objects.count() == 4


def test_each_view_asks_its_own_permission(client, staff_without_role, batch):
    from django.contrib.auth.models import Permission

    staff = staff_without_role
    client.force_login(staff)
    staff.user_permissions.add(Permission.objects.get(codename="view_transportreservation"))

    assert client.get(reverse(EXPORT_URL)).status_code == 200
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    assert client.get(undo_url(batch)).status_code == 403

    staff.user_permissions.add(
        Permission.objects.get(codename="add_transportreservation"),
        Permission.objects.get(codename="delete_transportreservation"),
    )
    assert client.get(reverse(IMPORT_URL)).status_code == 200
    assert client.get(undo_url(batch)).status_code == 200


# --- dates (the cell parsers themselves: tests/test_cells.py) -------------------------------


def test_a_date_after_next_year_is_an_error_with_its_row(tmp_path, libraries, coordinator):
    late = f"01-01-{datetime.date.today().year + 2}"
    rows = [["datum", "van", "naar", "aantal"], ["02-02-2021", "fmb", "dnb", "3"]]
    rows.append([late, "fmb", "dnb", "1"])
    path = write(tmp_path, "laat.csv", csv_bytes(rows))
    result = transport_import.import_transport(path, user=coordinator)
    assert not result.ok and TransportReservation.objects.count() == 0
    assert [error.row for error in result.errors] == [3]
    assert str(datetime.date.today().year + 1) in str(result.errors[0])


def test_a_year_closed_between_the_check_and_the_write_is_refused_by_the_database(
    tmp_path, libraries, coordinator, monkeypatch
):
    """The rows were checked while 2021 was open; the database has the last word."""
    rows = [["datum", "van", "naar", "aantal"], ["02-02-2021", "fmb", "dnb", "3"]]
    path = write(tmp_path, "race.csv", csv_bytes(rows))
    checked = transport_import._check

    def check_then_close(*args, **kwargs):
        outcome = checked(*args, **kwargs)
        closing.close_year(2021, coordinator)
        return outcome

    monkeypatch.setattr(transport_import, "_check", check_then_close)
    monkeypatch.setattr(transport_import, "ensure_years_open", lambda years: None)
    result = transport_import.import_transport(path, user=coordinator)
    assert not result.ok
    assert "Het jaar 2021 is afgesloten" in str(result.errors[0])
    assert TransportReservation.objects.count() == 0 and ImportBatch.objects.count() == 0


UNDO_BUSY = "De database was bezig; er is niets verwijderd."


def test_a_busy_database_during_undo_is_a_message_and_nothing_is_deleted(
    coordinator_client, libraries, monkeypatch
):
    batch = import_rows(VALID_ROWS, "a.csv")
    rows = TransportReservation.objects.count()

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(ImportBatch, "delete", locked)  # after the rows' DELETEs
    response = coordinator_client.post(undo_url(batch))

    assert response.status_code == 200
    assert UNDO_BUSY in response.content.decode()
    assert TransportReservation.objects.count() == rows
    assert ImportBatch.objects.filter(pk=batch.pk).exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)  # the batch committed, so the other connection can lock
def test_a_locked_transport_table_during_undo_is_a_message(coordinator_client, libraries, settings):
    batch = import_rows(VALID_ROWS, "a.csv")
    rows = TransportReservation.objects.count()
    settings.BNF_IMPORT_LOCK_TIMEOUT = 0.2

    with transport_table_locked_elsewhere():
        started = time.monotonic()
        response = coordinator_client.post(undo_url(batch))
        waited = time.monotonic() - started

    assert response.status_code == 200
    assert UNDO_BUSY in response.content.decode()
    assert waited < LOCK_HELD
    assert TransportReservation.objects.count() == rows
