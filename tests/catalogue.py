"""The KPI catalogue (``shared/kpi-catalogue.md``) as test data.

The catalogue is the contract: every figure of the annual report, its key and its
2021 value. Tests read it from the markdown table instead of copying numbers, so a
figure can only be "right" if it matches the catalogue.

    from tests.catalogue import catalogue_rows, expected_2021

    expected_2021()["subsidies.awarded_amount"]   # Decimal("263568.00")
    expected_2021()["communication.top_post.yammer"]
    # ("Online kennis- en inspiratiesessie Gezinsaanpak", 144)
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import NamedTuple

SHARED_CATALOGUE = Path(__file__).resolve().parents[2] / "shared" / "kpi-catalogue.md"
"""The product's catalogue, beside the project where developers and CI have it."""
REPO_CATALOGUE = Path(__file__).resolve().parent / "kpi-catalogue.md"
"""A copy in the repository, so a fresh clone alone can run the tests; a test keeps the
two identical wherever the shared one exists."""
CATALOGUE_PATH = SHARED_CATALOGUE if SHARED_CATALOGUE.exists() else REPO_CATALOGUE

Value = Decimal | tuple[str, int]


class CatalogueRow(NamedTuple):
    section: str
    key: str
    label: str
    kind: str
    """The aggregation: count, sum, max, stock or average (without the '(EUR)'-style note)."""


_MAX_VALUE = re.compile(r'^"(?P<title>.+)",\s*(?P<value>\d+)$')


def _table_cells(path: Path) -> list[list[str]]:
    """The data rows of the figures table: the rows whose second cell is a `key`."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 5 and cells[1].startswith("`"):
            rows.append(cells)
    return rows


def _parse_value(kind: str, text: str) -> Value:
    if kind == "max":
        match = _MAX_VALUE.match(text)
        if not match:
            raise ValueError(f"Cannot read max value {text!r} in the catalogue")
        return match["title"], int(match["value"])
    return Decimal(text)


@cache
def _parsed(path: Path = CATALOGUE_PATH) -> tuple[tuple[CatalogueRow, ...], dict[str, Value]]:
    rows, values = [], {}
    for section, key, label, kind, value in _table_cells(path):
        row = CatalogueRow(section, key.strip("`"), label, kind.split()[0])
        rows.append(row)
        values[row.key] = _parse_value(row.kind, value)
    if not rows:
        raise ValueError(f"No figures found in {path}")
    return tuple(rows), values


def catalogue_rows() -> list[CatalogueRow]:
    """Every figure as (section, key, label, kind), in catalogue order."""
    return list(_parsed()[0])


def catalogue_keys() -> list[str]:
    return [row.key for row in catalogue_rows()]


def expected_2021() -> dict[str, Value]:
    """{key: 2021 value}: a Decimal, or (title, value) for a max figure."""
    return dict(_parsed()[1])
