"""Data entry in the Django admin, one module per group of models (as in kpis/models/).

The base classes that the projects and subsidies admins share with these are in
``kpis.core.admin``.
"""

from kpis.admin import (
    activities,
    audit,
    closing,
    communication,
    digital,
    events,
    imports,
    network,
    organisations,
    report_text,
    targets,
    testimonials,
    transport,
    users,
)

__all__ = [
    "activities",
    "audit",
    "closing",
    "communication",
    "digital",
    "events",
    "imports",
    "network",
    "organisations",
    "report_text",
    "targets",
    "testimonials",
    "transport",
    "users",
]
