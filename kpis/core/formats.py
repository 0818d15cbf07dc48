"""The file formats of the admin's import and export: CSV and XLSX, read by ``kpis.core.cells``.

django-import-export reads an upload with the format the user picked and its own
decoding (one fixed encoding, openpyxl on whatever was sent). Here both formats hand
the bytes to ``kpis.core.cells.read_table``, as the fast transport import does: the size,
the kind of file (by its content, whatever was picked), the encoding (reported on the
preview), NUL characters, formula cells and oversized XLSX parts are checked before
anything is imported, and a refusal is one Dutch sentence (``cells.FileRefused``).
"""

from __future__ import annotations

import tablib
from import_export.formats import base_formats

from kpis.core import cells


def dataset_from(content: bytes, expect: str = "") -> tablib.Dataset:
    """The file as a tablib Dataset, with ``dataset.inspection`` (its kind and encoding)."""
    if isinstance(content, str):  # pragma: no cover - the formats read bytes
        content = content.encode("utf-8")
    header, rows, inspection = cells.read_table(content, expect=expect)
    # All rows at once (``read_table`` made them as wide as the header), without
    # ``Dataset.append``'s check of each row's width.
    dataset = tablib.Dataset(*rows, headers=header)
    dataset.inspection = inspection
    return dataset


class _Read:
    """Reading is ``dataset_from`` for either format: bytes in, checked by content."""

    expect = ""

    def is_binary(self):
        return True  # the bytes as sent: cells decides the encoding

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        return dataset_from(in_stream, self.expect)


class CSV(_Read, base_formats.CSV):
    """CSV in any of the encodings and with any of the separators (``,``, ``;`` from
    Dutch Excel, a tab) ``kpis.core.cells`` knows. For importing only: exports are written by
    import-export's own formats."""


class XLSX(_Read, base_formats.XLSX):
    """The first sheet of a workbook, read by ``kpis.core.cells`` (formulas refused)."""

    expect = cells.XLSX
