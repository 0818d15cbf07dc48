"""The network's identity (kpis.models.network): one record coordinators edit, and every
surface that names the network reads it. With the made-up second network loaded
(fixtures/voorbeeldland.json, on its own), nothing says Flevoland, FMB, DNB or BNF."""

import csv
import datetime
import io
import json
import re
import struct
import zlib

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from kpis.core import data_version
from kpis.core.roles import ADVISER, COORDINATOR, PROVINCE
from kpis.models import Network
from kpis.models.network import (
    DEFAULT_ACCENT,
    DEFAULT_PRIMARY,
    contrast_ratio,
    identity_per_request,
)
from kpis.reporting import aggregation, closing
from kpis.reporting.figures import Section, static_figures
from tests.factories import DAY, make_organisation, make_training, make_transport, set_network

pytestmark = pytest.mark.django_db

BNF_WORDS = re.compile(r"Flevoland|\bFMB\b|\bDNB\b|\bBNF\b")
YEAR = 2025  # the year of fixtures/voorbeeldland.json
CHANGE_URL = reverse("admin:kpis_network_change", args=[1])


def bnf_words(text: str) -> list[str]:
    return BNF_WORDS.findall(text)


@pytest.fixture
def voorbeeldland(db):
    cache.clear()
    call_command("loaddata", "voorbeeldland", verbosity=0)
    return Network.objects.get()


def png(width=4, height=2) -> bytes:
    """A valid PNG of ``width`` x ``height`` white pixels."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def form_data(network: Network, **changes) -> dict:
    """The change form as the admin posts it, with ``changes``."""
    data = {
        "name": network.name,
        "short_name": network.short_name,
        "tagline": network.tagline,
        "home_province": network.home_province,
        "members": [str(pk) for pk in network.members.values_list("pk", flat=True)],
        "primary_colour": network.primary_colour,
        "accent_colour": network.accent_colour,
        "intro": network.intro,
    }
    for section in Section:
        data[f"section_title_{section.value}"] = network.section_title(section.value) or ""
    return {**data, **changes}


# --- the second network, on every surface ---------------------------------------------


class TestAnotherNetwork:
    """fixtures/voorbeeldland.json on its own: a network in Zeeland, made up."""

    def test_the_dashboard_names_it_and_nothing_of_bnf(self, client, voorbeeldland):
        page = client.get(f"/{YEAR}/").content.decode()
        assert bnf_words(page) == []
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert "Bibliotheeknetwerk Voorbeeldland" in title
        assert ">BNV</span>" in page and "Verzonnen netwerk, echte cijfers" in page
        # The intro left empty: made from the member libraries.
        assert (
            "Wat Bibliotheeknetwerk Voorbeeldland dit jaar deed voor Bibliotheek "
            "Denkbeeldhaven, Bibliotheek Proefpolder, Bibliotheek Voorbeeldstad en de "
            "provincie" in page
        )
        # The province in the labels, the network's own title for a section.
        assert "geleverde reserveringen binnen Zeeland" in page
        assert "Zeeuwse best practices en expertise gedeeld" in page
        assert "<h2" in page and "Kennis delen in Voorbeeldland</h2>" in page
        assert "Resultaten voor medewerkers van de bibliotheken</h2>" in page  # the default

    def test_the_transport_within_its_province_counts(self, voorbeeldland):
        report = aggregation.year_report(YEAR)
        # 12 months of (120 + 64 + 2 x month) within Zeeland, (18 + 9 + 2 x month) across.
        assert report["transport.within_province"].value == 12 * 184 + 156
        assert report["transport.interprovincial"].value == 12 * 27 + 156

    def test_the_report_and_its_pdf_name_it_and_nothing_of_bnf(self, client, voorbeeldland):
        page = client.get(f"/{YEAR}/report/").content.decode()
        assert bnf_words(page) == []
        assert '<p class="glossy-network">Bibliotheeknetwerk Voorbeeldland</p>' in page
        assert "berekend uit de registraties van BNV." in page
        assert 'alt="Logo van Bibliotheeknetwerk Voorbeeldland"' in page

        response = client.get(f"/{YEAR}/report.pdf")
        assert response["Content-Disposition"] == (
            f'inline; filename="bnv-jaarverslag-{YEAR}-concept.pdf"'
        )
        reader = PdfReader(io.BytesIO(response.content))
        text = " ".join(page.extract_text() for page in reader.pages)
        assert bnf_words(text) == []
        assert "Bibliotheeknetwerk Voorbeeldland" in text
        assert "Kennis delen in Voorbeeldland" in text
        assert reader.metadata.author == "Bibliotheeknetwerk Voorbeeldland"

    def test_the_exports_name_it_and_nothing_of_bnf(self, client, voorbeeldland):
        responses = {
            "csv": client.get(f"/{YEAR}/figures.csv"),
            "xlsx": client.get(f"/{YEAR}/figures.xlsx"),
            "all": client.get("/figures.csv"),
            "json": client.get(f"/{YEAR}/figures.json"),
        }
        assert responses["csv"]["Content-Disposition"].endswith(f'"bnv-figuren-{YEAR}.csv"')
        assert responses["xlsx"]["Content-Disposition"].endswith(f'"bnv-figuren-{YEAR}.xlsx"')
        assert responses["all"]["Content-Disposition"].endswith('"bnv-figuren-alle-jaren.csv"')
        text = responses["csv"].content.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert bnf_words(text) == [] and bnf_words(responses["all"].content.decode()) == []
        sections = {row["key"]: row["section"] for row in rows}
        assert sections["knowledge.trainings"] == "Kennis delen in Voorbeeldland"
        workbook = load_workbook(io.BytesIO(responses["xlsx"].content), read_only=True)
        cells = [str(c) for sheet in workbook for row in sheet.values for c in row if c]
        assert bnf_words(" ".join([*workbook.sheetnames, *cells])) == []
        assert bnf_words(json.dumps(responses["json"].json(), ensure_ascii=False)) == []

    def test_the_admin_index_names_it_and_nothing_of_bnf(
        self, client, voorbeeldland, make_role_user
    ):
        client.force_login(make_role_user(COORDINATOR))
        page = client.get(reverse("admin:index")).content.decode()
        assert bnf_words(page) == []
        assert "<title>Start | BNV registratie</title>" in page
        assert ">BNV registratie</a>" in page  # the header

    def test_the_login_and_lockout_pages_name_it(self, client, voorbeeldland, settings):
        page = client.get(reverse("admin:login")).content.decode()
        assert bnf_words(page) == [] and "BNV registratie" in page
        for _attempt in range(settings.AXES_FAILURE_LIMIT):
            response = client.post(
                reverse("admin:login"), {"username": "anouk", "password": "fout"}
            )
        assert response.status_code == 429
        page = response.content.decode()
        assert bnf_words(page) == []
        assert "Vraag een coördinator van BNV om een nieuw wachtwoord" in page


def test_the_code_defaults_name_no_network():
    """Without a network the declarations are neutral: nothing of BNF in the code."""
    for section in Section:
        assert bnf_words(str(section.label)) == [], section
    for figure in static_figures():
        assert bnf_words(f"{figure.label} {figure.definition}") == [], figure.key


# --- BNF's identity (the 2021 demo) -------------------------------------------------------


def test_the_2021_demo_is_bnfs(client, demo_2021):
    page = client.get("/2021/").content.decode()
    assert "<title>Jaarcijfers 2021 · Bibliotheeknetwerk Flevoland</title>" in page
    assert '<span class="brand-mark" aria-hidden="true">BNF</span>' in page
    assert "Resultaten voor medewerkers FMB en DNB</h2>" in page
    assert "Wat Bibliotheeknetwerk Flevoland dit jaar deed voor FlevoMeer Bibliotheek" in page
    assert "network.css" not in page  # the site's own colours: no extra stylesheet
    csv_response = client.get("/2021/figures.csv")
    assert csv_response["Content-Disposition"].endswith('"bnf-figuren-2021.csv"')
    assert "Resultaten voor medewerkers FMB en DNB" in csv_response.content.decode()


def test_without_its_row_the_identity_is_neutral():
    """A database just flushed (the tests' live server does that): the defaults."""
    Network.objects.all().delete()
    network = Network.objects.current()
    assert network.pk is None and network.name == "Bibliotheeknetwerk"
    assert network.file_prefix == "bibliotheeknetwerk"
    assert aggregation.year_report(2021)["transport.within_province"].value == 0


# --- reading it: once per request, under the data version ----------------------------------


def test_it_is_read_once_per_request_and_from_the_cache_after(settings, django_assert_num_queries):
    set_network(name="Eén", members=[make_organisation(name="Bieb A")])
    cache.clear()
    with identity_per_request():
        with django_assert_num_queries(3):  # the data version, the row, its libraries
            assert Network.objects.current().member_names == ["Bieb A"]
        with django_assert_num_queries(0):
            assert Network.objects.current().name == "Eén"
    with django_assert_num_queries(1):  # another request: the version, then the cache
        assert Network.objects.current().name == "Eén"
    settings.BNF_FIGURE_CACHE = False
    with django_assert_num_queries(2):
        assert Network.objects.current().name == "Eén"


def test_its_tables_carry_the_data_version_trigger():
    assert {"kpis_network", "kpis_network_members"} <= set(data_version.tracked_tables())
    before = data_version.current()
    set_network(short_name="XYZ")
    after_rename = data_version.current()
    assert after_rename != before
    set_network(members=[make_organisation()])
    assert data_version.current() != after_rename


def test_an_edit_shows_on_the_next_cached_page(client):
    make_training(held_on=DAY)
    set_network(name="Netwerk Een")
    assert "Netwerk Een" in client.get("/2021/").content.decode()
    assert "Netwerk Een" in client.get("/2021/").content.decode()  # from the page cache
    set_network(name="Netwerk Twee", section_titles={"transport": "Vervoer"})
    page = client.get("/2021/").content.decode()
    assert "Netwerk Twee" in page and "Netwerk Een" not in page and "Vervoer</h2>" in page


# --- the admin: change only, by coordinators ------------------------------------------------


def test_a_coordinator_changes_the_identity(client, make_role_user):
    make_training(held_on=DAY)
    library = make_organisation(name="Bibliotheek Noord")
    client.force_login(make_role_user(COORDINATOR))
    network = Network.objects.get()
    # The list goes straight to the one record.
    assert client.get(reverse("admin:kpis_network_changelist"))["Location"] == CHANGE_URL
    page = client.get(CHANGE_URL).content.decode()
    assert 'placeholder="Resultaten voor medewerkers van de bibliotheken"' in page
    data = form_data(
        network,
        name="Bibliotheeknetwerk Noord",
        short_name="BNN",
        members=[str(library.pk)],
        primary_colour="#123456",
        section_title_support="Resultaten voor Bibliotheek Noord",
    )
    response = client.post(CHANGE_URL, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    network = Network.objects.get()
    assert (network.name, network.short_name, network.primary_colour) == (
        "Bibliotheeknetwerk Noord",
        "BNN",
        "#123456",
    )
    assert list(network.members.all()) == [library]
    assert network.section_titles == {"support": "Resultaten voor Bibliotheek Noord"}
    page = client.get("/2021/").content.decode()
    assert "Resultaten voor Bibliotheek Noord" in page
    assert f'href="/network.css?v={network.style_version}"' in page
    css = client.get("/network.css").content.decode()
    assert "--brand: #123456;" in css and f"--accent: {DEFAULT_ACCENT};" in css


def test_there_is_no_second_identity_and_no_deleting_it(client, make_role_user, superuser_client):
    client.force_login(make_role_user(COORDINATOR))
    for a_client in (client, superuser_client):
        assert a_client.get(reverse("admin:kpis_network_add")).status_code == 403
        assert a_client.get(reverse("admin:kpis_network_delete", args=[1])).status_code == 403
        assert a_client.post(reverse("admin:kpis_network_delete", args=[1]), {"post": "yes"})
    assert Network.objects.count() == 1


@pytest.fixture
def superuser_client(db):
    from django.contrib.auth.models import User
    from django.test import Client

    superuser_client = Client()
    superuser_client.force_login(User.objects.create_superuser("test-superuser", password="x"))
    return superuser_client


@pytest.mark.parametrize("role", [ADVISER, PROVINCE])
def test_advisers_and_the_provincie_only_see_it(client, make_role_user, role):
    client.force_login(make_role_user(role))
    network = Network.objects.get()
    assert client.get(CHANGE_URL).status_code == 200
    response = client.post(CHANGE_URL, form_data(network, name="Ander netwerk"))
    assert response.status_code == 403
    assert Network.objects.get().name == network.name


def test_the_roles_migration_grants_it(roles):
    def codes(group):
        return set(
            group.permissions.filter(content_type__model="network").values_list(
                "codename", flat=True
            )
        )

    assert codes(roles[COORDINATOR]) == {"view_network", "change_network"}
    assert codes(roles[ADVISER]) == {"view_network"}
    assert codes(roles[PROVINCE]) == {"view_network"}


# --- colours: readable or refused -------------------------------------------------------------


def test_the_contrast_ratio_is_wcags():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", "#ffffff") < 4.5
    for colour in (DEFAULT_PRIMARY, DEFAULT_ACCENT, "#5b2a86", "#1d6b46"):
        assert contrast_ratio(colour, "#ffffff") >= 4.5, colour


@pytest.mark.parametrize(
    ("field", "colour", "ratio"),
    # never rounded up to a pass: 4.4776 reads 4,47
    [("primary_colour", "#ffd700", "1,40"), ("accent_colour", "#777777", "4,47")],
)
def test_a_colour_too_light_for_white_text_is_refused(client, make_role_user, field, colour, ratio):
    client.force_login(make_role_user(COORDINATOR))
    network = Network.objects.get()
    before = list(Network.objects.values())
    response = client.post(CHANGE_URL, form_data(network, name="Nieuw", **{field: colour}))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors[field]
    assert errors == [
        f"Te weinig contrast met wit: {ratio}:1, minstens 4,5:1 (WCAG AA). Witte tekst op deze "
        "kleur en deze kleur als tekst op wit zijn dan slecht leesbaar; kies een donkerdere kleur."
    ]
    assert list(Network.objects.values()) == before


def test_a_colour_that_is_no_colour_is_refused(client, make_role_user):
    client.force_login(make_role_user(COORDINATOR))
    network = Network.objects.get()
    response = client.post(CHANGE_URL, form_data(network, primary_colour="blauw"))
    assert response.context["adminform"].form.errors["primary_colour"] == [
        "Geef een kleur als #rrggbb, bijvoorbeeld #0f4c81."
    ]
    assert Network.objects.get().primary_colour == DEFAULT_PRIMARY


# --- the logo ---------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client, name, content):
    network = Network.objects.get()
    return client.post(
        CHANGE_URL, {**form_data(network), "logo": SimpleUploadedFile(name, content)}
    )


def test_an_uploaded_logo_is_on_the_report_its_pdf_and_the_header(client, make_role_user, media):
    make_training(held_on=DAY)
    client.force_login(make_role_user(COORDINATOR))
    response = upload(client, "logo.png", png())
    assert response.status_code == 302
    network = Network.objects.get()
    assert network.logo.name.startswith("network/") and (media / network.logo.name).exists()
    page = client.get("/2021/report/").content.decode()
    assert f'src="{network.logo_url}"' in page and "/network/logo?v=" in network.logo_url
    assert f'<img class="brand-logo" src="{network.logo_url}"' in page
    client.logout()
    served = client.get("/network/logo")
    assert served["Content-Type"] == "image/png" and served.content == png()
    assert "sandbox" in served["Content-Security-Policy"]
    assert (
        client.get("/network/logo")["Content-Security-Policy"] == served["Content-Security-Policy"]
    )
    pdf = client.get("/2021/report.pdf")
    assert pdf.status_code == 200
    cover = PdfReader(io.BytesIO(pdf.content)).pages[0]
    objects = cover["/Resources"]["/XObject"].values()
    assert any(o.get_object()["/Subtype"] == "/Image" for o in objects)  # the PNG on the cover


SVG_OK = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    b'<rect width="10" height="10"/></svg>'
)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("logo.gif", b"GIF89a", "Een logo is een SVG-, PNG- of JPEG-bestand (.svg, .png, .jpg)."),
        ("logo.png", b"\x89PNG\r\n\x1a\nkapot", "Deze afbeelding is beschadigd of onleesbaar."),
        ("logo.jpg", png(), "De inhoud van het bestand past niet bij de extensie (.jpg)."),
        (
            "logo.svg",
            SVG_OK.replace(b"<rect", b"<script>alert(1)</script><rect"),
            "Het SVG-bestand bevat scripts, ingebedde pagina's of verwijzingen naar andere "
            "bestanden; een logo moet op zichzelf staan.",
        ),
        (
            "logo.svg",
            SVG_OK.replace(b"<rect", b'<rect onclick="alert(1)"'),
            "Het SVG-bestand bevat scripts, ingebedde pagina's of verwijzingen naar andere "
            "bestanden; een logo moet op zichzelf staan.",
        ),
        (
            "logo.svg",
            b'<!DOCTYPE svg [<!ENTITY a "b">]>' + SVG_OK,
            "Het SVG-bestand bevat een DOCTYPE of entiteiten; sla het op als gewone SVG.",
        ),
        ("logo.svg", b"<html></html>", "Dit is geen SVG-afbeelding."),
        (
            "logo.png",
            b"\x89PNG\r\n\x1a\n" + b"0" * 600_000,
            "Het logo is 586 kB; hoogstens 500 kB.",
        ),
    ],
)
def test_a_logo_that_is_no_good_is_refused(client, make_role_user, media, name, content, message):
    client.force_login(make_role_user(COORDINATOR))
    response = upload(client, name, content)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["logo"] == [message]
    assert not Network.objects.get().logo
    assert not list(media.rglob("*.*"))


def test_a_clean_svg_logo_is_accepted(client, make_role_user, media):
    make_training(held_on=DAY)
    client.force_login(make_role_user(COORDINATOR))
    assert upload(client, "logo.svg", SVG_OK).status_code == 302
    assert client.get("/network/logo")["Content-Type"] == "image/svg+xml"
    assert client.get("/2021/report.pdf").status_code == 200


def test_a_logo_gone_from_the_storage_falls_back_to_the_default(media):
    set_network(logo="network/weg.png")
    content, kind = Network.objects.current().logo_content()
    assert kind == "svg" and content.startswith(b"<svg")


# --- the province and the published years ---------------------------------------------------


def test_a_new_home_province_that_would_change_a_closed_year_is_refused(
    client, make_role_user, coordinator
):
    library, other = make_organisation(), make_organisation()
    make_transport(
        origin=library, destination=other, quantity=7, delivered_on=datetime.date(2021, 3, 1)
    )
    closing.close_year(2021, coordinator)
    client.force_login(make_role_user(COORDINATOR))
    network = Network.objects.get()
    response = client.post(CHANGE_URL, form_data(network, home_province="utrecht"))
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "verandert een vastgesteld cijfer van 2021" in errors
    assert Network.objects.get().home_province == "flevoland"
    # Anything else may change, closed year or not.
    response = client.post(CHANGE_URL, form_data(network, name="Nieuwe naam"))
    assert response.status_code == 302
    assert Network.objects.get().name == "Nieuwe naam"


def test_a_closed_year_keeps_the_titles_and_labels_it_was_published_with(
    client, demo_2021, coordinator
):
    closing.close_year(2021, coordinator)
    set_network(
        name="Bibliotheeknetwerk Voorbeeldland",
        section_titles={"support": "Nieuwe titel", "transport": "Vervoer"},
    )
    page = client.get("/2021/").content.decode()
    assert "Resultaten voor medewerkers FMB en DNB</h2>" in page
    assert "Transport</h2>" in page
    assert "Nieuwe titel" not in page and "Vervoer" not in page
    assert "Bibliotheeknetwerk Voorbeeldland" in page  # the name: today's
    rows = {r["key"]: r for r in client.get("/2021/figures.json").json()["figures"]}
    assert rows["support.advices"]["section"] == "Resultaten voor medewerkers FMB en DNB"
    # An open year: today's titles.
    report = aggregation.history().for_year(2022)
    assert report["support.advices"].figure.section_label == "Nieuwe titel"
    assert report["transport.within_province"].figure.section_label == "Vervoer"


def test_a_restore_replaces_the_identity_the_migration_made(demo_2021, tmp_path):
    from django.contrib.contenttypes.models import ContentType

    from tests.test_backup import empty_database

    # tests/test_demo_data.py leaves content types in Django's cache whose rows were rolled
    # back; a restore looks permissions up through that cache (a fresh process has none).
    ContentType.objects.clear_cache()
    archive = tmp_path / "archief.zip"
    call_command("backup_data", str(archive), stdout=io.StringIO())
    empty_database()
    # what migrate makes: a neutral row (written without signals, as a migration does)
    Network.objects.bulk_create([Network(pk=1, home_province="gelderland")])
    call_command("restore_data", str(archive), stdout=io.StringIO())
    network = Network.objects.get()
    assert (network.name, network.home_province) == ("Bibliotheeknetwerk Flevoland", "flevoland")
    assert sorted(network.members.values_list("code", flat=True)) == ["dnb", "fmb"]
