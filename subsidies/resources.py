"""CSV/XLSX import and export of subsidies and funders (see kpis.resources)."""

from kpis.resources import REGISTRATION
from kpis.resources.base import BnfResource

from .models import Funder, Subsidy


class FunderResource(BnfResource):
    class Meta:
        model = Funder
        fields = ("slug", "name")
        import_id_fields = ("slug",)


class SubsidyResource(BnfResource):
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
