"""Load an archive of ``backup_data`` into an empty, migrated database.

    python manage.py migrate
    python manage.py restore_data backups/bnf-2024-12-31.zip

Refuses a database that already has records, unless ``--force`` (records with the
same id are then overwritten, the others added). All or nothing: a refused write (a
``ValidationError`` or database error, such as a closed year refusing its records)
undoes everything and ends the command with a ``CommandError``.
"""

from django.core.management.base import BaseCommand, CommandError

from kpis.backup import RESTORE_ERRORS, BackupError, restore_archive, restore_failure_message


class Command(BaseCommand):
    help = (
        "Lees een archief van backup_data in een lege, gemigreerde database. "
        "Weigert als er al gegevens zijn, tenzij --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="Het archief van backup_data.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Ook laden als de database al gegevens heeft (zelfde id: overschreven).",
        )

    def handle(self, *args, archive, force=False, **options):
        try:
            counts = restore_archive(archive, force=force)
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from None
        except RESTORE_ERRORS as error:
            raise CommandError(restore_failure_message(error)) from error
        if options["verbosity"] >= 2:
            for label, count in counts.items():
                self.stdout.write(f"  {label}: {count}")
        self.stdout.write(
            self.style.SUCCESS(f"{sum(counts.values())} records hersteld uit '{archive}'.")
        )
