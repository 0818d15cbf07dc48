"""Security headers on every page, and login throttling (django-axes) on the admin login."""

import datetime
import re

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.contrib.auth import authenticate
from django.db.models import F
from django.test import Client, RequestFactory
from django.urls import reverse

from bnf.security import client_ip
from tests.factories import make_channel, make_channel_post, make_funder
from tests.test_browser import browser  # noqa: F401  (the headless chromium fixture)

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
ADVISER_PASSWORD = "adviseur-test-2021"
COORDINATOR_PASSWORD = "coordinator-test-2021"
LOCKED = "Tijdelijk geblokkeerd"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Every test here logs in over HTTP several times; PBKDF2 would take seconds each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dashboard_2021():
    make_channel_post(channel=make_channel(), published_on=datetime.date(2021, 3, 1))
    return "/2021/"


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.fixture(params=["dashboard", "admin login"])
def page(request, client):
    url = request.getfixturevalue("dashboard_2021") if request.param == "dashboard" else LOGIN
    response = client.get(url)
    assert response.status_code == 200
    return response


def test_every_page_has_a_content_security_policy_without_inline_code(page):
    directives = csp_directives(page)

    assert directives == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]
    assert "'unsafe-eval'" not in page["Content-Security-Policy"]


def test_every_page_has_the_other_security_headers(page):
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Frame-Options"] == "DENY"


def test_the_pages_themselves_contain_no_inline_script_or_style(page):
    html = page.content.decode()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html), "style attribute"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


# --- login throttling --------------------------------------------------------------------


def log_in(client, username, password, **extra):
    data = {"username": username, "password": password, "next": "/admin/"}
    return client.post(LOGIN, data, **extra)


def fail(client, username, times, **extra):
    return [log_in(client, username, "fout-wachtwoord", **extra) for _ in range(times)]


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_the_right_password_works_before_the_limit(client, adviser):
    responses = fail(client, adviser.username, 4)

    assert [r.status_code for r in responses] == [200] * 4
    assert logged_in(log_in(client, adviser.username, ADVISER_PASSWORD))


def test_a_success_resets_the_count(client, adviser):
    fail(client, adviser.username, 4)
    assert logged_in(log_in(client, adviser.username, ADVISER_PASSWORD))
    client.logout()

    assert [r.status_code for r in fail(client, adviser.username, 4)] == [200] * 4
    assert logged_in(log_in(client, adviser.username, ADVISER_PASSWORD))


def test_six_failures_lock_that_username_out_with_a_dutch_message(client, adviser, coordinator):
    responses = fail(client, adviser.username, 6)

    assert [r.status_code for r in responses] == [200] * 4 + [429] * 2
    page = responses[-1].content.decode()
    assert LOCKED in page
    assert "Na 5 mislukte inlogpogingen" in page
    assert "„test-adviseur”" in page
    assert re.search(r"Probeer het vanaf <strong>\d\d:\d\d uur</strong> opnieuw", page)
    assert "uiterlijk over 1\xa0uur" in page  # timeuntil joins with a no-break space
    assert "Content-Security-Policy" in responses[-1]

    # Locked: the right password is refused too.
    refused = log_in(client, adviser.username, ADVISER_PASSWORD)
    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()

    # Another username from the same address is not affected.
    assert logged_in(log_in(client, coordinator.username, COORDINATOR_PASSWORD))


def test_the_same_username_from_another_address_is_not_locked(client, adviser):
    fail(client, adviser.username, 6, REMOTE_ADDR="192.0.2.10")

    assert logged_in(log_in(client, adviser.username, ADVISER_PASSWORD, REMOTE_ADDR="192.0.2.20"))


def test_attempts_during_the_lock_do_not_extend_it(client, adviser):
    fail(client, adviser.username, 5)
    locked_at = AccessAttempt.objects.get().attempt_time

    fail(client, adviser.username, 3)

    attempt = AccessAttempt.objects.get()
    assert attempt.attempt_time == locked_at
    assert attempt.failures_since_start == 5


def test_the_lock_ends_after_an_hour(client, adviser):
    fail(client, adviser.username, 6)
    assert log_in(client, adviser.username, ADVISER_PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - datetime.timedelta(minutes=59))
    assert log_in(client, adviser.username, ADVISER_PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - datetime.timedelta(minutes=2))
    assert logged_in(log_in(client, adviser.username, ADVISER_PASSWORD))


def test_a_reset_lifts_the_lock(client, adviser):
    fail(client, adviser.username, 6)
    assert log_in(client, adviser.username, ADVISER_PASSWORD).status_code == 429

    reset(username=adviser.username)

    assert logged_in(log_in(client, adviser.username, ADVISER_PASSWORD))


def test_logins_without_a_request_still_work(client, adviser):
    """Code and tests call authenticate() and client.login() without an HTTP request."""
    assert authenticate(username=adviser.username, password=ADVISER_PASSWORD) == adviser
    assert authenticate(username=adviser.username, password="fout") is None
    assert client.login(username=adviser.username, password=ADVISER_PASSWORD)
    assert AccessAttempt.objects.count() == 0


# --- the client address behind reverse proxies ----------------------------------------------


def request_from(remote_addr, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().post(LOGIN, REMOTE_ADDR=remote_addr, **extra)


def test_without_proxies_the_socket_address_counts_and_forwarded_for_is_ignored(settings):
    settings.BNF_PROXY_COUNT = 0

    assert client_ip(request_from("203.0.113.5", "198.51.100.7")) == "203.0.113.5"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client forged the first entry
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (1, "2001:db8::7", "2001:db8::7"),
        (2, "198.51.100.7", "10.0.0.1"),  # fewer entries than proxies: not through them all
        (1, "", "10.0.0.1"),
        (1, "geen-adres", "10.0.0.1"),
    ],
)
def test_behind_proxies_the_entry_of_the_outermost_proxy_counts(
    settings, proxies, forwarded, expected
):
    settings.BNF_PROXY_COUNT = proxies

    assert client_ip(request_from("10.0.0.1", forwarded)) == expected


def test_behind_a_proxy_each_client_has_its_own_lock(client, adviser, settings):
    settings.BNF_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    fail(client, adviser.username, 6, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"

    elsewhere = log_in(
        client, adviser.username, ADVISER_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy
    )
    assert logged_in(elsewhere)


# --- the admin in a real browser under the policy ---------------------------------------------


def policy_errors(driver) -> list[str]:
    """Console errors, except the favicon.ico the admin pages do not link (a 404)."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
    ]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_admin_works_under_the_policy(browser, live_server, coordinator):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    make_funder(name="Provincie Flevoland", slug="provincie")
    wait = WebDriverWait(browser, 10)
    browser.get(f"{live_server.url}/admin/login/?next=/admin/subsidies/subsidy/add/")
    browser.find_element(By.NAME, "username").send_keys(coordinator.username)
    browser.find_element(By.NAME, "password").send_keys(COORDINATOR_PASSWORD + Keys.ENTER)
    wait.until(EC.url_contains("/admin/subsidies/subsidy/add/"))

    # Autocomplete (select2 over the admin's JSON view).
    browser.find_element(By.CSS_SELECTOR, "#id_funder + .select2 .select2-selection").click()
    wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".select2-search__field")))
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".select2-results"), "Provincie"))
    browser.find_element(By.CSS_SELECTOR, ".select2-results__option").click()
    assert browser.find_element(By.ID, "id_funder").get_attribute("value")

    # "Add another" popup: prepopulated slug, and popup_response.js hands the new
    # funder back to the form that opened it.
    main = browser.current_window_handle
    browser.find_element(By.ID, "add_id_funder").click()
    wait.until(EC.number_of_windows_to_be(2))
    browser.switch_to.window(next(h for h in browser.window_handles if h != main))
    browser.find_element(By.ID, "id_name").send_keys("Fonds Nieuw")
    assert browser.find_element(By.ID, "id_slug").get_attribute("value") == "fonds-nieuw"
    assert policy_errors(browser) == []
    browser.find_element(By.NAME, "_save").click()
    wait.until(EC.number_of_windows_to_be(1))
    browser.switch_to.window(main)
    chosen = browser.find_element(By.CSS_SELECTOR, "#id_funder + .select2 .select2-selection")
    assert "Fonds Nieuw" in chosen.text

    # Changelist: select-all and the action counter (actions.js).
    browser.get(f"{live_server.url}/admin/subsidies/funder/")
    browser.find_element(By.ID, "action-toggle").click()
    assert browser.find_element(By.CSS_SELECTOR, ".action-counter").text.startswith("2 van de 2")
    assert policy_errors(browser) == []


def test_a_coordinator_lifts_a_lock_out_in_the_admin(client, adviser, make_role_user):
    fail(client, adviser.username, 6)
    assert log_in(client, adviser.username, ADVISER_PASSWORD).status_code == 429
    attempt = AccessAttempt.objects.get(username=adviser.username)

    staff = Client()
    staff.force_login(make_role_user("Coördinator", username="test-coordinator-2"))
    listing = staff.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert adviser.username in listing.content.decode()
    # in Dutch, like the rest of the admin (locale/nl fills in what django-axes lacks)
    index = staff.get(reverse("admin:index")).content.decode()
    assert "Inlogbeveiliging: toegangspogingen" in index
    assert "Geblokkeerd" in listing.content.decode()
    delete_url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert staff.get(delete_url).status_code == 200  # asks for confirmation first
    assert staff.post(delete_url, {"post": "yes"}).status_code == 302

    assert not AccessAttempt.objects.exists()
    assert logged_in(log_in(client, adviser.username, ADVISER_PASSWORD))


def test_an_adviser_cannot_lift_a_lock_out(make_role_user):
    staff = Client()
    staff.force_login(make_role_user("Adviseur", username="test-adviser-2"))
    assert staff.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


def test_the_password_rules_speak_dutch():
    """Django 5.2's Dutch catalogue lacks the new minimum-length text; locale/nl has it."""
    from django.contrib.auth.password_validation import MinimumLengthValidator
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        MinimumLengthValidator(12).validate("kort")

    assert error.value.messages == [
        "Dit wachtwoord is te kort. Het moet minstens 12 tekens bevatten."
    ]
