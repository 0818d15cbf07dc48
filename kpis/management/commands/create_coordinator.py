"""Create a coordinator: a staff account in the group Coördinator (not a superuser).

    python manage.py create_coordinator
    DJANGO_COORDINATOR_PASSWORD=... python manage.py create_coordinator \\
        --username jan --email jan@bnf.nl --no-input

Interactively it asks for the username, e-mail address and the password twice. With
``--username`` (and optionally ``--email``) and the password in the environment
variable ``DJANGO_COORDINATOR_PASSWORD`` it asks nothing. The password must pass the
project's password rules.
"""

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from kpis.core.audit import command_context
from kpis.core.roles import COORDINATOR

PASSWORD_VARIABLE = "DJANGO_COORDINATOR_PASSWORD"


class Command(BaseCommand):
    help = (
        "Maak een coördinator aan: een medewerker (staf) in de groep Coördinator, geen "
        f"superuser. Zonder vragen: --username, --email en {PASSWORD_VARIABLE}."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", help="Gebruikersnaam.")
        parser.add_argument("--email", default=None, help="E-mailadres.")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help=f"Vraag niets; het wachtwoord komt uit {PASSWORD_VARIABLE}.",
        )

    def handle(self, *args, username=None, email=None, interactive=True, **options):
        self.interactive = interactive
        users = get_user_model()
        try:
            group = Group.objects.get(name=COORDINATOR)
        except Group.DoesNotExist:
            raise CommandError(
                f"De groep '{COORDINATOR}' bestaat niet. Voer eerst 'manage.py migrate' uit."
            ) from None

        # Given on the command line: a script runs this, so ask nothing else either.
        scripted = bool(username)
        username = (username or "").strip() or self._ask("Gebruikersnaam: ")
        if not username:
            raise CommandError("Geef een gebruikersnaam (--username).")
        if users.objects.filter(username=username).exists():
            raise CommandError(f"De gebruiker '{username}' bestaat al.")

        if email is None and not scripted:
            email = self._ask("E-mailadres (mag leeg): ")
        email = (email or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"'{email}' is geen geldig e-mailadres.") from None

        user = users(username=username, email=email, is_staff=True)
        password = self._password(user)
        user.set_password(password)
        with transaction.atomic(), command_context("create_coordinator"):
            user.save()
            user.groups.add(group)
        self.stdout.write(
            self.style.SUCCESS(
                f"Coördinator '{username}' aangemaakt (medewerker, groep {COORDINATOR})."
            )
        )

    def _ask(self, prompt: str) -> str:
        if not self.interactive:
            return ""
        return input(prompt).strip()

    def _password(self, user) -> str:
        password = os.environ.get(PASSWORD_VARIABLE)
        if password is not None:
            self._validate(password, user)
            return password
        if not self.interactive:
            raise CommandError(f"Zet het wachtwoord in de omgevingsvariabele {PASSWORD_VARIABLE}.")
        while True:
            password = getpass.getpass("Wachtwoord: ")
            again = getpass.getpass("Wachtwoord (nogmaals): ")
            if password != again:
                self.stderr.write("De wachtwoorden komen niet overeen. Probeer het opnieuw.")
                continue
            try:
                self._validate(password, user)
            except CommandError as error:
                self.stderr.write(str(error))
                continue
            return password

    @staticmethod
    def _validate(password: str, user) -> None:
        if not password:
            raise CommandError("Het wachtwoord mag niet leeg zijn.")
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
