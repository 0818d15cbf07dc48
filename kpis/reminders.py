"""E-mail reminders to register, and the coordinators' monthly digest.

``send_reminders`` mails every adviser (the group Adviseur) who registered nothing for
``BNF_REMINDER_DAYS`` days: no new record in the audit trail with them as its author
(``kpis.core.audit``; an import counts through its import batch). At most one reminder per
that many days, so cron may run it daily. ``send_digests`` mails the coordinators (the
group Coördinator) an overview of last month: what was registered per type, what is
missing (``kpis.reporting.checklist``) and the figures against their targets; once per month per
coordinator, however often it runs. ``manage.py send_reminders`` runs both.

Everyone can switch either mail off (``NotificationPreference``, the page "Meldingen");
an account without an e-mail address is skipped and reported, never an error.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, get_connection
from django.db.models import CharField, Count, Max, Value
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kpis.core.roles import ADVISER, COORDINATOR
from kpis.models import ImportBatch, NotificationPreference, ReportDated
from kpis.reporting import checklist

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """Who got a mail, who did not and why: what the command reports."""

    sent: list = field(default_factory=list)
    no_email: list = field(default_factory=list)
    opted_out: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (user, error text)


def people_with_role(role: str):
    """Active staff members with ``role``, with their preference (one query)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=role)
        .select_related("notification_preference")
        .order_by("username")
        .distinct()
    )


def registration_models() -> list:
    """What "registering" means: a new record of any registration type, or an import
    batch (the fast import writes its rows without an audit entry each)."""
    return [m for m in apps.get_models() if issubclass(m, ReportDated)] + [ImportBatch]


def last_registrations(users) -> dict[int, datetime.datetime]:
    """Per user id: the moment of their last new registration (one query, on the audit
    trail's index of authors; content types come from Django's cache)."""
    types = ContentType.objects.get_for_models(*registration_models()).values()
    rows = (
        LogEntry.objects.filter(
            action=LogEntry.Action.CREATE,
            content_type__in=list(types),
            actor__in=[user.pk for user in users],
        )
        .order_by()
        .values("actor")
        .annotate(last=Max("timestamp"))
    )
    return {row["actor"]: row["last"] for row in rows}


def reminder_due(user, last: datetime.datetime | None, today: datetime.date, days: int) -> bool:
    """Nothing registered (nor joined) in the ``days`` before ``today``, and no reminder
    in those days either."""
    cutoff = today - datetime.timedelta(days=days)
    active = max(filter(None, [last, user.date_joined]))
    if timezone.localdate(active) > cutoff:
        return False
    reminded = NotificationPreference.for_user(user).last_reminder_on
    return reminded is None or reminded <= cutoff


def send_reminders(
    today: datetime.date | None = None, days: int | None = None, *, dry_run: bool = False
) -> Outcome:
    """Remind the advisers who registered nothing for ``days`` days."""
    today = today or timezone.localdate()
    days = settings.BNF_REMINDER_DAYS if days is None else days
    advisers = list(people_with_role(ADVISER))
    last = last_registrations(advisers)
    outcome = Outcome()
    messages = []
    for user in advisers:
        preference = NotificationPreference.for_user(user)
        if not reminder_due(user, last.get(user.pk), today, days):
            continue
        if not preference.reminders:
            outcome.opted_out.append(user)
        elif not user.email:
            outcome.no_email.append(user)
        else:
            messages.append((user, preference, reminder_message(user, last.get(user.pk), days)))
    _send(messages, outcome, dry_run, lambda p: setattr(p, "last_reminder_on", today))
    return outcome


def digest_month(today: datetime.date) -> datetime.date:
    """The month a digest sent on ``today`` is about: the month before (its first day)."""
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def send_digests(today: datetime.date | None = None, *, dry_run: bool = False) -> Outcome:
    """Send last month's digest to every coordinator who has not had it yet."""
    today = today or timezone.localdate()
    month = digest_month(today)
    outcome = Outcome()
    coordinators = list(people_with_role(COORDINATOR))
    pending = []
    for user in coordinators:
        preference = NotificationPreference.for_user(user)
        if preference.last_digest_month == month:
            continue
        if not preference.digest:
            outcome.opted_out.append(user)
        elif not user.email:
            outcome.no_email.append(user)
        else:
            pending.append((user, preference))
    if pending:
        content = digest_content(month, today)
        messages = [(user, pref, digest_message(user, content)) for user, pref in pending]
        _send(messages, outcome, dry_run, lambda p: setattr(p, "last_digest_month", month))
    return outcome


def _send(messages, outcome: Outcome, dry_run: bool, mark) -> None:
    """Send each message on one connection; remember each one right after it went, so
    that a run that breaks off halfway sends nobody the same mail twice."""
    if dry_run:
        outcome.sent += [user for user, _pref, _msg in messages]
        return
    if not messages:
        return
    connection = get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("No connection to the mail server: %s", error)
        outcome.failed += [(user, str(error)) for user, _pref, _msg in messages]
        return
    try:
        for user, preference, message in messages:
            message.connection = connection
            try:
                message.send()
            except (smtplib.SMTPException, OSError) as error:
                logger.warning("E-mail to %s failed: %s", user.email, error)
                outcome.failed.append((user, str(error)))
                continue
            mark(preference)
            preference.save()
            outcome.sent.append(user)
    finally:
        connection.close()


# --- the mails -------------------------------------------------------------------------


def _absolute(path: str | None) -> str:
    return f"{settings.BNF_SITE_URL}{path}" if path else ""


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _mail(user, subject: str, template: str, context: dict) -> EmailMessage:
    body = render_to_string(
        template,
        {
            "name": _name(user),
            "site_url": settings.BNF_SITE_URL,
            "start_url": _absolute(reverse("admin:index")),
            "preferences_url": _absolute(reverse("admin:notification_preferences")),
            **context,
        },
    )
    return EmailMessage(subject=subject, body=body, to=[user.email])


def reminder_message(user, last: datetime.datetime | None, days: int) -> EmailMessage:
    missing = [
        {"message": item.message, "url": _absolute(item.url)}
        for item in checklist.missing_for_adviser(user)
    ]
    return _mail(
        user,
        _("Herinnering: %(days)s dagen niets geregistreerd") % {"days": days},
        "kpis/email/reminder.txt",
        {
            "last": date_format(timezone.localtime(last), "j F Y") if last else None,
            "days": days,
            "missing": missing,
        },
    )


def registered_in(month: datetime.date) -> list[tuple[str, int]]:
    """(type, number of new records) for every registration type with any in ``month``,
    in one UNION query over the records' "aangemaakt op"."""
    start = timezone.make_aware(datetime.datetime(month.year, month.month, 1))
    end = timezone.make_aware(
        datetime.datetime(month.year + month.month // 12, month.month % 12 + 1, 1)
    )
    models = sorted(
        (m for m in apps.get_models() if issubclass(m, ReportDated)),
        key=lambda m: str(m._meta.verbose_name_plural),
    )
    queries = [
        model._default_manager.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values(label=Value(model._meta.label, output_field=CharField()))
        .annotate(n=Count("pk"))
        for model in models
    ]
    counts = dict(queries[0].union(*queries[1:], all=True).values_list("label", "n"))
    return [
        (str(model._meta.verbose_name_plural), counts[model._meta.label])
        for model in models
        if counts.get(model._meta.label)
    ]


def digest_content(month: datetime.date, today: datetime.date) -> dict:
    """What every coordinator's digest about ``month`` says (computed once per run)."""
    year = month.year
    progress = checklist.target_progress(year, today)
    return {
        "month": f"{MONTHS[month.month]} {year}",
        "year": year,
        "registered": registered_in(month),
        "missing": [
            {"message": item.message, "url": _absolute(item.url)}
            for item in checklist.year_checklist(year, today)
        ],
        "progress": [
            {"text": p.describe(), "far": p.far} for p in progress if p.value.target is not None
        ],
        "in_progress": bool(progress) and progress[0].in_progress,
        "dashboard_url": _absolute(reverse("kpis:dashboard", args=[year])),
        "report_url": _absolute(reverse("kpis:report", args=[year])),
    }


def digest_message(user, content: dict) -> EmailMessage:
    return _mail(
        user,
        _("Maandoverzicht BNF registratie: %(month)s") % {"month": content["month"]},
        "kpis/email/digest.txt",
        content,
    )
