"""The way in: the demo command, and settings that refuse an unsafe production start."""

import os
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from kpis.management.commands.rundemo import has_records

ROOT = django_settings.BASE_DIR
FIXTURE = ROOT / "fixtures" / "bnf_2021.json"
STRONG_SECRET = "test-only-" + "k3y-" * 12  # 58 characters, not the development key


def run_demo() -> tuple[str, str]:
    """Run `rundemo --no-server`; return (its output, the password it printed)."""
    out = StringIO()
    call_command("rundemo", "--no-server", stdout=out, stderr=StringIO())
    text = out.getvalue()
    match = re.search(r"Wachtwoord:\s+(\S+)", text)
    assert match, text
    return text, match.group(1)


def row_counts() -> dict[str, int]:
    """Rows per model, less the audit trail (each run's new demo password is in it)."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.label != "auditlog.LogEntry"
    }


@pytest.fixture
def demo_settings(settings):
    settings.DEBUG = True  # pytest-django switches DEBUG off; rundemo needs it on
    return settings


@pytest.mark.django_db
def test_rundemo_prints_a_fresh_random_password_for_the_demo_user(demo_settings):
    first_output, first = run_demo()
    _, second = run_demo()

    assert "Gebruikersnaam: demo" in first_output
    assert "http://127.0.0.1:8000/admin/" in first_output
    assert first != second
    assert len(second) >= 20
    assert authenticate(username="demo", password=first) is None
    user = authenticate(username="demo", password=second)
    assert user is not None
    assert user.is_staff and user.is_superuser


@pytest.mark.django_db
def test_rundemo_loads_the_2021_demo_data_once(demo_settings):
    if not FIXTURE.exists():
        pytest.skip("fixtures/bnf_2021.json bestaat nog niet")
    run_demo()
    after_first = row_counts()
    run_demo()

    assert has_records()
    assert row_counts() == after_first


@pytest.mark.django_db
def test_rundemo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=0"):
        call_command("rundemo", "--no-server", stdout=StringIO())


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bnf.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": STRONG_SECRET,
        "DJANGO_ALLOWED_HOSTS": "bnf.example.nl",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("secret", [None, "", "te-kort", "x" * 49])
def test_production_settings_refuse_a_missing_or_weak_secret_key(secret):
    result = run(["-c", "import django; django.setup()"], production_env(DJANGO_SECRET_KEY=secret))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY moet in productie" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
