"""Dutch numbers on screen: ``dutch_number`` writes what Django's Dutch ``number_format``
writes (14.513, 263.568,50, 8,0), only faster."""

import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import translation
from django.utils.formats import number_format

from kpis.templatetags.kpi_format import dutch_number


def django_dutch(value, decimals):
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    with translation.override("nl"):
        return number_format(rounded, decimal_pos=decimals, use_l10n=True, force_grouping=True)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (14513, 0, "14.513"),
        (Decimal("263568.50"), 2, "263.568,50"),
        (Decimal("8.05"), 1, "8,1"),  # half up, as the report rounds
        (Decimal("-1234.5"), 0, "-1.235"),
        (Decimal("-0.4"), 0, "0"),
        (999, 0, "999"),
        (1000, 0, "1.000"),
    ],
)
def test_the_report_s_numbers(value, decimals, expected):
    assert dutch_number(value, decimals) == expected == django_dutch(value, decimals)


def test_it_agrees_with_django_on_random_numbers():
    rng = random.Random(2021)
    values = [
        Decimal(rng.randint(-(10**10), 10**10)) / Decimal(rng.choice([1, 10, 100, 1000]))
        for _ in range(3000)
    ]
    differ = [
        (value, decimals)
        for value in values
        for decimals in (0, 1, 2)
        if dutch_number(value, decimals) != django_dutch(value, decimals)
    ]
    assert differ == []
