"""Strict settings: a value the app does not understand stops the start, with its name."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from bnf import env

ROOT = Path(__file__).resolve().parent.parent


def start(**variables: str) -> subprocess.CompletedProcess:
    """Start Django in a new process with these variables, as gunicorn or manage.py would."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bnf.settings", **variables},
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- at start ----------------------------------------------------------------------------


def test_a_misspelt_debug_switch_stops_the_start_and_says_which_variable():
    result = start(DJANGO_DEBUG="ture")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_DEBUG='ture' is geen geldige waarde" in result.stderr
    assert "1/0, true/false, yes/no, ja/nee of on/off" in result.stderr


def test_a_number_that_is_no_number_stops_the_start():
    result = start(BNF_PROXY_COUNT="twee")

    assert result.returncode != 0
    assert "BNF_PROXY_COUNT='twee' is geen geldige waarde" in result.stderr


def test_an_unknown_database_url_stops_the_start_without_showing_its_password():
    result = start(DATABASE_URL="postgress://bnf:Geheim-2021@db:5432/bnf")

    assert result.returncode != 0
    assert "DATABASE_URL begint met postgress://" in result.stderr
    assert "Geheim-2021" not in result.stderr


def test_the_app_starts_with_every_spelling_of_yes_and_no():
    result = start(DJANGO_DEBUG="Ja", BNF_PAGE_CACHE="NEE", BNF_FIGURE_CACHE="", BNF_PROXY_COUNT="")
    assert result.returncode == 0, result.stderr


# --- yes/no -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(word, True) for word in ("1", "true", "yes", "ja", "on", "TRUE", "Ja", " on ")],
        *[(word, False) for word in ("0", "false", "no", "nee", "off", "False", "NEE")],
    ],
)
def test_yes_and_no_are_read_in_every_accepted_spelling(monkeypatch, value, expected):
    monkeypatch.setenv("BNF_TEST_SWITCH", value)
    assert env.env_bool("BNF_TEST_SWITCH", not expected) is expected


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_unset_or_empty_switch_is_its_default(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("BNF_TEST_SWITCH", raising=False)
    else:
        monkeypatch.setenv("BNF_TEST_SWITCH", value)
    assert env.env_bool("BNF_TEST_SWITCH", True) is True
    assert env.env_bool("BNF_TEST_SWITCH", False) is False


@pytest.mark.parametrize("value", ["ture", "y", "2", "waar", "nope", "aan"])
def test_any_other_yes_or_no_is_refused_with_the_variable_and_the_accepted_values(
    monkeypatch, value
):
    monkeypatch.setenv("DJANGO_DEBUG", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        env.env_bool("DJANGO_DEBUG", True)
    message = str(refused.value)
    assert message.startswith(f"DJANGO_DEBUG={value!r} ")
    assert "1/0, true/false, yes/no, ja/nee of on/off" in message


# --- numbers, choices ---------------------------------------------------------------------


def test_numbers_are_read_and_wrong_ones_refused(monkeypatch):
    monkeypatch.setenv("BNF_PROXY_COUNT", " 2 ")
    assert env.env_int("BNF_PROXY_COUNT", 0) == 2
    monkeypatch.setenv("BNF_IMPORT_LOCK_TIMEOUT", "2.5")
    assert env.env_float("BNF_IMPORT_LOCK_TIMEOUT", 30) == 2.5
    monkeypatch.setenv("BNF_IMPORT_LOCK_TIMEOUT", "")
    assert env.env_float("BNF_IMPORT_LOCK_TIMEOUT", 30) == 30

    for value in ("twee", "1.5", "-1", "1e3"):
        monkeypatch.setenv("BNF_PROXY_COUNT", value)
        with pytest.raises(ImproperlyConfigured, match="^BNF_PROXY_COUNT=.*geheel getal"):
            env.env_int("BNF_PROXY_COUNT", 0)
    for value in ("dertig", "-0.5", "nan", "inf"):
        monkeypatch.setenv("BNF_IMPORT_LOCK_TIMEOUT", value)
        with pytest.raises(ImproperlyConfigured, match="^BNF_IMPORT_LOCK_TIMEOUT="):
            env.env_float("BNF_IMPORT_LOCK_TIMEOUT", 30)


def test_a_choice_is_one_of_its_values_in_any_case(monkeypatch):
    monkeypatch.setenv("BNF_TASKS_BACKEND", "Database")
    assert env.env_choice("BNF_TASKS_BACKEND", "immediate", ("database", "immediate")) == "database"

    monkeypatch.setenv("BNF_TASKS_BACKEND", "celery")
    with pytest.raises(ImproperlyConfigured, match="^BNF_TASKS_BACKEND='celery' .*immediate"):
        env.env_choice("BNF_TASKS_BACKEND", "immediate", ("database", "immediate"))


# --- lists and URLs -----------------------------------------------------------------------


def test_host_names_without_scheme_port_or_path(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", " kpi.bnf.nl, .bnf.nl ,,[::1],127.0.0.1 ")
    assert env.env_hosts("DJANGO_ALLOWED_HOSTS") == ["kpi.bnf.nl", ".bnf.nl", "[::1]", "127.0.0.1"]

    for value in ("https://kpi.bnf.nl", "kpi.bnf.nl:8000", "kpi.bnf.nl/admin", "kpi bnf.nl"):
        monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", f"localhost,{value}")
        with pytest.raises(ImproperlyConfigured, match="^DJANGO_ALLOWED_HOSTS=.*zonder https://"):
            env.env_hosts("DJANGO_ALLOWED_HOSTS")


def test_trusted_origins_need_their_scheme(monkeypatch):
    monkeypatch.setenv("DJANGO_CSRF_TRUSTED_ORIGINS", "https://kpi.bnf.nl,http://localhost:8000")
    assert env.env_origins("DJANGO_CSRF_TRUSTED_ORIGINS") == [
        "https://kpi.bnf.nl",
        "http://localhost:8000",
    ]

    for value in ("kpi.bnf.nl", "ftp://kpi.bnf.nl", "https://kpi.bnf.nl/admin/"):
        monkeypatch.setenv("DJANGO_CSRF_TRUSTED_ORIGINS", value)
        with pytest.raises(ImproperlyConfigured, match="^DJANGO_CSRF_TRUSTED_ORIGINS="):
            env.env_origins("DJANGO_CSRF_TRUSTED_ORIGINS")


def test_a_url_names_its_scheme_but_never_repeats_the_rest(monkeypatch):
    schemes = ("redis", "rediss", "unix")
    monkeypatch.setenv("BNF_CACHE_URL", "rediss://:Geheim@cache:6379/1")
    assert env.env_url("BNF_CACHE_URL", None, schemes, "redis://x") == (
        "rediss://:Geheim@cache:6379/1"
    )
    monkeypatch.delenv("BNF_CACHE_URL")
    assert env.env_url("BNF_CACHE_URL", None, schemes, "redis://x") is None

    for value in ("http://:Geheim@cache:6379", "cache:6379"):
        monkeypatch.setenv("BNF_CACHE_URL", value)
        with pytest.raises(ImproperlyConfigured, match="^BNF_CACHE_URL ") as refused:
            env.env_url("BNF_CACHE_URL", None, schemes, "redis://x")
        assert "Geheim" not in str(refused.value) and "6379" not in str(refused.value)


def test_settings_read_every_variable_through_a_strict_helper():
    # Free text has nothing to check; everything else goes through bnf/env.py.
    source = (ROOT / "bnf" / "settings.py").read_text()
    loose = set(re.findall(r"os\.environ(?:\.get\(|\[)\"(\w+)\"", source))
    free_text = {"DJANGO_SECRET_KEY", "BNF_HOME_PROVINCE", "DJANGO_MEDIA_ROOT"}
    # E-mail: the backend's dotted path, server name, account, password and sender.
    free_text |= {
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "DEFAULT_FROM_EMAIL",
    }
    assert loose <= free_text, loose
