"""Write all data to a ZIP archive that ``restore_data`` loads into an empty database.

    python manage.py backup_data backups/bnf-2024-12-31.zip

See ``kpis.backup`` for what the archive holds, and the README ("Back-up en herstel").
"""

from django.core.management.base import BaseCommand, CommandError

from kpis.backup import BackupError, write_archive


class Command(BaseCommand):
    help = (
        "Schrijf alle gegevens (registraties, referentiegegevens, gebruikers en groepen, "
        "audittrail) naar een ZIP-archief dat restore_data weer inleest."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="Het archief dat wordt gemaakt, bijv. bnf.zip.")

    def handle(self, *args, output, **options):
        try:
            manifest = write_archive(output)
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from None
        total = sum(manifest["counts"].values())
        if options["verbosity"] >= 2:
            for label, count in manifest["counts"].items():
                self.stdout.write(f"  {label}: {count}")
        for name in manifest["missing_files"]:
            self.stderr.write(f"Bestand van een bewijsstuk ontbreekt in de opslag: {name}")
        files = manifest["files"]
        self.stdout.write(
            self.style.SUCCESS(f"{total} records en {files} bestanden geschreven naar '{output}'.")
        )
