"""The report figures, each declared exactly once.

Every surface — dashboard, printable report, JSON/CSV/XLSX exports, targets and
tests — loops over ``declared_figures()``. Adding a figure to the annual report is
one ``Figure(...)`` in ``STATIC_FIGURES`` (plus one test); a figure per communication
channel comes from the ``Channel`` records (see ``channel_figures``).

Keys are a public contract with the provincie: never rename a released key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kpis.models import (
    Channel,
    ChannelPost,
    ChannelStatistic,
    Event,
    InformationPoint,
    KnowledgeCircleMeeting,
    Network,
    Organisation,
    Publication,
    SupportActivity,
    Training,
    TransportReservation,
)
from kpis.models.transport import scope_conditions
from projects.models import GuidedTrajectory, Project, ProjectApplication
from subsidies.models import Subsidy


class Kind(models.TextChoices):
    COUNT = "count", _("aantal")
    SUM = "sum", _("som")
    MAX = "max", _("hoogste")
    STOCK = "stock", _("stand op 31 december")
    AVERAGE = "average", _("gemiddelde")


class Unit(models.TextChoices):
    COUNT = "count", _("aantal")
    EURO = "euro", _("euro")
    VIEWS = "views", _("weergaven")
    LIKES = "likes", _("likes")
    RESERVATIONS = "reservations", _("reserveringen")
    SCORE = "score", _("cijfer")


class Section(models.TextChoices):
    """The sections of the annual report, in the order the report prints them."""

    SUBSIDIES = "subsidies", _("Subsidies")
    POSITIONING = "positioning", _("Positionering")
    # The default title; a network gives its own (``Network.section_titles``).
    SUPPORT = "support", _("Resultaten voor medewerkers van de bibliotheken")
    COMMUNICATION_EXTERNAL = "communication_external", _("Communicatie (extern)")
    COMMUNICATION_INTERNAL = "communication_internal", _("Communicatie (intern)")
    KNOWLEDGE = "knowledge", _("Kennisdeling")
    DIGITAL_INCLUSION = "digital_inclusion", _("Digitale inclusie")
    TRANSPORT = "transport", _("Transport")


@dataclass(frozen=True)
class Figure:
    """One report figure: what it is called, where it goes, and what it reads.

    ``model`` is the registration type it reads, restricted by ``filter``. The year
    comes from ``date_field`` (default: the model's own ``report_date_field``).
    For ``SUM``/``AVERAGE``/``MAX`` ``field`` is the number read; for ``COUNT`` a
    ``field`` means "count distinct values of this field". ``STOCK`` counts the
    records open on 31 December by the model's ``stock`` rule (``StockRule``; it sets
    ``end_field``).
    ``MAX`` reports the record with the highest ``field`` and its ``title_field``.
    ``admin_params`` narrow the admin list behind the figure for staff; left out, they
    follow from ``filter`` (``Q(kind__slug="advies")`` gives ``kind__slug__exact=advies``);
    given only where the list filters differently (a scope, a channel by its code). The
    year goes in ``admin_year_param``. ``section_title`` is the network's title for the section
    (``declared_figures``), or the one a closed year was published with.
    """

    key: str
    label: Any
    section: Section
    kind: Kind
    unit: Unit
    model: type[models.Model]
    definition: Any
    filter: Q = dataclasses.field(default_factory=Q)
    field: str | None = None
    date_field: str | None = None
    end_field: str | None = None
    title_field: str | None = None
    admin_params: dict[str, str] | None = None
    admin_year_param: str = "year"
    section_title: str | None = None

    def __post_init__(self):
        if self.kind == Kind.STOCK and self.model is not None:
            # The model's stock rule says when a record is open (``StockRule``).
            rule = self.model.stock
            if self.date_field not in (None, rule.start):
                raise ValueError(f"{self.key}: a stock counts from {rule.start}")
            object.__setattr__(self, "end_field", rule.end)
        if self.admin_params is None:
            object.__setattr__(self, "admin_params", admin_params_of(self.filter))

    @property
    def year_field(self) -> str:
        return self.date_field or self.model.report_date_field

    @property
    def section_label(self) -> str:
        return self.section_title or str(self.section.label)


def admin_params_of(condition: Q) -> dict[str, str]:
    """The admin list's query for a filter of plain lookups joined by AND:
    ``Q(status=Subsidy.Status.AWARDED)`` is ``{"status__exact": "awarded"}``. Anything
    else (OR, NOT, expressions) has no such form: declare ``admin_params`` for it."""
    if condition.negated or (condition.connector != Q.AND and len(condition.children) > 1):
        raise ValueError(f"declare admin_params for {condition!r}")
    params = {}
    for child in condition.children:
        if isinstance(child, Q):
            params.update(admin_params_of(child))
            continue
        lookup, value = child
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValueError(f"declare admin_params for {condition!r}")
        if not lookup.endswith("__exact"):
            lookup = f"{lookup}__exact"
        params[lookup] = str(value)
    return params


def _support(key, label, section, kind_slug, definition_kind):
    return Figure(
        key=key,
        label=label,
        section=section,
        kind=Kind.COUNT,
        unit=Unit.COUNT,
        model=SupportActivity,
        filter=Q(kind__slug=kind_slug),
        definition=_(
            "Aantal ondersteuningsactiviteiten van de soort '%(kind)s' met een datum in het jaar."
        )
        % {"kind": definition_kind},
    )


def _place(network: Network | None) -> dict[str, str]:
    """The words for the network in labels and definitions; without one (declarations
    read at start-up, without the database) the neutral ones."""
    if network is None or not network.province_name:
        return {
            "network": _("het netwerk"),
            "province": _("de provincie"),
            "best_practices": _("best practices en expertise uit de provincie"),
        }
    return {
        "network": network.short,
        "province": network.province_name,
        "best_practices": _("%(adjective)s best practices en expertise")
        % {"adjective": network.province_adjective},
    }


def static_figures(
    home_ids: list[int] | None = None, network: Network | None = None
) -> list[Figure]:
    """The figures that exist whatever the data, in report order. ``home_ids``: the
    home province's library ids, for the fastest transport filter (see
    ``scope_conditions``); without them the filter reads them in a subquery.
    ``network``: the identity whose province and name the labels use."""
    within, interprovincial = scope_conditions(home_ids=home_ids)
    place = _place(network)
    return [
        Figure(
            key="subsidies.awarded",
            label=_("subsidies (mede-)binnengehaald"),
            section=Section.SUBSIDIES,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=Subsidy,
            filter=Q(status=Subsidy.Status.AWARDED),
            definition=_(
                "Aantal subsidies met status 'toegekend' en een toekenningsdatum in het jaar, "
                "met %(network)s als hoofd- of medeaanvrager."
            )
            % place,
        ),
        Figure(
            key="subsidies.awarded_amount",
            label=_("totale waarde binnengehaalde subsidies"),
            section=Section.SUBSIDIES,
            kind=Kind.SUM,
            unit=Unit.EURO,
            model=Subsidy,
            field="amount",
            filter=Q(status=Subsidy.Status.AWARDED),
            definition=_(
                "Som van de bedragen (in euro's) van de subsidies die in het jaar zijn toegekend."
            ),
        ),
        _support(
            "positioning.best_practices_shared",
            _("%(best_practices)s gedeeld binnen en buiten de bibliotheekbranche") % place,
            Section.POSITIONING,
            "best-practice",
            _("best practice gedeeld"),
        ),
        Figure(
            key="positioning.provincial_projects",
            label=_("provinciale projecten ontwikkeld en geïmplementeerd"),
            section=Section.POSITIONING,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=Project,
            filter=Q(kind=Project.Kind.PROVINCIAL),
            definition=_(
                "Aantal provinciale projecten (geen partnerprojecten) gestart in het jaar."
            ),
        ),
        Figure(
            key="positioning.new_network_organisations",
            label=_("nieuwe netwerkorganisaties"),
            section=Section.POSITIONING,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=Organisation,
            date_field="joined_network_on",
            definition=_("Aantal organisaties dat zich in het jaar bij het netwerk aansloot."),
        ),
        Figure(
            key="projects.applications_supported",
            label=_("projectaanvragen ondersteund"),
            section=Section.POSITIONING,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=ProjectApplication,
            definition=_(
                "Aantal projectaanvragen dat met steun van %(network)s in het jaar is ingediend."
            )
            % place,
        ),
        Figure(
            key="projects.applications_innovation_fund",
            label=_("waarvan voor het Innovatiefonds"),
            section=Section.POSITIONING,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=ProjectApplication,
            filter=Q(fund__slug="innovatiefonds"),
            definition=_("Het deel van de ondersteunde projectaanvragen bij het Innovatiefonds."),
        ),
        Figure(
            key="projects.national_assignments_guided",
            label=_("trajecten begeleid waarin landelijke opdrachten lokaal werden uitgezet"),
            section=Section.POSITIONING,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=GuidedTrajectory,
            definition=_("Aantal begeleide trajecten gestart in het jaar."),
        ),
        _support(
            "support.advices",
            _("adviezen uitgebracht over de doorontwikkeling van diensten en producten"),
            Section.SUPPORT,
            "advice",
            _("advies"),
        ),
        _support(
            "support.processes_optimised",
            _("processen geoptimaliseerd"),
            Section.SUPPORT,
            "process-optimised",
            _("proces geoptimaliseerd"),
        ),
        _support(
            "support.services_supported",
            _("diensten en activiteiten ondersteund bij de uitvoering"),
            Section.SUPPORT,
            "service-supported",
            _("dienst of activiteit ondersteund"),
        ),
        Figure(
            key="communication.website_views",
            label=_("weergaven op de website"),
            section=Section.COMMUNICATION_EXTERNAL,
            kind=Kind.SUM,
            unit=Unit.VIEWS,
            model=ChannelStatistic,
            field="views",
            filter=Q(channel__slug="website"),
            definition=_(
                "Som van de weergaven in de kanaalstatistieken van de website over perioden "
                "die in het jaar beginnen."
            ),
        ),
        Figure(
            key="communication.news_posts",
            label=_("nieuwsberichten geplaatst"),
            section=Section.COMMUNICATION_EXTERNAL,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=ChannelPost,
            filter=Q(channel__slug="website"),
            definition=_("Aantal berichten op de website geplaatst in het jaar."),
        ),
        Figure(
            key="communication.kennisversterkers",
            label=_("kennisversterkers verstuurd"),
            section=Section.COMMUNICATION_EXTERNAL,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=Publication,
            filter=Q(kind=Publication.Kind.KENNISVERSTERKER),
            definition=_("Aantal kennisversterkers verstuurd in het jaar."),
        ),
        Figure(
            key="communication.glossies",
            label=_("glossy ontwikkeld"),
            section=Section.COMMUNICATION_EXTERNAL,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=Publication,
            filter=Q(kind=Publication.Kind.GLOSSY),
            definition=_("Aantal glossy's verschenen in het jaar."),
        ),
        Figure(
            key="knowledge.trainings",
            label=_("trainingen"),
            section=Section.KNOWLEDGE,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=Training,
            definition=_("Aantal trainingen gegeven in het jaar."),
        ),
        Figure(
            key="knowledge.kenniskringen",
            label=_("provinciale kenniskringen"),
            section=Section.KNOWLEDGE,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=KnowledgeCircleMeeting,
            field="circle",
            definition=_(
                "Aantal verschillende kenniskringen dat in het jaar minstens één keer bijeenkwam."
            ),
        ),
        Figure(
            key="knowledge.kenniskring_meetings",
            label=_("bijeenkomsten van kenniskringen"),
            section=Section.KNOWLEDGE,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=KnowledgeCircleMeeting,
            definition=_("Aantal bijeenkomsten van kenniskringen in het jaar."),
        ),
        Figure(
            key="knowledge.events",
            label=_("bijeenkomsten georganiseerd"),
            section=Section.KNOWLEDGE,
            kind=Kind.COUNT,
            unit=Unit.COUNT,
            model=Event,
            definition=_(
                "Aantal netwerkbijeenkomsten, kennis- en inspiratiesessies, congressen en "
                "werkbezoeken die het netwerk in het jaar (mede) organiseerde."
            ),
        ),
        Figure(
            key="knowledge.event_participants",
            label=_("deelnemers aan bijeenkomsten"),
            section=Section.KNOWLEDGE,
            kind=Kind.SUM,
            unit=Unit.COUNT,
            model=Event,
            field="participants",
            definition=_("Som van de deelnemers aan de bijeenkomsten van het jaar."),
        ),
        _support(
            "knowledge.national_themes",
            _(
                "lokaal relevante thema's ingebracht in het landelijke bibliotheeknetwerk en "
                "teruggekoppeld"
            ),
            Section.KNOWLEDGE,
            "national-theme",
            _("thema landelijk ingebracht"),
        ),
        Figure(
            key="digital_inclusion.ido_points",
            label=_("Informatiepunten Digitale Overheid in %(province)s") % place,
            section=Section.DIGITAL_INCLUSION,
            kind=Kind.STOCK,
            unit=Unit.COUNT,
            model=InformationPoint,
            admin_year_param="open_at_end_of",
            definition=_(
                "Aantal informatiepunten dat op 31 december open is: geopend op of voor die dag "
                "en niet gesloten."
            ),
        ),
        Figure(
            key="transport.within_province",
            label=_("geleverde reserveringen binnen %(province)s") % place,
            section=Section.TRANSPORT,
            kind=Kind.SUM,
            unit=Unit.RESERVATIONS,
            model=TransportReservation,
            field="quantity",
            filter=within,
            admin_params={"scope": "within"},
            definition=_(
                "Som van de reserveringen geleverd tussen twee bibliotheken die allebei in de "
                "provincie liggen."
            ),
        ),
        Figure(
            key="transport.interprovincial",
            label=_("geleverde en ontvangen reserveringen tussen %(province)s en andere provincies")
            % place,
            section=Section.TRANSPORT,
            kind=Kind.SUM,
            unit=Unit.RESERVATIONS,
            model=TransportReservation,
            field="quantity",
            filter=interprovincial,
            admin_params={"scope": "interprovincial"},
            definition=_(
                "Som van de reserveringen waarvan precies één van beide bibliotheken in de "
                "provincie ligt (geleverd of ontvangen)."
            ),
        ),
    ]


def channel_figures(channels) -> list[Figure]:
    """The figures each registered channel brings: no code change for a new channel."""
    figures = []
    for channel in channels:
        section = (
            Section.COMMUNICATION_INTERNAL
            if channel.audience == Channel.Audience.INTERNAL
            else Section.COMMUNICATION_EXTERNAL
        )
        on_channel = Q(channel_id=channel.pk)
        params = {"channel__slug__exact": channel.slug}
        name = channel.name
        if channel.report_posts:
            figures.append(
                Figure(
                    key=f"communication.posts.{channel.slug}",
                    label=_("berichten op %(channel)s") % {"channel": name},
                    section=section,
                    kind=Kind.COUNT,
                    unit=Unit.COUNT,
                    model=ChannelPost,
                    filter=on_channel,
                    definition=_("Aantal berichten op %(channel)s geplaatst in het jaar.")
                    % {"channel": name},
                    admin_params=params,
                )
            )
        if channel.report_engagement:
            figures += [
                Figure(
                    key=f"communication.{metric}.{channel.slug}",
                    label=label % {"channel": name},
                    section=section,
                    kind=Kind.SUM,
                    unit=unit,
                    model=ChannelPost,
                    field=metric,
                    filter=on_channel,
                    definition=_(
                        "Som van de %(metric)s van de berichten op %(channel)s uit het jaar."
                    )
                    % {"metric": metric, "channel": name},
                    admin_params=params,
                )
                for metric, label, unit in (
                    ("views", _("views op %(channel)s"), Unit.VIEWS),
                    ("likes", _("likes op %(channel)s"), Unit.LIKES),
                )
            ]
            figures.append(
                Figure(
                    key=f"communication.top_post.{channel.slug}",
                    label=_("meest gewaardeerde bericht op %(channel)s") % {"channel": name},
                    section=section,
                    kind=Kind.MAX,
                    unit=Unit.VIEWS,
                    model=ChannelPost,
                    field="views",
                    title_field="title",
                    filter=on_channel,
                    definition=_(
                        "Het bericht op %(channel)s uit het jaar met de meeste views "
                        "(bij gelijke stand het eerst geplaatste)."
                    )
                    % {"channel": name},
                    admin_params=params,
                )
            )
    return figures


SECTION_ORDER = list(Section)


def report_channels() -> list[Channel]:
    return list(Channel.objects.order_by("order", "name"))


def declared_figures(
    channels: list[Channel] | None = None,
    home_ids: list[int] | None = None,
    network: Network | None = None,
) -> list[Figure]:
    """Every figure, in report order: static declarations plus one set per channel,
    with the network's words and section titles.

    Reads the channels (one query) and the network (``Network.objects.current()``)
    unless given them.
    """
    channels = report_channels() if channels is None else channels
    network = Network.objects.current() if network is None else network
    figures = static_figures(home_ids, network) + channel_figures(channels)
    figures = [
        dataclasses.replace(figure, section_title=network.section_title(figure.section.value))
        for figure in figures
    ]
    return sorted(figures, key=lambda f: SECTION_ORDER.index(f.section))


def known_keys() -> set[str]:
    return {f.key for f in declared_figures()}
