"""Shared set-up: named users as the product knows them, and small record makers."""

import importlib

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing takes about a second per password here; tests need no such strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def adviser(db):
    return User.objects.create_user("test-adviseur", password="adviseur-test-2021", is_staff=True)


@pytest.fixture
def coordinator(db):
    return User.objects.create_superuser("test-coordinator", password="coordinator-test-2021")


@pytest.fixture
def outsider(db):
    return User.objects.create_user("buitenstaander", password="buiten-test-2021")


@pytest.fixture
def roles(db):
    """The role groups (Adviseur, Coördinator, Provincie) by name.

    The migration makes them; a test that flushes the database (a live-server test)
    removes them, so they are made again here the way the migration does.
    """
    from django.apps import apps
    from django.contrib.auth.models import Group

    from kpis.roles import ROLES

    if Group.objects.filter(name__in=ROLES).count() < len(ROLES):
        importlib.import_module("kpis.migrations.0004_roles").create_roles(apps, None)
        lockouts = importlib.import_module("kpis.migrations.0005_coordinator_lifts_lockouts")
        lockouts.allow_lifting_lockouts(apps, None)
        importlib.import_module("kpis.migrations.0010_evidence").allow_evidence(apps, None)
    return {group.name: group for group in Group.objects.filter(name__in=ROLES)}


@pytest.fixture
def make_role_user(roles):
    """``make_role_user("Adviseur")``: a staff member with that role (no superuser)."""

    def make(role, username=None, **fields):
        user = User.objects.create_user(
            username or f"test-{role.lower()}", password="rol-test-2021", is_staff=True, **fields
        )
        user.groups.add(roles[role])
        return user

    return make


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
