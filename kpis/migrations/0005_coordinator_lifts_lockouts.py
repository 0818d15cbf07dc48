"""The Coördinator may lift a login lock-out before the hour is over.

django-axes keeps a lock-out as an access attempt; deleting it in the admin
(Inlogbeveiliging, Toegangspogingen) lets the person log in again at once.
The Coördinator gets to see and delete those attempts and to see the access logs.
Additive and idempotent, like 0004_roles.
"""

import importlib

from django.db import migrations

roles = importlib.import_module("kpis.migrations.0004_roles")

LOCKOUTS = [
    ("axes.accessattempt", "view"),
    ("axes.accessattempt", "delete"),
    ("axes.accesslog", "view"),
    ("axes.accessfailurelog", "view"),
]


def allow_lifting_lockouts(apps, schema_editor):
    roles.make_permissions(apps)
    Group = apps.get_model("auth", "Group")
    group, _created = Group.objects.get_or_create(name=roles.COORDINATOR)
    group.permissions.add(
        *(roles.permission(apps, label, action) for label, action in LOCKOUTS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0004_roles"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(allow_lifting_lockouts, migrations.RunPython.noop)]
