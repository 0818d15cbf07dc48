"""The public surfaces: dashboard, printable report and figures.json agree with the data."""

import datetime
import html
import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache

from kpis import models as kpi_models
from kpis.reporting import aggregation
from kpis.reporting.figures import Unit, declared_figures
from tests.catalogue import expected_2021
from tests.factories import make_channel, make_channel_post, make_target, make_testimonial

pytestmark = pytest.mark.django_db


def dutch(value: Decimal, unit: str) -> str:
    """How the annual report prints a number: 14.513 and € 263.568."""
    text = f"{int(Decimal(value).quantize(Decimal(1))):,}".replace(",", ".")
    return f"€ {text}" if unit == Unit.EURO else text


def shown_values(page: str) -> dict[str, str]:
    """{figure key: the value as printed} from the data-key / data-value markup."""
    pattern = re.compile(r'data-key="([^"]+)".*?data-value>([^<]*)<', re.S)
    return {key: html.unescape(value) for key, value in pattern.findall(page)}


@pytest.fixture
def pages(client, demo_data):
    return {
        "dashboard": client.get("/2021/").content.decode(),
        "report": client.get("/2021/report/").content.decode(),
        "json": client.get("/2021/figures.json").json(),
    }


def test_the_dashboard_shows_progress_against_a_target(client):
    channel = make_channel(slug="flip", name="Flip")
    make_channel_post(channel=channel, published_on=datetime.date(2021, 3, 1))
    make_target(key="communication.posts.flip", year=2021, value=Decimal("4"))
    page = client.get("/2021/").content.decode()
    assert "25% van streefwaarde 4" in page
    assert "<meter" in page


def test_user_text_is_escaped_in_pages_charts_and_json(client):
    channel = make_channel(slug="yammer", name="Yammer <b>", report_engagement=True)
    evil = '<script>alert("x")</script>'
    make_channel_post(channel=channel, title=evil, views=99)
    make_testimonial(text=evil, publication_allowed=True)
    for url in ("/2021/", "/2021/report/"):
        page = client.get(url).content.decode()
        assert "<script>" not in page
        assert "&lt;script&gt;" in page
        assert "Yammer <b>" not in page
    raw = client.get("/2021/figures.json").content.decode()
    assert "<script>" not in raw or '"detail": "<script>' in raw  # JSON is data, served as JSON
    assert client.get("/2021/figures.json")["Content-Type"] == "application/json"


def _csv_rows(response):
    import csv
    import io

    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def _xlsx_rows(response):
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["figures"]
    header, *rows = list(sheet.values)
    # Empty trailing cells (no target) are not stored: pad them back.
    return [
        dict(zip(header, [*row, *[None] * (len(header) - len(row))], strict=True)) for row in rows
    ]


@pytest.mark.parametrize(
    "label", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_a_formula_in_a_text_cell_is_neutralised_in_the_figure_exports(client, monkeypatch, label):
    """Labels are text that can come from admin records; none may run as a formula."""
    import dataclasses

    from kpis.reporting import aggregation as reporting_module

    figures = reporting_module.declared_figures()
    figures[0] = dataclasses.replace(figures[0], label=label)
    monkeypatch.setattr(reporting_module, "declared_figures", lambda *args, **kwargs: figures)
    make_channel_post(published_on=datetime.date(2021, 3, 1))
    for rows in (
        _csv_rows(client.get("/2021/figures.csv")),
        _xlsx_rows(client.get("/2021/figures.xlsx")),
    ):
        # XML (so XLSX) stores a carriage return as a line feed; the quote is what matters.
        assert rows[0]["label"].replace("\n", "\r") == "'" + label.replace("\n", "\r")
        assert all(isinstance(r["value"], (str, int, float)) for r in rows)


def test_negative_numbers_stay_numbers_in_exports():
    from kpis.core.cells import neutralise_formula

    assert neutralise_formula(-5) == -5
    assert neutralise_formula(Decimal("-1.50")) == Decimal("-1.50")
    assert neutralise_formula("-5") == "'-5"


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_data")
class TestWithThe2021Demo:
    """The public surfaces, read against one load of the 2021 demo fixture."""

    def test_every_declared_figure_is_on_every_surface_with_the_same_value(self, pages):
        json_values = {row["key"]: row for row in pages["json"]["figures"]}
        dashboard, report = shown_values(pages["dashboard"]), shown_values(pages["report"])
        for item in aggregation.year_report(2021).figures:
            key, unit = item.key, item.figure.unit
            assert dashboard[key] == dutch(item.value, unit), key
            assert report[key] == dutch(item.value, unit), key
            assert Decimal(str(json_values[key]["value"])) == item.value, key
        assert set(json_values) == {f.key for f in declared_figures()}

    def test_the_surfaces_show_the_2021_report(self, pages):
        json_values = {row["key"]: row for row in pages["json"]["figures"]}
        dashboard = shown_values(pages["dashboard"])
        for key, expected in expected_2021().items():
            unit = json_values[key]["unit"]
            if isinstance(expected, tuple):
                title, value = expected
                assert json_values[key]["detail"] == title
                assert json_values[key]["value"] == value
                assert title in pages["dashboard"] and title in pages["report"]
            else:
                assert Decimal(str(json_values[key]["value"])) == expected, key
                assert dashboard[key] == dutch(expected, unit), key
        assert dashboard["communication.website_views"] == "14.513"
        assert dashboard["subsidies.awarded_amount"] == "€ 263.568"

    def test_figures_json_has_the_documented_shape(self, pages):
        data = pages["json"]
        assert data["year"] == 2021
        row = next(r for r in data["figures"] if r["key"] == "subsidies.awarded_amount")
        assert set(row) == {"key", "label", "section", "unit", "kind", "value", "target", "detail"}
        assert row["value"] == 263568.0 and row["unit"] == "euro" and row["section"] == "Subsidies"
        assert isinstance(
            next(r for r in data["figures"] if r["key"] == "subsidies.awarded")["value"], int
        )

    def test_years_are_never_printed_with_a_thousands_separator(self, pages):
        for page in (pages["dashboard"], pages["report"]):
            assert "2.021" not in page and "2.020" not in page
            assert "2021" in page

    def test_the_root_opens_the_latest_year_with_records(self, client):
        response = client.get("/")
        assert response.status_code == 302 and response["Location"] == "/2021/"

    def test_a_year_without_data_is_not_found(self, client):
        assert client.get("/1999/").status_code == 404
        assert client.get("/1999/figures.json").status_code == 404

    def test_the_report_shows_next_years_targets_as_ambitions(self, client):
        make_target(
            key="positioning.new_network_organisations",
            year=2022,
            value=Decimal("12"),
            note="Meer partners",
        )
        page = client.get("/2021/report/").content.decode()
        assert "Wat gaan wij in 2022 voor jullie betekenen?" in page
        assert "Meer partners" in page

    def test_unpublished_testimonials_never_appear_on_public_pages(self, client):
        private = kpi_models.Testimonial.objects.filter(publication_allowed=False)
        assert private.exists()
        published = kpi_models.Testimonial.objects.published().in_year(2021).first()
        for url in ("/2021/", "/2021/report/", "/2021/figures.json"):
            page = client.get(url).content.decode()
            for quote in private:
                assert html.escape(quote.text[:40]) not in page and quote.text[:40] not in page
        assert html.escape(published.text[:40]) in client.get("/2021/report/").content.decode()

    def test_the_dashboard_reads_a_constant_number_of_queries(
        self, client, settings, django_assert_num_queries
    ):
        # the data version (read once per request, kpis.core.page_cache), the network's
        # identity (its row and libraries), the aggregation (19), the published quotes and
        # the closing; the charts: transport per month (the home libraries' ids and one
        # grouped query) and subsidies per funder (one grouped query)
        settings.BNF_PAGE_CACHE = False  # the figure cache alone (kpis.core.page_cache off)
        cache.clear()
        with django_assert_num_queries(28):
            assert client.get("/2021/").status_code == 200
        # the figures and chart data unchanged since: from the cache, under the same version
        with django_assert_num_queries(3):
            assert client.get("/2021/").status_code == 200
        make_channel_post(channel=make_channel(), published_on=datetime.date(2019, 1, 1))
        make_testimonial(given_on=datetime.date(2018, 1, 1), publication_allowed=True)
        with django_assert_num_queries(28):
            assert client.get("/2021/").status_code == 200
        with django_assert_num_queries(3):
            assert client.get("/2021/").status_code == 200

    def test_the_page_cached_dashboard_reads_only_the_data_version(
        self, client, django_assert_num_queries
    ):
        # an anonymous visitor: the first request renders (as above), the next ones are
        # the whole page from kpis.core.page_cache: the data version and nothing else (no
        # session, no user: an anonymous request carries no session cookie)
        cache.clear()
        with django_assert_num_queries(28):
            assert client.get("/2021/").status_code == 200
        for _ in range(2):
            with django_assert_num_queries(1):
                assert client.get("/2021/").status_code == 200
        make_testimonial(given_on=datetime.date(2018, 1, 1), publication_allowed=True)
        with django_assert_num_queries(28):
            assert client.get("/2021/").status_code == 200
        with django_assert_num_queries(1):
            assert client.get("/2021/").status_code == 200

    def test_staff_get_a_link_to_the_records_behind_each_figure(self, client, coordinator):
        assert "Bekijk de registraties" not in client.get("/2021/").content.decode()
        client.force_login(coordinator)
        page = client.get("/2021/").content.decode()
        links = dict(re.findall(r'data-key="([^"]+)".*?class="records" href="([^"]+)"', page, re.S))
        assert set(links) == {f.key for f in declared_figures()}
        report = aggregation.year_report(2021)
        for key, link in links.items():
            response = client.get(html.unescape(link))
            assert response.status_code == 200, link
            figure = report[key].figure
            if figure.kind in ("count", "stock") and not figure.field:
                # The list behind a plain count holds exactly the records it counts.
                assert response.context["cl"].result_count == report[key].value, link

    def test_figure_csv_and_xlsx_equal_figures_json(self, client):
        json_rows = client.get("/2021/figures.json").json()["figures"]
        csv_rows = _csv_rows(client.get("/2021/figures.csv"))
        xlsx_rows = _xlsx_rows(client.get("/2021/figures.xlsx"))
        assert [r["key"] for r in csv_rows] == [r["key"] for r in json_rows]
        assert list(csv_rows[0]) == [
            "key",
            "label",
            "section",
            "unit",
            "kind",
            "year",
            "value",
            "target",
        ]
        for expected, from_csv, from_xlsx in zip(json_rows, csv_rows, xlsx_rows, strict=True):
            for column in ("key", "label", "section", "unit", "kind"):
                assert from_csv[column] == expected[column] == from_xlsx[column]
            assert Decimal(from_csv["value"]) == Decimal(str(expected["value"]))
            assert Decimal(str(from_xlsx["value"])) == Decimal(str(expected["value"]))
            assert from_csv["year"] == "2021" and from_xlsx["year"] == 2021
        amount = next(r for r in csv_rows if r["key"] == "subsidies.awarded_amount")
        assert amount["value"] == "263568.00"
        views = next(r for r in csv_rows if r["key"] == "communication.website_views")
        assert views["value"] == "14513"
        assert "geïmplementeerd" in next(
            r["label"] for r in csv_rows if r["key"] == "positioning.provincial_projects"
        )

    def test_the_figures_xlsx_opens_on_a_sheet_for_people(self, client):
        from openpyxl import load_workbook

        content = client.get("/figures.xlsx").content
        workbook = load_workbook(io.BytesIO(content))
        years = aggregation.history().years
        json_rows = {r["key"]: r for r in client.get("/2021/figures.json").json()["figures"]}

        assert workbook.sheetnames == ["Jaarcijfers", "figures"]  # the machine sheet follows
        sheet = workbook["Jaarcijfers"]
        header = [cell.value for cell in sheet[1]]
        assert header == [
            "Onderdeel",
            "Figuur",
            "Eenheid",
            *[str(year) for year in years],
            f"Streefwaarde {years[-1]}",
        ]
        assert sheet.freeze_panes == "D2"  # the header row stays in view
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.column_dimensions["B"].width >= 30  # labels are readable
        rows = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
        assert len(rows) == len(declared_figures())
        column = header.index("2021")
        amount = rows[str(json_rows["subsidies.awarded_amount"]["label"])]
        views = rows[str(json_rows["communication.website_views"]["label"])]
        assert amount[column].value == 263568
        assert amount[column].number_format == '"€" #,##0.00'
        assert views[column].value == 14513 and views[column].number_format == "#,##0"
        assert amount[0].value == "Subsidies" and amount[2].value == "euro"

    def test_the_all_years_export_has_one_row_per_key_per_year(self, client):
        rows = _csv_rows(client.get("/figures.csv"))
        years = aggregation.history().years
        assert len(rows) == len(declared_figures()) * len(years)
        assert {(r["key"], r["year"]) for r in rows} == {
            (f.key, str(y)) for f in declared_figures() for y in years
        }
        targets = [r for r in rows if r["year"] == "2022" and r["target"]]
        assert targets, "the demo's 2022 ambitions are exported as targets"
        assert len(_xlsx_rows(client.get("/figures.xlsx"))) == len(rows)


def test_a_year_in_progress_counts_up_to_its_last_day_and_compares_the_same_period(client):
    from kpis.models import ChannelPost

    today = datetime.date.today()
    day = today - datetime.timedelta(days=1)  # the last day with data, before today
    if day.year != today.year or (day.month, day.day) == (2, 29):
        pytest.skip("no earlier day this year, or no same day last year")
    channel = make_channel(slug="flip", name="Flip")
    for _ in range(12):
        make_channel_post(channel=channel, published_on=day.replace(year=today.year - 1))
    make_channel_post(channel=channel, published_on=datetime.date(today.year - 1, 12, 31))
    for _ in range(15):
        make_channel_post(channel=channel, published_on=day)
    make_target(key="communication.posts.flip", year=today.year, value=Decimal("100"))
    assert ChannelPost.objects.count() == 28
    page = client.get(f"/{today.year}/").content.decode()
    from django.utils.formats import date_format

    assert f"t/m {date_format(day, 'j F Y')}" in page
    assert f"dezelfde periode in {today.year - 1}" in page
    # 15 against 12 up to the same day (not 13, last year's full count): +3 (+25%)
    assert f"+3 (+25%) t.o.v. dezelfde periode in {today.year - 1}" in page
    assert "van het tempo voor de streefwaarde" in page


def test_a_small_base_shows_only_the_absolute_change(client):
    channel = make_channel(slug="flip", name="Flip")
    make_channel_post(channel=channel, published_on=datetime.date(2020, 3, 1))
    for _ in range(4):
        make_channel_post(channel=channel, published_on=datetime.date(2021, 3, 1))
    page = client.get("/2021/").content.decode()
    assert "+3 t.o.v. 2020" in page
    assert "%) t.o.v. 2020" not in page


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_data")
class TestChartsOnTheDashboard:
    def test_the_dashboard_shows_the_transport_months_and_a_chart_per_section(self, client):
        page = client.get("/2021/").content.decode()
        assert "Transportreserveringen per maand, 2021 en 2020" in page
        sections = re.findall(r"<section class=\"section\".*?</section>", page, re.S)
        report = aggregation.year_report(2021)
        for (label, _items), html_section in zip(report.sections, sections, strict=False):
            assert html.escape(label) in html_section
            assert '<svg xmlns="http://www.w3.org/2000/svg"' in html_section, label
            assert (
                "<figcaption>" in html_section and '<details class="chart-table">' in html_section
            )
        assert 'style="' not in page and "<style" not in page

    def test_a_year_with_only_targets_says_there_are_no_registrations_yet(self, client):
        page = client.get("/2022/").content.decode()
        assert "nog geen registraties" in page
        assert "−100%" not in page and "-100%" not in page
        assert "change-down" not in page
        assert "streefwaarde" in page

    def test_a_closed_year_says_when_it_was_published(self, client, coordinator):
        from django.utils import timezone
        from django.utils.formats import date_format

        from kpis.reporting import closing

        closing.close_year(2021, coordinator)
        page = client.get("/2021/").content.decode()
        assert f"vastgesteld op {date_format(timezone.localdate(), 'j F Y')}" in page
