"""The link from a figure to its records: derived from the figure's filter, and the list
it opens holds exactly the records the figure counts (2021 demo data)."""

import pytest
from django.db.models import Q

from kpis.reporting import aggregation
from kpis.reporting.figures import Kind, admin_params_of
from kpis.reporting.views import admin_records_url

pytestmark = pytest.mark.django_db


def test_a_filter_of_plain_lookups_gives_the_admin_query():
    assert admin_params_of(Q(kind__slug="advies")) == {"kind__slug__exact": "advies"}
    assert admin_params_of(Q(status="awarded", fund__slug="x")) == {
        "status__exact": "awarded",
        "fund__slug__exact": "x",
    }
    assert admin_params_of(Q()) == {}


@pytest.mark.parametrize("condition", [Q(a=1) | Q(b=2), ~Q(a=1), Q(a__in=[1, 2])])
def test_a_filter_without_such_a_form_must_declare_its_query(condition):
    with pytest.raises(ValueError, match="declare admin_params"):
        admin_params_of(condition)


def test_every_count_links_to_a_list_of_exactly_its_records(demo_2021, make_role_user, client):
    client.force_login(make_role_user("Coördinator"))
    report = aggregation.year_report(2021)
    checked = 0
    for item in report.figures:
        url = admin_records_url(item.figure, 2021)
        response = client.get(url)
        assert response.status_code == 200, (item.key, url)  # not "?e=1": a valid query
        if item.figure.kind == Kind.COUNT and item.figure.field is None:
            assert response.context["cl"].result_count == item.value, (item.key, url)
            checked += 1
    assert checked >= 10
