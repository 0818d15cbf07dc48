"""CSV/XLSX import and export of the kpis models (django-import-export resources).

One resource per model; ``kpis.core.resources.BnfResource`` holds everything they share. The columns
are the model's fields, in the order listed in ``Meta.fields``, headed by a Dutch name
(``kpis.core.resources.COLUMN_NAMES``, and ``column_names`` here for the rest); related records are
written by code (see ``kpis.core.resources.natural_key_fields``). ``Meta.import_id_fields`` are the
columns that identify a record: a row matching an existing record updates it (or is
skipped when nothing changed) instead of adding a second one.

Transport reservations have their own bulk import (``kpis.admin.transport``).
"""

from kpis.core.resources import BnfResource
from kpis.models import (
    Channel,
    ChannelPost,
    ChannelStatistic,
    Event,
    InformationPoint,
    KnowledgeCircle,
    KnowledgeCircleMeeting,
    Organisation,
    Publication,
    SupportActivity,
    SupportKind,
    Target,
    Testimonial,
    Theme,
    Training,
)

REGISTRATION = ("adviser", "themes", "notes")
"""The columns every registration ends with."""

# --- reference data -------------------------------------------------------------------


class OrganisationResource(BnfResource):
    column_names = {"province": "provincie", "joined_network_on": "lid sinds"}

    class Meta:
        model = Organisation
        fields = ("code", "name", "kind", "province", "joined_network_on", "notes")
        import_id_fields = ("code",)


class ThemeResource(BnfResource):
    class Meta:
        model = Theme
        fields = ("slug", "name")
        import_id_fields = ("slug",)


class ChannelResource(BnfResource):
    column_names = {
        "audience": "doelgroep",
        "report_posts": "berichten in verslag",
        "report_engagement": "views en likes in verslag",
        "order": "volgorde",
    }

    class Meta:
        model = Channel
        fields = ("slug", "name", "audience", "report_posts", "report_engagement", "order")
        import_id_fields = ("slug",)


class SupportKindResource(BnfResource):
    class Meta:
        model = SupportKind
        fields = ("slug", "name", "description")
        import_id_fields = ("slug",)


class TargetResource(BnfResource):
    column_names = {"key": "figuur", "year": "jaar", "value": "streefwaarde", "note": "toelichting"}

    class Meta:
        model = Target
        fields = ("key", "year", "value", "note")
        import_id_fields = ("key", "year")


# --- registrations --------------------------------------------------------------------


class SupportActivityResource(BnfResource):
    column_names = {"carried_out_on": "datum"}

    class Meta:
        model = SupportActivity
        fields = ("kind", "title", "carried_out_on", "organisations", *REGISTRATION)
        import_id_fields = ("kind", "title", "carried_out_on")


class TrainingResource(BnfResource):
    column_names = {
        "held_on": "datum",
        "respondents": "respondenten",
        "evaluation_score": "evaluatiecijfer",
    }

    class Meta:
        model = Training
        fields = (
            "title",
            "held_on",
            "participants",
            "respondents",
            "evaluation_score",
            "organisations",
            *REGISTRATION,
        )
        import_id_fields = ("title", "held_on")


class EventResource(BnfResource):
    column_names = {"held_on": "datum", "kind": "soort", "online": "online"}

    class Meta:
        model = Event
        fields = (
            "title",
            "kind",
            "held_on",
            "online",
            "participants",
            "organisations",
            *REGISTRATION,
        )
        import_id_fields = ("title", "held_on")


class KnowledgeCircleResource(BnfResource):
    column_names = {"ended_on": "gestopt op"}

    class Meta:
        model = KnowledgeCircle
        fields = ("name", "started_on", "ended_on", "organisations", *REGISTRATION)
        import_id_fields = ("name",)


class KnowledgeCircleMeetingResource(BnfResource):
    column_names = {"circle": "kenniskring", "held_on": "datum", "topic": "onderwerp"}

    class Meta:
        model = KnowledgeCircleMeeting
        fields = ("circle", "held_on", "topic", "participants", *REGISTRATION)
        import_id_fields = ("circle", "held_on")


class ChannelPostResource(BnfResource):
    column_names = {"published_on": "datum"}

    class Meta:
        model = ChannelPost
        fields = ("channel", "published_on", "title", "url", "views", "likes", *REGISTRATION)
        import_id_fields = ("channel", "published_on", "title")


class ChannelStatisticResource(BnfResource):
    column_names = {
        "period_start": "periode van",
        "period_end": "periode tot en met",
        "views": "weergaven",
        "visitors": "bezoekers",
    }

    class Meta:
        model = ChannelStatistic
        fields = ("channel", "period_start", "period_end", "views", "visitors", "notes")
        import_id_fields = ("channel", "period_start")


class PublicationResource(BnfResource):
    column_names = {"published_on": "datum", "recipients": "ontvangers"}

    class Meta:
        model = Publication
        fields = ("kind", "title", "published_on", "recipients", "url", *REGISTRATION)
        import_id_fields = ("kind", "title", "published_on")


class InformationPointResource(BnfResource):
    column_names = {
        "organisation": "bibliotheek",
        "location": "locatie",
        "opened_on": "geopend op",
        "closed_on": "gesloten op",
    }

    class Meta:
        model = InformationPoint
        fields = ("name", "organisation", "location", "opened_on", "closed_on", *REGISTRATION)
        import_id_fields = ("name",)


class TestimonialResource(BnfResource):
    column_names = {
        "given_on": "datum",
        "person": "persoon",
        "text": "tekst",
        "role": "functie",
        "context": "aanleiding",
        "publication_allowed": "publicatie toegestaan",
    }

    class Meta:
        model = Testimonial
        fields = (
            "given_on",
            "person",
            "text",
            "role",
            "organisation",
            "context",
            "publication_allowed",
            *REGISTRATION,
        )
        import_id_fields = ("given_on", "person", "text")
