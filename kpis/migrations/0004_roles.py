"""The roles Adviseur, Coördinator and Provincie as auth groups (see kpis/roles.py).

Idempotent: groups are made if missing and permissions only added, so running it on a
database where the groups already exist (or were extended by hand) changes nothing
that was there. The permissions are created first: on a new database Django makes
them only after all migrations (post_migrate), too late for this one.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ADVISER = "Adviseur"
COORDINATOR = "Coördinator"
PROVINCE = "Provincie"

CRUD = ("add", "change", "delete", "view")

# Every model subclassing kpis.models.base.ReportDated, as of this migration.
REGISTRATIONS = [
    "kpis.supportactivity",
    "kpis.training",
    "kpis.knowledgecircle",
    "kpis.knowledgecirclemeeting",
    "kpis.channelpost",
    "kpis.channelstatistic",
    "kpis.publication",
    "kpis.informationpoint",
    "kpis.testimonial",
    "kpis.transportreservation",
    "projects.project",
    "projects.projectapplication",
    "projects.guidedtrajectory",
    "subsidies.subsidy",
]
# What registration forms pick from (autocomplete needs view permission).
REFERENCE = [
    "kpis.organisation",
    "kpis.theme",
    "kpis.channel",
    "kpis.supportkind",
    "kpis.target",
    "subsidies.funder",
    "projects.fund",
    "auth.user",
]
# Read-only records of what happened to the data.
RECORDS = ["kpis.closedyear", "kpis.yearreopening", "kpis.importbatch"]


def perms(models, actions):
    return [(label, action) for label in models for action in actions]


ROLES = {
    ADVISER: [
        *perms(REGISTRATIONS, CRUD),
        *perms(REFERENCE, ["view"]),
        *perms(RECORDS, ["view"]),
    ],
    COORDINATOR: [
        *perms(REGISTRATIONS, CRUD),
        *perms(REFERENCE, CRUD),
        *perms(RECORDS, ["view"]),
        ("auth.group", "view"),
        ("auditlog.logentry", "view"),
        ("kpis.closedyear", "close_year"),
    ],
    PROVINCE: perms([*REGISTRATIONS, *REFERENCE, *RECORDS], ["view"]),
}


def make_permissions(apps):
    # create_permissions skips an app without a models module, as the migration
    # state's stand-ins for apps are; restored after, so live apps work here as well.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module


def permission(apps, label, action):
    Permission = apps.get_model("auth", "Permission")
    app_label, model = label.split(".")
    codename = action if action == "close_year" else f"{action}_{model}"
    return Permission.objects.get(
        content_type__app_label=app_label, content_type__model=model, codename=codename
    )


def grant(apps, grants: dict) -> None:
    """Add ``{group name: [(model label, action), ...]}`` to the groups (made if missing);
    what later role migrations call, so that each only lists what it grants."""
    make_permissions(apps)
    Group = apps.get_model("auth", "Group")
    for name, wanted in grants.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*(permission(apps, label, action) for label, action in wanted))


def create_roles(apps, schema_editor):
    make_permissions(apps)
    Group = apps.get_model("auth", "Group")
    for name, wanted in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*(permission(apps, label, action) for label, action in wanted))


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0003_closedyear_close_year_permission"),
        ("projects", "0001_initial"),
        ("subsidies", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auditlog", "0017_add_actor_email"),
    ]

    # Reversing keeps the groups: people may be in them.
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
