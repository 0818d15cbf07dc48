"""Generate demo registrations of every type over several years (see ``kpis.dev.demo_data``).

    python manage.py generate_demo_data --years 5 --transport-rows 30000 --seed 1

A demo and load-test tool: it refuses to run with DEBUG off unless ``--force`` is
given, so invented records never end up in a production database by accident.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kpis.core import year_policy
from kpis.dev import demo_data
from kpis.models import ClosedYearError


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Maakt verzonnen demoregistraties van elk soort (subsidies, projecten, "
        "ondersteuning, trainingen, kenniskringen, communicatie, informatiepunten, "
        "citaten, transport) over meerdere jaren. Bestaande referentiegegevens "
        "(opgaven, kanalen, bibliotheken, fondsen) worden hergebruikt. Dezelfde seed "
        "geeft dezelfde gegevens."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--years",
            type=positive,
            default=5,
            help="Aantal verslagjaren (standaard 5).",
        )
        parser.add_argument(
            "--end-year",
            type=int,
            default=None,
            help="Laatste verslagjaar (standaard vorig jaar).",
        )
        parser.add_argument(
            "--transport-rows",
            type=non_negative,
            default=30_000,
            help="Aantal transportregels over alle jaren samen (standaard 30000).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Startwaarde van de toevalsgenerator (standaard 1).",
        )
        parser.add_argument(
            "--scale",
            type=positive,
            default=1,
            help=(
                "Vermenigvuldigt het aantal registraties per jaar (niet het transport); "
                "standaard 1."
            ),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Ook uitvoeren als DEBUG uit staat (bijvoorbeeld op een testserver).",
        )

    def handle(self, *args, years, end_year, transport_rows, seed, scale, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "generate_demo_data maakt verzonnen registraties en draait niet met "
                "DJANGO_DEBUG=0 (DEBUG uit). Gebruik --force als dit echt een test- of "
                "demodatabase is."
            )
        year_list = demo_data.year_range(years, end_year)
        self.stdout.write(
            f"Demogegevens maken voor {year_list[0]}–{year_list[-1]} "
            f"({demo_data.dutch_number(transport_rows)} transportregels, seed {seed})..."
        )
        started = time.perf_counter()
        try:
            with year_policy.db_refusals():  # COPY and bulk writes: the database says no
                created = demo_data.generate(
                    years=years,
                    end_year=end_year,
                    transport_rows=transport_rows,
                    seed=seed,
                    scale=scale,
                    log=self.stdout.write,
                )
        except (ClosedYearError, year_policy.ImplausibleDateError) as error:
            raise CommandError(
                f"{error.messages[0]} Kies andere jaren (--end-year, --years)."
            ) from error
        seconds = time.perf_counter() - started
        for label, count in sorted(created.items()):
            self.stdout.write(f"  {label}: {demo_data.dutch_number(count)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Klaar: {demo_data.dutch_number(sum(created.values()))} records "
                f"in {seconds:.1f} s."
            )
        )
