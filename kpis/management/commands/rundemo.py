"""Start the app locally with the 2021 demo data and a fresh demo login.

A demo tool: it refuses to run when DEBUG is off. Running it twice is safe: the
fixture is only loaded into a database without registrations, and the demo
account gets a new random password every run. Background jobs (a large transport
import) run at once in the server process: in debug the tasks backend is the
immediate one, so no separate worker is needed.
"""

import secrets

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.urls import NoReverseMatch, reverse

from kpis.models import ReportDated

FIXTURE = "bnf_2021"
DEMO_USERNAME = "demo"
PROJECT_APPS = ("kpis", "projects", "subsidies")


def has_records() -> bool:
    """True when any registration (any dated record) is already in the database."""
    return any(
        model.objects.exists()
        for app_label in PROJECT_APPS
        for model in apps.get_app_config(app_label).get_models()
        if issubclass(model, ReportDated)
    )


def browser_url(addrport: str, path: str) -> str:
    host, _, port = addrport.rpartition(":")
    if not port.isdigit():  # only a host was given
        host, port = addrport, "8000"
    if host in ("", "0", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}{path}"


class Command(BaseCommand):
    help = (
        "Demo: migreert de database, laadt de demogegevens van 2021 (alleen in een lege "
        "database), maakt het account 'demo' met een nieuw wachtwoord en start de server."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--addrport",
            default="127.0.0.1:8000",
            help="Adres en poort voor de ontwikkelserver (standaard 127.0.0.1:8000).",
        )
        parser.add_argument(
            "--no-server",
            action="store_true",
            help="Alles voorbereiden, maar de server niet starten.",
        )

    def handle(self, *args, addrport, no_server, verbosity, **options):
        if not settings.DEBUG:
            raise CommandError(
                "rundemo is alleen voor een lokale demo en draait niet met DJANGO_DEBUG=0 "
                "(DEBUG uit). Gebruik in productie 'manage.py migrate' en gunicorn "
                "(zie README, 'Uitrollen')."
            )

        self.stdout.write("Database bijwerken (migrate)...")
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))

        self.load_demo_data(verbosity)
        password = self.reset_demo_user()

        self.warn_about_the_worker()
        url = browser_url(addrport, reverse("admin:index"))
        try:
            dashboard = f"\n  Dashboard:      {browser_url(addrport, reverse('kpis:index'))}"
        except NoReverseMatch:
            dashboard = ""
        line = "=" * 60
        self.stdout.write(
            self.style.SUCCESS(
                f"\n{line}\n"
                f"  BNF-demo staat klaar (registraties zijn verzonnen demogegevens).\n"
                f"  Inloggen:       {url}{dashboard}\n"
                f"  Gebruikersnaam: {DEMO_USERNAME}\n"
                f"  Wachtwoord:     {password}\n"
                f"  (Bij elke start van rundemo komt er een nieuw wachtwoord.)\n"
                f"{line}\n"
            )
        )
        if no_server:
            return
        self.stdout.flush()  # show the login before the server takes over, also in a pipe
        # No autoreloader: it would run this command again in a child process and
        # replace the password printed above.
        call_command("runserver", addrport, use_reloader=False)

    def warn_about_the_worker(self) -> None:
        backend = settings.TASKS["default"]["BACKEND"]
        if not backend.endswith("ImmediateBackend"):
            self.stderr.write(
                self.style.WARNING(
                    "Let op: BNF_TASKS_BACKEND is niet 'immediate'; grote imports wachten dan "
                    "op een worker ('manage.py db_worker' in een tweede terminal)."
                )
            )

    def load_demo_data(self, verbosity: int) -> None:
        fixture = settings.BASE_DIR / "fixtures" / f"{FIXTURE}.json"
        if has_records():
            self.stdout.write("Demogegevens: de database bevat al registraties; niets geladen.")
            return
        if not fixture.exists():
            self.stderr.write(
                self.style.WARNING(
                    f"Demogegevens ontbreken: {fixture.relative_to(settings.BASE_DIR)} "
                    "bestaat niet. De app start zonder demogegevens."
                )
            )
            return
        self.stdout.write(f"Demogegevens van 2021 laden ({FIXTURE})...")
        call_command("loaddata", FIXTURE, verbosity=max(verbosity - 1, 0))

    def reset_demo_user(self) -> str:
        password = secrets.token_urlsafe(16)
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        user.is_active = user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        return password
