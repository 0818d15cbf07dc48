"""One reading of cells and files for both importers (``kpis.core.cells``).

The admin's imports (django-import-export widgets) and the fast transport import call
these same functions; here they are tested on their own. The files as the importers
receive them are in tests/test_bad_files.py.
"""

import datetime
import io
from decimal import Decimal

import pytest

from kpis import transport_import
from kpis.core import cells
from kpis.models import Organisation
from tests.factories import make_organisation

# --- whole numbers (the transport's quantities, the registrations' counts) --------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7), (" 12 ", 12), (3, 3), (4.0, 4), ("1234", 1234), (Decimal("5"), 5), ("", None)],
)
def test_a_whole_number_is_read(value, expected):
    assert cells.parse_whole_number(value) == expected


@pytest.mark.parametrize("value", ["1.234", "1,5", "1 234", "tien", 2.5, "²", "+3", "٣", True])
def test_a_whole_number_is_never_guessed(value):
    with pytest.raises(cells.CellError, match="geen (geheel )?getal"):
        cells.parse_whole_number(value)


def test_a_whole_number_may_have_bounds():
    with pytest.raises(cells.CellError, match="minstens 1, niet 0"):
        cells.parse_whole_number("0", minimum=1)
    with pytest.raises(cells.CellError, match="te groot"):
        cells.parse_whole_number("11", maximum=10)


@pytest.mark.parametrize("value", ["1.234", "1,5", "0", "-1", "", "tien", 2.5, "²", "+3"])
def test_a_transport_quantity_is_a_whole_number_of_at_least_one(value):
    with pytest.raises(cells.CellError):
        transport_import.parse_quantity(value)


def test_the_refusal_says_how_to_write_it():
    with pytest.raises(cells.CellError) as refusal:
        cells.parse_whole_number("1.234")
    assert "'1.234'" in str(refusal.value) and "zonder punt of komma" in str(refusal.value)


# --- dates and months -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-03-15", datetime.date(2021, 3, 15)),
        ("15-03-2021", datetime.date(2021, 3, 15)),
        ("5-3-2021", datetime.date(2021, 3, 5)),
        ("2021-3-5", datetime.date(2021, 3, 5)),
        (datetime.date(2021, 3, 15), datetime.date(2021, 3, 15)),
        (datetime.datetime(2021, 3, 15, 0, 0), datetime.date(2021, 3, 15)),
        (datetime.datetime(2021, 3, 15, 14, 5), datetime.date(2021, 3, 15)),
        (" ", None),
    ],
)
def test_a_day_is_read(value, expected):
    assert cells.parse_date(value) == expected


@pytest.mark.parametrize("value", ["15/03/2021", "03-15-2021", "15-03-21", "44270", 44270])
def test_a_date_in_another_form_is_refused(value):
    with pytest.raises(cells.CellError, match="is geen (bestaande )?datum"):
        cells.parse_date(value)


def test_a_year_outside_the_range_is_named():
    with pytest.raises(cells.CellError, match="het jaar 2099 ligt niet tussen 1990 en 2027"):
        cells.parse_date("2099-01-01", years=(1990, 2027))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-03", datetime.date(2021, 3, 1)),
        ("03-2021", datetime.date(2021, 3, 1)),
        ("2021-03-01", datetime.date(2021, 3, 1)),
        (datetime.datetime(2021, 3, 1), datetime.date(2021, 3, 1)),
    ],
)
def test_a_month_is_read(value, expected):
    assert cells.parse_month(value) == expected
    assert transport_import.parse_month(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2021-13", "geen bestaande maand"),
        ("2021-03-15", "een datum, geen maand"),
        ("maart", "geen maand"),
    ],
)
def test_a_month_that_is_not_one_is_refused(value, message):
    with pytest.raises(cells.CellError, match=message):
        cells.parse_month(value)


# --- amounts and yes/no -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("263568.50", Decimal("263568.50")), ("263568,5", Decimal("263568.5")), (0.1, Decimal("0.1"))],
)
def test_an_amount_is_read(value, expected):
    assert cells.parse_decimal(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ja", True), ("Nee", False), ("1", True), (0, False), ("WAAR", True), ("", None)],
)
def test_yes_and_no_are_read(value, expected):
    assert cells.parse_bool(value) is expected


# --- references by code or name ---------------------------------------------------------


@pytest.mark.django_db
def test_a_record_is_found_by_code_in_any_case_or_by_name():
    fmb = make_organisation(code="fmb", name="FlevoMeer Bibliotheek")
    references = cells.References(Organisation, "code", "name")

    assert references.get("fmb") == references.get("FMB") == fmb
    assert references.get("flevomeer  bibliotheek") == fmb
    with pytest.raises(cells.CellError, match="Onbekende organisatie 'xyz'"):
        references.get("xyz")


@pytest.mark.django_db
def test_a_name_that_is_another_records_code_is_refused():
    make_organisation(code="dnb", name="De Nieuwe Bibliotheek")
    make_organisation(code="bieb", name="dnb")

    with pytest.raises(cells.CellError, match="gebruik de code"):
        cells.References(Organisation, "code", "name").get("dnb")


@pytest.mark.django_db
def test_records_that_may_not_be_named_are_named_as_what_they_are():
    make_organisation(code="gem", name="Gemeente Almere", kind=Organisation.Kind.MUNICIPALITY)

    with pytest.raises(cells.CellError, match=r"'gem' is geen bibliotheek \(maar: gemeente\)"):
        transport_import._libraries().get("gem")


@pytest.mark.django_db
def test_references_cost_one_query_per_file(django_assert_num_queries):
    make_organisation(code="fmb")
    make_organisation(code="dnb")
    references = cells.References(Organisation, "code", "name")

    with django_assert_num_queries(1):
        for cell in ["fmb", "dnb", "FMB", "fmb"] * 100:
            references.get(cell)


# --- headers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", ["aantal deelnemers", "Aantal_Deelnemers", " AANTAL  deelnemers "]
)
def test_case_spaces_and_underscores_do_not_matter_in_a_header(header):
    assert cells.header_key(header) == "aantal deelnemers"


# --- files: what they are and how they are decoded ----------------------------------------


@pytest.mark.parametrize(
    ("content", "encoding", "label"),
    [
        ("datum,van\r\n1,Café\r\n".encode(), "utf-8", "UTF-8"),
        (b"datum,van\r\n1,2\r\n", "utf-8", "UTF-8"),
        ("datum,van\r\n1,Café\r\n".encode("utf-8-sig"), "utf-8-sig", "UTF-8 met BOM"),
        ("datum,van\r\n1,Café\r\n".encode("utf-16"), "utf-16", "UTF-16"),
        ("datum,van\r\n1,Café\r\n".encode("utf-16-be"), "utf-16-be", "UTF-16 (zonder BOM)"),
        ("datum,van\r\n1,Café – €\r\n".encode("cp1252"), "cp1252", "Windows-1252"),
    ],
)
def test_the_encoding_is_told_and_named(content, encoding, label):
    inspection = cells.inspect(io.BytesIO(content), "x.csv")

    assert (inspection.kind, inspection.encoding, inspection.label) == ("csv", encoding, label)
    rows = list(cells.records(io.BytesIO(content), inspection))
    assert rows[0] == ["datum", "van"]


def test_the_checksum_is_of_the_bytes_as_sent():
    import hashlib

    content = b"datum,van\r\n1,2\r\n"

    assert cells.inspect(io.BytesIO(content)).sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_separator_is_read_from_the_header(delimiter):
    content = delimiter.join(["datum", "van", "naar"]).encode() + b"\r\n1" + delimiter.encode()
    content += b"a, b" if delimiter != "," else b'"a, b"'

    rows = list(cells.records(io.BytesIO(content), cells.inspect(io.BytesIO(content))))

    assert rows[1][:2] == ["1", "a, b"]


def test_sizes_are_said_as_people_read_them():
    assert cells.megabytes(20 * 1024 * 1024) == "20 MB"
    assert cells.megabytes(1536 * 1024) == "1,5 MB"
    assert [cells.column_letter(i) for i in (0, 25, 26, 27)] == ["A", "Z", "AA", "AB"]


def test_a_refusal_names_its_row_and_column():
    refusal = cells.FileRefused("bevat een NUL-teken.", row=3, column="titel")

    assert str(refusal) == "Rij 3, kolom 'titel': bevat een NUL-teken."
