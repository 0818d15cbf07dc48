"""Record files in the admin: CSV and XLSX export and import of every registration type.

Files go through the admin as a user sends them: the import form (check and preview),
then the confirmation. Rows are numbered as a spreadsheet shows them: the header is
row 1, so the first record is row 2.
"""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from auditlog.models import LogEntry as AuditEntry
from django.contrib import admin
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse
from django.utils import translation

from kpis.core.cells import References
from kpis.core.widgets import DateWidget, DecimalWidget, IntegerWidget
from kpis.models import ChannelPost, Organisation, SupportActivity
from kpis.reporting import closing
from kpis.resources import ChannelPostResource, OrganisationResource
from subsidies.models import Subsidy
from subsidies.resources import SubsidyResource
from tests.factories import (
    make_channel,
    make_channel_post,
    make_funder,
    make_organisation,
    make_subsidy,
    make_support_activity,
    make_support_kind,
    make_theme,
)

CSV, XLSX = "csv", "xlsx"
FORMATS = {CSV: "0", XLSX: "1"}  # the order of ImportExportAdmin.import_formats

EXCHANGED = sorted(
    (
        model_admin
        for model_admin in admin.site._registry.values()
        if getattr(model_admin, "resource_classes", None)
    ),
    key=lambda model_admin: model_admin.model._meta.label,
)


def url(model, view):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


# --- files --------------------------------------------------------------------------


def make_file(rows: list[list], fmt: str) -> bytes:
    """A file as a spreadsheet program saves it; the first row is the header."""
    if fmt == CSV:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        return buffer.getvalue().encode("utf-8-sig")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_file(content: bytes, fmt: str) -> list[list]:
    if fmt == CSV:
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def check(client, model, content: bytes, fmt: str, name: str = "bestand"):
    """Step 1: upload; the response is the preview, or the errors."""
    upload = SimpleUploadedFile(f"{name}.{fmt}", content)
    response = client.post(
        url(model, "import"), {"resource": "0", "format": FORMATS[fmt], "import_file": upload}
    )
    assert response.status_code == 200
    return response


def confirm(client, model, preview):
    """Step 2: confirm what the preview showed."""
    assert preview.context.get("confirm_form") is not None, preview.context.get("error_lines")
    return client.post(url(model, "process_import"), preview.context["confirm_form"].initial)


def import_file(client, model, content: bytes, fmt: str):
    response = confirm(client, model, check(client, model, content, fmt))
    assert response.status_code == 302, response.context and response.context["error_lines"]
    return response


def export(client, model, fmt: str, query: str = "") -> bytes:
    """The admin's export of the list (all its columns), as the browser receives it."""
    resource = admin.site.get_model_admin(model).resource_classes[0]
    columns = {
        f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()
    }
    response = client.post(
        url(model, "export") + query, {"resource": "0", "format": FORMATS[fmt], **columns}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    return response.content


def records(model) -> list[dict]:
    """Every record of ``model`` as comparable values: related records by code."""
    resource = admin.site.get_model_admin(model).resource_classes[0]
    rows = []
    for obj in model.objects.all():
        row = {}
        for name in resource().get_export_order():
            field = model._meta.get_field(name)
            key = getattr(resource.fields[name].widget, "field", None)
            if field.many_to_many:
                row[name] = sorted(getattr(o, key) for o in getattr(obj, name).all())
            elif field.many_to_one:
                related = getattr(obj, name)
                row[name] = getattr(related, key) if related else None
            else:
                row[name] = getattr(obj, name)
        rows.append(row)
    return sorted(rows, key=repr)


# --- errors: refused with row, column and a Dutch message; nothing saved -------------


@pytest.fixture
def closed_2021(coordinator):
    return closing.close_year(2021, coordinator)


def subsidy_rows(fmt):
    as_date = (lambda text: text) if fmt == CSV else datetime.date.fromisoformat
    header = [
        "titel",
        "subsidiegever",
        "aangevraagd op",
        "bedrag",
        "status",
        "toegekend op",
        "begunstigden",
    ]
    return [
        header,
        ["In orde", "provincie", as_date("2022-01-10"), "1000", "applied", None, "fmb"],
        ["Onbekende bieb", "provincie", as_date("2022-01-10"), "10", "applied", None, "fmb, xyz"],
        ["Negatief", "provincie", as_date("2022-01-10"), "-12.50", "applied", None, ""],
        ["Datum", "provincie", "10/01/2022", "10", "applied", None, ""],
        ["Duizendtallen", "provincie", as_date("2022-01-10"), "1.234", "applied", None, ""],
        [
            "Gesloten jaar",
            "provincie",
            as_date("2021-02-01"),
            "10",
            "awarded",
            as_date("2021-03-15"),
            "",
        ],
        ["Onbekende gever", "rijk", as_date("2022-01-10"), "10", "applied", None, ""],
    ]


@pytest.mark.parametrize("fmt", [CSV, XLSX])
def test_a_file_with_errors_is_refused_per_row_and_column_and_saves_nothing(
    coordinator_client, closed_2021, fmt
):
    make_funder(slug="provincie")
    make_organisation(code="fmb")
    rows = subsidy_rows(fmt)
    if fmt == XLSX:
        rows[3][3] = -12.5  # a number cell

    response = check(coordinator_client, Subsidy, make_file(rows, fmt), fmt)

    assert response.context.get("confirm_form") is None
    assert response.context["error_lines"] == [
        "Rij 3, kolom 'begunstigden': Onbekende organisatie 'xyz' (geen code of naam van een "
        "organisatie).",
        "Rij 4, kolom 'bedrag': Een bedrag kan niet negatief zijn.",
        "Rij 5, kolom 'aangevraagd op': '10/01/2022' is geen datum. Schrijf 2021-03-15 of "
        "15-03-2021.",
        "Rij 6, kolom 'bedrag': '1.234' is geen eenduidig getal. Schrijf het zonder "
        "scheidingsteken voor de duizendtallen en met hoogstens twee cijfers achter een punt "
        "of komma: bijvoorbeeld 1234 of 263568.50, niet 1.234 of 263.568,50.",
        "Rij 7, kolom 'toegekend op': Het jaar 2021 is afgesloten: registraties uit dat jaar "
        "kunnen niet meer worden toegevoegd, gewijzigd of verwijderd. Een coördinator kan het "
        "jaar heropenen.",
        "Rij 8, kolom 'subsidiegever': Onbekende subsidiegever 'rijk' (geen code of naam van "
        "een subsidiegever).",
    ]
    page = response.content.decode()
    assert "Er zijn 6 fouten gevonden; er is niets opgeslagen." in page
    assert "Rij 3, kolom &#x27;begunstigden&#x27;" in page
    assert not Subsidy.objects.exists()


def test_nothing_is_saved_when_a_row_goes_wrong_between_preview_and_confirmation(
    coordinator_client, coordinator
):
    channel = make_channel(slug="website")
    rows = [
        ["channel", "published_on", "title"],
        ["website", "2022-01-05", "Nieuwjaar"],
        ["website", "2021-12-20", "Kerst"],
        ["website", "2022-02-01", "Februari"],
    ]
    preview = check(coordinator_client, ChannelPost, make_file(rows, CSV), CSV)
    assert preview.context["totals"]["new"] == 3
    # Meanwhile a coordinator publishes 2021 (with one post of its own).
    make_channel_post(
        channel=channel, title="Al gepubliceerd", published_on=datetime.date(2021, 6, 1)
    )
    closing.close_year(2021, coordinator)

    response = confirm(coordinator_client, ChannelPost, preview)

    assert response.status_code == 200
    assert response.context["error_lines"][0].startswith(
        "Rij 3, kolom 'datum': Het jaar 2021 is afgesloten"
    )
    assert list(ChannelPost.objects.values_list("title", flat=True)) == ["Al gepubliceerd"]
    assert "Er is niets geïmporteerd." in response.content.decode()


def test_unknown_and_missing_columns_are_refused_before_any_row(coordinator_client):
    rows = [["channel", "publiced_on", "title", "titel"], ["website", "2022-01-05", "Een", "Een"]]

    response = check(coordinator_client, ChannelPost, make_file(rows, CSV), CSV)

    [line] = response.context["error_lines"]
    assert line == (
        "Onbekende kolom 'publiced_on'. De kolom 'titel' staat er twee keer (als 'title' en "
        "'titel'). De kolommen 'datum' ontbreken; ze bepalen welk record een rij is. De "
        "kolommen heten: kanaal, datum, titel, link, views, likes, adviseur, opgaven, notities."
    )
    assert response.context.get("confirm_form") is None


def test_two_rows_for_the_same_record_are_refused(coordinator_client):
    make_channel(slug="website")
    rows = [
        ["channel", "published_on", "title", "views"],
        ["website", "2022-01-05", "Nieuwjaar", "10"],
        ["website", "05-01-2022", "Nieuwjaar", "12"],
    ]

    response = check(coordinator_client, ChannelPost, make_file(rows, CSV), CSV)

    assert response.context["error_lines"] == [
        "Rij 3, kolom 'kanaal': Dezelfde 'kanaal', 'datum' en 'titel' als rij 2 van dit bestand."
    ]


def test_a_rule_of_the_model_is_reported_on_its_column(coordinator_client):
    make_funder(slug="provincie")
    rows = [
        ["title", "funder", "applied_on", "amount", "status", "awarded_on"],
        ["Toegekend zonder datum", "provincie", "2022-01-10", "10", "awarded", ""],
        ["Te vroeg", "provincie", "2022-01-10", "10", "awarded", "2022-01-01"],
        ["Onbekende status", "provincie", "2022-01-10", "10", "misschien", ""],
    ]

    response = check(coordinator_client, Subsidy, make_file(rows, CSV), CSV)

    assert response.context["error_lines"] == [
        "Rij 2, kolom 'toegekend op': Vul de datum van toekenning in.",
        "Rij 3, kolom 'toegekend op': De toekenning kan niet voor de aanvraag liggen.",
        "Rij 4, kolom 'status': Onbekende keuze 'misschien'. Kies uit: aangevraagd, toegekend, "
        "afgewezen.",
    ]


# --- the preview and importing again ---------------------------------------------------


def post_rows(*rows):
    return [["channel", "published_on", "title", "views", "themes"], *rows]


def test_the_preview_shows_what_is_new_changed_and_unchanged(coordinator_client):
    channel = make_channel(slug="website")
    make_theme(slug="geletterdheid")
    make_channel_post(channel=channel, title="Bestaand", published_on=datetime.date(2022, 1, 5))
    make_channel_post(
        channel=channel, title="Gelijk", published_on=datetime.date(2022, 1, 6), views=7
    )
    rows = post_rows(
        ["website", "2022-01-05", "Bestaand", "250", "geletterdheid"],
        ["website", "2022-01-06", "Gelijk", "7", ""],
        ["website", "2022-01-07", "Nieuw", "3", ""],
    )

    response = check(coordinator_client, ChannelPost, make_file(rows, CSV), CSV)

    assert dict(response.context["totals"]) == {
        "new": 1,
        "update": 1,
        "delete": 0,
        "skip": 1,
        "error": 0,
        "invalid": 0,
    }
    page = response.content.decode()
    assert "1 nieuw, 1 bijgewerkt, 1 ongewijzigd." in page
    assert "<del>0</del> <ins>250</ins>" in page
    assert "<del></del> <ins>geletterdheid</ins>" in page
    assert ChannelPost.objects.count() == 2  # a preview saves nothing


@pytest.mark.parametrize("fmt", [CSV, XLSX])
def test_importing_the_same_file_twice_adds_nothing_the_second_time(coordinator_client, fmt):
    make_channel(slug="website")
    make_theme(slug="geletterdheid")
    content = make_file(
        post_rows(
            ["website", "2022-01-05", "Een", "1", "geletterdheid"],
            ["website", "2022-01-06", "Twee", "2", ""],
        ),
        fmt,
    )
    import_file(coordinator_client, ChannelPost, content, fmt)
    before = records(ChannelPost)

    again = check(coordinator_client, ChannelPost, content, fmt)
    response = confirm(coordinator_client, ChannelPost, again)

    assert again.context["totals"]["skip"] == 2
    assert response.status_code == 302
    assert records(ChannelPost) == before
    assert ChannelPost.objects.count() == 2


def test_a_changed_row_updates_its_record(coordinator_client):
    post = make_channel_post(channel=make_channel(slug="website"), title="Een", views=1)
    literacy = make_theme(slug="geletterdheid")
    rows = post_rows(["website", post.published_on.isoformat(), "Een", "99", "geletterdheid"])

    import_file(coordinator_client, ChannelPost, make_file(rows, CSV), CSV)

    post.refresh_from_db()
    assert (post.views, list(post.themes.all())) == (99, [literacy])
    assert ChannelPost.objects.count() == 1


def test_new_records_without_an_adviser_column_are_the_importers(coordinator_client, coordinator):
    make_channel(slug="website")
    rows = [["channel", "published_on", "title"], ["website", "2022-01-05", "Een"]]

    response = import_file(coordinator_client, ChannelPost, make_file(rows, CSV), CSV)

    post = ChannelPost.objects.get()
    assert post.adviser == coordinator
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Import klaar: 1 nieuw, 0 bijgewerkt, 0 ongewijzigd (berichten)."]


def test_the_admin_history_has_one_entry_per_import_and_the_audit_trail_one_per_record(
    coordinator_client, coordinator
):
    channel = make_channel(slug="website")
    make_channel_post(channel=channel, title="Bestaand", published_on=datetime.date(2022, 1, 5))
    rows = post_rows(
        ["website", "2022-01-05", "Bestaand", "250", ""],
        ["website", "2022-01-07", "Nieuw", "3", ""],
        ["website", "2022-01-08", "Nog een", "4", ""],
    )
    before = LogEntry.objects.count()

    import_file(coordinator_client, ChannelPost, make_file(rows, CSV), CSV)

    assert LogEntry.objects.count() == before + 1
    entry = LogEntry.objects.latest("pk")
    assert (entry.action_flag, entry.user, entry.object_id) == (ADDITION, coordinator, None)
    assert entry.content_type.model_class() is ChannelPost
    assert entry.object_repr == "bestand.csv"
    assert entry.change_message == (
        "Import van bestand.csv: 2 nieuw, 1 bijgewerkt, 0 ongewijzigd; per record in de audittrail."
    )
    for post in ChannelPost.objects.all():
        assert not LogEntry.objects.filter(object_id=str(post.pk)).exists()
        latest = AuditEntry.objects.get_for_object(post).latest("pk")
        assert (latest.additional_data["path"], latest.actor) == ("import", coordinator)


def test_an_import_that_changes_nothing_leaves_no_admin_history(coordinator_client):
    channel = make_channel(slug="website")
    make_channel_post(
        channel=channel, title="Gelijk", published_on=datetime.date(2022, 1, 6), views=7
    )
    before = LogEntry.objects.count()

    import_file(
        coordinator_client,
        ChannelPost,
        make_file(post_rows(["website", "2022-01-06", "Gelijk", "7", ""]), CSV),
        CSV,
    )

    assert LogEntry.objects.count() == before


def test_a_semicolon_separated_csv_from_dutch_excel_is_read(coordinator_client):
    make_channel(slug="website")
    content = "channel;published_on;title;views\r\nwebsite;15-03-2022;Een, twee;12\r\n"

    import_file(coordinator_client, ChannelPost, content.encode("utf-8-sig"), CSV)

    assert ChannelPost.objects.get().title == "Een, twee"


def test_an_organisation_may_be_named_instead_of_coded(coordinator_client):
    make_funder(slug="provincie")
    fmb = make_organisation(code="fmb", name="FlevoMeer Bibliotheek")
    rows = [
        ["title", "funder", "applied_on", "amount", "beneficiaries"],
        ["Een", "provincie", "2022-01-10", "10", "FlevoMeer Bibliotheek"],
    ]

    import_file(coordinator_client, Subsidy, make_file(rows, CSV), CSV)

    assert list(Subsidy.objects.get().beneficiaries.all()) == [fmb]


# --- formulas never reach a spreadsheet -----------------------------------------------

FORMULAS = ['=HYPERLINK("http://x.example","klik")', "+1", "-2+3", "@x", "\tTab", "\rReturn"]


@pytest.mark.parametrize("fmt", [CSV, XLSX])
def test_exported_text_never_starts_a_formula_and_numbers_stay_numbers(coordinator_client, fmt):
    channel = make_channel(slug="website")
    for title in FORMULAS:
        make_channel_post(channel=channel, title=title, views=5, notes="=1+1")

    rows = read_file(export(coordinator_client, ChannelPost, fmt), fmt)

    header, *data = rows
    titles = sorted(row[header.index("titel")] for row in data)
    # (XLSX stores a carriage return as a line break.)
    assert titles == sorted(
        "'" + title.replace("\r", "\n" if fmt == XLSX else "\r") for title in FORMULAS
    )
    assert {row[header.index("notities")] for row in data} == {"'=1+1"}
    views = {row[header.index("views")] for row in data}
    assert views == ({"5"} if fmt == CSV else {5})
    if fmt == XLSX:
        sheet = openpyxl.load_workbook(io.BytesIO(export(coordinator_client, ChannelPost, fmt)))
        assert all(cell.data_type != "f" for row in sheet.active.iter_rows() for cell in row)


@pytest.mark.parametrize("fmt", [CSV, XLSX])
def test_an_exported_formula_imports_as_the_text_it_was(coordinator_client, fmt):
    channel = make_channel(slug="website")
    # Not "\rReturn": files are read with universal newlines, a lone CR comes back as LF.
    titles = [title for title in FORMULAS if "\r" not in title]
    for title in titles:
        make_channel_post(channel=channel, title=title)
    content = export(coordinator_client, ChannelPost, fmt)

    preview = check(coordinator_client, ChannelPost, content, fmt)

    assert preview.context["totals"]["skip"] == len(titles)


# --- round trips: export, wipe, import gives the same records -------------------------


def fill_channel_posts():
    channel, literacy = make_channel(slug="website"), make_theme(slug="geletterdheid")
    adviser = User.objects.create_user("karin", is_staff=True)
    first = make_channel_post(
        channel=channel,
        title="Leesoffensief, deel 1",
        url="https://bnf.example/leesoffensief",
        views=1234,
        likes=56,
        adviser=adviser,
        notes="Regel één\nRegel twee; met ‘aanhalingstekens’",
    )
    first.themes.set([literacy, make_theme(slug="digitale-inclusie")])
    make_channel_post(channel=make_channel(slug="flip"), title="Zonder alles")


def fill_subsidies():
    fmb, dnb = make_organisation(code="fmb"), make_organisation(code="dnb")
    awarded = make_subsidy(
        title="Regioplan Laaggeletterdheid",
        amount=Decimal("263568.50"),
        status=Subsidy.Status.AWARDED,
        role=Subsidy.Role.CO_APPLICANT,
        applied_on=datetime.date(2021, 1, 11),
        awarded_on=datetime.date(2021, 3, 8),
    )
    awarded.beneficiaries.set([fmb, dnb])
    awarded.themes.set([make_theme(slug="geletterdheid")])
    make_subsidy(title="Nog in behandeling", amount=Decimal("0.5")).beneficiaries.set([dnb])


def fill_support_activities():
    kind = make_support_kind(slug="advies")
    done = make_support_activity(kind=kind, title="Advies collectie", notes="=SUM(A1)")
    done.organisations.set([make_organisation(code="fmb"), make_organisation(code="dnb")])
    make_support_activity(
        kind=kind, title="Advies collectie", carried_out_on=datetime.date(2022, 2, 2)
    )


ROUND_TRIPS = [
    (ChannelPost, fill_channel_posts),
    (Subsidy, fill_subsidies),
    (SupportActivity, fill_support_activities),
]


@pytest.mark.parametrize("fmt", [CSV, XLSX])
@pytest.mark.parametrize(
    ("model", "fill"), ROUND_TRIPS, ids=[model.__name__ for model, _fill in ROUND_TRIPS]
)
def test_an_exported_file_imports_as_the_same_records(coordinator_client, model, fill, fmt):
    fill()
    before = records(model)
    content = export(coordinator_client, model, fmt)
    model.objects.all().delete()

    import_file(coordinator_client, model, content, fmt)

    assert records(model) == before
    assert len(before) == 2


class TestTheDemoReport:
    """Every resource on the 2021 demo report: what it exports, it imports unchanged."""

    pytestmark = pytest.mark.usefixtures("demo_data")

    @pytest.mark.parametrize("fmt", [CSV, XLSX])
    @pytest.mark.parametrize(
        "model_admin", EXCHANGED, ids=lambda model_admin: model_admin.model._meta.label
    )
    def test_an_export_imports_without_errors_or_new_rows(
        self, coordinator_client, model_admin, fmt
    ):
        model = model_admin.model
        count = model.objects.count()
        assert count, f"The demo report has no {model._meta.verbose_name_plural}."

        preview = check(coordinator_client, model, export(coordinator_client, model, fmt), fmt)

        assert preview.context["error_lines"] == []
        assert dict(preview.context["totals"]) == {
            "new": 0,
            "update": 0,
            "delete": 0,
            "skip": count,
            "error": 0,
            "invalid": 0,
        }


def test_every_registration_type_and_its_reference_data_can_be_exchanged():
    from kpis.models import ReportDated, TransportReservation

    exchanged = {model_admin.model for model_admin in EXCHANGED}
    registrations = {
        model
        for model in admin.site._registry
        if issubclass(model, ReportDated) and model is not TransportReservation
    }
    assert registrations <= exchanged
    assert {"Organisation", "Theme", "Channel", "SupportKind", "Funder", "Fund", "Target"} <= {
        model.__name__ for model in exchanged
    }


def test_related_records_are_never_written_by_database_id():
    for model_admin in EXCHANGED:
        resource = model_admin.resource_classes[0]()
        assert "id" not in resource.fields, model_admin.model
        for name, field in resource.fields.items():
            django_field = model_admin.model._meta.get_field(name)
            if isinstance(django_field, models.ForeignKey | models.ManyToManyField):
                assert field.widget.field in {"code", "slug", "username", "name"}, name


# --- who may ---------------------------------------------------------------------------


def test_importing_needs_the_add_and_change_permission(client, staff_without_role):
    client.force_login(staff_without_role)

    assert client.get(url(ChannelPost, "import")).status_code == 403
    assert client.get(url(ChannelPost, "export")).status_code == 403


def test_the_import_and_export_pages_speak_dutch_without_inline_code(coordinator_client):
    import_page = coordinator_client.get(url(ChannelPost, "import")).content.decode()
    export_page = coordinator_client.get(url(ChannelPost, "export")).content.decode()

    assert "<strong><code>datum</code></strong>" in import_page
    assert "Datum als 2021-03-15 of 15-03-2021, of een datumcel." in import_page
    assert "Geplaatst op (datum)" in export_page
    for page in (import_page, export_page):  # the Content-Security-Policy blocks these
        assert " style=" not in page and " onchange=" not in page


# --- widgets: one reading, whatever the user's language --------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("1234", 1234), (1234, 1234), (12.0, 12), (" 7 ", 7), ("", None), (None, None)],
)
def test_a_whole_number_is_digits_only(cell, expected):
    assert IntegerWidget().clean(cell) == expected


@pytest.mark.parametrize("cell", ["1.234", "1,234", "1 234", "12,5", "twaalf", 12.5])
def test_a_whole_number_with_separators_is_refused(cell):
    with pytest.raises(ValueError, match="geen geheel getal"):
        IntegerWidget().clean(cell)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("263568.50", Decimal("263568.50")),
        ("263568,50", Decimal("263568.50")),
        ("12,5", Decimal("12.5")),
        ("7", Decimal("7")),
        (263568.5, Decimal("263568.5")),
        (0.1, Decimal("0.1")),
        (12, Decimal("12")),
        ("-3,25", Decimal("-3.25")),
    ],
)
@pytest.mark.parametrize("language", ["nl", "en"])
def test_an_amount_has_at_most_one_separator_and_two_decimals(cell, expected, language):
    with translation.override(language):
        assert DecimalWidget().clean(cell) == expected


@pytest.mark.parametrize("cell", ["1.234", "263.568,50", "1,234", "1.234,5", "€ 12", "12.", "1e3"])
@pytest.mark.parametrize("language", ["nl", "en"])
def test_an_ambiguous_amount_is_refused_in_any_language(cell, language):
    with translation.override(language), pytest.raises(ValueError, match="263568.50"):
        DecimalWidget().clean(cell)


@pytest.mark.parametrize(
    "cell",
    [
        "2021-03-15",
        "15-03-2021",
        "2021-3-15",
        datetime.date(2021, 3, 15),
        datetime.datetime(2021, 3, 15),
        datetime.datetime(2021, 3, 15, 10, 30),
    ],
)
def test_a_date_is_iso_or_dutch(cell):
    assert DateWidget().clean(cell) == datetime.date(2021, 3, 15)


@pytest.mark.parametrize(
    "cell", ["15/03/2021", "15-03-21", "2021-02-30", "15 maart 2021", 44270, "2021-03-15 10:00"]
)
def test_any_other_date_is_refused(cell):
    with pytest.raises(ValueError, match="is geen (bestaande )?datum"):
        DateWidget().clean(cell)


@pytest.mark.django_db
def test_a_name_that_is_also_another_organisations_code_is_refused():
    make_organisation(code="dnb", name="De Nieuwe Bibliotheek")
    make_organisation(code="bieb", name="dnb")
    lookup = References(Organisation, "code", "name")

    with pytest.raises(ValueError, match="gebruik de code"):
        lookup.get("dnb")
    assert lookup.get("De nieuwe  bibliotheek").code == "dnb"


@pytest.mark.django_db
def test_a_resource_imports_without_the_admin():
    """The resources work on their own too, e.g. from a management command or the shell."""
    import tablib

    dataset = tablib.Dataset(
        ["fmb", "FlevoMeer Bibliotheek", "library", "flevoland", "2016-01-01", ""],
        headers=["code", "name", "kind", "province", "joined_network_on", "notes"],
    )

    result = OrganisationResource().import_data(dataset, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert Organisation.objects.get().joined_network_on == datetime.date(2016, 1, 1)
    assert SubsidyResource()._meta.import_id_fields == ("title", "applied_on", "funder")
    assert ChannelPostResource().get_export_headers()[:3] == ["kanaal", "datum", "titel"]


# --- writing new records --------------------------------------------------------------


def test_new_records_are_written_with_their_ids_and_refused_in_a_closed_year(db, coordinator):
    """``copy_create`` (PostgreSQL's COPY; elsewhere it declines and bulk_create writes)."""
    from django.db import connection, transaction

    from kpis.core.resources import copy_create
    from kpis.models import ClosedYearError

    channel = make_channel(slug="website")
    posts = [
        ChannelPost(channel=channel, title=f"Bericht {n}", published_on=datetime.date(2022, 2, n))
        for n in range(1, 4)
    ]
    written = copy_create(ChannelPost, posts)

    assert written == (connection.vendor == "postgresql")
    if not written:
        return
    assert [post.pk for post in posts] == sorted(post.pk for post in posts)
    stored = ChannelPost.objects.in_bulk([post.pk for post in posts])
    assert [stored[post.pk].title for post in posts] == ["Bericht 1", "Bericht 2", "Bericht 3"]
    assert all(stored[post.pk].created_at is not None for post in posts)

    closing.close_year(2021, coordinator)
    late = ChannelPost(channel=channel, title="Te laat", published_on=datetime.date(2021, 6, 1))
    with transaction.atomic():
        with pytest.raises(ClosedYearError):
            copy_create(ChannelPost, [late])
        assert ChannelPost.objects.count() == 3  # the transaction goes on
    assert not ChannelPost.objects.filter(title="Te laat").exists()


def test_what_copy_create_writes_unprepared_is_what_the_field_would_prepare(db):
    """``copy_types``: the values ``COPY`` gets as they are, where Django's preparation
    would give them back unchanged (checked for every field of every imported model)."""
    from django.db import connection
    from django.utils import timezone

    from kpis.core.resources import copy_types

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's; elsewhere bulk_create prepares every value")
    samples = {
        str: ["tekst", ""],
        int: [0, 7, 2**40],
        bool: [True, False],
        datetime.date: [datetime.date(2022, 1, 5)],
        datetime.datetime: [timezone.now()],
    }
    checked = 0
    for model_admin in EXCHANGED:
        for field in model_admin.model._meta.concrete_fields:
            types = copy_types(field)
            assert types <= set(samples), (field, types)
            for kind in types:
                for value in samples[kind]:
                    prepared = field.get_db_prep_save(value, connection)
                    assert prepared == value and isinstance(prepared, kind), (field, value)
                    checked += 1
    assert checked > 100


def test_a_column_reads_a_cell_as_import_export_would(db):
    """``kpis.core.resources.Column.clean`` is a shorter ``Field.clean``: the same value,
    or the same refusal, for every column of every resource and a few kinds of cell."""
    from import_export.fields import Field

    make_channel(slug="website")
    cells_to_try = ["", None, "0", "12", "-3", "2022-01-05", "ja", "website", "x, y", " "]
    for model_admin in EXCHANGED:
        for column in model_admin.resource_classes[0]().get_import_fields():
            for cell in cells_to_try:
                row = {column.column_name: cell}
                outcomes = []
                for clean in (column.clean, lambda row, column=column: Field.clean(column, row)):
                    try:
                        outcomes.append(("value", clean(row)))
                    except ValueError as error:
                        outcomes.append(("refused", str(error)))
                assert outcomes[0] == outcomes[1], (column, cell, outcomes)


def posts_file(count: int, first: int = 1, adviser: str = "") -> bytes:
    """A file of ``count`` new posts on 'website', spread over 28 days of 2022; every
    other one by ``adviser``, every fourth on a theme."""
    lines = ["kanaal,datum,titel,link,views,likes,adviseur,opgaven,notities"]
    for n in range(first, first + count):
        day = f"2022-03-{1 + n % 28:02d}"
        link = f"https://example.org/{n}" if n % 3 else ""
        by = adviser if n % 2 == 0 else ""
        themes = "geletterdheid" if n % 4 == 0 else ""
        lines.append(f"website,{day},Bericht {n},{link},{n * 7},{n % 5},{by},{themes},Notitie {n}")
    return ("\n".join(lines) + "\n").encode()


def test_an_import_takes_the_same_queries_however_many_rows_it_has(coordinator_client, coordinator):
    """Preview and confirmation: a fixed number of queries, not one (or a few) per row.
    On SQLite Django splits a ``bulk_create`` at 999 parameters (about 70 rows), so the
    larger file stays below that there; PostgreSQL writes with ``COPY``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_channel(slug="website")
    make_theme(slug="geletterdheid")
    larger = 1500 if connection.vendor == "postgresql" else 60
    counts = []
    for count, first in ((10, 1), (larger, 1000)):
        content = posts_file(count, first, adviser=coordinator.username)
        with CaptureQueriesContext(connection) as previewing:
            preview = check(coordinator_client, ChannelPost, content, CSV)
        with CaptureQueriesContext(connection) as confirming:
            response = confirm(coordinator_client, ChannelPost, preview)
        assert response.status_code == 302
        counts.append((len(previewing), len(confirming)))

    assert ChannelPost.objects.count() == 10 + larger
    (small_preview, small_confirm), (large_preview, large_confirm) = counts
    assert large_preview <= small_preview
    assert large_confirm <= small_confirm


def test_every_row_of_a_large_import_is_stored_audited_and_in_its_batch(
    coordinator_client, coordinator
):
    """A file of hundreds of new posts: every post as the file says, one "created" audit
    entry each with what django-auditlog stores for the stored post, and the batch lists
    them all (and undoes them)."""
    from auditlog.diff import model_instance_diff

    from kpis.core import import_batches
    from kpis.models import ImportBatch

    make_channel(slug="website")
    make_theme(slug="geletterdheid", name="Geletterdheid")
    import_file(coordinator_client, ChannelPost, posts_file(300, adviser=coordinator.username), CSV)

    posts = {post.title: post for post in ChannelPost.objects.prefetch_related("themes")}
    assert len(posts) == 300
    post = posts["Bericht 8"]
    assert (post.published_on, post.url, post.views, post.likes, post.notes) == (
        datetime.date(2022, 3, 9),
        "https://example.org/8",
        56,
        3,
        "Notitie 8",
    )
    assert post.adviser == coordinator and posts["Bericht 7"].adviser is None
    assert [theme.slug for theme in post.themes.all()] == ["geletterdheid"]
    entries = {
        entry.object_id: entry
        for entry in AuditEntry.objects.get_for_objects(ChannelPost.objects.all())
    }
    assert len(entries) == 300
    for post in posts.values():
        entry = entries[post.pk]
        assert entry.action == AuditEntry.Action.CREATE
        assert (entry.actor, entry.additional_data["path"]) == (coordinator, "import")
        expected = {name: list(pair) for name, pair in model_instance_diff(None, post).items()}
        if post.themes.all():
            expected["themes"] = ["None", "Geletterdheid"]
        assert entry.changes_dict == expected, post.title
    batch = ImportBatch.objects.get()
    assert batch.row_count == 300
    assert import_batches.undo_batch(batch) == 300
    assert not ChannelPost.objects.exists()


def test_the_same_bad_cell_in_many_rows_is_refused_in_each(coordinator_client, closed_2021):
    """Cells read once per file (counts, dates) and the year check kept per file still
    report every row they concern, with its own number."""
    make_channel(slug="website")
    rows = post_rows(
        ["website", "2021-06-01", "Een", "1.234", ""],
        ["website", "2022-06-01", "Twee", "5", ""],
        ["website", "2021-06-01", "Drie", "1.234", ""],
        ["website", "2021-06-01", "Vier", "6", ""],
    )

    response = check(coordinator_client, ChannelPost, make_file(rows, CSV), CSV)

    lines = response.context["error_lines"]
    where = {line.split(":")[0]: line.split(":", 1)[1] for line in lines}
    assert sorted(where) == [
        "Rij 2, kolom 'datum'",
        "Rij 2, kolom 'views'",
        "Rij 4, kolom 'datum'",
        "Rij 4, kolom 'views'",
        "Rij 5, kolom 'datum'",
    ]
    assert where["Rij 2, kolom 'views'"] == where["Rij 4, kolom 'views'"]
    assert "'1.234' is geen geheel getal" in where["Rij 4, kolom 'views'"]
    assert all("2021 is afgesloten" in where[f"Rij {n}, kolom 'datum'"] for n in (2, 4, 5))
    assert not ChannelPost.objects.exists()


# --- files people can read: Dutch columns, one convention, old files still read ---------

COLUMNS = {
    "kpis.Channel": [
        "code",
        "naam",
        "doelgroep",
        "berichten in verslag",
        "views en likes in verslag",
        "volgorde",
    ],
    "kpis.ChannelPost": [
        "kanaal",
        "datum",
        "titel",
        "link",
        "views",
        "likes",
        "adviseur",
        "opgaven",
        "notities",
    ],
    "kpis.ChannelStatistic": [
        "kanaal",
        "periode van",
        "periode tot en met",
        "weergaven",
        "bezoekers",
        "notities",
    ],
    "kpis.InformationPoint": [
        "naam",
        "bibliotheek",
        "locatie",
        "geopend op",
        "gesloten op",
        "adviseur",
        "opgaven",
        "notities",
    ],
    "kpis.KnowledgeCircle": [
        "naam",
        "gestart op",
        "gestopt op",
        "organisaties",
        "adviseur",
        "opgaven",
        "notities",
    ],
    "kpis.KnowledgeCircleMeeting": [
        "kenniskring",
        "datum",
        "onderwerp",
        "deelnemers",
        "adviseur",
        "opgaven",
        "notities",
    ],
    "kpis.Organisation": ["code", "naam", "soort", "provincie", "lid sinds", "notities"],
    "kpis.Publication": [
        "soort",
        "titel",
        "datum",
        "ontvangers",
        "link",
        "adviseur",
        "opgaven",
        "notities",
    ],
    "kpis.SupportActivity": [
        "soort",
        "titel",
        "datum",
        "organisaties",
        "adviseur",
        "opgaven",
        "notities",
    ],
    "kpis.SupportKind": ["code", "naam", "omschrijving"],
    "kpis.Target": ["figuur", "jaar", "streefwaarde", "toelichting"],
    "kpis.Testimonial": [
        "datum",
        "persoon",
        "tekst",
        "functie",
        "organisatie",
        "aanleiding",
        "publicatie toegestaan",
        "adviseur",
        "opgaven",
        "notities",
    ],
    "kpis.Theme": ["code", "naam"],
    "kpis.Event": [
        "titel",
        "soort",
        "datum",
        "online",
        "deelnemers",
        "organisaties",
        "adviseur",
        "opgaven",
        "notities",
    ],
    "kpis.Training": [
        "titel",
        "datum",
        "deelnemers",
        "respondenten",
        "evaluatiecijfer",
        "organisaties",
        "adviseur",
        "opgaven",
        "notities",
    ],
    "projects.Fund": ["code", "naam"],
    "projects.GuidedTrajectory": [
        "titel",
        "landelijke opdracht",
        "gestart op",
        "afgerond op",
        "organisaties",
        "adviseur",
        "opgaven",
        "notities",
    ],
    "projects.Project": [
        "titel",
        "soort",
        "gestart op",
        "afgerond op",
        "organisaties",
        "adviseur",
        "opgaven",
        "notities",
    ],
    "projects.ProjectApplication": [
        "titel",
        "aanvrager",
        "fonds",
        "ingediend op",
        "aangevraagd bedrag",
        "uitkomst",
        "besluit op",
        "adviseur",
        "opgaven",
        "notities",
    ],
    "subsidies.Funder": ["code", "naam"],
    "subsidies.Subsidy": [
        "titel",
        "subsidiegever",
        "aangevraagd op",
        "bedrag",
        "status",
        "rol",
        "toegekend op",
        "begunstigden",
        "adviseur",
        "opgaven",
        "notities",
    ],
}
"""Every file's columns. Like a figure's key, a column name is in files people keep:
a change here breaks them (add the old name as an alias instead)."""


def test_every_file_has_dutch_columns_in_one_convention():
    found = {
        model_admin.model._meta.label: model_admin.resource_classes[0]().get_export_headers()
        for model_admin in EXCHANGED
    }

    assert found == COLUMNS
    same_in_english = {"code", "status", "views", "likes", "online"}
    for model_admin in EXCHANGED:
        resource = model_admin.resource_classes[0]
        for name, field in resource.fields.items():
            column = field.column_name
            assert column == column.lower() and "_" not in column, column
            assert column != name or column in same_in_english, (resource, name)


def test_the_transport_import_shares_the_convention():
    from kpis.transport_import import COLUMNS as TRANSPORT_COLUMNS

    everywhere = {column for columns in COLUMNS.values() for column in columns}
    assert "datum" in everywhere and set(TRANSPORT_COLUMNS) & everywhere == {"datum"}
    assert all(column == column.lower() and "_" not in column for column in TRANSPORT_COLUMNS)


def test_the_old_english_column_names_are_still_read_for_every_type():
    for model_admin in EXCHANGED:
        resource = model_admin.resource_classes[0]
        aliases = resource.header_aliases()
        for name, field in resource.fields.items():
            assert aliases[name.replace("_", " ")] == field.column_name, (resource, name)


@pytest.mark.parametrize("fmt", [CSV, XLSX])
def test_a_file_with_english_or_dutch_headers_gives_the_same_records(coordinator_client, fmt):
    make_funder(slug="provincie", name="Provincie Flevoland")
    make_organisation(code="fmb")
    make_theme(slug="geletterdheid", name="Geletterdheid")
    english = ["title", "funder", "applied_on", "amount", "status", "beneficiaries", "themes"]
    dutch = ["Titel", "Subsidiegever", "Aangevraagd op", "BEDRAG", "status", "begunstigden"]
    dutch.append("opgaven")
    row = ["Leesplan", "provincie", "2022-01-10", "1250.50", "aangevraagd", "fmb", "Geletterdheid"]

    import_file(coordinator_client, Subsidy, make_file([english, row], fmt), fmt)
    from_english = records(Subsidy)
    Subsidy.objects.all().delete()
    import_file(coordinator_client, Subsidy, make_file([dutch, row], fmt), fmt)

    assert records(Subsidy) == from_english
    assert from_english[0]["amount"] == Decimal("1250.50")
    assert from_english[0]["themes"] == ["geletterdheid"]


def test_an_export_writes_choices_and_yes_or_no_as_people_read_them(coordinator_client):
    from kpis.models import Testimonial

    make_subsidy(
        title="Leesplan", status=Subsidy.Status.AWARDED, awarded_on=datetime.date(2022, 3, 1)
    )
    Testimonial.objects.create(
        given_on=datetime.date(2022, 3, 1), text="Top", publication_allowed=True
    )

    subsidies = read_file(export(coordinator_client, Subsidy, CSV), CSV)
    testimonials = read_file(export(coordinator_client, Testimonial, CSV), CSV)

    assert subsidies[1][subsidies[0].index("status")] == "toegekend"
    assert testimonials[1][testimonials[0].index("publicatie toegestaan")] == "ja"


def test_the_column_help_gives_examples_as_this_database_has_them(coordinator_client):
    make_theme(slug="geletterdheid", name="Geletterdheid")
    make_theme(slug="digitale-inclusie", name="Digitale inclusie")
    make_channel(slug="website", name="Website")
    User.objects.create_user("karin", is_staff=True)

    columns = {column["name"]: column for column in ChannelPostResource.column_help()}
    subsidy = {column["name"]: column for column in SubsidyResource.column_help()}
    page = coordinator_client.get(url(ChannelPost, "import")).content.decode()

    assert columns["opgaven"]["hint"] == (
        "Codes of namen van maatschappelijke opgaven, gescheiden door komma's, bijvoorbeeld "
        "'digitale-inclusie, geletterdheid' of 'Digitale inclusie, Geletterdheid'."
    )
    assert columns["kanaal"]["hint"].startswith(
        "De code of de naam van een kanaal, bijvoorbeeld 'website' of 'Website'."
    )
    assert "bijvoorbeeld 'karin'" in columns["adviseur"]["hint"]
    assert columns["datum"]["also"] == ["geplaatst op", "published_on"]
    assert "12.500,00" not in subsidy["bedrag"]["meaning"]
    assert "fmb, dnb" not in page
    assert "username" not in page
