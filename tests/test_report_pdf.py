"""/<year>/report.pdf: the annual report as an A4 PDF, made on the server with typst;
a closed year's is the one archived at closing, byte for byte."""

import datetime
import hashlib
import io
import re
from decimal import Decimal

import pytest
from django.db import transaction
from pypdf import PdfReader

from kpis import models as kpi_models
from kpis.models import ClosedYear, ReportText, YearReopening
from kpis.reporting import aggregation, closing
from kpis.reporting.figures import Section, Unit
from tests.catalogue import expected_2021
from tests.factories import make_testimonial, make_training

pytestmark = pytest.mark.django_db

A4 = (595.28, 841.89)


def dutch(value: Decimal, unit: str) -> str:
    text = f"{int(Decimal(value).quantize(Decimal(1))):,}".replace(",", ".")
    return f"€ {text}" if unit == Unit.EURO else text


def pages_of(content: bytes) -> list[str]:
    """Each page's text, whitespace folded to single spaces."""
    reader = PdfReader(io.BytesIO(content))
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def get_pdf(client, year=2021):
    response = client.get(f"/{year}/report.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return response


@pytest.mark.usefixtures("demo_data")
class TestThe2021Pdf:
    @pytest.fixture
    def pdf(self, client):
        return get_pdf(client).content

    def test_it_is_a4_with_a_cover_and_page_numbers(self, pdf):
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) >= 4
        for page in reader.pages:
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            assert abs(width - A4[0]) <= 1 and abs(height - A4[1]) <= 1
        texts = pages_of(pdf)
        cover = texts[0]
        assert "Bibliotheeknetwerk Flevoland" in cover and "Jaarverslag 2021" in cover
        assert "pagina" not in cover
        total = len(texts)
        for number, text in enumerate(texts[1:], start=2):
            assert f"pagina {number} / {total}" in text, number

    def test_it_shows_the_27_seed_figures_in_dutch(self, pdf):
        text = " ".join(pages_of(pdf))
        report = aggregation.year_report(2021)
        expected = expected_2021()
        assert len(expected) == 27
        for key, value in expected.items():
            figure = report[key].figure
            label = re.sub(r"\s+", " ", str(figure.label))[:20]
            if isinstance(value, tuple):
                title, value = value
                assert title in text, key
            assert f"{dutch(value, figure.unit)} {label}" in text, key
        assert "14.513 weergaven" in text and "€ 263.568" in text
        assert "2.021" not in text

    def test_it_has_only_published_quotes(self, pdf):
        text = " ".join(pages_of(pdf))
        quotes = kpi_models.Testimonial.objects.in_year(2021)
        assert quotes.filter(publication_allowed=False).exists()
        for quote in quotes:
            start = re.sub(r"\s+", " ", quote.text)[:30]
            assert (start in text) == quote.publication_allowed, start

    def test_an_open_year_says_concept_on_every_page(self, pdf, client):
        texts = pages_of(pdf)
        assert all("CONCEPT" in text for text in texts)
        assert (
            "bnf-jaarverslag-2021-concept.pdf"
            in client.get("/2021/report.pdf")["Content-Disposition"]
        )

    def test_it_prints_the_report_text(self, client):
        ReportText.objects.create(
            year=2021,
            intro="BNF ondersteunt de Flevolandse bibliotheken.",
            board="Als bestuur zijn wij trots.",
            section_texts={Section.TRANSPORT.value: "Elke week twee ritten."},
            plans="- Regioplan Laaggeletterdheid\n- Meer samenwerking",
        )
        text = " ".join(pages_of(get_pdf(client).content))
        for part in (
            "Inleiding",
            "BNF ondersteunt de Flevolandse bibliotheken.",
            "Van het bestuur",
            "Als bestuur zijn wij trots.",
            "Elke week twee ritten.",
            "Wat gaan wij in 2022 voor jullie betekenen?",
            "Regioplan Laaggeletterdheid",
        ):
            assert part in text, part


TYPST_MARKUP = "#pagebreak() #set page(fill: red) ] [ $x^2$ \\ *vet* _schuin_ @ref <lbl> // x"
HTML = '<script>alert("x")</script>'


def test_user_text_cannot_inject_into_the_pdf(client):
    make_training()
    make_testimonial(text=f"Citaat {TYPST_MARKUP}")
    plain = get_pdf(client).content
    ReportText.objects.create(
        year=2021,
        intro=f"Intro {TYPST_MARKUP} {HTML}",
        board=f"- Bestuur {TYPST_MARKUP}",
        section_texts={section.value: f"Tekst {TYPST_MARKUP}" for section in Section},
        plans=f"Plan {TYPST_MARKUP}\n{HTML}",
    )
    content = get_pdf(client).content
    texts = pages_of(content)
    joined = " ".join(texts)
    # every field there, literally: nothing was read as markup
    assert joined.count("#pagebreak() #set page(fill: red) ]") >= 5
    assert joined.count("$x^2$") >= 5 and "*vet* _schuin_ @ref <lbl> // x" in joined
    assert HTML in joined
    assert "Citaat #pagebreak()" in joined
    # the page count grows only with the text itself, not with injected page breaks
    assert len(texts) <= len(pages_of(plain)) + 2


def test_a_closed_years_pdf_is_the_archived_one(client):
    make_training()
    make_testimonial(text="Gepubliceerd citaat")
    closed = closing.close_year(2021, None)
    assert closed.report_pdf_sha256 == hashlib.sha256(bytes(closed.report_pdf)).hexdigest()

    response = get_pdf(client)
    assert hashlib.sha256(response.content).hexdigest() == closed.report_pdf_sha256
    assert "vastgesteld" in response["Content-Disposition"]
    texts = pages_of(response.content)
    assert not any("CONCEPT" in text for text in texts)
    assert "Vastgesteld op" in texts[0]
    assert "Gepubliceerd citaat" in " ".join(texts)

    # Later edits elsewhere (another year's records and texts, this year's text via the
    # ORM, another year closed and reopened) leave the archived report as it was.
    make_training(held_on=datetime.date(2022, 3, 1))
    ReportText.objects.create(year=2022, intro="Nieuw jaar")
    ReportText.objects.update(intro="Achteraf herschreven")
    closing.close_year(2022, None)
    closing.reopen_year(2022, None, "Nog een training vergeten")
    again = get_pdf(client).content
    assert again == response.content


def test_the_database_refuses_to_replace_the_archived_pdf():
    make_training()
    closed = closing.close_year(2021, None)
    for change in ({"report_pdf": b"%PDF-nep"}, {"report_pdf_sha256": "0" * 64}):
        with pytest.raises(Exception, match="bnf-snapshot-frozen"), transaction.atomic():
            ClosedYear.objects.filter(pk=closed.pk).update(**change)
    closed.refresh_from_db()
    assert hashlib.sha256(bytes(closed.report_pdf)).hexdigest() == closed.report_pdf_sha256


def test_reopening_keeps_the_published_pdf_in_the_log(client):
    make_training()
    closed = closing.close_year(2021, None)
    archived = bytes(closed.report_pdf)
    reopening = closing.reopen_year(2021, None, "Een training ontbrak")
    assert isinstance(reopening, YearReopening)
    assert bytes(reopening.report_pdf) == archived
    assert reopening.report_pdf_sha256 == closed.report_pdf_sha256
    # open again: a concept made on request
    assert all("CONCEPT" in text for text in pages_of(get_pdf(client).content))
