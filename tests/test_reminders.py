"""Reminders to register and the coordinators' monthly digest (``manage.py send_reminders``),
read from the locmem outbox as the people receiving them would."""

import datetime
import io
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from kpis import reminders
from kpis.core.audit import ADMIN, audit_context
from kpis.core.roles import ADVISER, COORDINATOR, PROVINCE
from kpis.models import NotificationPreference, Training
from tests.factories import make_knowledge_circle, make_target, make_training

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def run(*args) -> str:
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def remind(*args) -> str:
    """Only the reminders (today may be the first of the month, the digest's day)."""
    return run("--no-digest", *args)


def register(user, days_back: int = 0, **fields) -> Training:
    """A training that ``user`` registered ``days_back`` days ago (as the audit trail has it)."""
    with audit_context(ADMIN, actor=user):
        training = make_training(**fields)
    LogEntry.objects.filter(object_pk=str(training.pk), content_type__model="training").update(
        timestamp=days_ago(days_back)
    )
    return training


@pytest.fixture
def make_adviser(make_role_user):
    def make(name, *, joined_days_ago=60, email=None, **fields):
        email = f"{name}@bnf.example" if email is None else email
        return make_role_user(
            ADVISER,
            username=name,
            email=email,
            date_joined=days_ago(joined_days_ago),
            first_name=name.capitalize(),
            **fields,
        )

    return make


def to(address):
    return [m for m in mail.outbox if address in m.to]


# --- reminders -------------------------------------------------------------------------


def test_an_inactive_adviser_gets_one_reminder_the_active_and_opted_out_none(make_adviser):
    """The acceptance test of issue 12, point 6."""
    inactive = make_adviser("stil")
    active = make_adviser("actief")
    register(active, days_back=3)
    opted_out = make_adviser("liever-niet")
    NotificationPreference.objects.create(user=opted_out, reminders=False)
    without_email = make_adviser("zonder-adres", email="")

    output = remind()
    remind()  # cron again the same day: nothing twice

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [inactive.email]
    assert message.subject == "Herinnering: 14 dagen niets geregistreerd"
    assert "Beste Stil," in message.body
    assert "Je hebt nog niets geregistreerd in BNF registratie." in message.body
    assert "http://localhost:8000/admin/" in message.body
    assert "/admin/auth/user/meldingen/" in message.body
    assert "Herinneringen: 1 verstuurd: stil" in output
    assert "Herinneringen: overgeslagen, geen e-mailadres: zonder-adres" in output
    assert to(active.email) == to(opted_out.email) == []
    assert NotificationPreference.for_user(without_email).last_reminder_on is None


def test_the_reminder_names_the_last_registration_and_what_is_missing(make_adviser, settings):
    settings.BNF_SITE_URL = "https://kpi.bnf.example"
    adviser = make_adviser("lotte")
    register(adviser, days_back=20)
    make_knowledge_circle(started_on=TODAY.replace(month=1, day=1))

    remind()

    body = to(adviser.email)[0].body
    last = timezone.localtime(days_ago(20))
    assert f"Je laatste registratie in BNF registratie was op {last.day} " in body
    assert "Dit ontbreekt nog:" in body
    assert f"- 1 kenniskring zonder bijeenkomsten in {TODAY.year}" in body
    assert (
        f"https://kpi.bnf.example/admin/kpis/knowledgecircle/?no_meetings_in={TODAY.year}" in body
    )


def test_a_new_adviser_is_not_reminded_before_the_days_are_over(make_adviser):
    make_adviser("nieuw", joined_days_ago=5)

    assert "0 verstuurd" in remind()
    assert mail.outbox == []


def test_the_reminder_comes_again_after_as_many_days_of_silence(make_adviser):
    adviser = make_adviser("stil")
    reminders.send_reminders(TODAY)
    reminders.send_reminders(TODAY + datetime.timedelta(days=13))
    assert len(to(adviser.email)) == 1

    reminders.send_reminders(TODAY + datetime.timedelta(days=14))

    assert len(to(adviser.email)) == 2
    assert NotificationPreference.objects.get(user=adviser).last_reminder_on == (
        TODAY + datetime.timedelta(days=14)
    )


def test_the_number_of_days_comes_from_the_environment_setting(make_adviser, settings):
    settings.BNF_REMINDER_DAYS = 30
    adviser = make_adviser("stil")
    register(adviser, days_back=20)

    remind()
    assert mail.outbox == []
    remind("--days", "10")
    assert len(to(adviser.email)) == 1
    assert to(adviser.email)[0].subject == "Herinnering: 10 dagen niets geregistreerd"


def test_only_advisers_are_reminded(make_role_user):
    for role in (COORDINATOR, PROVINCE):
        make_role_user(role, email=f"{role}@bnf.example", date_joined=days_ago(60))

    remind()

    assert mail.outbox == []


def test_an_import_counts_as_registering(make_adviser):
    from tests.factories import make_import_batch

    adviser = make_adviser("importeur")
    make_import_batch(imported_by=adviser)  # the fast import: its batch stands for its rows

    remind()

    assert to(adviser.email) == []


def test_a_dry_run_sends_and_remembers_nothing(make_adviser):
    make_adviser("stil")

    output = remind("--dry-run")

    assert "Herinneringen: 1 zou worden verstuurd: stil" in output
    assert mail.outbox == []
    assert not NotificationPreference.objects.exists()


def test_a_failing_mail_server_is_reported_and_the_reminder_tried_again(make_adviser, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    adviser = make_adviser("stil")

    with pytest.raises(CommandError, match="Niet alle e-mails zijn verstuurd"):
        call_command("send_reminders", "--no-digest", stdout=io.StringIO(), stderr=io.StringIO())

    assert NotificationPreference.for_user(adviser).last_reminder_on is None


# --- the monthly digest ----------------------------------------------------------------

NEXT_MONTH = (TODAY.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def test_the_digest_goes_to_coordinators_only_once_a_month(make_role_user, make_adviser):
    coordinator = make_role_user(COORDINATOR, email="coordinator@bnf.example")
    make_role_user(PROVINCE, email="provincie@bnf.example")
    adviser = make_adviser("actief")
    register(adviser, held_on=TODAY)
    register(adviser, held_on=TODAY, title="Digitale vaardigheden")
    make_target(key="knowledge.trainings", year=TODAY.year, value=Decimal("100"))

    output = run("--no-reminders", "--today", NEXT_MONTH.isoformat())
    run("--no-reminders", "--today", NEXT_MONTH.isoformat())  # twice: sent once
    run("--no-reminders", "--digest", "--today", NEXT_MONTH.isoformat())

    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    digest = mail.outbox[0]
    month = f"{TODAY:%m-%Y}"
    assert f"Maandoverzicht over {month}: 1 verstuurd: test-coördinator" in output
    assert digest.subject.startswith("Maandoverzicht BNF registratie: ")
    body = digest.body
    assert "- trainingen: 2" in body
    assert f"Wat ontbreekt in {TODAY.year}" in body
    assert "- trainingen: 2 van 100 (2%) (ver achter)" in body
    assert f"http://localhost:8000/{TODAY.year}/" in body


def test_no_digest_on_other_days_unless_asked(make_role_user):
    make_role_user(COORDINATOR, email="coordinator@bnf.example")
    not_first = NEXT_MONTH + datetime.timedelta(days=1)

    run("--no-reminders", "--today", not_first.isoformat())
    assert mail.outbox == []

    run("--no-reminders", "--digest", "--today", not_first.isoformat())
    assert len(mail.outbox) == 1


def test_a_coordinator_without_email_or_who_opted_out_gets_no_digest(make_role_user):
    make_role_user(COORDINATOR, username="zonder-adres")
    opted_out = make_role_user(COORDINATOR, username="uit", email="uit@bnf.example")
    NotificationPreference.objects.create(user=opted_out, digest=False)

    output = run("--no-reminders", "--digest")

    assert mail.outbox == []
    assert "overgeslagen, geen e-mailadres: zonder-adres" in output


def test_the_digest_counts_what_was_registered_per_type(make_adviser):
    adviser = make_adviser("actief")
    for _ in range(3):
        register(adviser)

    assert reminders.registered_in(TODAY.replace(day=1)) == [("trainingen", 3)]
    assert reminders.registered_in(NEXT_MONTH) == []


# --- choosing the mails ------------------------------------------------------------------


def test_an_adviser_switches_reminders_off_on_the_notifications_page(client, make_adviser):
    adviser = make_adviser("stil")
    client.force_login(adviser)
    page = client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("admin:notification_preferences")}"' in page

    form = client.get(reverse("admin:notification_preferences"))
    assert "Ze gaan naar stil@bnf.example." in form.content.decode()
    saved = client.post(reverse("admin:notification_preferences"), {"digest": "on"}, follow=True)

    assert "Je keuze voor meldingen is opgeslagen." in saved.content.decode()
    preference = NotificationPreference.objects.get(user=adviser)
    assert (preference.reminders, preference.digest) == (False, True)
    remind()
    assert mail.outbox == []


def test_the_notifications_page_warns_an_account_without_email(client, make_adviser):
    client.force_login(make_adviser("zonder", email=""))

    page = client.get(reverse("admin:notification_preferences")).content.decode()

    assert "Je account heeft geen e-mailadres" in page


def test_a_coordinator_switches_an_advisers_reminders_off(client, make_role_user, make_adviser):
    adviser = make_adviser("stil")
    client.force_login(make_role_user(COORDINATOR))
    change = reverse("admin:auth_user_change", args=[adviser.pk])
    page = client.get(change)
    assert "Meldingen per e-mail" in page.content.decode()
    joined = timezone.localtime(adviser.date_joined)
    form = {
        "username": adviser.username,
        "first_name": adviser.first_name,
        "last_name": "",
        "email": adviser.email,
        "is_active": "on",
        "is_staff": "on",
        "groups": [g.pk for g in adviser.groups.all()],
        "date_joined_0": joined.strftime("%d-%m-%Y"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "notification_preference-TOTAL_FORMS": "1",
        "notification_preference-INITIAL_FORMS": "0",
        "notification_preference-MIN_NUM_FORMS": "0",
        "notification_preference-MAX_NUM_FORMS": "1",
        "notification_preference-0-digest": "on",
        "notification_preference-0-user": str(adviser.pk),
    }

    response = client.post(change, form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert NotificationPreference.objects.get(user=adviser).reminders is False


def test_an_adviser_cannot_change_someone_elses_mails(client, make_adviser):
    other = make_adviser("ander")
    client.force_login(make_adviser("stil"))

    response = client.post(reverse("admin:auth_user_change", args=[other.pk]), {})

    assert response.status_code == 403
    assert not NotificationPreference.objects.exists()


# --- settings ----------------------------------------------------------------------------


def test_mail_settings_that_cannot_work_stop_the_start():
    from tests.test_settings import start

    both = start(EMAIL_USE_TLS="ja", EMAIL_USE_SSL="ja")
    assert both.returncode != 0
    assert "EMAIL_USE_TLS en EMAIL_USE_SSL sluiten elkaar uit" in both.stderr

    never = start(BNF_REMINDER_DAYS="0")
    assert never.returncode != 0
    assert "BNF_REMINDER_DAYS='0' is geen geldige waarde" in never.stderr

    no_scheme = start(BNF_SITE_URL="kpi.bnf.nl")
    assert no_scheme.returncode != 0
    assert "BNF_SITE_URL begint niet met een schema" in no_scheme.stderr
