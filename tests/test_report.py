"""The annual report page and its texts: coordinators write them, everyone reads them."""

import html
import importlib
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from kpis import models as kpi_models
from kpis.core.roles import ADVISER, COORDINATOR, PROVINCE
from kpis.models import ReportText
from kpis.models.report_text import Block, bullet_lines, text_blocks
from kpis.reporting import aggregation, closing
from kpis.reporting.figures import Section, Unit
from tests.catalogue import expected_2021
from tests.factories import make_testimonial, make_training

pytestmark = pytest.mark.django_db

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ADD = reverse("admin:kpis_reporttext_add")
CHANGELIST = reverse("admin:kpis_reporttext_changelist")


def dutch(value: Decimal, unit: str) -> str:
    text = f"{int(Decimal(value).quantize(Decimal(1))):,}".replace(",", ".")
    return f"€ {text}" if unit == Unit.EURO else text


def shown_values(page: str) -> dict[str, str]:
    pattern = re.compile(r'data-key="([^"]+)".*?data-value>([^<]*)<', re.S)
    return {key: html.unescape(value) for key, value in pattern.findall(page)}


@pytest.fixture
def report_roles(roles):
    """The roles with the report-text permissions (migration 0007), also after a flush."""
    importlib.import_module("kpis.migrations.0007_report_text_roles").allow_report_texts(apps, None)
    return roles


def text_form(**fields):
    data = {"year": "2021", "intro": "Welkom.", "board": "Trots.", "plans": "- Meer lezen"}
    data.update({f"section_{section.value}": "" for section in Section})
    return {**data, **fields}


def evil_text(year=2021) -> ReportText:
    return ReportText.objects.create(
        year=year,
        intro=EVIL,
        board=f"- {EVIL}",
        section_texts={section.value: EVIL for section in Section},
        plans=EVIL,
    )


# --- the texts ---------------------------------------------------------------------------


def test_text_blocks_are_paragraphs_on_blank_lines_and_bullets():
    text = "Eerste regel\nloopt door.\n\n- een\n- twee\nNa de lijst.\n\n\n* drie"
    assert text_blocks(text) == [
        Block("p", ("Eerste regel loopt door.",)),
        Block("ul", ("een", "twee")),
        Block("p", ("Na de lijst.",)),
        Block("ul", ("drie",)),
    ]
    assert text_blocks("") == []
    assert bullet_lines("- een\n\ntwee\r\n• drie") == ["een", "twee", "drie"]


def test_a_coordinator_writes_the_report_text(client, make_role_user, report_roles):
    client.force_login(make_role_user(COORDINATOR))
    assert client.get(ADD).status_code == 200
    response = client.post(ADD, text_form(section_transport="Alles op tijd bezorgd."))
    assert response.status_code == 302, response.content.decode()[:2000]
    text = ReportText.objects.get(year=2021)
    assert text.intro == "Welkom." and text.section_texts == {"transport": "Alles op tijd bezorgd."}

    change = reverse("admin:kpis_reporttext_change", args=[text.pk])
    page = client.get(change).content.decode()
    assert "Alles op tijd bezorgd." in page and "Van het bestuur" in page
    client.post(change, text_form(intro="Anders.", section_transport=""))
    text.refresh_from_db()
    assert text.intro == "Anders." and text.section_texts == {}


def test_an_adviser_may_not_touch_the_report_text(client, make_role_user, report_roles):
    text = ReportText.objects.create(year=2021, intro="Van de coördinator.")
    client.force_login(make_role_user(ADVISER))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, text_form(year="2022")).status_code == 403
    change = reverse("admin:kpis_reporttext_change", args=[text.pk])
    assert client.post(change, text_form(intro="Van de adviseur.")).status_code == 403
    text.refresh_from_db()
    assert text.intro == "Van de coördinator."


def test_the_provincie_may_read_the_report_text(client, make_role_user, report_roles):
    text = ReportText.objects.create(year=2021, intro="Welkom.")
    client.force_login(make_role_user(PROVINCE))
    assert client.get(CHANGELIST).status_code == 200
    change = reverse("admin:kpis_reporttext_change", args=[text.pk])
    assert client.post(change, text_form(intro="Anders.")).status_code == 403


def test_a_closed_years_text_is_read_only(client, make_role_user, report_roles):
    make_training()
    text = ReportText.objects.create(year=2021, intro="Zoals gepubliceerd.")
    closing.close_year(2021, None)
    client.force_login(make_role_user(COORDINATOR))
    change = reverse("admin:kpis_reporttext_change", args=[text.pk])
    assert client.get(change).status_code == 200  # to read
    client.post(change, text_form(intro="Achteraf."))
    text.refresh_from_db()
    assert text.intro == "Zoals gepubliceerd."


# --- the page ----------------------------------------------------------------------------


def test_user_text_is_escaped_in_every_field_on_the_page(client):
    make_training()
    evil_text()
    page = client.get("/2021/report/").content.decode()
    assert "<script>" not in page and "<img src=x" not in page
    # intro, board, plans and one per section: all there, all escaped
    assert page.count(html.escape(EVIL)) == 3 + len(aggregation.year_report(2021).sections)


def test_the_report_text_is_on_the_page(client):
    make_training()
    ReportText.objects.create(
        year=2021,
        intro="BNF ondersteunt de bibliotheken.\n\nTweede alinea.",
        board="Wij zijn trots.",
        section_texts={"knowledge": "Veel geleerd dit jaar."},
        plans="- Meer samenwerking\n- Regioplan Laaggeletterdheid",
    )
    page = client.get("/2021/report/").content.decode()
    assert "<p>BNF ondersteunt de bibliotheken.</p>" in page and "<p>Tweede alinea.</p>" in page
    assert "Van het bestuur" in page and "Wij zijn trots." in page
    assert "Veel geleerd dit jaar." in page
    assert "Wat gaan wij in 2022 voor jullie betekenen?" in page
    assert "<li>Regioplan Laaggeletterdheid</li>" in page


@pytest.mark.usefixtures("demo_data")
class TestThe2021Report:
    def test_it_shows_the_27_seed_figures_in_dutch(self, client):
        page = client.get("/2021/report/").content.decode()
        shown = shown_values(page)
        report = aggregation.year_report(2021)
        expected = expected_2021()
        assert len(expected) == 27
        for key, value in expected.items():
            unit = report[key].figure.unit
            if isinstance(value, tuple):
                title, number = value
                assert shown[key] == dutch(number, unit), key
                assert title in page
            else:
                assert shown[key] == dutch(value, unit), key
        assert shown["communication.website_views"] == "14.513"
        assert shown["subsidies.awarded_amount"] == "€ 263.568"
        assert "2.021" not in page

    def test_it_shows_only_published_quotes(self, client):
        page = client.get("/2021/report/").content.decode()
        for quote in kpi_models.Testimonial.objects.in_year(2021):
            shown = html.escape(quote.text[:40]) in page
            assert shown == quote.publication_allowed, quote.text[:40]

    def test_an_open_year_is_marked_concept(self, client):
        page = client.get("/2021/report/").content.decode()
        assert 'class="concept-banner' in page and 'class="concept-mark"' in page
        assert "is-concept" in page
        assert "vastgesteld op" not in page.lower()

    def test_it_links_the_pdf_and_its_stylesheet(self, client):
        page = client.get("/2021/report/").content.decode()
        assert reverse("kpis:report_pdf", args=[2021]) in page
        assert "kpis/report.css" in page and "kpis/network-logo.svg" in page  # the default logo
        assert ' style="' not in page and "<style" not in page


def test_a_closed_year_says_when_it_was_published(client):
    make_training()
    make_testimonial(text="Gepubliceerd citaat")
    closed = closing.close_year(2021, None)
    page = client.get("/2021/report/").content.decode()
    assert "Vastgesteld op" in page
    assert closed.closed_at.strftime("%Y") in page
    assert "concept-mark" not in page and "concept-banner" not in page
    assert "Gepubliceerd citaat" in page
