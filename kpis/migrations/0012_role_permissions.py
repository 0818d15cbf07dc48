"""Permissions the roles lacked, found when the tests stopped logging in as superuser.

- Coördinator: follows every background transport import, not only their own
  (``kpis.view_transportimportjob``): an adviser's failed import of a large file is the
  coordinator's to see. Before, only a superuser could.

Additive and idempotent, like 0004_roles.
"""

import importlib

from django.db import migrations

roles = importlib.import_module("kpis.migrations.0004_roles")

GRANTS = {
    roles.COORDINATOR: roles.perms(["kpis.transportimportjob"], ["view"]),
}


def grant_role_permissions(apps, schema_editor):
    roles.grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("kpis", "0011_adviser_adds_reference")]

    operations = [migrations.RunPython(grant_role_permissions, migrations.RunPython.noop)]
