"""Reminders and the monthly digest by e-mail, for cron (see README, "Herinneringen").

    python manage.py send_reminders               # daily: reminders; on the 1st also the digest
    python manage.py send_reminders --digest      # the digest of last month today
    python manage.py send_reminders --dry-run     # who would get what; nothing is sent

Running it twice sends nothing twice: a reminder at most once per BNF_REMINDER_DAYS
days, the digest once per month per coordinator (``kpis.reminders``).
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from kpis import reminders
from kpis.core.audit import command_context


class Command(BaseCommand):
    help = (
        "Mail adviseurs die een tijd niets registreerden een herinnering, en coördinatoren "
        "op de eerste van de maand (of met --digest) het maandoverzicht."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Herinner na zoveel dagen zonder registratie (standaard BNF_REMINDER_DAYS).",
        )
        parser.add_argument(
            "--digest",
            action="store_true",
            help="Stuur het maandoverzicht van vorige maand, ook als het niet de eerste is.",
        )
        parser.add_argument("--no-reminders", action="store_true", help="Stuur geen herinneringen.")
        parser.add_argument(
            "--no-digest",
            action="store_true",
            help="Stuur geen maandoverzicht, ook niet op de eerste van de maand.",
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="Doe alsof het deze datum is (JJJJ-MM-DD), om te testen.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Laat zien wie wat zou krijgen; stuur niets."
        )

    def handle(self, *args, days, digest, no_reminders, no_digest, today, dry_run, **options):
        self.verbosity = options["verbosity"]
        if days is not None and days < 1:
            raise CommandError("--days moet minstens 1 zijn.")
        today = today or timezone.localdate()
        failed = False
        with translation.override(settings.LANGUAGE_CODE), command_context("send_reminders"):
            if not no_reminders:
                outcome = reminders.send_reminders(today, days, dry_run=dry_run)
                failed |= self.report("Herinneringen", outcome, dry_run)
            if (digest or today.day == 1) and not no_digest:
                outcome = reminders.send_digests(today, dry_run=dry_run)
                month = reminders.digest_month(today)
                failed |= self.report(f"Maandoverzicht over {month:%m-%Y}", outcome, dry_run)
        if failed:
            raise CommandError("Niet alle e-mails zijn verstuurd; zie de meldingen hierboven.")

    def report(self, what: str, outcome: reminders.Outcome, dry_run: bool) -> bool:
        """Write who got the mail and who was skipped; whether any mail failed."""
        sent = "zou worden verstuurd" if dry_run else "verstuurd"
        line = f"{what}: {len(outcome.sent)} {sent}"
        self.stdout.write(f"{line}: {_names(outcome.sent)}" if outcome.sent else line)
        if outcome.no_email:
            self.stdout.write(f"{what}: overgeslagen, geen e-mailadres: {_names(outcome.no_email)}")
        if outcome.opted_out and self.verbosity > 1:
            self.stdout.write(f"{what}: uitgezet door: {_names(outcome.opted_out)}")
        for user, error in outcome.failed:
            self.stderr.write(f"{what}: niet verstuurd aan {user.get_username()}: {error}")
        return bool(outcome.failed)


def _names(users) -> str:
    return ", ".join(user.get_username() for user in users)
