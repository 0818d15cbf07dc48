"""The figure declarations and the yearly aggregation behind every surface."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kpis.models import ChannelPost, Organisation, Province, TransportReservation
from kpis.models.transport import home_library_ids
from kpis.reporting import aggregation
from kpis.reporting.figures import declared_figures, known_keys
from tests.catalogue import catalogue_rows, expected_2021
from tests.factories import (
    make_channel,
    make_channel_post,
    make_channel_statistic,
    make_information_point,
    make_knowledge_circle,
    make_knowledge_circle_meeting,
    make_organisation,
    make_subsidy,
    make_target,
    make_transport,
    set_network,
)


@pytest.mark.django_db
def test_year_boundaries_are_exact():
    library, elsewhere = make_organisation(), make_organisation(province=Province.UTRECHT)
    make_transport(origin=library, destination=elsewhere, delivered_on=datetime.date(2020, 12, 31))
    make_transport(
        origin=elsewhere, destination=library, delivered_on=datetime.date(2021, 1, 1), quantity=5
    )
    make_transport(
        origin=library, destination=elsewhere, delivered_on=datetime.date(2021, 12, 31), quantity=7
    )
    make_transport(origin=library, destination=elsewhere, delivered_on=datetime.date(2022, 1, 1))
    history = aggregation.history()
    figure = next(f for f in history.figures if f.key == "transport.interprovincial")
    assert history.value(figure, 2020) == 1
    assert history.value(figure, 2021) == 12
    assert history.value(figure, 2022) == 1


@pytest.mark.django_db
def test_transport_direction_follows_the_libraries_provinces():
    fmb, dnb = make_organisation(), make_organisation()
    utrecht, zwolle = (
        make_organisation(province=Province.UTRECHT),
        make_organisation(province=Province.OVERIJSSEL),
    )
    make_transport(origin=fmb, destination=dnb, quantity=10)
    make_transport(origin=fmb, destination=utrecht, quantity=3)
    make_transport(origin=utrecht, destination=dnb, quantity=4)
    make_transport(origin=utrecht, destination=zwolle, quantity=100)  # not ours
    report = aggregation.year_report(2021)
    assert report["transport.within_province"].value == 10
    assert report["transport.interprovincial"].value == 7


@pytest.mark.django_db
def test_a_stock_counts_what_is_open_on_31_december():
    make_information_point(opened_on=datetime.date(2020, 3, 1))  # still open
    make_information_point(
        opened_on=datetime.date(2020, 3, 1), closed_on=datetime.date(2021, 12, 31)
    )  # closed on the last day: not open at the end of it
    make_information_point(
        opened_on=datetime.date(2021, 5, 1), closed_on=datetime.date(2022, 1, 1)
    )  # open on 31 December 2021
    make_information_point(opened_on=datetime.date(2022, 1, 1))
    history = aggregation.history()
    figure = next(f for f in history.figures if f.key == "digital_inclusion.ido_points")
    assert [history.value(figure, year) for year in (2020, 2021, 2022)] == [2, 2, 2]


@pytest.mark.django_db
def test_a_new_channel_gets_its_figures_without_code():
    channel = make_channel(name="Nieuwsbrief", slug="nieuwsbrief", report_engagement=True)
    make_channel_post(channel=channel, title="Eerste", views=10, likes=1)
    make_channel_post(channel=channel, title="Tweede", views=30, likes=2)
    report = aggregation.year_report(2021)
    assert report["communication.posts.nieuwsbrief"].value == 2
    assert report["communication.views.nieuwsbrief"].value == 40
    assert report["communication.likes.nieuwsbrief"].value == 3
    top = report["communication.top_post.nieuwsbrief"]
    assert (top.detail, top.value) == ("Tweede", 30)
    assert "communication.posts.nieuwsbrief" in known_keys()


@pytest.mark.django_db
def test_a_tie_for_the_top_post_goes_to_the_earliest():
    channel = make_channel(slug="yammer", name="Yammer", report_engagement=True)
    make_channel_post(
        channel=channel, title="Later", views=50, published_on=datetime.date(2021, 5, 1)
    )
    make_channel_post(
        channel=channel, title="Eerder", views=50, published_on=datetime.date(2021, 2, 1)
    )
    assert aggregation.year_report(2021)["communication.top_post.yammer"].detail == "Eerder"


@pytest.mark.django_db
def test_every_meeting_of_a_kenniskring_counts_once_in_its_year():
    circle = make_knowledge_circle()
    for day in (datetime.date(2021, 1, 10), datetime.date(2021, 12, 31)):
        make_knowledge_circle_meeting(circle=circle, held_on=day)
    make_knowledge_circle_meeting(held_on=datetime.date(2022, 1, 1))

    report = aggregation.year_report(2021)

    assert report["knowledge.kenniskring_meetings"].value == 2
    assert report["knowledge.kenniskringen"].value == 1


@pytest.mark.django_db
def test_only_awarded_subsidies_count_in_the_year_of_their_award():
    make_subsidy(
        status="awarded",
        amount=Decimal("1000.50"),
        applied_on=datetime.date(2020, 11, 1),
        awarded_on=datetime.date(2021, 2, 1),
    )
    make_subsidy(status="rejected", amount=Decimal("5000"), awarded_on=None)
    make_subsidy(status="applied", amount=Decimal("7000"), awarded_on=None)
    report = aggregation.year_report(2021)
    assert report["subsidies.awarded"].value == 1
    assert report["subsidies.awarded_amount"].value == Decimal("1000.50")


@pytest.mark.django_db
def test_change_against_the_previous_year_and_progress_against_the_target():
    channel = make_channel(slug="flip", name="Flip")
    for day in (datetime.date(2020, 3, 1), datetime.date(2021, 3, 1), datetime.date(2021, 4, 1)):
        make_channel_post(channel=channel, published_on=day)
    make_target(key="communication.posts.flip", year=2021, value=Decimal("4"))
    item = aggregation.year_report(2021)["communication.posts.flip"]
    # From 1 to 2 is no "+100%": from a small base only the absolute change is shown.
    assert (item.value, item.previous, item.change, item.change_percent) == (2, 1, 1, None)
    assert item.target == Decimal("4") and item.target_percent == 50
    assert item.history == [(2020, 1), (2021, 2)]


@pytest.mark.django_db
def test_a_change_from_a_base_of_ten_or_more_is_also_a_percentage():
    website = make_channel(slug="website")
    for year, views in ((2020, 10), (2021, 15)):
        start, end = datetime.date(year, 1, 1), datetime.date(year, 1, 31)
        make_channel_statistic(channel=website, period_start=start, period_end=end, views=views)
    item = aggregation.year_report(2021)["communication.website_views"]
    assert (item.previous, item.change, item.change_percent) == (10, 5, 50)


@pytest.mark.django_db
def test_a_year_without_records_of_a_type_is_not_shown_as_zero_history():
    channel = make_channel(slug="blink", name="Blink")
    make_channel_post(channel=channel, published_on=datetime.date(2021, 3, 1))
    make_organisation(joined_network_on=datetime.date(2020, 1, 1))
    item = aggregation.year_report(2021)["communication.posts.blink"]
    assert item.previous is None and item.change is None
    assert item.history == [(2020, None), (2021, 1)]


@pytest.mark.django_db
def test_a_target_for_an_unknown_figure_is_refused_in_dutch():
    target = make_target(key="subsidies.awarded", year=2022, value=Decimal("8"))
    target.full_clean()
    target.key = "subsidies.bestaat_niet"
    with pytest.raises(ValidationError) as error:
        target.full_clean()
    assert "Onbekende figuur" in error.value.message_dict["key"][0]


def _bulk_data(years, per_year, channel, fmb, elsewhere):
    """Many records spread over ``years``: enough to show the query count is flat."""
    TransportReservation.objects.bulk_create(
        TransportReservation(
            origin=fmb if i % 2 else elsewhere,
            destination=elsewhere if i % 2 else fmb,
            delivered_on=datetime.date(year, 1 + i % 12, 1 + i % 28),
            quantity=1 + i % 5,
        )
        for year in years
        for i in range(per_year)
    )
    ChannelPost.objects.bulk_create(
        ChannelPost(
            channel=channel,
            title=f"Bericht {year}-{i}-{per_year}",
            published_on=datetime.date(year, 1 + i % 12, 1 + i % 28),
            views=i,
        )
        for year in years
        for i in range(per_year)
    )
    Organisation.objects.bulk_create(
        Organisation(
            name=f"Partner {year}-{i}-{per_year}",
            code=f"partner-{year}-{i}-{per_year}",
            province=Province.FLEVOLAND,
            joined_network_on=datetime.date(year, 6, 1),
        )
        for year in years
        for i in range(per_year // 10)
    )


@pytest.mark.django_db
def test_the_aggregation_reads_a_constant_number_of_queries(django_assert_num_queries):
    """The data version, the network's identity (its row and libraries), then 13 grouped
    sources + 2 for the stock + 1 per top post + channels + home libraries + targets;
    unchanged data since: the data version only."""
    setup = {
        "channel": make_channel(slug="yammer", report_engagement=True),
        "fmb": make_organisation(),
        "elsewhere": make_organisation(province=Province.GELDERLAND),
    }
    _bulk_data([2021], per_year=20, **setup)
    with django_assert_num_queries(23) as small:
        aggregation.history()
    with django_assert_num_queries(1):
        aggregation.history()
    _bulk_data(range(2012, 2024), per_year=200, **setup)
    with django_assert_num_queries(23) as large:
        history = aggregation.history()
    assert len(small.captured_queries) == len(large.captured_queries)
    assert history.data_years[0] == 2012
    with django_assert_num_queries(1):
        assert aggregation.history().data_years[0] == 2012


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_data")
class TestWithThe2021Demo:
    """Read against one load of the 2021 demo fixture."""

    def test_every_catalogue_figure_is_declared_exactly_once_with_its_label_section_and_kind(
        self,
    ):
        figures = declared_figures()
        keys = [f.key for f in figures]
        assert len(keys) == len(set(keys))
        by_key = {f.key: f for f in figures}
        for row in catalogue_rows():
            figure = by_key[row.key]
            assert str(figure.label) == row.label, row.key
            assert figure.section_label == row.section, row.key
            assert figure.kind == row.kind, row.key
            assert str(figure.definition), row.key

    @pytest.mark.parametrize("key", [row.key for row in catalogue_rows()])
    def test_the_2021_demo_data_gives_the_2021_report(self, key):
        item = aggregation.year_report(2021)[key]
        expected = expected_2021()[key]
        if isinstance(expected, tuple):
            assert (item.detail, item.value) == expected
        else:
            assert Decimal(item.value) == expected

    def test_money_keeps_its_cents_and_counts_stay_integers(self):
        report = aggregation.year_report(2021)
        assert report["subsidies.awarded_amount"].value == Decimal("263568.00")
        assert str(report["subsidies.awarded_amount"].value) == "263568.00"
        assert isinstance(report["subsidies.awarded"].value, int)


def test_the_catalogue_copy_in_the_repository_matches_the_shared_catalogue():
    from tests.catalogue import REPO_CATALOGUE, SHARED_CATALOGUE

    if not SHARED_CATALOGUE.exists():
        pytest.skip("no ../shared beside this clone; the copy is all there is")
    assert REPO_CATALOGUE.read_text(encoding="utf-8") == SHARED_CATALOGUE.read_text(
        encoding="utf-8"
    )


@pytest.mark.django_db
def test_the_home_libraries_listed_or_looked_up_give_the_same_figures(demo_2021):
    """history() lists the home libraries' ids in the SQL (fastest at scale); the
    declarations' default looks them up in a subquery; the admin filter does too."""
    listed = aggregation.compute_history(declared_figures(home_ids=home_library_ids()))
    looked_up = aggregation.compute_history(declared_figures())
    assert listed.values == looked_up.values
    assert listed.values["transport.within_province"][2021] == 27779
    assert aggregation.history().values == listed.values

    set_network(home_province="zeeland")  # no libraries there: no ids to list
    assert home_library_ids() == []
    assert aggregation.history().for_year(2021)["transport.within_province"].value == 0
    assert not TransportReservation.objects.within_province().exists()


@pytest.mark.django_db
def test_a_year_in_progress_compares_with_the_same_period_of_last_year():
    today = datetime.date.today()
    this_year, same_day = today.year, aggregation._same_day_a_year_earlier(today)
    channel = make_channel(slug="flip", name="Flip")
    make_channel_post(channel=channel, published_on=today)  # the last day with data
    make_channel_post(channel=channel, published_on=datetime.date(this_year - 1, 1, 1))
    make_channel_post(channel=channel, published_on=same_day, title="Zelfde dag")
    later = same_day + datetime.timedelta(days=1)
    if later.year == this_year - 1:  # counted in last year's total, not in its first part
        make_channel_post(channel=channel, published_on=later, title="Later")
    make_target(key="communication.posts.flip", year=this_year, value=Decimal("12"))

    report = aggregation.year_report(this_year)
    item = report["communication.posts.flip"]

    assert report.through == item.through == today
    assert item.value == 1 and item.previous == 2  # 1 January and the same day
    share = aggregation._share_of_year(report.through)
    assert item.target_pace == (Decimal("12") * share).quantize(Decimal("0.01"))
    full_year = aggregation.history().for_year(this_year - 1)["communication.posts.flip"]
    assert full_year.value == (3 if later.year == this_year - 1 else 2)


@pytest.mark.django_db
def test_a_full_or_closed_year_has_no_period_and_a_year_with_only_targets_no_records():
    make_channel_post(published_on=datetime.date(2021, 3, 1))
    make_target(key="knowledge.trainings", year=2022, value=Decimal("5"))
    assert aggregation.year_report(2021).through is None
    report = aggregation.year_report(2022)
    assert report.has_records is False and report.through is None
    assert aggregation.year_report(2021).has_records is True


def test_queries_kept_from_an_earlier_computation_answer_as_freshly_built_ones(demo_2021):
    """The grouped queries are built once per process (``aggregation._prepared``); after
    new records, a new channel and a library in another province every figure is still
    what freshly built queries give, for whole years and for a year up to a day."""
    from kpis.reporting.figures import report_channels

    def both(until=None):
        figures = declared_figures(report_channels(), home_library_ids())
        kept = aggregation.compute_history(figures, until=until)
        aggregation._prepared_querysets.clear()
        fresh = aggregation.compute_history(figures, until=until)
        return kept.values, fresh.values

    both()
    both(datetime.date(2021, 6, 30))
    assert aggregation._prepared_querysets  # kept for the next computation
    make_channel_post(channel=make_channel(slug="podcast"), published_on=datetime.date(2021, 3, 1))
    make_transport(quantity=11, delivered_on=datetime.date(2021, 3, 2))
    kept, fresh = both()
    assert kept == fresh and kept["communication.posts.podcast"] == {2021: 1}
    Organisation.objects.filter(code="dnb").update(province=Province.UTRECHT)
    for until in (None, datetime.date(2021, 6, 30)):
        kept, fresh = both(until)
        assert kept == fresh
    assert kept["transport.interprovincial"][2021] > 0
