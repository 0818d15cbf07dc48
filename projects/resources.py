"""CSV/XLSX import and export of projects, applications and funds (see kpis.resources)."""

from kpis.core.resources import BnfResource
from kpis.resources import REGISTRATION
from projects.models import Fund, GuidedTrajectory, Project, ProjectApplication


class FundResource(BnfResource):
    class Meta:
        model = Fund
        fields = ("slug", "name")
        import_id_fields = ("slug",)


class ProjectResource(BnfResource):
    class Meta:
        model = Project
        fields = ("title", "kind", "started_on", "ended_on", "organisations", *REGISTRATION)
        import_id_fields = ("title", "started_on")


class ProjectApplicationResource(BnfResource):
    column_names = {
        "applicant": "aanvrager",
        "fund": "fonds",
        "submitted_on": "ingediend op",
        "amount_requested": "aangevraagd bedrag",
        "outcome": "uitkomst",
        "decided_on": "besluit op",
    }

    class Meta:
        model = ProjectApplication
        fields = (
            "title",
            "applicant",
            "fund",
            "submitted_on",
            "amount_requested",
            "outcome",
            "decided_on",
            *REGISTRATION,
        )
        import_id_fields = ("title", "applicant", "fund", "submitted_on")


class GuidedTrajectoryResource(BnfResource):
    column_names = {"national_assignment": "landelijke opdracht"}

    class Meta:
        model = GuidedTrajectory
        fields = (
            "title",
            "national_assignment",
            "started_on",
            "ended_on",
            "organisations",
            *REGISTRATION,
        )
        import_id_fields = ("title", "started_on")
