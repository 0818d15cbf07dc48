"""Import transport reservations from a CSV or XLSX file: all rows, or none.

    python manage.py import_transport reserveringen-2024.csv --user coordinator

The file format (columns datum or maand, van, naar, aantal) is described in
``kpis.transport_import``. A file over ``BNF_IMPORT_MAX_BYTES`` is refused unless
``--max-bytes`` allows it (``--max-bytes 0``: no limit). Every row is checked first; a
file with errors changes nothing and the command lists them (the first 50) and exits
with status 1. So does a
database that stays busy (locked) longer than ``BNF_IMPORT_LOCK_TIMEOUT`` seconds.
"""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from kpis.core.audit import command_context
from kpis.transport_import import SOURCE_COMMAND, DatabaseBusy, import_transport

SHOWN_ERRORS = 50


def dutch_number(number: int) -> str:
    return f"{number:,}".replace(",", ".")


class Command(BaseCommand):
    help = (
        "Importeer transportreserveringen uit een CSV- of XLSX-bestand (kolommen: datum of "
        "maand, van, naar, aantal). Alles of niets: bij één fout wordt niets opgeslagen."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Het CSV- of XLSX-bestand.")
        parser.add_argument(
            "--user", help="Gebruikersnaam die als importeur bij de importbatch komt te staan."
        )
        parser.add_argument(
            "--max-bytes",
            type=int,
            default=None,
            help=(
                "Grootste bestand dat wordt gelezen, in bytes (standaard "
                "BNF_IMPORT_MAX_BYTES; 0: geen grens)."
            ),
        )

    def handle(self, *args, file, user=None, verbosity=1, max_bytes=None, **options):
        importer = None
        if user:
            try:
                importer = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"Onbekende gebruiker '{user}'.") from None
        started = time.perf_counter()

        def progress(stage: str, rows: int) -> None:
            if verbosity >= 1:
                seconds = time.perf_counter() - started
                self.stdout.write(f"  {dutch_number(rows)} rijen {stage} ({seconds:.1f} s)")

        try:
            with command_context("import_transport", actor=importer):
                result = import_transport(
                    file,
                    user=importer,
                    source=SOURCE_COMMAND,
                    progress=progress,
                    max_bytes=max_bytes,
                )
        except OSError as error:
            raise CommandError(f"Kan '{file}' niet lezen: {error.strerror or error}") from None
        except DatabaseBusy as busy:  # a lock or statement timeout: nothing was written
            raise CommandError(str(busy)) from None
        seconds = time.perf_counter() - started

        if not result.ok:
            for error in result.errors[:SHOWN_ERRORS]:
                self.stderr.write(f"  {error}")
            hidden = result.error_count - min(len(result.errors), SHOWN_ERRORS)
            if hidden:
                self.stderr.write(f"  ... en nog {dutch_number(hidden)} fout(en).")
            raise CommandError(
                f"Niets geïmporteerd: {dutch_number(result.error_count)} fout(en) in "
                f"'{result.file_name}'."
            )

        rate = result.rows / seconds if seconds else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"{dutch_number(result.rows)} transportreserveringen geïmporteerd uit "
                f"'{result.file_name}' als importbatch {result.batch.pk} "
                f"in {seconds:.1f} s ({dutch_number(round(rate))} rijen per seconde)."
                + (f" Gelezen als {result.encoding}." if result.encoding else "")
            )
        )
