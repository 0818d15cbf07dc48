"""Tools for developers and operators, not used while serving: the demo-data generator
(``demo_data``, ``manage.py generate_demo_data``) and the benchmarks (``manage.py
benchmark`` and friends). An app of its own (label ``kpis_dev``) so that its commands are
found; it has no models, and no runtime module imports it (``tests/test_import_graph.py``)."""
