"""The core that every registration app builds on (``kpis``, ``projects``, ``subsidies``).

- ``registration``: the abstract bases (``Registration``, ``ReportDated``,
  ``FigureReference``) and the validation helpers; ``rules``: a rule declared once
  (``FieldCheck``) and the stock rule.
- ``year_policy``: which years a write touches and the database triggers that refuse a
  write to a closed year; ``data_version`` and ``page_cache``: the number every cache is
  keyed on and the caches themselves.
- ``audit``: the audit trail; ``roles``: the groups and their permissions.
- ``cells``, ``resources``, ``widgets``, ``formats``, ``import_batches``, ``file_types``:
  reading import files and cells (one parser for both imports), the import-export base
  resource, import batches and their undo, file-type checks.
- ``admin``: the admin base classes of every registration type.

The core never imports the reporting layer (``kpis.reporting``); where it needs a check
that only reporting can make (does a change recount a published year?), reporting
registers it at start-up (``year_policy.register_reference_guard``).
"""
