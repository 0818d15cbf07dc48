"""Reporting: from the registrations to the figures people read.

- ``figures``: one declaration per report figure; ``aggregation``: every figure for
  every year in a constant number of queries, cached under the data version;
- ``closing``: publishing a year (the frozen snapshot, the checks); ``checklist``: what
  to look at before closing;
- ``exports``: CSV/XLSX/JSON for the provincie; ``charts``: the SVG charts;
  ``report_pdf``: the printable report (Typst);
- ``views``, ``tables``, ``urls``: the public dashboard and report pages.

The domain models and the core never import this package.
"""
