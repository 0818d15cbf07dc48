"""Roles: what an adviser, a coordinator, the provincie and a visitor may see and change.

Every check goes to the URL itself (GET and POST), not only to the buttons shown.
"""

import io
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kpis.core.roles import ADVISER, COORDINATOR, PROVINCE
from kpis.models import ClosedYear, Organisation, ReportDated, Target, Training, YearReopening
from kpis.reporting import checklist, closing
from tests.factories import make_channel_post, make_organisation, make_theme, make_training

pytestmark = pytest.mark.django_db

REGISTRATIONS = sorted(
    (m for m in apps.get_models() if issubclass(m, ReportDated)), key=lambda m: m._meta.label
)
REFERENCE = [
    "kpis.organisation",
    "kpis.theme",
    "kpis.channel",
    "kpis.supportkind",
    "kpis.target",
    "subsidies.funder",
    "projects.fund",
    "auth.user",
]
CRUD = ("add", "change", "delete", "view")
ADDED_BY_ADVISERS = {"subsidies.funder", "projects.fund", "kpis.organisation"}
PUBLIC_PATHS = [
    "/2021/",
    "/2021/report/",
    "/2021/report.pdf",
    "/2021/figures.json",
    "/2021/figures.csv",
    "/2021/figures.xlsx",
    "/figures.csv",
    "/figures.xlsx",
    "/network/logo",
    "/network.css",
]
# Every URL outside the admin, by name: all of them are public pages or exports.
PUBLIC_URL_NAMES = {
    "kpis:index",
    "kpis:dashboard",
    "kpis:report",
    "kpis:report_pdf",
    "kpis:figures_json",
    "kpis:figures_csv",
    "kpis:figures_xlsx",
    "kpis:all_figures_csv",
    "kpis:all_figures_xlsx",
    "kpis:network_logo",
    "kpis:network_css",
}


def url(model, view, *args):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def codes(model, actions):
    opts = model._meta
    return {f"{opts.app_label}.{action}_{opts.model_name}" for action in actions}


def label_codes(label, actions):
    app_label, model = label.split(".")
    return {f"{app_label}.{action}_{model}" for action in actions}


def group_codes(group):
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def training_form(**fields):
    return {
        "title": "Mediawijsheid voor vrijwilligers",
        "held_on": "15-03-2021",
        "participants": "12",
        "respondents": "",
        "evaluation_score": "",
        "notes": "",
        **fields,
    }


@pytest.fixture
def adviser_client(client, make_role_user):
    client.force_login(make_role_user(ADVISER))
    return client


@pytest.fixture
def province_client(client, make_role_user):
    client.force_login(make_role_user(PROVINCE))
    return client


@pytest.fixture
def coordinator_user(make_role_user):
    return make_role_user(COORDINATOR)


@pytest.fixture
def role_coordinator_client(client, coordinator_user):
    client.force_login(coordinator_user)
    return client


# --- the groups ------------------------------------------------------------------------


def test_the_migration_makes_the_three_groups(roles):
    assert set(roles) == {ADVISER, COORDINATOR, PROVINCE}


def test_an_adviser_may_change_every_registration_and_see_the_reference_data(roles):
    perms = group_codes(roles[ADVISER])
    for model in REGISTRATIONS:
        assert codes(model, CRUD) <= perms, model._meta.label
    for label in REFERENCE:
        assert label_codes(label, ["view"]) <= perms
        assert not label_codes(label, ["change", "delete"]) & perms, label
        # A funder, fund or library may be added from the form that needs it ("+").
        added = label in ADDED_BY_ADVISERS
        assert bool(label_codes(label, ["add"]) & perms) == added, label
    assert "kpis.close_year" not in perms
    assert "auditlog.view_logentry" not in perms


def test_a_coordinator_may_do_what_an_adviser_may_and_manage_reference_data(roles):
    perms = group_codes(roles[COORDINATOR])
    assert group_codes(roles[ADVISER]) <= perms
    for label in REFERENCE:
        assert label_codes(label, CRUD) <= perms, label
    assert {"kpis.close_year", "auth.view_group", "auditlog.view_logentry"} <= perms
    assert not label_codes("auth.group", ["add", "change", "delete"]) & perms


def test_the_provincie_may_only_look(roles):
    perms = group_codes(roles[PROVINCE])
    assert all(code.split(".")[1].startswith("view_") for code in perms), perms
    for model in REGISTRATIONS:
        assert codes(model, ["view"]) <= perms
    for label in REFERENCE:
        assert label_codes(label, ["view"]) <= perms


def test_the_role_fixtures_are_staff_in_their_group_and_no_superusers(
    adviser, coordinator, provincie, make_role_user
):
    second_adviser = make_role_user(ADVISER)  # beside the adviser fixture: its own name
    users = [
        (ADVISER, adviser),
        (ADVISER, second_adviser),
        (COORDINATOR, coordinator),
        (PROVINCE, provincie),
    ]
    for role, user in users:
        assert user.is_staff and not user.is_superuser, user
        assert list(user.groups.values_list("name", flat=True)) == [role], user
        assert not user.user_permissions.exists(), user
    assert second_adviser.username == "test-adviseur-2"


def test_the_roles_fixture_makes_the_groups_as_the_migrations_do(roles):
    # A live-server test flushes the database; the fixture then makes the groups again.
    from tests.conftest import make_roles_as_the_migrations_do

    migrated = {name: group_codes(group) for name, group in roles.items()}
    Group.objects.filter(name__in=migrated).delete()

    make_roles_as_the_migrations_do()

    assert {g.name: group_codes(g) for g in Group.objects.filter(name__in=migrated)} == migrated


def test_only_a_coordinator_follows_everyones_background_imports(roles):
    assert "kpis.view_transportimportjob" in group_codes(roles[COORDINATOR])
    assert "kpis.view_transportimportjob" not in group_codes(roles[ADVISER])
    assert "kpis.view_transportimportjob" not in group_codes(roles[PROVINCE])


def test_the_groups_migration_can_run_again_without_changing_anything(roles):
    before = {name: group_codes(group) for name, group in roles.items()}
    from importlib import import_module

    import_module("kpis.migrations.0004_roles").create_roles(apps, None)

    assert Group.objects.filter(name__in=before).count() == 3
    assert {g.name: group_codes(g) for g in Group.objects.filter(name__in=before)} == before


# --- adviser ---------------------------------------------------------------------------


def test_an_adviser_adds_a_training_through_the_admin(adviser_client):
    response = adviser_client.post(url(Training, "add"), training_form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    training = Training.objects.get()
    assert training.adviser.username == "test-adviseur"


def test_an_adviser_cannot_add_a_target_nor_change_an_organisation(adviser_client):
    assert adviser_client.get(url(Target, "add")).status_code == 403
    form = {"key": "subsidies.awarded", "year": "2021", "value": "5", "note": ""}
    assert adviser_client.post(url(Target, "add"), form).status_code == 403
    assert not Target.objects.exists()

    library = make_organisation(name="FlevoMeer")
    assert adviser_client.get(url(Organisation, "changelist")).status_code == 200
    form = {"name": "Anders", "code": library.code, "kind": "library", "province": "flevoland"}
    assert adviser_client.post(url(Organisation, "change", library.pk), form).status_code == 403
    assert (
        adviser_client.post(url(Organisation, "delete", library.pk), {"post": "yes"}).status_code
        == 403
    )
    library.refresh_from_db()
    assert library.name == "FlevoMeer"


def test_an_adviser_cannot_close_or_reopen_a_year(adviser_client, coordinator):
    make_channel_post()
    close = reverse("admin:kpis_closedyear_close")
    assert adviser_client.get(close, {"year": 2021}).status_code == 403
    assert adviser_client.post(close, {"year": 2021}).status_code == 403
    assert not ClosedYear.objects.exists()

    closing.close_year(2021, coordinator)
    reopen = reverse("admin:kpis_closedyear_reopen", args=[2021])
    assert adviser_client.post(reopen, {"reason": "Mag ik niet"}).status_code == 403
    assert ClosedYear.objects.filter(year=2021).exists()


def test_an_adviser_picks_themes_and_organisations_through_autocomplete(adviser_client):
    make_theme(name="Geletterdheid")
    query = {"app_label": "kpis", "model_name": "training", "field_name": "themes", "term": "Gel"}

    response = adviser_client.get(reverse("admin:autocomplete"), query)

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Geletterdheid"]


def test_an_adviser_sees_no_audit_log_but_the_history_of_a_record(adviser_client):
    training = make_training()
    assert adviser_client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 403

    response = adviser_client.get(url(Training, "change", training.pk))
    history = reverse(
        "admin:auditlog_logentry_object", args=[response.context["content_type_id"], training.pk]
    )
    assert history in response.content.decode()
    assert adviser_client.get(history).status_code == 200


# --- provincie -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label", [m._meta.label for m in REGISTRATIONS] + REFERENCE + ["kpis.closedyear"]
)
def test_the_provincie_sees_every_list(province_client, label):
    model = apps.get_model(label)
    assert province_client.get(url(model, "changelist")).status_code == 200


def test_the_provincie_cannot_add_change_or_delete(province_client):
    training = make_training(title="Oud")

    assert province_client.get(url(Training, "add")).status_code == 403
    assert province_client.post(url(Training, "add"), training_form()).status_code == 403
    assert province_client.get(url(Training, "change", training.pk)).status_code == 200  # view
    changed = province_client.post(url(Training, "change", training.pk), training_form())
    assert changed.status_code == 403
    deleted = province_client.post(url(Training, "delete", training.pk), {"post": "yes"})
    assert deleted.status_code == 403
    bulk = province_client.post(
        url(Training, "changelist"),
        {"action": "delete_selected", "_selected_action": [training.pk], "post": "yes"},
    )
    assert Training.objects.get().title == "Oud"
    assert bulk.status_code in (200, 302, 403)


def test_the_provincie_cannot_close_or_reopen(province_client, coordinator):
    make_channel_post()
    close = reverse("admin:kpis_closedyear_close")
    assert province_client.post(close, {"year": 2021}).status_code == 403
    closing.close_year(2021, coordinator)
    reopen = reverse("admin:kpis_closedyear_reopen", args=[2021])
    assert province_client.get(reopen).status_code == 403
    assert province_client.post(reopen, {"reason": "Graag"}).status_code == 403
    assert ClosedYear.objects.filter(year=2021).exists()


def test_the_provincie_exports_the_figures(province_client, demo_2021):
    for path in PUBLIC_PATHS:
        assert province_client.get(path).status_code == 200, path


# --- coordinator -----------------------------------------------------------------------


def test_a_coordinator_adds_a_target(role_coordinator_client):
    form = {"key": "subsidies.awarded", "year": "2021", "value": "5", "note": ""}

    response = role_coordinator_client.post(url(Target, "add"), form)

    assert response.status_code == 302
    assert Target.objects.get().key == "subsidies.awarded"


def test_a_coordinator_closes_and_reopens_a_year(role_coordinator_client, coordinator_user):
    make_channel_post()

    seen = checklist.fingerprint(checklist.year_checklist(2021))
    closed = role_coordinator_client.post(
        reverse("admin:kpis_closedyear_close"),
        {"year": 2021, "acknowledge": "on", "warnings": seen},
    )

    assert closed.status_code == 302
    assert ClosedYear.objects.get().closed_by == coordinator_user
    reopen = reverse("admin:kpis_closedyear_reopen", args=[2021])
    reopened = role_coordinator_client.post(reopen, {"reason": "Correctie"})
    assert reopened.status_code == 302
    assert not ClosedYear.objects.exists()
    assert YearReopening.objects.get().reopened_by == coordinator_user


def test_a_coordinator_sees_the_audit_log_and_the_groups(role_coordinator_client, roles):
    assert (
        role_coordinator_client.get(reverse("admin:auditlog_logentry_changelist")).status_code
        == 200
    )
    group = roles[ADVISER]
    assert role_coordinator_client.get(url(Group, "change", group.pk)).status_code == 200
    form = {"name": "Andere naam", "permissions": []}
    assert role_coordinator_client.post(url(Group, "change", group.pk), form).status_code == 403


def test_a_coordinator_gives_an_account_a_role_but_never_superuser_powers(
    role_coordinator_client, coordinator_user, roles, superuser
):
    colleague = User.objects.create_user("collega", is_staff=False)
    form = {
        "username": "collega",
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [roles[ADVISER].pk],
        "date_joined_0": "01-01-2021",
        "date_joined_1": "12:00:00",
        "initial-date_joined_0": "01-01-2021",
        "initial-date_joined_1": "12:00:00",
        # The account's e-mail choices (an inline form), left as they are.
        "notification_preference-TOTAL_FORMS": "0",
        "notification_preference-INITIAL_FORMS": "0",
    }

    response = role_coordinator_client.post(url(User, "change", colleague.pk), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    colleague.refresh_from_db()
    assert colleague.is_staff and not colleague.is_superuser
    assert list(colleague.groups.values_list("name", flat=True)) == [ADVISER]

    # Nor for themselves, nor by taking over a superuser's account.
    own = {**form, "username": coordinator_user.username, "groups": [roles[COORDINATOR].pk]}
    role_coordinator_client.post(url(User, "change", coordinator_user.pk), own)
    coordinator_user.refresh_from_db()
    assert not coordinator_user.is_superuser
    boss = superuser  # the account a coordinator must not take over
    password = {"password1": "Overgenomen-2021!", "password2": "Overgenomen-2021!"}
    assert (
        role_coordinator_client.post(url(User, "password_change", boss.pk), password).status_code
        == 403
    )
    assert (
        role_coordinator_client.post(url(User, "delete", boss.pk), {"post": "yes"}).status_code
        == 403
    )
    boss.refresh_from_db()
    assert boss.check_password("superuser-test-2021")


def user_form(user, roles, **fields):
    return {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on",
        "groups": [roles[COORDINATOR].pk],
        "date_joined_0": "01-01-2021",
        "date_joined_1": "12:00:00",
        "initial-date_joined_0": "01-01-2021",
        "initial-date_joined_1": "12:00:00",
        # The account's e-mail choices (an inline form), left as they are.
        "notification_preference-TOTAL_FORMS": "0",
        "notification_preference-INITIAL_FORMS": "0",
        **fields,
    }


def test_a_superuser_may_make_a_superuser(client, superuser, roles):
    # Needs a superuser: making one is the power no role has.
    colleague = User.objects.create_user("collega", is_staff=True)
    client.force_login(superuser)

    form = user_form(colleague, roles, is_superuser="on")
    response = client.post(url(User, "change", colleague.pk), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    colleague.refresh_from_db()
    assert colleague.is_superuser


def test_the_dashboard_links_to_closing_only_for_those_who_may(client, make_role_user, roles):
    make_channel_post()
    client.force_login(make_role_user(ADVISER))
    assert "afsluiten…" not in client.get("/2021/").content.decode()

    client.force_login(make_role_user(COORDINATOR))
    page = client.get("/2021/").content.decode()
    assert f"{reverse('admin:kpis_closedyear_close')}?year=2021" in page


# --- visitors and outsiders ------------------------------------------------------------


def admin_changelists():
    from django.contrib import admin

    return [url(model, "changelist") for model in admin.site._registry]


def test_a_visitor_gets_the_login_page_for_the_admin_and_every_list(client):
    for path in ["/admin/", *admin_changelists(), reverse("admin:kpis_closedyear_close")]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/admin/login/"), path
    assert client.get("/admin/login/").status_code == 200


def test_a_visitor_sees_the_public_pages_and_exports(client, demo_2021):
    for path in PUBLIC_PATHS:
        assert client.get(path).status_code == 200, path
    page = client.get("/2021/").content.decode()
    # Only the way in: no links to record lists, the audit trail or closing.
    assert re.findall(r'href="(/admin/[^"]*)"', page) == ["/admin/login/"]


def test_every_url_outside_the_admin_is_a_public_page(client):
    def names(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from names(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                yield f"{namespace}{pattern.name}"

    found = set(names(get_resolver().url_patterns))
    assert found <= PUBLIC_URL_NAMES, (
        f"New URL(s) {found - PUBLIC_URL_NAMES}: decide who may see them, test it here."
    )


def test_someone_without_staff_status_cannot_enter_the_admin(client, roles):
    outsider = User.objects.create_user("buiten", password="buiten-test-2021")
    outsider.groups.add(roles[COORDINATOR])  # even with a role: staff status is needed
    client.force_login(outsider)

    for path in ["/admin/", url(Training, "changelist"), reverse("admin:kpis_closedyear_close")]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/admin/login/")
    assert client.post(url(Training, "add"), training_form()).status_code == 302
    assert not Training.objects.exists()


# --- create_coordinator ----------------------------------------------------------------


def test_create_coordinator_without_questions(roles, monkeypatch):
    monkeypatch.setenv("DJANGO_COORDINATOR_PASSWORD", "Jaarverslag-2021!")
    out = io.StringIO()

    call_command("create_coordinator", "--username", "jan", "--email", "jan@bnf.nl", stdout=out)

    user = User.objects.get(username="jan")
    assert user.is_staff and not user.is_superuser
    assert user.email == "jan@bnf.nl"
    assert user.check_password("Jaarverslag-2021!")
    assert list(user.groups.values_list("name", flat=True)) == [COORDINATOR]
    assert "aangemaakt" in out.getvalue()
    with pytest.raises(CommandError, match="bestaat al"):
        call_command("create_coordinator", "--username", "jan", stdout=out)


def test_create_coordinator_asks_and_wants_the_password_twice(roles, monkeypatch):
    monkeypatch.delenv("DJANGO_COORDINATOR_PASSWORD", raising=False)
    answers = iter(["marie", "marie@bnf.nl"])
    passwords = iter(
        [
            "Jaarverslag-2021!",
            "iets anders",
            "kort",
            "kort",
            "Jaarverslag-2021!",
            "Jaarverslag-2021!",
        ]
    )
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(passwords))
    err = io.StringIO()

    call_command("create_coordinator", stdout=io.StringIO(), stderr=err)

    user = User.objects.get(username="marie")
    assert user.email == "marie@bnf.nl" and user.check_password("Jaarverslag-2021!")
    assert user.groups.filter(name=COORDINATOR).exists() and user.is_staff
    assert "komen niet overeen" in err.getvalue()
    assert len(err.getvalue().splitlines()) == 2  # and the password rule that "kort" broke


def test_create_coordinator_without_password_and_questions_refuses(roles, monkeypatch):
    monkeypatch.delenv("DJANGO_COORDINATOR_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="DJANGO_COORDINATOR_PASSWORD"):
        call_command("create_coordinator", "--username", "piet", "--no-input")
    assert not User.objects.filter(username="piet").exists()
