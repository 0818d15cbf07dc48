"""The benchmarks' measuring code, importable (``manage.py benchmark`` is the one report;
``benchmark_http``, ``benchmark_writers``, ``benchmark_exchange`` and
``benchmark_year_guard`` are thin commands over the same code). Developer tools only:
nothing that serves imports this."""
