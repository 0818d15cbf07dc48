"""Django's ``loaddata``, with the year policy's refusal as a Dutch command error.

Fixtures save rows raw, past every model method; the database refuses a row of a closed
year all the same (``kpis.core.year_policy``). This only says so in a sentence.
"""

from django.core.management import CommandError
from django.core.management.commands import loaddata
from django.db import DatabaseError

from kpis.core import year_policy


class Command(loaddata.Command):
    def handle(self, *args, **options):
        try:
            return super().handle(*args, **options)
        except DatabaseError as error:
            refusal = year_policy.refusal_from(error)
            if refusal is None:
                raise
            raise CommandError(refusal.messages[0]) from error
