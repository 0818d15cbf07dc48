"""Shared set-up: named users as the product knows them, and small record makers."""

import pytest
from django.contrib.auth.models import User


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
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def demo_2021(db):
    """The 2021 annual report entered as individual records (fixtures/bnf_2021.json)."""
    from django.core.management import call_command

    call_command("loaddata", "bnf_2021", verbosity=0)
