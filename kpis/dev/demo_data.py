"""Generated demo data at any size: every registration type over several years.

THIS IS DEMO DATA. Titles, dates, amounts and quantities are invented; the reference
data (themes, channels, support kinds, funders, funds, the two basisbibliotheken)
uses the same natural keys as the 2021 fixture (``fixtures/bnf_2021.json``), and is
reused when it is already there, so the generator can run on top of the fixture.

Used by ``manage.py generate_demo_data`` (a demo or a load test) and by
``manage.py benchmark``. Every generated registration carries ``DEMO_NOTE`` in its
notes, where the model has notes.

Deterministic: the same seed on the same database state gives the same records.
Every part draws from its own ``random.Random`` stream (seeded with the seed and the
part's name), so asking for more transport rows does not change the other
registrations.

Transport is written in bulk inside one transaction: with ``COPY`` on PostgreSQL
(about a million rows in seconds) and with batched ``executemany`` elsewhere.
"""

from __future__ import annotations

import datetime
import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from kpis.core.year_policy import ensure_years_open
from kpis.dev.reference import (
    ADVISER_EMAIL,
    ADVISERS,
    CHANNELS,
    FUNDERS,
    FUNDS,
    HOME_LIBRARIES,
    HOME_PROVINCE,
    NEIGHBOURS,
    NETWORK_ORGANISATIONS,
    OTHER_LIBRARIES,
    SUPPORT_KINDS,
    THEMES,
)
from kpis.models import (
    Channel,
    ChannelPost,
    ChannelStatistic,
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
    TransportReservation,
)
from kpis.reporting.figures import known_keys
from kpis.transport_import import keys_and_indexes_rebuilt_after
from projects.models import Fund, GuidedTrajectory, Project, ProjectApplication
from subsidies.models import Funder, Subsidy

DEMO_NOTE = "Demodata: gegenereerd met generate_demo_data; dit record is verzonnen."
BATCH_SIZE = 10_000
BULK_LOAD_ROWS = 100_000
"""From this many transport rows on, PostgreSQL indexes are rebuilt after the load."""
PROGRESS_EVERY = 100_000

Log = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


def dutch_number(n: int) -> str:
    """1.000.000, as the rest of the product prints numbers."""
    return f"{n:,}".replace(",", ".")


# --- reference data: kpis.dev.reference (natural keys as in the 2021 fixture) ---------

# Topics per theme, for titles.
TOPICS = {
    "geletterdheid": [
        "Taalhuis",
        "Passend lezen",
        "Week van de Alfabetisering",
        "Taalcafé",
        "Leesbevordering in het vmbo",
        "de Bibliotheek op school",
        "Zomerlezen",
    ],
    "digitale-inclusie": [
        "Klik & Tik",
        "Digisterker",
        "Informatiepunt Digitale Overheid",
        "Digitale vaardigheden voor senioren",
        "Spreekuur DigiD",
        "Digitaal inloopspreekuur",
    ],
    "leven-lang-ontwikkelen": [
        "Ontwikkelplein",
        "Solliciteren met de bibliotheek",
        "Taal op de werkvloer",
        "Leerwerkloket",
        "Rekenen in het dagelijks leven",
    ],
    "gezinsaanpak": [
        "BoekStart",
        "VoorleesExpress",
        "Nationale Voorleesdagen",
        "Voorlezen thuis",
        "Boekenpret",
    ],
    "digitaal-burgerschap": [
        "Digitaal Burgerschap",
        "Nepnieuws herkennen",
        "Privacy online",
        "Mediawijsheid",
        "Veilig internetten",
    ],
    "inburgering": [
        "Wet Inburgering",
        "Taalmaatjes",
        "Welkom in de bibliotheek voor nieuwkomers",
        "Oefenen met Nederlands",
    ],
}

PLACES = [
    "Almere", "Almere Haven", "Almere Buiten", "Almere Poort", "Lelystad", "Dronten",
    "Biddinghuizen", "Swifterbant", "Zeewolde", "Urk", "Emmeloord", "Ens",
    "Marknesse", "Nagele", "Kraggenburg", "Luttelgeest", "Bant", "Creil",
    "Rutten", "Tollebeek", "Espel",
]  # fmt: skip

# New network organisations: (kind, name template).
NEW_ORGANISATIONS = [
    (Organisation.Kind.PARTNER, "Taalhuis {place}"),
    (Organisation.Kind.PARTNER, "Welzijn {place}"),
    (Organisation.Kind.PARTNER, "Buurtcentrum {place}"),
    (Organisation.Kind.PARTNER, "Kinderopvang {place}"),
    (Organisation.Kind.PARTNER, "Basisschool De Regenboog {place}"),
    (Organisation.Kind.PARTNER, "Voedselbank {place}"),
    (Organisation.Kind.PARTNER, "Vrijwilligerscentrale {place}"),
    (Organisation.Kind.OTHER, "Wijkteam {place}"),
    (Organisation.Kind.OTHER, "Consultatiebureau {place}"),
    (Organisation.Kind.MUNICIPALITY, "Dorpsraad {place}"),
]

NATIONAL_ASSIGNMENTS = [
    "Digitaal Burgerschap",
    "de Bibliotheek op school",
    "Informatiepunt Digitale Overheid",
    "Taalhuis",
    "BoekStart",
    "Leven Lang Ontwikkelen",
]

MONTHS = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]  # fmt: skip

QUOTES = [
    "Heel inspirerend, we gaan er direct mee aan de slag.",
    "Fijn dat BNF meedenkt; het advies was concreet en bruikbaar.",
    "De training sloot precies aan bij wat onze medewerkers nodig hebben.",
    "Dankzij de kenniskring weten we van elkaar wat werkt.",
    "Mooi om te zien hoe de bibliotheek in de wijk het verschil maakt.",
    "De checklist heeft ons veel tijd gescheeld.",
    "Prachtige glossy, die laten we graag aan onze wethouder zien.",
    "Een aanwinst voor onze inwoners die moeite hebben met de digitale overheid.",
    "Goed georganiseerd en veel geleerd van de andere bibliotheken.",
    "Ik had niet gedacht dat voorlezen zoveel kon losmaken.",
]
PEOPLE = [
    ("Anouk", "Leesconsulent"),
    ("Mehmet", "Beleidsadviseur"),
    ("Ingrid", "Directeur"),
    ("Sanne", "Coördinator Taalhuis"),
    ("Pieter", "Vrijwilliger"),
    ("", "Deelnemer"),
    ("Fatima", "Wijkcoach"),
    ("Joost", "Programmamanager"),
]
CONTEXTS = [
    "Evaluatie training",
    "Feedback over de glossy",
    "Feedback over de kenniskring",
    "Reactie op advies",
    "Evaluatie project",
]


# --- helpers -----------------------------------------------------------------------


def working_days(year: int) -> list[datetime.date]:
    """Monday to Friday of ``year``."""
    day = datetime.date(year, 1, 1)
    days = []
    while day.year == year:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def month_end(day: datetime.date) -> datetime.date:
    first_next = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return first_next - datetime.timedelta(days=1)


def unique_name(base: str, taken: set[str], max_length: int) -> str:
    """``base``, or ``base (2)``, ``base (3)``... whichever is still free; reserves it."""
    name = base[:max_length]
    for n in itertools.count(2):
        if name not in taken:
            break
        suffix = f" ({n})"
        name = base[: max_length - len(suffix)] + suffix
    taken.add(name)
    return name


def unique_slug(base: str, taken: set[str], max_length: int) -> str:
    """Like ``unique_name`` for codes: ``base``, ``base-2``, ``base-3``..."""
    slug = base[:max_length]
    for n in itertools.count(2):
        if slug not in taken:
            break
        suffix = f"-{n}"
        slug = base[: max_length - len(suffix)] + suffix
    taken.add(slug)
    return slug


def year_range(years: int, end_year: int | None = None) -> list[int]:
    """The ``years`` report years ending at ``end_year`` (default: last year)."""
    end = end_year if end_year is not None else timezone.localdate().year - 1
    return list(range(end - years + 1, end + 1))


def _m2m_rows(model, field_name: str, links: Iterable[tuple[int, int]]):
    field = model._meta.get_field(field_name)
    through = field.remote_field.through
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    return through, [
        through(**{f"{source}_id": left, f"{target}_id": right}) for left, right in links
    ]


# --- the generator -------------------------------------------------------------------


class DemoData:
    """Creates demo records for ``years``; see the module docstring.

    ``scale`` multiplies the number of registrations per year (not transport, which
    has its own row count).
    """

    def __init__(self, *, years: list[int], seed: int = 1, scale: int = 1, log: Log = _quiet):
        if not years:
            raise ValueError("Geef minstens één jaar.")
        if scale < 1:
            raise ValueError("De schaal is minstens 1.")
        self.years = sorted(years)
        self.seed = seed
        self.scale = scale
        self.log = log
        self.created: Counter[str] = Counter()
        self._days = {year: working_days(year) for year in self.years}

    def rng(self, part: str) -> random.Random:
        """A stream of its own per part, so parts do not shift each other's values."""
        return random.Random(f"{self.seed}:{part}")

    def day(self, rng: random.Random, year: int) -> datetime.date:
        return rng.choice(self._days[year])

    def count(self, rng: random.Random, low: int, high: int) -> int:
        return rng.randint(low, high) * self.scale

    # -- reference data --

    def reference_data(self) -> None:
        """Advisers, themes, kinds, channels, funders, funds, libraries: reused by key."""
        users = get_user_model()
        self.advisers = []
        for username, first_name, _role in ADVISERS:
            user, created = users.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "email": ADVISER_EMAIL.format(username=username),
                    "is_staff": True,
                },
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            self.advisers.append(user)
        self.themes = {
            slug: self._get_or_create(Theme, slug=slug, defaults={"name": name})
            for slug, name in THEMES
        }
        self.kinds = {
            slug: self._get_or_create(
                SupportKind, slug=slug, defaults={"name": name, "description": description}
            )
            for slug, name, description in SUPPORT_KINDS
        }
        self.channels = {
            slug: self._get_or_create(
                Channel,
                slug=slug,
                defaults={
                    "name": name,
                    "audience": audience,
                    "report_posts": posts,
                    "report_engagement": engagement,
                    "order": order,
                },
            )
            for slug, name, audience, posts, engagement, order in CHANNELS
        }
        self.funders = [
            self._get_or_create(Funder, slug=slug, defaults={"name": name})
            for slug, name in FUNDERS
        ]
        self.funds = [
            self._get_or_create(Fund, slug=slug, defaults={"name": name}) for slug, name in FUNDS
        ]
        self.organisations = {}
        for code, name, kind, joined, _note in NETWORK_ORGANISATIONS:
            self.organisations[code] = self._organisation(code, name, kind, HOME_PROVINCE, joined)
        for code, name, province in OTHER_LIBRARIES:
            self.organisations[code] = self._organisation(
                code, name, Organisation.Kind.LIBRARY, province, None
            )
        self.home_libraries = [self.organisations[code] for code in HOME_LIBRARIES]

    def _get_or_create(self, model, defaults, **lookup):
        obj, created = model.objects.get_or_create(**lookup, defaults=defaults)
        if created:
            self.created[model._meta.label] += 1
        return obj

    def _organisation(self, code, name, kind, province, joined) -> Organisation:
        existing = Organisation.objects.filter(models.Q(code=code) | models.Q(name=name)).first()
        if existing:
            return existing
        self.created[Organisation._meta.label] += 1
        return Organisation.objects.create(
            code=code,
            name=name,
            kind=kind,
            province=province,
            joined_network_on=joined,
            notes=DEMO_NOTE,
        )

    # -- saving --

    def save(self, model, items: list[tuple[models.Model, dict[str, list]]]) -> list:
        """Bulk-create ``(record, {m2m field: [related records]})`` pairs, links included."""
        objs = [obj for obj, _links in items]
        model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        self.created[model._meta.label] += len(objs)
        fields = {name for _obj, links in items for name in links}
        for name in sorted(fields):
            through, rows = _m2m_rows(
                model,
                name,
                (
                    (obj.pk, related.pk)
                    for obj, links in items
                    for related in dict.fromkeys(links.get(name, ()))
                ),
            )
            through.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        return objs

    def registration(self, rng: random.Random, **fields) -> dict:
        """Fields every registration shares: an adviser and the demo note."""
        return {"adviser": rng.choice(self.advisers), "notes": DEMO_NOTE, **fields}

    def pick_themes(self, rng: random.Random) -> list[Theme]:
        return [self.themes[slug] for slug in rng.sample(sorted(self.themes), rng.randint(1, 2))]

    def topic(self, rng: random.Random, themes: list[Theme]) -> str:
        return rng.choice(TOPICS.get(themes[0].slug, ["Bibliotheekwerk"]))

    # -- the registrations --

    def run(self, transport_rows: int = 0) -> Counter[str]:
        """Everything, in one transaction. Refuses (``ClosedYearError``) a closed year."""
        ensure_years_open(self.years)
        with transaction.atomic():
            self.log("Referentiegegevens (adviseurs, opgaven, kanalen, bibliotheken)...")
            self.reference_data()
            self.log(f"Registraties voor {self.years[0]}–{self.years[-1]}...")
            self.network_organisations()
            self.subsidies()
            self.projects()
            self.applications()
            self.trajectories()
            self.support_activities()
            self.trainings()
            self.knowledge_circles()
            self.channel_posts()
            self.channel_statistics()
            self.publications()
            self.information_points()
            self.testimonials()
            self.targets()
            if transport_rows:
                self.transport(transport_rows)
        return self.created

    def network_organisations(self) -> None:
        rng = self.rng("organisations")
        taken_names = set(Organisation.objects.values_list("name", flat=True))
        taken_codes = set(Organisation.objects.values_list("code", flat=True))
        new = []
        for year in self.years:
            for _ in range(self.count(rng, 3, 8)):
                kind, template = rng.choice(NEW_ORGANISATIONS)
                name = unique_name(template.format(place=rng.choice(PLACES)), taken_names, 200)
                new.append(
                    Organisation(
                        name=name,
                        code=unique_slug(slugify(name), taken_codes, 50),
                        kind=kind,
                        province=HOME_PROVINCE,
                        joined_network_on=self.day(rng, year),
                        notes=DEMO_NOTE,
                    )
                )
        Organisation.objects.bulk_create(new, batch_size=BATCH_SIZE)
        self.created[Organisation._meta.label] += len(new)
        self.partners = new

    def beneficiaries(self, rng: random.Random) -> list[Organisation]:
        orgs = rng.sample(self.home_libraries, rng.randint(1, 2))
        if self.partners and rng.random() < 0.3:
            orgs.append(rng.choice(self.partners))
        return orgs

    def subsidies(self) -> None:
        rng = self.rng("subsidies")
        items = []
        for year in self.years:
            for _ in range(self.count(rng, 6, 12)):
                themes = self.pick_themes(rng)
                status = rng.choices(
                    [Subsidy.Status.AWARDED, Subsidy.Status.APPLIED, Subsidy.Status.REJECTED],
                    weights=[70, 15, 15],
                )[0]
                day = self.day(rng, year)
                if status == Subsidy.Status.AWARDED:
                    awarded_on = day
                    applied_on = day - datetime.timedelta(days=rng.randint(20, 120))
                else:
                    awarded_on, applied_on = None, day
                subsidy = Subsidy(
                    **self.registration(
                        rng,
                        title=f"{self.topic(rng, themes)} {rng.choice(PLACES)}",
                        funder=rng.choice(self.funders),
                        amount=Decimal(rng.randrange(2_500_00, 90_000_00, 25)) / 100,
                        status=status,
                        role=rng.choice(Subsidy.Role.values),
                        applied_on=applied_on,
                        awarded_on=awarded_on,
                    )
                )
                items.append(
                    (subsidy, {"themes": themes, "beneficiaries": self.beneficiaries(rng)})
                )
        self.save(Subsidy, items)

    def projects(self) -> None:
        rng = self.rng("projects")
        items = []
        for year in self.years:
            for _ in range(self.count(rng, 6, 10)):
                themes = self.pick_themes(rng)
                started = self.day(rng, year)
                ended = (
                    started + datetime.timedelta(days=rng.randint(30, 400))
                    if rng.random() < 0.5
                    else None
                )
                project = Project(
                    **self.registration(
                        rng,
                        title=f"{self.topic(rng, themes)} in {rng.choice(PLACES)}",
                        kind=rng.choices(Project.Kind.values, weights=[75, 25])[0],
                        started_on=started,
                        ended_on=ended,
                    )
                )
                items.append(
                    (project, {"themes": themes, "organisations": self.beneficiaries(rng)})
                )
        self.save(Project, items)

    def applications(self) -> None:
        rng = self.rng("applications")
        innovation = next((f for f in self.funds if f.slug == "innovatiefonds"), self.funds[0])
        others = [f for f in self.funds if f != innovation]
        outcomes = ProjectApplication.Outcome
        items = []
        for year in self.years:
            for _ in range(self.count(rng, 4, 9)):
                themes = self.pick_themes(rng)
                submitted = self.day(rng, year)
                outcome = rng.choices(
                    [outcomes.AWARDED, outcomes.PENDING, outcomes.REJECTED, outcomes.WITHDRAWN],
                    weights=[55, 20, 20, 5],
                )[0]
                decided = (
                    None
                    if outcome == outcomes.PENDING
                    else submitted + datetime.timedelta(days=rng.randint(14, 150))
                )
                amount = (
                    Decimal(rng.randrange(1_000_00, 60_000_00, 50)) / 100
                    if rng.random() < 0.85
                    else None
                )
                application = ProjectApplication(
                    **self.registration(
                        rng,
                        title=f"Aanvraag {self.topic(rng, themes)} {rng.choice(PLACES)}",
                        applicant=rng.choice(self.home_libraries),
                        fund=innovation if rng.random() < 0.35 else rng.choice(others),
                        submitted_on=submitted,
                        amount_requested=amount,
                        outcome=outcome,
                        decided_on=decided,
                    )
                )
                items.append((application, {"themes": themes}))
        self.save(ProjectApplication, items)

    def trajectories(self) -> None:
        rng = self.rng("trajectories")
        items = []
        for year in self.years:
            for _ in range(self.count(rng, 2, 6)):
                assignment = rng.choice(NATIONAL_ASSIGNMENTS)
                library = rng.choice(self.home_libraries)
                started = self.day(rng, year)
                ended = (
                    started + datetime.timedelta(days=rng.randint(60, 300))
                    if rng.random() < 0.4
                    else None
                )
                trajectory = GuidedTrajectory(
                    **self.registration(
                        rng,
                        title=f"{assignment} lokaal bij {library.name}",
                        national_assignment=assignment,
                        started_on=started,
                        ended_on=ended,
                    )
                )
                items.append(
                    (trajectory, {"themes": self.pick_themes(rng), "organisations": [library]})
                )
        self.save(GuidedTrajectory, items)

    def support_activities(self) -> None:
        rng = self.rng("support")
        titles = {
            "best-practice": "{topic}: Flevolandse aanpak gedeeld met {place}",
            "advice": "Advies doorontwikkeling {topic}",
            "process-optimised": "Werkproces {topic} gestroomlijnd",
            "service-supported": "Ondersteuning {topic}",
            "national-theme": "{topic}: Flevolandse inbreng in het landelijke netwerk",
        }
        numbers = {
            "best-practice": (4, 9),
            "advice": (2, 6),
            "process-optimised": (2, 5),
            "service-supported": (5, 10),
            "national-theme": (4, 8),
        }
        items = []
        for year in self.years:
            for slug, kind in self.kinds.items():
                low, high = numbers.get(slug, (1, 4))
                for _ in range(self.count(rng, low, high)):
                    themes = self.pick_themes(rng)
                    title = titles.get(slug, "{topic}").format(
                        topic=self.topic(rng, themes), place=rng.choice(PLACES)
                    )
                    activity = SupportActivity(
                        **self.registration(
                            rng, kind=kind, title=title, carried_out_on=self.day(rng, year)
                        )
                    )
                    items.append(
                        (activity, {"themes": themes, "organisations": self.beneficiaries(rng)})
                    )
        self.save(SupportActivity, items)

    def trainings(self) -> None:
        rng = self.rng("trainings")
        items = []
        for year in self.years:
            for _ in range(self.count(rng, 4, 10)):
                themes = self.pick_themes(rng)
                participants = rng.randint(6, 40)
                evaluated = rng.random() < 0.7
                training = Training(
                    **self.registration(
                        rng,
                        title=f"Training {self.topic(rng, themes)} voor medewerkers",
                        held_on=self.day(rng, year),
                        participants=participants,
                        evaluation_score=(Decimal(rng.randint(60, 95)) / 10 if evaluated else None),
                        respondents=rng.randint(1, participants) if evaluated else None,
                    )
                )
                items.append(
                    (training, {"themes": themes, "organisations": self.beneficiaries(rng)})
                )
        self.save(Training, items)

    def knowledge_circles(self) -> None:
        """Circles that start in some year, meet a few times a year, sometimes stop."""
        rng = self.rng("circles")
        taken = set(KnowledgeCircle.objects.values_list("name", flat=True))
        circles, plans = [], []
        for _ in range(self.count(rng, 4, 6)):
            themes = self.pick_themes(rng)
            start_year = rng.choice(self.years)
            started = self.day(rng, start_year)
            last_year = rng.choice([y for y in self.years if y >= start_year])
            stops = rng.random() < 0.25
            meetings = []
            for year in range(start_year, last_year + 1):
                days = [d for d in self._days[year] if d > started]
                meetings += rng.sample(days, min(len(days), rng.randint(2, 6)))
            meetings.sort()
            ended = meetings[-1] if stops and meetings else None
            name = unique_name(f"Kenniskring {self.topic(rng, themes)}", taken, 200)
            circle = KnowledgeCircle(
                **self.registration(rng, name=name, started_on=started, ended_on=ended)
            )
            circles.append((circle, {"themes": themes, "organisations": self.home_libraries}))
            plans.append(meetings)
        self.save(KnowledgeCircle, circles)
        items = []
        for (circle, links), meetings in zip(circles, plans, strict=True):
            for held_on in meetings:
                meeting = KnowledgeCircleMeeting(
                    **self.registration(
                        rng,
                        circle=circle,
                        held_on=held_on,
                        topic=self.topic(rng, links["themes"]),
                        participants=rng.randint(4, 14),
                    )
                )
                items.append((meeting, {"themes": links["themes"]}))
        self.save(KnowledgeCircleMeeting, items)

    def channel_posts(self) -> None:
        rng = self.rng("posts")
        taken = set(ChannelPost.objects.values_list("channel_id", "published_on", "title"))
        numbers = {"website": (15, 25), "yammer": (35, 55)}
        templates = {
            "website": ["Nieuws: {topic}", "Terugblik {topic}", "{topic} in {place}"],
            "yammer": [
                "Uitnodiging: {topic}",
                "Terugblik: {topic}",
                "Tips voor medewerkers: {topic}",
                "Online kennis- en inspiratiesessie {topic}",
            ],
        }
        items = []
        for year in self.years:
            for slug, channel in self.channels.items():
                if slug in ("flip", "blink"):
                    # A monthly edition, as in the fixture; more at a larger scale.
                    plan = [
                        (
                            datetime.date(year, month, rng.randint(1, 28)),
                            f"{channel.name} {name} {year}",
                        )
                        for month, name in enumerate(MONTHS, start=1)
                        for _ in range(self.scale)
                    ]
                else:
                    low, high = numbers.get(slug, (5, 15))
                    plan = []
                    for _ in range(self.count(rng, low, high)):
                        themes = self.pick_themes(rng)
                        template = rng.choice(templates.get(slug, ["{topic}"]))
                        title = template.format(
                            topic=self.topic(rng, themes), place=rng.choice(PLACES)
                        )
                        plan.append((self.day(rng, year), title))
                for day, title in plan:
                    base, n = title, 2
                    while (channel.pk, day, title) in taken:
                        title, n = f"{base} ({n})", n + 1
                    taken.add((channel.pk, day, title))
                    views = rng.randint(15, 150) if channel.report_engagement else 0
                    post = ChannelPost(
                        **self.registration(
                            rng,
                            channel=channel,
                            title=title,
                            published_on=day,
                            views=views,
                            likes=rng.randint(0, views // 6),
                        )
                    )
                    items.append((post, {"themes": self.pick_themes(rng)}))
        self.save(ChannelPost, items)

    def channel_statistics(self) -> None:
        """Monthly website views; months that are already registered are left alone."""
        rng = self.rng("statistics")
        website = self.channels["website"]
        taken = set(
            ChannelStatistic.objects.filter(channel=website).values_list("period_start", flat=True)
        )
        items = []
        for year in self.years:
            for month in range(1, 13):
                start = datetime.date(year, month, 1)
                views = rng.randint(800, 1700)
                if start in taken:
                    continue
                statistic = ChannelStatistic(
                    channel=website,
                    period_start=start,
                    period_end=month_end(start),
                    views=views,
                    visitors=views * rng.randint(45, 75) // 100,
                    notes=DEMO_NOTE,
                )
                items.append((statistic, {}))
        self.save(ChannelStatistic, items)

    def publications(self) -> None:
        rng = self.rng("publications")
        taken = set(Publication.objects.values_list("kind", "title", "published_on"))
        kinds = Publication.Kind
        items = []
        for year in self.years:
            plan = []
            for n in range(1, self.count(rng, 3, 5) + 1):
                themes = self.pick_themes(rng)
                plan.append(
                    (kinds.KENNISVERSTERKER, f"Kennisversterker {themes[0].name} {n}-{year}")
                )
            plan += [(kinds.GLOSSY, f"Glossy BNF {year}")] * self.scale
            plan += [
                (kinds.NEWSLETTER, f"Nieuwsbrief BNF {MONTHS[n % 12]} {year}")
                for n in range(self.count(rng, 6, 10))
            ]
            for kind, title in plan:
                day = self.day(rng, year)
                base, n = title, 2
                while (kind, title, day) in taken:
                    title, n = f"{base} ({n})", n + 1
                taken.add((kind, title, day))
                publication = Publication(
                    **self.registration(
                        rng,
                        kind=kind,
                        title=title,
                        published_on=day,
                        recipients=rng.randint(80, 650),
                        url=f"https://www.bibliotheeknetwerkflevoland.nl/{slugify(title)}/",
                    )
                )
                items.append((publication, {"themes": self.pick_themes(rng)}))
        self.save(Publication, items)

    def information_points(self) -> None:
        rng = self.rng("ido")
        taken = set(InformationPoint.objects.values_list("name", flat=True))
        last_day = datetime.date(self.years[-1], 12, 31)
        items = []
        for year in self.years:
            for _ in range(self.count(rng, 1, 3)):
                place = rng.choice(PLACES)
                library = self.organisations["dnb" if place.startswith("Almere") else "fmb"]
                opened = self.day(rng, year)
                closed = None
                if rng.random() < 0.15:
                    closed = opened + datetime.timedelta(days=rng.randint(90, 700))
                    closed = closed if closed <= last_day else None
                point = InformationPoint(
                    **self.registration(
                        rng,
                        name=unique_name(f"IDO Bibliotheek {place}", taken, 200),
                        organisation=library,
                        location=place,
                        opened_on=opened,
                        closed_on=closed,
                    )
                )
                items.append((point, {"themes": [self.themes["digitale-inclusie"]]}))
        self.save(InformationPoint, items)

    def testimonials(self) -> None:
        rng = self.rng("testimonials")
        organisations = self.home_libraries + self.partners
        items = []
        for year in self.years:
            for _ in range(self.count(rng, 6, 12)):
                person, role = rng.choice(PEOPLE)
                testimonial = Testimonial(
                    **self.registration(
                        rng,
                        text=rng.choice(QUOTES),
                        person=person,
                        role=role,
                        organisation=rng.choice(organisations) if rng.random() < 0.7 else None,
                        context=rng.choice(CONTEXTS),
                        given_on=self.day(rng, year),
                        publication_allowed=rng.random() < 0.8,
                    )
                )
                items.append((testimonial, {"themes": self.pick_themes(rng)}))
        self.save(Testimonial, items)

    def targets(self) -> None:
        """Targets for a few figures, for every year and the next; existing ones stay."""
        rng = self.rng("targets")
        base = {
            "subsidies.awarded": 7,
            "subsidies.awarded_amount": 250_000,
            "positioning.provincial_projects": 6,
            "knowledge.trainings": 6,
            "knowledge.kenniskringen": 4,
            "communication.posts.yammer": 45,
        }
        keys = known_keys()
        taken = set(Target.objects.values_list("key", "year"))
        new = [
            Target(
                key=key,
                year=year,
                value=Decimal(round(value * self.scale * rng.uniform(0.9, 1.2))),
                note="Demodata: verzonnen streefwaarde.",
            )
            for year in [*self.years, self.years[-1] + 1]
            for key, value in base.items()
            if key in keys and (key, year) not in taken
        ]
        Target.objects.bulk_create(new)
        self.created[Target._meta.label] += len(new)

    # -- transport --

    def transport(self, rows: int) -> int:
        """``rows`` transport reservations over the years, between libraries nationwide."""
        ensure_years_open(self.years)  # COPY bypasses the queryset's own check
        if not hasattr(self, "organisations"):
            self.reference_data()
        return write_transport(self.transport_rows(rows), rows, self.log, self.created)

    def transport_pairs(self) -> tuple[list[tuple[int, int]], list[float]]:
        """(origin, destination) pairs with cumulative weights.

        About a third of the rows stay within the home province, a sixth cross its
        border and the rest run between libraries elsewhere (national scale).
        """
        libraries = [self.organisations[code] for code in HOME_LIBRARIES] + [
            self.organisations[code] for code, _n, _p in OTHER_LIBRARIES
        ]
        home = HOME_PROVINCE
        groups: dict[str, list[tuple[tuple[int, int], float]]] = {
            "within": [],
            "inter": [],
            "elsewhere": [],
        }
        for origin, destination in itertools.permutations(libraries, 2):
            pair = (origin.pk, destination.pk)
            at_home = (origin.province == home, destination.province == home)
            if all(at_home):
                groups["within"].append((pair, 1.0))
            elif any(at_home):
                other = destination if at_home[0] else origin
                groups["inter"].append((pair, 3.0 if other.province in NEIGHBOURS else 1.0))
            else:
                near = origin.province == destination.province
                groups["elsewhere"].append((pair, 4.0 if near else 1.0))
        shares = {"within": 0.33, "inter": 0.17, "elsewhere": 0.50}
        pairs, weights = [], []
        for name, members in groups.items():
            total = sum(weight for _pair, weight in members)
            for pair, weight in members:
                pairs.append(pair)
                weights.append(shares[name] * weight / total)
        return pairs, list(itertools.accumulate(weights))

    def transport_rows(self, rows: int) -> Iterator[tuple]:
        """(origin_id, destination_id, delivered_on, period, quantity), in batches."""
        rng = self.rng("transport")
        pairs, cumulative = self.transport_pairs()
        days = [day for year in self.years for day in self._days[year]]
        firsts = [datetime.date(year, month, 1) for year in self.years for month in range(1, 13)]
        day, month = TransportReservation.Period.DAY, TransportReservation.Period.MONTH
        done = 0
        while done < rows:
            n = min(BATCH_SIZE, rows - done)
            chosen_pairs = rng.choices(pairs, cum_weights=cumulative, k=n)
            chosen_days = rng.choices(days, k=n)
            randoms = [rng.random() for _ in range(n)]
            for (origin, destination), delivered_on, u in zip(
                chosen_pairs, chosen_days, randoms, strict=True
            ):
                if u < 0.02:  # a monthly total from the transport provider
                    yield (origin, destination, rng.choice(firsts), month, rng.randint(20, 1500))
                else:  # a day's deliveries: mostly a handful
                    yield (origin, destination, delivered_on, day, 1 + int(u * u * u * 40))
            done += n


def write_transport(
    rows: Iterable[tuple], total: int, log: Log = _quiet, created: Counter | None = None
) -> int:
    """Insert ``(origin_id, destination_id, delivered_on, period, quantity)`` rows.

    COPY on PostgreSQL, one ``executemany`` per ``BATCH_SIZE`` rows elsewhere (far
    faster than model instances for a table of plain numbers and dates); all in one
    transaction. The rows are built to satisfy the model's checks (quantity at least
    1, two different libraries, month totals on the first of the month); the database
    constraints check them again. Returns the number of rows written.
    """
    written = 0
    next_report = PROGRESS_EVERY

    def progress(final: bool = False) -> None:
        nonlocal next_report
        if total < PROGRESS_EVERY or not (written >= next_report or final):
            return
        log(f"  transport: {dutch_number(written)} van {dutch_number(total)} rijen")
        while next_report <= written:
            next_report += PROGRESS_EVERY

    now = timezone.now()
    opts = TransportReservation._meta
    names = ["origin", "destination", "delivered_on", "period", "quantity"]
    columns = [opts.get_field(name).column for name in [*names, "created_at", "updated_at"]]
    quote = connection.ops.quote_name
    table, column_list = quote(opts.db_table), ", ".join(quote(c) for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            bulk = total >= BULK_LOAD_ROWS
            with (
                keys_and_indexes_rebuilt_after(cursor, opts.db_table, bulk),
                cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy,
            ):
                # COPY's text format, written per batch: much faster than write_row,
                # which adapts every date and timestamp separately.
                stamp, dates = now.isoformat(), {}
                for batch in _batches(rows, BATCH_SIZE):
                    lines = []
                    for origin, destination, delivered_on, period, quantity in batch:
                        day = dates.get(delivered_on) or dates.setdefault(
                            delivered_on, delivered_on.isoformat()
                        )
                        lines.append(
                            f"{origin}\t{destination}\t{day}\t{period}\t{quantity}"
                            f"\t{stamp}\t{stamp}\n"
                        )
                    copy.write("".join(lines))
                    written += len(batch)
                    progress()
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            statement = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"
            for batch in _batches(rows, BATCH_SIZE):
                cursor.executemany(statement, [(*row, now, now) for row in batch])
                written += len(batch)
                progress()
    if written % PROGRESS_EVERY:
        progress(final=True)
    if created is not None:
        created[TransportReservation._meta.label] += written
    return written


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def delete_transport() -> None:
    """Remove every transport reservation (TRUNCATE on PostgreSQL, outside a transaction:
    inside one, rows just written still have foreign-key checks pending)."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(TransportReservation._meta.db_table)
            cursor.execute(f"TRUNCATE {table}")
    else:
        TransportReservation.objects.all().delete()


def generate(
    *,
    years: int = 5,
    end_year: int | None = None,
    transport_rows: int = 30_000,
    seed: int = 1,
    scale: int = 1,
    log: Log = _quiet,
) -> Counter[str]:
    """Generate demo data for ``years`` years ending at ``end_year``; returns counts.

    Returns the number of records created per model label (``"kpis.Training"``).
    """
    generator = DemoData(years=year_range(years, end_year), seed=seed, scale=scale, log=log)
    return generator.run(transport_rows=transport_rows)
