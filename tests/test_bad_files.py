"""Bad files, in both importers: refused in Dutch, with the row (and column) where it
applies, and not a single row written.

Every malformed file goes through the admin's import of a registration type (upload
and preview, as a person does it) and through the fast transport import (the function
the admin upload and ``manage.py import_transport`` call, and where it matters the
upload page and the command themselves). Each test counts the rows before and after.
Encodings that can be told for certain are read, and the importer says which.
"""

import codecs
import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from kpis import transport_import
from kpis.models import ChannelPost, ImportBatch, Training, TransportReservation
from tests.factories import make_channel, make_organisation

pytestmark = pytest.mark.django_db


# --- the two importers, as a person uses them -------------------------------------------


@pytest.fixture
def adviser_client(client, make_role_user):
    """Advisers import registrations and transport: the real role, not a superuser."""
    client.force_login(make_role_user("Adviseur"))
    return client


@pytest.fixture
def libraries():
    return {
        "fmb": make_organisation(code="fmb", name="FlevoMeer Bibliotheek"),
        "dnb": make_organisation(code="dnb", name="De Nieuwe Bibliotheek"),
        "bem": make_organisation(code="bem", name="Bibliothèque Émmeloord"),
    }


@pytest.fixture
def website():
    return make_channel(slug="website", name="Website")


def admin_check(client, content: bytes, name: str, model=ChannelPost, fmt: str | None = None):
    """Upload to the admin import (step 1): the preview, or why the file is refused.

    Returns ``(response, problems)``: the form's errors on the file and the row errors.
    """
    fmt = fmt or ("1" if name.endswith(".xlsx") else "0")
    opts = model._meta
    response = client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_import"),
        {"resource": "0", "format": fmt, "import_file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 200
    form = response.context["form"]
    problems = list(form.errors.get("import_file", [])) + list(
        response.context.get("error_lines") or []
    )
    return response, problems


def admin_refuses(client, content: bytes, name: str, model=ChannelPost) -> str:
    before = model.objects.count()
    response, problems = admin_check(client, content, name, model)
    assert response.context.get("confirm_form") is None, "the file should be refused"
    assert problems
    assert model.objects.count() == before
    return " ".join(problems)


def transport_refuses(content: bytes, name: str) -> transport_import.ImportResult:
    before = (TransportReservation.objects.count(), ImportBatch.objects.count())
    result = transport_import.import_transport(io.BytesIO(content), file_name=name)
    assert not result.ok
    assert (TransportReservation.objects.count(), ImportBatch.objects.count()) == before
    return result


def transport_message(result) -> str:
    return " ".join(str(error) for error in result.errors)


POSTS = "kanaal,datum,titel\r\nwebsite,2022-01-05,{title}\r\n"
TRANSPORT = "datum,van,naar,aantal\r\n2022-01-05,{library},dnb,3\r\n"


def xlsx(rows, edit=None) -> bytes:
    """An XLSX file; ``edit(name, xml) -> xml`` rewrites parts of it afterwards."""
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if edit is None:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, edit(info.filename, source.read(info)))
    return out.getvalue()


# --- encodings: read when certain, and said which ---------------------------------------

ENCODINGS = [
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8 met BOM"),
    ("utf-16", "UTF-16"),  # with its BOM, as Excel's "Unicode-tekst" saves it
    ("utf-16-le", "UTF-16 (zonder BOM)"),
    ("cp1252", "Windows-1252"),  # Dutch Excel's "CSV (gescheiden door lijstscheidingsteken)"
]


@pytest.mark.parametrize(("encoding", "label"), ENCODINGS)
def test_the_admin_import_reads_each_encoding_and_says_which(
    adviser_client, website, encoding, label
):
    title = "Café Émmeloord – ‘één’"
    if encoding.startswith("utf-16"):
        title = "Café Émmeloord – één"
    content = POSTS.format(title=title).encode(encoding)

    response, problems = admin_check(adviser_client, content, "berichten.csv")

    assert problems == []
    assert f"Gelezen als {label}." in response.content.decode()
    assert title in response.content.decode()  # the preview shows it as written
    assert ChannelPost.objects.count() == 0  # a preview writes nothing


@pytest.mark.parametrize(("encoding", "label"), ENCODINGS)
def test_the_transport_import_reads_each_encoding_and_says_which(libraries, encoding, label):
    content = TRANSPORT.format(library="Bibliothèque Émmeloord").encode(encoding)

    result = transport_import.import_transport(io.BytesIO(content), file_name="t.csv")

    assert result.ok, transport_message(result)
    assert result.encoding == label
    assert TransportReservation.objects.get().origin == libraries["bem"]


def test_a_tab_separated_utf16_file_from_excel_is_read(adviser_client, website):
    content = "kanaal\tdatum\ttitel\r\nwebsite\t05-01-2022\tEen, twee\r\n".encode("utf-16")

    response, problems = admin_check(adviser_client, content, "unicode-tekst.txt")

    assert problems == []
    assert response.context["totals"]["new"] == 1


def test_two_encodings_in_one_file_are_refused_with_the_line(adviser_client, website, libraries):
    """A file that starts as UTF-8 and goes on in Windows-1252 (two files pasted together)."""
    posts = POSTS.format(title="Café").encode() + "website,2022-01-06,Café\r\n".encode("cp1252")
    transport = TRANSPORT.format(library="Bibliothèque Émmeloord").encode()
    transport += "2022-01-06,Bibliothèque Émmeloord,dnb,1\r\n".encode("cp1252")

    message = admin_refuses(adviser_client, posts, "berichten.csv")
    result = transport_refuses(transport, "t.csv")

    assert "twee tekensets door elkaar" in message and "regel 3" in message
    assert "twee tekensets door elkaar" in transport_message(result)


# --- files that are not what they say ---------------------------------------------------


def other_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("foto's/vakantie.txt", "geen werkmap")
    return buffer.getvalue()


def opendocument() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


BAD_FILES = [
    ("leeg.csv", b"", "is leeg"),
    ("kop.csv", b"kanaal,datum,titel\r\n", "alleen een kopregel"),
    ("kop-en-lege-regels.csv", b"kanaal,datum,titel\r\n,,\r\n\r\n", "alleen een kopregel"),
    ("kop.xlsx", None, "alleen een kopregel"),  # made below: a workbook with a header only
    ("plaatje.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "binaire gegevens"),
    ("nullen.csv", b"\x00" * 4096, "binaire gegevens"),
    ("ander.xlsx", other_zip(), "zip-bestand zonder Excel-werkmap"),
    ("rekenblad.xlsx", opendocument(), "OpenDocument-rekenblad"),
    ("tekst.xlsx", POSTS.format(title="x").encode(), "geen zip-bestand"),
    ("kapot.xlsx", b"PK\x03\x04kapot" + bytes(200), "geen geldig XLSX-bestand"),
    ("oud.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "oud Excel-bestand"),
]


def bad_file(name, content):
    if content is None:
        header = ["datum", "van", "naar", "aantal"] if name.startswith("t") else None
        content = xlsx([header or ["kanaal", "datum", "titel"]])
    return content


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES, ids=[f[0] for f in BAD_FILES])
def test_a_bad_file_is_refused_by_the_admin_import(adviser_client, website, name, content, message):
    assert message in admin_refuses(adviser_client, bad_file(name, content), name)


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES, ids=[f[0] for f in BAD_FILES])
def test_a_bad_file_is_refused_by_the_transport_import(libraries, name, content, message):
    if name.startswith("kop"):
        content = content and content.replace(b"kanaal,datum,titel", b"datum,van,naar,aantal")
        content = content or xlsx([["datum", "van", "naar", "aantal"]])
        message = "geen rijen"
    assert message in transport_message(transport_refuses(bad_file(name, content), name))


def test_a_bad_file_is_refused_on_the_transport_upload_page_and_by_the_command(
    adviser_client, libraries, tmp_path
):
    path = tmp_path / "ander.xlsx"
    path.write_bytes(other_zip())

    response = adviser_client.post(
        reverse("admin:kpis_transportreservation_import"),
        {"file": SimpleUploadedFile("ander.xlsx", other_zip())},
    )
    with pytest.raises(CommandError, match="1 fout"):
        call_command("import_transport", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert "zip-bestand zonder Excel-werkmap" in response.content.decode()
    assert TransportReservation.objects.count() == 0 and ImportBatch.objects.count() == 0


# --- NUL characters: refused at the preview, with row and column ------------------------


def test_a_nul_character_is_refused_at_the_preview_with_its_row_and_column(
    adviser_client, website, libraries
):
    posts = "kanaal,datum,titel\r\nwebsite,2022-01-05,Een\r\nwebsite,2022-01-06,T\x00wee\r\n"
    transport = "datum,van,naar,aantal\r\n2022-01-05,fmb,dnb,3\r\n2022-01-06,fmb,d\x00nb,1\r\n"

    message = admin_refuses(adviser_client, posts.encode(), "berichten.csv")
    result = transport_refuses(transport.encode(), "t.csv")

    assert message.startswith("Rij 3, kolom 'titel': bevat een NUL-teken")
    assert [(error.row, error.column) for error in result.errors] == [(3, "naar")]
    assert "NUL-teken" in result.errors[0].message


def test_a_nul_character_in_utf16_is_refused_too(adviser_client, website):
    posts = "kanaal,datum,titel\r\nwebsite,2022-01-05,E\x00en\r\n".encode("utf-16")

    assert admin_refuses(adviser_client, posts, "b.csv").startswith("Rij 2, kolom 'titel'")


# --- formulas and error values in a workbook: refused, naming the cell -----------------


def with_cached_value(name, xml):
    # What Excel saves: the formula and the value it computed last.
    if name.startswith("xl/worksheets/"):
        return xml.replace(b"<f>SUM(D2:D3)</f><v></v>", b"<f>SUM(D2:D3)</f><v>4</v>")
    return xml


@pytest.mark.parametrize("cached", [False, True], ids=["zonder-waarde", "met-waarde"])
def test_a_formula_cell_is_refused_by_both_importers_naming_the_cell(
    adviser_client, website, libraries, cached
):
    edit = with_cached_value if cached else None
    posts = xlsx(
        [
            ["kanaal", "datum", "titel", "views"],
            ["website", datetime.date(2022, 1, 5), "Een", 1],
            ["website", datetime.date(2022, 1, 6), "Twee", 3],
            ["website", datetime.date(2022, 1, 7), "Som", "=SUM(D2:D3)"],
        ],
        edit,
    )
    transport = xlsx(
        [
            ["datum", "van", "naar", "aantal"],
            [datetime.date(2022, 1, 5), "fmb", "dnb", 1],
            [datetime.date(2022, 1, 6), "fmb", "dnb", 3],
            [datetime.date(2022, 1, 7), "fmb", "dnb", "=SUM(D2:D3)"],
        ],
        edit,
    )

    message = admin_refuses(adviser_client, posts, "berichten.xlsx")
    result = transport_refuses(transport, "t.xlsx")

    assert message.startswith("Rij 4, kolom 'views': cel D4 bevat een formule (=SUM(D2:D3))")
    assert [(error.row, error.column) for error in result.errors] == [(4, "aantal")]
    assert "cel D4 bevat een formule" in result.errors[0].message


def test_an_error_value_in_a_cell_is_refused(adviser_client, website):
    content = xlsx([["kanaal", "datum", "titel"], ["website", "2022-01-05", "#DIV/0!"]])

    message = admin_refuses(adviser_client, content, "b.xlsx")

    assert message.startswith("Rij 2, kolom 'titel': cel C2 bevat een foutwaarde (#DIV/0!)")


# --- duplicate rows within one file -----------------------------------------------------


@pytest.mark.parametrize("header", [["titel", "datum"], ["title", "held_on"]])
def test_two_rows_for_the_same_training_are_refused_naming_both(adviser_client, header):
    content = (
        ",".join([*header, "deelnemers"])
        + "\r\nLeesbevordering,2022-03-01,12\r\nAnders,2022-03-01,4\r\n"
        + "Leesbevordering,01-03-2022,12\r\n"
    ).encode()

    message = admin_refuses(adviser_client, content, "trainingen.csv", model=Training)

    assert message == (
        "Rij 4, kolom 'titel': Dezelfde 'titel' en 'datum' als rij 2 van dit bestand."
    )


def test_two_monthly_totals_for_one_month_and_pair_are_refused_naming_both(libraries):
    content = (
        b"maand,van,naar,aantal\r\n2022-03,fmb,dnb,120\r\n2022-03,dnb,fmb,80\r\n"
        b"03-2022,FMB,De Nieuwe Bibliotheek,120\r\n"
    )

    result = transport_refuses(content, "maanden.csv")

    [error] = result.errors
    assert (error.row, error.column) == (4, "maand")
    assert "Dezelfde maand, van en naar als rij 2" in error.message


def test_day_rows_may_repeat_as_a_list_of_single_reservations_does(libraries):
    content = "datum,van,naar,aantal\r\n2022-03-01,fmb,dnb,1\r\n2022-03-01,fmb,dnb,1\r\n"

    result = transport_import.import_transport(io.BytesIO(content.encode()), file_name="t.csv")

    assert result.ok and TransportReservation.objects.count() == 2


# --- sizes: the file, and the parts of a workbook --------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    adviser_client, website, libraries, settings, tmp_path, monkeypatch
):
    settings.BNF_IMPORT_MAX_BYTES = 1000
    posts = POSTS.format(title="x" * 2000).encode()
    transport = TRANSPORT.format(library="fmb").encode() + b"2022-01-06,fmb,dnb,1\r\n" * 60
    path = tmp_path / "groot.csv"
    path.write_bytes(transport)
    monkeypatch.setattr(
        "kpis.core.cells.records", lambda *a: pytest.fail("a file over the limit was read")
    )

    message = admin_refuses(adviser_client, posts, "groot.csv")
    result = transport_refuses(transport, "groot.csv")
    page = adviser_client.post(
        reverse("admin:kpis_transportreservation_import"),
        {"file": SimpleUploadedFile("groot.csv", transport)},
    ).content.decode()
    with pytest.raises(CommandError):
        call_command("import_transport", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    expected = "er wordt hoogstens 0,0 MB gelezen"
    assert "Het bestand is 0,0 MB" in message and expected in message
    assert "Splits het in kleinere bestanden" in transport_message(result)
    assert "Splits het in kleinere bestanden" in page
    assert TransportReservation.objects.count() == 0


def test_the_command_may_read_a_larger_file_when_asked(libraries, settings, tmp_path):
    settings.BNF_IMPORT_MAX_BYTES = 100
    path = tmp_path / "groot.csv"
    path.write_bytes(TRANSPORT.format(library="fmb").encode() + b"2022-01-06,fmb,dnb,1\r\n" * 10)

    call_command("import_transport", str(path), "--max-bytes", "0", stdout=io.StringIO())

    assert TransportReservation.objects.count() == 11


def bomb(size: int) -> bytes:
    """A small XLSX with one cell that unpacks to ``size`` bytes: its sheet part is big."""

    def inflate(name, xml):
        if name == "xl/worksheets/sheet1.xml":
            return xml.replace(b"<t>x</t>", b"<t>" + b"x" * size + b"</t>")
        return xml

    workbook = openpyxl.Workbook()
    workbook.active.append(["kanaal", "datum", "titel"])
    workbook.active.append(["website", "2022-01-05", "x"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, inflate(info.filename, source.read(info)))
    return out.getvalue()


def test_an_xlsx_part_over_the_limit_is_refused_before_openpyxl_opens_it(
    adviser_client, website, libraries, settings, monkeypatch
):
    settings.BNF_IMPORT_MAX_XLSX_PART_BYTES = 1024 * 1024
    content = bomb(3 * 1024 * 1024)
    assert len(content) < 50_000  # small to upload, large once unpacked
    monkeypatch.setattr(
        openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl opened the bomb")
    )

    message = admin_refuses(adviser_client, content, "bom.xlsx")
    result = transport_refuses(content, "bom.xlsx")

    assert "('xl/worksheets/sheet1.xml') dat uitgepakt 3,0 MB is" in message
    assert "meer dan 1 MB per onderdeel" in transport_message(result)
    assert transport_import.count_rows(io.BytesIO(content)) == 0  # nor to count its rows


def test_a_workbook_under_the_part_limit_is_read(adviser_client, website, settings):
    settings.BNF_IMPORT_MAX_XLSX_PART_BYTES = 1024 * 1024

    response, problems = admin_check(adviser_client, bomb(200), "klein.xlsx")

    assert problems == [] and response.context["totals"]["new"] == 1


# --- dates after next year: a row error, not a crash ------------------------------------


@pytest.mark.parametrize("as_cell", [False, True], ids=["tekst", "datumcel"])
def test_a_date_after_next_year_is_a_dutch_row_error(adviser_client, website, as_cell):
    late = datetime.date(datetime.date.today().year + 2, 1, 5)
    rows = [["kanaal", "datum", "titel"], ["website", "2022-01-05", "Een"]]
    rows.append(["website", late if as_cell else late.isoformat(), "Later"])
    content = xlsx(rows)

    message = admin_refuses(adviser_client, content, "laat.xlsx")

    assert message == (
        f"Rij 3, kolom 'datum': Een datum na 31 december {late.year - 1} kan niet: registreer "
        "wat er gebeurd is of dit en volgend jaar gepland staat."
    )


def test_a_date_after_next_year_is_refused_by_the_database_at_confirmation(
    adviser_client, website, monkeypatch
):
    """Had the check in Python missed it, the database refuses it: a row error still."""
    from kpis.core import year_policy

    content = POSTS.format(title="Later").replace("2022", str(datetime.date.today().year + 2))
    monkeypatch.setattr(year_policy, "ensure_plausible", lambda *args: None)
    response, problems = admin_check(adviser_client, content.encode(), "laat.csv")
    assert problems == []

    confirmed = adviser_client.post(
        reverse("admin:kpis_channelpost_process_import"), response.context["confirm_form"].initial
    )

    assert confirmed.status_code == 200
    assert "Een datum na 31 december" in " ".join(confirmed.context["error_lines"])
    assert ChannelPost.objects.count() == 0


def test_the_bom_of_a_utf8_file_is_no_part_of_its_first_column(adviser_client, website):
    content = codecs.BOM_UTF8 + POSTS.format(title="Een").encode()

    response, problems = admin_check(adviser_client, content, "b.csv")

    assert problems == [] and response.context["totals"]["new"] == 1
