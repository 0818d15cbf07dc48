"""The roles' permissions on bijeenkomsten (kpis.Event), as on every registration:
Adviseur and Coördinator add, change, delete and see them; the Provincie sees them.
Additive and idempotent, like 0004_roles."""

import importlib

from django.db import migrations

roles = importlib.import_module("kpis.migrations.0004_roles")

EVENTS = ["kpis.event"]
GRANTS = {
    roles.ADVISER: roles.perms(EVENTS, roles.CRUD),
    roles.COORDINATOR: roles.perms(EVENTS, roles.CRUD),
    roles.PROVINCE: roles.perms(EVENTS, ["view"]),
}


def allow_events(apps, schema_editor):
    roles.grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("kpis", "0017_event")]

    operations = [migrations.RunPython(allow_events, migrations.RunPython.noop)]
