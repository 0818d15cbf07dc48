"""Advisers may add a funder, a fund or a library from the form that needs it.

Only adding: changing (or deleting) existing reference data, whose fields the figures
read, stays with the coordinators. Additive and idempotent, like 0004_roles.
"""

import importlib

from django.db import migrations

roles = importlib.import_module("kpis.migrations.0004_roles")

ADDED_BY_ADVISERS = ["subsidies.funder", "projects.fund", "kpis.organisation"]
GRANTS = {roles.ADVISER: roles.perms(ADDED_BY_ADVISERS, ["add"])}


def allow_adding(apps, schema_editor):
    roles.grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("kpis", "0010_reminders")]

    operations = [migrations.RunPython(allow_adding, migrations.RunPython.noop)]
