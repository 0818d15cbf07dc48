"""CSV/XLSX import and export of subsidies and funders (see kpis.resources)."""

from django.utils.translation import gettext_lazy as _

from kpis.core.resources import BnfResource
from kpis.resources import REGISTRATION
from subsidies.models import Funder, Subsidy


class FunderResource(BnfResource):
    class Meta:
        model = Funder
        fields = ("slug", "name")
        import_id_fields = ("slug",)


class SubsidyResource(BnfResource):
    column_names = {
        "funder": "subsidiegever",
        "applied_on": "aangevraagd op",
        "amount": "bedrag",
        "role": "rol",
        "awarded_on": "toegekend op",
        "beneficiaries": "begunstigden",
    }
    column_meanings = {
        # The form's example (12.500,00) is not how a file writes an amount.
        "amount": _("Toegekend (of aangevraagd) bedrag in euro's."),
    }

    class Meta:
        model = Subsidy
        fields = (
            "title",
            "funder",
            "applied_on",
            "amount",
            "status",
            "role",
            "awarded_on",
            "beneficiaries",
            *REGISTRATION,
        )
        import_id_fields = ("title", "applied_on", "funder")
