"""Shared set-up: named users as the product knows them, and small record makers."""

import importlib
import itertools

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing takes about a second per password here; tests need no such strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def outsider(db):
    return User.objects.create_user("buitenstaander", password="buiten-test-2021")


# The data migrations that give the role groups their permissions, in order (module, function).
ROLE_MIGRATIONS = [
    ("0004_roles", "create_roles"),
    ("0005_coordinator_lifts_lockouts", "allow_lifting_lockouts"),
    ("0007_report_text_roles", "allow_report_texts"),
    ("0011_adviser_adds_reference", "allow_adding"),
    ("0012_role_permissions", "grant_role_permissions"),
    ("0013_network", "allow_network"),
    ("0014_evidence", "allow_evidence"),
    ("0018_event_roles", "allow_events"),
]


def make_roles_as_the_migrations_do():
    from django.apps import apps

    for module, function in ROLE_MIGRATIONS:
        getattr(importlib.import_module(f"kpis.migrations.{module}"), function)(apps, None)


@pytest.fixture
def roles(db):
    """The role groups (Adviseur, Coördinator, Provincie) by name.

    The migrations make them; a test that flushes the database (a live-server test)
    removes them, so they are made again here the way the migrations do.
    """
    from django.contrib.auth.models import Group

    from kpis.core.roles import ROLES

    if Group.objects.filter(name__in=ROLES).count() < len(ROLES):
        make_roles_as_the_migrations_do()
    return {group.name: group for group in Group.objects.filter(name__in=ROLES)}


@pytest.fixture
def make_role_user(roles):
    """``make_role_user("Adviseur")``: a staff member with that role (no superuser).

    Without a username it is ``test-adviseur`` (``-2``, ``-3``, ... when taken), so it can be
    used beside the ``adviser`` fixture.
    """

    def make(role, username=None, password="rol-test-2021", **fields):
        if username is None:
            username = base = f"test-{role.lower()}"
            for number in itertools.count(2):
                if not User.objects.filter(username=username).exists():
                    break
                username = f"{base}-{number}"
        user = User.objects.create_user(username, password=password, is_staff=True, **fields)
        user.groups.add(roles[role])
        return user

    return make


@pytest.fixture
def adviser(make_role_user):
    """A staff member in the Adviseur group (``test-adviseur``)."""
    return make_role_user("Adviseur", password="adviseur-test-2021")


@pytest.fixture
def coordinator(make_role_user):
    """A staff member in the Coördinator group, not a superuser."""
    return make_role_user("Coördinator", "test-coordinator", password="coordinator-test-2021")


@pytest.fixture
def provincie(make_role_user):
    """A staff member in the Provincie group (``test-provincie``): looks, changes nothing."""
    return make_role_user("Provincie", password="provincie-test-2021")


@pytest.fixture
def staff_without_role(db):
    """May enter the admin but is in no group: sees and changes nothing."""
    return User.objects.create_user(
        "test-zonder-rol", password="zonder-rol-test-2021", is_staff=True
    )


@pytest.fixture
def superuser(db):
    """May do everything without a group. Only for a test that says why it needs one."""
    return User.objects.create_superuser("test-superuser", password="superuser-test-2021")


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def demo_2021(db):
    """The 2021 annual report entered as individual records (fixtures/bnf_2021.json).

    Loads per test; for many read-only tests put them in a class that uses
    ``demo_data`` instead, which loads once per class.
    """
    call_command("loaddata", "bnf_2021", verbosity=0)


@pytest.fixture(scope="class")
def demo_data(django_db_setup, django_db_blocker):
    """The demo fixture loaded once for a whole test class.

    It lives in an outer transaction that is rolled back after the class; each test
    still runs in its own savepoint (pytest-django's ``db``), so tests stay isolated.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("loaddata", "bnf_2021", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
