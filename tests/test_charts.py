"""The server-side SVG charts: a title, a summary and a table each; escaped; exact."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db.models import Sum

from kpis.models import TransportReservation
from kpis.models.transport import scope_conditions
from kpis.reporting import aggregation, charts
from kpis.templatetags.kpi_format import chart_figure
from subsidies.models import Subsidy
from tests.factories import (
    make_channel,
    make_channel_post,
    make_funder,
    make_organisation,
    make_subsidy,
    make_target,
    make_transport,
)

pytestmark = pytest.mark.django_db


def assert_accessible(chart: charts.Chart) -> None:
    svg = str(chart.svg)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox=')
    assert 'role="img"' in svg and "aria-labelledby=" in svg
    assert re.search(r"<title id=\"[^\"]+\">[^<]+</title>", svg)
    assert chart.title and chart.summary
    assert chart.table.headers and chart.table.rows
    assert all(len(row) == len(chart.table.headers) for row in chart.table.rows)
    # CSP: presentation attributes and class names only
    assert "style=" not in svg and "<style" not in svg and "<script" not in svg


def test_every_chart_of_the_demo_year_has_a_title_a_summary_and_a_table(demo_2021):
    report = aggregation.year_report(2021)
    section_charts = charts.report_charts(report)
    assert len(section_charts) == len(report.sections)
    for chart in section_charts + [charts.figure_chart(item) for item in report.figures]:
        assert_accessible(chart)
    funders = charts.subsidy_funder_chart(2021)
    assert "€ 123.911" in funders.svg and "€ 263.568" in funders.summary


def test_a_funder_or_channel_name_is_escaped_in_the_svg():
    evil = '<script>alert("x")</script>'
    make_subsidy(
        funder=make_funder(name=evil),
        status=Subsidy.Status.AWARDED,
        awarded_on=datetime.date(2021, 5, 1),
        amount=Decimal("12500.50"),
    )
    chart = charts.subsidy_funder_chart(2021)
    assert "<script>" not in chart.svg
    assert "&lt;script&gt;" in chart.svg
    assert "€ 12.501" in chart.svg  # Dutch formatting, rounded to the euro
    assert chart.table.rows == [[evil, "1", "€ 12.501"]]  # the template escapes the table
    html = str(chart_figure(chart))
    assert "<script>" not in html
    assert '<th scope="row">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</th>' in html

    channel = make_channel(slug="yammer", name="Yammer <b>", report_engagement=True)
    make_channel_post(channel=channel, published_on=datetime.date(2021, 3, 1), views=9)
    svg = charts.communication_chart(aggregation.year_report(2021)).svg
    assert "Yammer <b>" not in svg and "Yammer &lt;b&gt;" in svg


def test_the_transport_month_chart_equals_a_plain_tally():
    home, other = make_organisation(), make_organisation()
    away = make_organisation(province="utrecht")
    for day, origin, destination, quantity in [
        (datetime.date(2021, 1, 5), home, other, 3),
        (datetime.date(2021, 1, 31), other, home, 2),
        (datetime.date(2021, 2, 1), home, away, 4),
        (datetime.date(2021, 12, 31), away, home, 5),
        (datetime.date(2020, 1, 10), home, other, 7),
        (datetime.date(2019, 1, 10), home, other, 11),  # outside both years
    ]:
        make_transport(delivered_on=day, origin=origin, destination=destination, quantity=quantity)
    within, between = scope_conditions()
    months = charts.transport_months(2021)
    for year in (2020, 2021):
        for scope, condition in (("within", within), ("between", between)):
            for month in range(1, 13):
                tally = (
                    TransportReservation.objects.filter(
                        condition, delivered_on__year=year, delivered_on__month=month
                    ).aggregate(n=Sum("quantity"))["n"]
                    or 0
                )
                assert months[year][scope][month - 1] == tally, (year, scope, month)
    chart = charts.transport_month_chart(2021)
    assert_accessible(chart)
    assert chart.table.rows[0] == ["januari", "5", "7", "0", "0"]
    assert "Tussen provincies: 9 in 2021" in chart.summary


def test_the_chart_data_is_read_in_few_queries_and_then_cached(django_assert_num_queries):
    make_transport()
    make_subsidy(status=Subsidy.Status.AWARDED, awarded_on=datetime.date(2021, 5, 1))
    cache.clear()
    with django_assert_num_queries(3):  # the data version, the home ids, the grouped query
        charts.transport_months(2021)
    with django_assert_num_queries(2):  # the data version, the grouped query
        charts.subsidy_funders(2021)
    with django_assert_num_queries(1):  # the data version only
        charts.transport_months(2021)
    with django_assert_num_queries(1):
        charts.subsidy_funders(2021)
    report = aggregation.year_report(2021)
    with django_assert_num_queries(1):  # all section charts: the data version once
        charts.report_charts(report)
    make_transport(quantity=4)  # a write: a new data version, computed afresh
    with django_assert_num_queries(3):
        assert sum(charts.transport_months(2021)[2021]["within"]) == 5


def test_a_figure_chart_shows_the_target_and_the_years():
    make_channel_post(channel=make_channel(slug="flip", name="Flip"))
    make_target(key="communication.posts.flip", year=2021, value=Decimal("4"))
    item = aggregation.year_report(2021)["communication.posts.flip"]
    chart = charts.figure_chart(item)
    assert_accessible(chart)
    assert "streefwaarde 4" in chart.svg and 'stroke-dasharray="6 4"' in chart.svg
    assert "Streefwaarde 2021: 4 (25% gehaald)" in chart.summary
    assert chart.table.rows == [["2021", "1"], ["streefwaarde 2021", "4"]]


def test_a_year_without_registrations_has_no_bars_at_zero():
    make_channel_post(published_on=datetime.date(2021, 3, 1))
    make_target(key="subsidies.awarded", year=2022, value=Decimal("8"))
    report = aggregation.year_report(2022)
    assert not report.has_records
    chart = charts.figure_chart(report["subsidies.awarded"])
    assert "2022: nog geen registraties" in chart.summary
    assert "gehaald" not in chart.summary
    assert ["2022", "nog geen registraties"] in chart.table.rows
