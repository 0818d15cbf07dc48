"""The Coördinator writes the annual report's texts; the Provincie may read them.

Advisers get nothing: the report's words are the coordinators' to publish.
Additive and idempotent, like 0004_roles.
"""

import importlib

from django.db import migrations

roles = importlib.import_module("kpis.migrations.0004_roles")

GRANTS = {
    roles.COORDINATOR: roles.perms(["kpis.reporttext"], roles.CRUD),
    roles.PROVINCE: roles.perms(["kpis.reporttext"], ["view"]),
}


def allow_report_texts(apps, schema_editor):
    roles.make_permissions(apps)
    Group = apps.get_model("auth", "Group")
    for name, wanted in GRANTS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *(roles.permission(apps, label, action) for label, action in wanted)
        )


class Migration(migrations.Migration):
    dependencies = [("kpis", "0006_report_text_and_archived_pdf")]

    operations = [migrations.RunPython(allow_report_texts, migrations.RunPython.noop)]
