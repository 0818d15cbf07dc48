"""BNF's reference data, written down once: the advisers, themes, support kinds, channels,
funders, funds, the network's own organisations and the libraries elsewhere that
interlibrary transport reaches.

Three readers: the 2021 demo fixture (``fixtures/make_bnf_2021.py``, which runs without
Django: so this module imports nothing but the standard library and writes choices as
their stored values, e.g. ``"library"``, ``"noord-holland"``), the demo-data generator
(``kpis.dev.demo_data``) and the tests' factories (``tests/factories.py``,
``make_reference_*``). The identity of the network itself (name, intro, section titles)
is data too, in ``NETWORK``.
"""

import datetime

# (username, first name, role in the report; the User model has no role field)
ADVISERS = [
    ("karin", "Karin", "Adviseur Geletterde Samenleving"),
    ("tjarko", "Tjarko", "Adviseur Digitale Inclusie"),
    ("sylvie", "Sylvie", "Projectmedewerker"),
    ("lizet", "Lizet", "Stichting-Coördinator"),
]
ADVISER_EMAIL = "{username}@bnf.example"

# The maatschappelijke opgaven (slug, name).
THEMES = [
    ("geletterdheid", "Geletterdheid"),
    ("digitale-inclusie", "Digitale inclusie"),
    ("leven-lang-ontwikkelen", "Leven lang ontwikkelen"),
    ("gezinsaanpak", "Gezinsaanpak"),
    ("digitaal-burgerschap", "Digitaal burgerschap"),
    ("inburgering", "Inburgering"),
]

# (slug, name, description)
SUPPORT_KINDS = [
    (
        "best-practice",
        "Flevolandse best practice of expertise gedeeld",
        "Flevolandse best practices en expertise gedeeld binnen en buiten de "
        "bibliotheekbranche (positioning.best_practices_shared).",
    ),
    (
        "advice",
        "Advies over de doorontwikkeling van diensten en producten",
        "Adviezen uitgebracht over de doorontwikkeling van diensten en producten "
        "(support.advices).",
    ),
    ("process-optimised", "Proces geoptimaliseerd", "Processen geoptimaliseerd."),
    (
        "service-supported",
        "Dienst of activiteit ondersteund bij de uitvoering",
        "Diensten en activiteiten ondersteund bij de uitvoering (support.services_supported).",
    ),
    (
        "national-theme",
        "Lokaal relevant thema ingebracht in het landelijke bibliotheeknetwerk",
        "Lokaal relevante thema's ingebracht in het landelijke bibliotheeknetwerk en "
        "teruggekoppeld (knowledge.national_themes).",
    ),
]

# (slug, name, audience, report_posts, report_engagement, order)
CHANNELS = [
    ("website", "Website", "external", False, False, 1),
    ("yammer", "Yammer", "internal", True, True, 2),
    ("flip", "Flip", "internal", True, False, 3),
    ("blink", "Blink", "internal", True, False, 4),
]

FUNDERS = [
    ("provincie-flevoland", "Provincie Flevoland"),
    ("koninklijke-bibliotheek", "Koninklijke Bibliotheek"),
    ("stichting-lezen", "Stichting Lezen"),
    ("fonds-cultuurparticipatie", "Fonds voor Cultuurparticipatie"),
    ("gemeente-almere", "Gemeente Almere"),
]

FUNDS = [
    ("innovatiefonds", "Innovatiefonds"),
    ("fonds-cultuurparticipatie", "Fonds voor Cultuurparticipatie"),
    ("oranje-fonds", "Oranje Fonds"),
    ("stimuleringsregeling-flevoland", "Stimuleringsregeling Provincie Flevoland"),
]

HOME_PROVINCE = "flevoland"

# The network's own organisations: (code, name, kind, joined the network, note).
NETWORK_ORGANISATIONS = [
    (
        "fmb",
        "FlevoMeer Bibliotheek",
        "library",
        datetime.date(2016, 1, 1),
        "Basisbibliotheek voor Dronten, Lelystad, Noordoostpolder, Urk en Zeewolde.",
    ),
    (
        "dnb",
        "De Nieuwe Bibliotheek",
        "library",
        datetime.date(2016, 1, 1),
        "Basisbibliotheek voor Almere.",
    ),
    ("provincie-flevoland", "Provincie Flevoland", "province", datetime.date(2016, 1, 1), ""),
]
HOME_LIBRARIES = ("fmb", "dnb")

# Libraries elsewhere in the country: (code, name, province); only in interlibrary transport.
OTHER_LIBRARIES = [
    ("gooi-en-meer", "Bibliotheek Gooi en meer", "noord-holland"),
    ("oba", "Openbare Bibliotheek Amsterdam", "noord-holland"),
    ("bibliotheek-zuid-kennemerland", "Bibliotheek Zuid-Kennemerland", "noord-holland"),
    ("bibliotheek-kennemerwaard", "Bibliotheek Kennemerwaard", "noord-holland"),
    ("bibliotheek-waterland", "Bibliotheek Waterland", "noord-holland"),
    ("bibliotheek-kampen", "Bibliotheek Kampen", "overijssel"),
    ("stadkamer-zwolle", "Stadkamer Zwolle", "overijssel"),
    ("bibliotheek-deventer", "Bibliotheek Deventer", "overijssel"),
    ("bibliotheek-enschede", "Bibliotheek Enschede", "overijssel"),
    ("bibliotheek-steenwijkerland", "Bibliotheek Steenwijkerland", "overijssel"),
    ("noordwest-veluwe", "Bibliotheek Noordwest Veluwe", "gelderland"),
    ("coda-apeldoorn", "CODA Bibliotheek Apeldoorn", "gelderland"),
    ("rozet-arnhem", "Bibliotheek Rozet Arnhem", "gelderland"),
    ("bibliotheek-gelderland-zuid", "Bibliotheek Gelderland Zuid", "gelderland"),
    ("bibliotheek-ede", "Bibliotheek Ede", "gelderland"),
    ("bibliotheek-eemland", "Bibliotheek Eemland", "utrecht"),
    ("bibliotheek-utrecht", "Bibliotheek Utrecht", "utrecht"),
    ("bibliotheek-veenendaal", "Bibliotheek Veenendaal", "utrecht"),
    ("bibliotheek-nieuwegein", "Bibliotheek Nieuwegein", "utrecht"),
    ("noord-fryslan", "Bibliotheken Noord Fryslân", "friesland"),
    ("bibliotheken-mar-en-fean", "Bibliotheken Mar en Fean", "friesland"),
    ("bibliotheek-zuidoost-fryslan", "Bibliotheek Zuidoost Fryslân", "friesland"),
    ("biblionet-groningen", "Biblionet Groningen", "groningen"),
    ("forum-groningen", "Bibliotheek Groningen", "groningen"),
    ("bibliotheek-assen", "Bibliotheek Assen", "drenthe"),
    ("bibliotheek-emmen", "Bibliotheek Emmen", "drenthe"),
    ("bibliotheek-meppel", "Bibliotheek Meppel", "drenthe"),
    ("bibliotheek-rotterdam", "Bibliotheek Rotterdam", "zuid-holland"),
    ("bibliotheek-den-haag", "Bibliotheek Den Haag", "zuid-holland"),
    ("bplusc-leiden", "BplusC Leiden", "zuid-holland"),
    ("bibliotheek-dordrecht", "Bibliotheek Dordrecht", "zuid-holland"),
    ("zb-zeeland", "ZB Bibliotheek van Zeeland", "zeeland"),
    ("bibliotheek-oosterschelde", "Bibliotheek Oosterschelde", "zeeland"),
    ("bibliotheek-eindhoven", "Bibliotheek Eindhoven", "noord-brabant"),
    ("bibliotheek-midden-brabant", "Bibliotheek Midden-Brabant", "noord-brabant"),
    ("bibliotheek-s-hertogenbosch", "Bibliotheek 's-Hertogenbosch", "noord-brabant"),
    ("bibliotheek-breda", "Bibliotheek Breda", "noord-brabant"),
    ("centre-ceramique", "Bibliotheek Maastricht", "limburg"),
    ("bibliotheek-venlo", "Bibliotheek Venlo", "limburg"),
    ("bibliotheek-parkstad", "Bibliotheek Parkstad", "limburg"),
]

# Provinces next to Flevoland: more transport to and from there.
NEIGHBOURS = {"noord-holland", "overijssel", "gelderland", "utrecht", "friesland"}

# The network's identity (``kpis.Network``): what the pages, the report and the admin
# call it. The colours are the site's defaults; no logo of its own.
NETWORK = {
    "name": "Bibliotheeknetwerk Flevoland",
    "short_name": "BNF",
    "tagline": "Waar kennis en netwerk samenkomen",
    "home_province": HOME_PROVINCE,
    "primary_colour": "#0f4c81",
    "accent_colour": "#b3441f",
    "intro": (
        "Wat Bibliotheeknetwerk Flevoland dit jaar deed voor FlevoMeer Bibliotheek, "
        "De Nieuwe Bibliotheek en de provincie — rechtstreeks berekend uit de registraties."
    ),
    "section_titles": {"support": "Resultaten voor medewerkers FMB en DNB"},
}


def organisation(code: str) -> dict:
    """The reference fields of one organisation (network or elsewhere) by its code."""
    for found, name, kind, joined, note in NETWORK_ORGANISATIONS:
        if found == code:
            return {
                "code": code,
                "name": name,
                "kind": kind,
                "province": HOME_PROVINCE,
                "joined_network_on": joined,
                "note": note,
            }
    for found, name, province in OTHER_LIBRARIES:
        if found == code:
            return {
                "code": code,
                "name": name,
                "kind": "library",
                "province": province,
                "joined_network_on": None,
                "note": "",
            }
    raise KeyError(code)
