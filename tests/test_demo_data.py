"""The demo data generator (kpis.dev.demo_data, manage.py generate_demo_data) and the
benchmark command: deterministic, complete, valid, and a dashboard whose number of
queries does not grow with the data."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from kpis.dev import demo_data
from kpis.models import (
    Channel,
    ClosedYearError,
    Organisation,
    ReportDated,
    Target,
    Theme,
    TransportReservation,
)
from kpis.reporting import aggregation
from kpis.reporting.figures import Kind, declared_figures
from subsidies.models import Subsidy
from tests.factories import make_closed_year

pytestmark = pytest.mark.django_db

YEARS, END_YEAR = 2, 2024
SMALL = {"years": YEARS, "end_year": END_YEAR, "transport_rows": 2_000, "scale": 1}
LARGE = {"years": YEARS, "end_year": END_YEAR, "transport_rows": 20_000, "scale": 10}
PROJECT_APPS = ("kpis", "projects", "subsidies")


def registration_models() -> list:
    """Every dated registration type, plus organisations (new network members)."""
    models = [
        model
        for app_label in PROJECT_APPS
        for model in apps.get_app_config(app_label).get_models()
        if issubclass(model, ReportDated)
    ]
    return [*models, Organisation]


def snapshot() -> dict:
    """What a generation produced, without database ids: counts, figures, some values."""
    history = aggregation.history()
    return {
        "counts": {model._meta.label: model.objects.count() for model in registration_models()},
        "figures": {key: dict(values) for key, values in history.values.items()},
        "subsidies": sorted(Subsidy.objects.values_list("title", "amount", "awarded_on")),
        "transport": list(
            TransportReservation.objects.order_by(
                "delivered_on", "quantity", "origin__code"
            ).values_list(
                "delivered_on", "period", "quantity", "origin__code", "destination__code"
            )[:50]
        ),
    }


class Rollback(Exception):
    pass


def generated(measure, **options):
    """Generate, call ``measure()``, and roll the generated records back again."""
    result = None
    try:
        with transaction.atomic():
            demo_data.generate(**options)
            result = measure()
            raise Rollback
    except Rollback:
        return result


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    first = generated(snapshot, seed=7, **SMALL)
    again = generated(snapshot, seed=7, **SMALL)
    other = generated(snapshot, seed=8, **SMALL)
    assert first == again
    assert first["figures"] != other["figures"]
    assert first["counts"]["kpis.TransportReservation"] == SMALL["transport_rows"]


def test_more_transport_rows_do_not_change_the_other_registrations():
    def others():
        data = snapshot()
        del data["transport"], data["counts"]["kpis.TransportReservation"]
        return {
            **data,
            "figures": {k: v for k, v in data["figures"].items() if "transport" not in k},
        }

    assert generated(others, seed=3, **SMALL) == generated(
        others, seed=3, **{**SMALL, "transport_rows": 3_000}
    )


@pytest.fixture(scope="class")
def generated_once(django_db_setup, django_db_blocker):
    """One small generation for a whole class, rolled back afterwards (like demo_data)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield demo_data.generate(seed=1, **SMALL)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


class TestGeneratedData:
    @pytest.fixture(autouse=True)
    def data(self, generated_once, db):
        self.created = generated_once
        self.years = demo_data.year_range(YEARS, END_YEAR)

    def test_every_registration_type_has_records_in_the_generated_years(self):
        for model in registration_models():
            field = getattr(model, "report_date_field", "joined_network_on")
            dated = model.objects.filter(**{f"{field}__year__in": self.years})
            assert dated.exists(), model._meta.label
            assert self.created[model._meta.label] >= dated.count() > 0

    def test_every_figure_has_a_value_in_the_last_year(self):
        history = aggregation.history()
        for figure in declared_figures():
            value = history.value(figure, END_YEAR)
            assert value, figure.key
            if figure.kind in (Kind.COUNT, Kind.SUM, Kind.STOCK):
                assert value > 0, figure.key

    def test_a_sample_of_every_model_passes_full_validation(self):
        models = [*registration_models(), Target]
        for model in models:
            sample = model.objects.order_by("pk")[:25]
            assert sample, model._meta.label
            for record in sample:
                record.full_clean()

    def test_transport_rows_respect_the_model_rules(self):
        rows = TransportReservation.objects
        assert rows.count() == SMALL["transport_rows"]
        assert not rows.filter(quantity__lt=1).exists()
        assert not rows.filter(origin=F("destination")).exists()
        assert not rows.filter(period="month").exclude(delivered_on__day=1).exists()
        assert rows.filter(period="month").exists() and rows.filter(period="day").exists()
        for row in rows.order_by("?")[:100]:
            row.full_clean()

    def test_transport_has_within_interprovincial_and_other_rows(self):
        within = TransportReservation.objects.within_province().count()
        inter = TransportReservation.objects.interprovincial().count()
        assert within > 0 and inter > 0
        assert within + inter < SMALL["transport_rows"]  # national scale: also elsewhere
        provinces = set(
            Organisation.objects.filter(kind=Organisation.Kind.LIBRARY).values_list(
                "province", flat=True
            )
        )
        assert len(provinces) == 12

    def test_reference_data_matches_the_figures(self):
        assert set(Channel.objects.values_list("slug", flat=True)) >= {
            "website",
            "yammer",
            "flip",
            "blink",
        }
        assert Channel.objects.get(slug="yammer").report_engagement
        assert Subsidy.objects.filter(status="awarded", amount__gt=Decimal("0")).exists()

    def test_the_dashboard_and_json_answer_for_a_generated_year(self, client):
        assert client.get(f"/{END_YEAR}/").status_code == 200
        assert client.get(f"/{END_YEAR}/figures.json").status_code == 200


def test_the_dashboard_reads_as_many_queries_for_ten_times_the_data(
    client, django_assert_num_queries
):
    def dashboard_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/{END_YEAR}/").status_code == 200
        return len(queries)

    small = generated(dashboard_queries, seed=1, **SMALL)
    demo_data.generate(seed=1, **LARGE)
    assert TransportReservation.objects.count() == 10 * SMALL["transport_rows"]
    with django_assert_num_queries(small):
        assert client.get(f"/{END_YEAR}/").status_code == 200


def test_it_runs_on_top_of_the_demo_fixture_and_reuses_its_reference_data(demo_2021):
    before = {
        "themes": Theme.objects.count(),
        "channels": Channel.objects.count(),
        "fmb": Organisation.objects.filter(code="fmb").count(),
    }
    demo_data.generate(years=2, end_year=2022, transport_rows=500, seed=1)
    assert Theme.objects.count() == before["themes"]
    assert Channel.objects.count() == before["channels"]
    assert Organisation.objects.filter(code="fmb").count() == before["fmb"] == 1
    assert (
        aggregation.history().value(
            next(f for f in declared_figures() if f.key == "communication.website_views"), 2021
        )
        == 14513
    )  # the fixture already had every month of 2021: left alone


def test_a_closed_year_is_refused_and_nothing_is_written():
    make_closed_year(year=END_YEAR)
    with pytest.raises(ClosedYearError):
        demo_data.generate(seed=1, **SMALL)
    assert not TransportReservation.objects.exists()
    with pytest.raises(CommandError, match="afgesloten"):
        call_command(
            "generate_demo_data",
            "--years=1",
            f"--end-year={END_YEAR}",
            "--force",
            stdout=io.StringIO(),
        )


def test_the_command_prints_what_it_made():
    out = io.StringIO()
    call_command(
        "generate_demo_data",
        "--years=1",
        f"--end-year={END_YEAR}",
        "--transport-rows=300",
        "--seed=5",
        "--force",
        stdout=out,
    )
    assert "kpis.TransportReservation: 300" in out.getvalue()
    assert TransportReservation.objects.count() == 300


def test_the_command_refuses_to_run_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("generate_demo_data", "--years=1", stdout=io.StringIO())


def test_the_benchmark_refuses_sqlite_and_a_missing_confirmation():
    if connection.vendor == "sqlite":
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("benchmark", "--yes-destroy-data", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--yes-destroy-data"):
        call_command("benchmark", "--allow-sqlite", stdout=io.StringIO())


def test_the_benchmark_report_has_every_column_and_the_query_count_line(tmp_path):
    """The one report at tiny sizes (gunicorn and the writers need other processes and
    connections, so not here): every column, the demo's query counts, no timing."""
    out, json_file = io.StringIO(), tmp_path / "benchmark.json"
    call_command(
        "benchmark",
        "--sizes=200,400",
        "--repeat=1",
        "--rounds=1",
        "--years=1",
        "--only=dashboard,blocking,imports",
        "--import-rows=300",
        "--post-rows=30",
        f"--json={json_file}",
        "--allow-sqlite",
        "--yes-destroy-data",
        stdout=out,
        stderr=io.StringIO(),
    )
    report = out.getvalue()
    header = next(line for line in report.splitlines() if line.startswith("| transportregels"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == [
        "transportregels",
        "dashboard uit cache (ms)",
        "queries",
        "na schrijven (ms)",
        "queries",
        "waarvan SQL (ms)",
        "vloer samenvatting (ms)",
        "na schrijven / vloer samenvatting",
        "vloer ruwe tabel (ms)",
        "na schrijven / vloer ruwe tabel",
        "figures.json uit cache (ms)",
        "dashboard / figures.json",
        "lopend jaar uit cache (ms)",
        "lopend jaar na schrijven (ms)",
        "queries",
    ]
    assert "| 200 |" in report and "| 400 |" in report
    assert "Queries bij elke omvang gelijk aan demo bnf_2021 (/2021/)" in report
    assert "Let op" not in report  # the hand-written SQL agrees with the dashboard
    assert "Admin-import 30 berichten" in report and "Snelle import 300 rijen" in report
    assert "blocking overgeslagen" in report  # another process cannot see a test's rows
    assert "belasting (load average 1 min) tijdens de run" in report
    assert "### Acceptatie" in report and "gunicorn" not in report.split("### Acceptatie")[1]
    assert "het lopende jaar" in report.split("### Acceptatie")[1]
    data = json.loads(json_file.read_text())
    assert [row["size"] for row in data["sizes"]] == [200, 400]
    this_year = datetime.date.today().year
    assert data["year"] == this_year - 1  # the last full year, and the year in progress:
    assert {row["progress_year"] for row in data["sizes"]} == {this_year}
    # its page compares last year up to the same day: a second pass, as many at each size
    assert len({row["progress_after_write_queries"] for row in data["sizes"]}) == 1
    assert all(
        row["progress_after_write_queries"] > row["after_write_queries"] for row in data["sizes"]
    )
    demo = data["demo"]
    for row in data["sizes"]:
        assert (row["cached_queries"], row["after_write_queries"]) == (
            demo["cached_queries"],
            demo["after_write_queries"],
        )
    assert data["queries_equal_to_demo"] is True
    assert data["admin_import"]["rows"] == 30 and data["fast_import"]["rows"] == 300
    assert data["admin_import_rechecked"]["rows"] == 30
    assert ("copy_s" in data["fast_import"]) == (connection.vendor == "postgresql")
    assert TransportReservation.objects.count() == 0  # the imports emptied it again
