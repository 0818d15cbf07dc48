"""Data entry in the Django admin, one module per group of models (as in kpis/models/).

``base`` holds what the projects and subsidies admins share with these.
"""

from kpis.admin import (
    activities,
    audit,
    closing,
    communication,
    digital,
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
    "imports",
    "network",
    "organisations",
    "report_text",
    "targets",
    "testimonials",
    "transport",
    "users",
]
