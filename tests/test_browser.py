"""End to end: Debian's headless chromium against a running server.

Uses /usr/bin/chromium and /usr/bin/chromedriver from Debian's packages (installed by
.ci/run); nothing downloads a browser of its own.
"""

import os
import shutil

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path):
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail("chromium en chromedriver ontbreken; .ci/run hoort ze te installeren")
        pytest.skip("Debian's chromium/chromedriver are not installed")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium fetch a driver or browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,2000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def console_errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def card_value(driver, key):
    from selenium.webdriver.common.by import By

    card = driver.find_element(By.CSS_SELECTOR, f'[data-key="{key}"] [data-value]')
    return card.text


def test_dashboard_and_report_render_without_console_errors(
    browser, live_server, demo_2021, tmp_path
):
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server.url}/")
    assert browser.current_url.endswith("/2021/")
    assert "Jaarcijfers 2021" in browser.title
    assert card_value(browser, "subsidies.awarded_amount") == "€ 263.568"
    assert card_value(browser, "transport.within_province") == "27.779"
    browser.save_screenshot(str(tmp_path / "dashboard.png"))
    if os.environ.get("BNF_SCREENSHOT_DIR"):
        browser.save_screenshot(os.path.join(os.environ["BNF_SCREENSHOT_DIR"], "dashboard.png"))
    assert console_errors(browser) == []

    browser.find_element(By.LINK_TEXT, "Jaarverslag").click()
    assert browser.current_url.endswith("/2021/report/")
    assert card_value(browser, "communication.views.yammer") == "4.984"
    if os.environ.get("BNF_SCREENSHOT_DIR"):
        browser.save_screenshot(os.path.join(os.environ["BNF_SCREENSHOT_DIR"], "report.png"))
    assert console_errors(browser) == []


def test_year_switcher_moves_between_years(browser, live_server, demo_2021):
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server.url}/2021/")
    switcher = browser.find_element(By.CSS_SELECTOR, ".year-switcher")
    current = switcher.find_element(By.CSS_SELECTOR, "a[aria-current=page]")
    assert current.text == "2021"
    switcher.find_element(By.LINK_TEXT, "2020").click()
    assert browser.current_url.endswith("/2020/")
    assert "Jaarcijfers 2020" in browser.title
    assert card_value(browser, "subsidies.awarded") == "0"
    assert console_errors(browser) == []


SHOTS = "/tmp/shots"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def _emulate(driver, size: str) -> None:
    """A desktop window, or a phone: headless windows are never narrower than 500 px,
    so the phone's width comes from the DevTools device metrics."""
    width, height = SIZES[size]
    if size == "phone":
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True},
        )
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.set_window_size(width, height)


@pytest.mark.parametrize("size", list(SIZES))
def test_pages_fit_the_screen_and_every_chart_has_a_text_alternative(
    browser, live_server, demo_2021, size
):
    from selenium.webdriver.common.by import By

    from tests.catalogue import expected_2021
    from tests.test_dashboard import dutch

    _emulate(browser, size)
    for path in ("/2021/", "/2022/", "/2021/report/"):
        browser.get(f"{live_server.url}{path}")
        width = browser.execute_script("return window.innerWidth")
        scroll = browser.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= width, f"{path} scrolls sideways at {size}: {scroll} > {width}"
        login = browser.find_elements(By.LINK_TEXT, "Inloggen")
        if login:
            box = browser.execute_script(
                "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];",
                login[0],
            )
            assert box[0] >= 0 and box[1] <= width, f"Inloggen is clipped on {path}"
        for chart in browser.find_elements(By.CSS_SELECTOR, "svg[role=img]"):
            title = chart.find_element(By.TAG_NAME, "title").get_attribute("textContent")
            assert title.strip(), path
            labelled = chart.get_attribute("aria-labelledby") or chart.get_attribute("aria-label")
            assert labelled, path
            caption = browser.execute_script(
                "const f = arguments[0].closest('figure');"
                "return f && f.querySelector('figcaption') ? f.querySelector('figcaption')"
                ".textContent : '';",
                chart,
            )
            assert caption.strip() or path.endswith("report/"), path
        if path == "/2021/":
            switcher = browser.find_element(By.CSS_SELECTOR, ".year-switcher a.current")
            assert switcher.is_displayed() and switcher.text == "2021"
            right = browser.execute_script(
                "return arguments[0].getBoundingClientRect().right", switcher
            )
            assert right <= width
            assert browser.find_elements(By.CSS_SELECTOR, ".chart-wide svg[role=img]")
            os.makedirs(SHOTS, exist_ok=True)
            height = browser.execute_script("return document.documentElement.scrollHeight")
            if size == "desktop":
                browser.set_window_size(1366, min(height, 9000))
            else:
                browser.execute_cdp_cmd(
                    "Emulation.setDeviceMetricsOverride",
                    {
                        "width": 390,
                        "height": min(height, 12000),
                        "deviceScaleFactor": 1,
                        "mobile": True,
                    },
                )
            browser.save_screenshot(os.path.join(SHOTS, f"dashboard-2021-{size}.png"))
            _emulate(browser, size)
        if path in ("/2021/", "/2021/report/"):
            for key, expected in expected_2021().items():
                if isinstance(expected, tuple):
                    continue
                unit = "euro" if key == "subsidies.awarded_amount" else "count"
                assert card_value(browser, key) == dutch(expected, unit), (path, key)
        assert console_errors(browser) == [], path


def test_an_adviser_registers_a_post_in_three_clicks_from_the_start_page(
    browser, live_server, make_role_user, tmp_path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from kpis.models import ChannelPost
    from tests.factories import make_channel, make_reference_channel

    make_channel(name="Nieuwsbrief", slug="nieuwsbrief")
    make_reference_channel("website")
    make_role_user("Adviseur", username="anna", first_name="Anna", last_name="de Vries")
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("anna")
    browser.find_element(By.NAME, "password").send_keys("rol-test-2021")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").submit()
    heading = WebDriverWait(browser, 15).until(
        EC.visibility_of_element_located((By.ID, "registreren-kop"))
    )
    assert heading.text == "Registreren"

    clicks = 0

    def click(element):
        nonlocal clicks
        clicks += 1
        element.click()

    click(browser.find_element(By.LINK_TEXT, "Bericht"))
    title = WebDriverWait(browser, 15).until(EC.element_to_be_clickable((By.NAME, "title")))
    title.send_keys("Leesclub gestart")
    click(browser.find_element(By.XPATH, "//label[normalize-space()='Nieuwsbrief']"))
    browser.find_element(By.NAME, "published_on").send_keys("3-3-2021")
    click(browser.find_element(By.NAME, "_save"))

    assert clicks <= 3
    saved = WebDriverWait(browser, 15).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ".messagelist"))
    )
    assert "Toegevoegd: bericht" in saved.text
    post = ChannelPost.objects.get()
    assert (post.title, post.channel.slug, post.adviser.username) == (
        "Leesclub gestart",
        "nieuwsbrief",
        "anna",
    )
    assert console_errors(browser) == []


def _full_page_shot(driver, size: str, name: str) -> None:
    """The whole page at ``size`` into SHOTS (to look at; nothing is compared)."""
    os.makedirs(SHOTS, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    if size == "desktop":
        driver.set_window_size(1366, min(height, 9000))
    else:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": min(height, 12000), "deviceScaleFactor": 1, "mobile": True},
        )
    driver.save_screenshot(os.path.join(SHOTS, f"{name}-{size}.png"))
    _emulate(driver, size)


def test_another_network_shows_nothing_of_bnf(browser, live_server, make_role_user):
    """fixtures/voorbeeldland.json on its own (a made-up network in Zeeland): the visible
    text and the title of the dashboard, the report and the admin index name it, and
    never Flevoland, FMB, DNB or BNF."""
    from django.core.management import call_command
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.test_network import YEAR, bnf_words

    call_command("loaddata", "voorbeeldland", verbosity=0)
    coordinator = make_role_user("Coördinator", username="coordinator-bnv")

    def visible() -> str:
        return browser.title + "\n" + browser.find_element(By.TAG_NAME, "body").text

    browser.get(f"{live_server.url}/")
    assert browser.current_url.endswith(f"/{YEAR}/")
    text = visible()
    assert bnf_words(text) == [], text
    assert "Bibliotheeknetwerk Voorbeeldland" in browser.title
    assert "Kennis delen in Voorbeeldland" in text and "binnen Zeeland" in text
    # Its own colours: the stylesheet over the site's (header in its purple, darkened).
    header = browser.find_element(By.CSS_SELECTOR, ".site-header")
    assert header.value_of_css_property("background-color") == "rgba(64, 29, 94, 1)"
    for size in SIZES:
        _emulate(browser, size)
        _full_page_shot(browser, size, "network-dashboard")
    _emulate(browser, "desktop")
    assert console_errors(browser) == []

    browser.find_element(By.LINK_TEXT, "Jaarverslag").click()
    text = visible()
    assert bnf_words(text) == [], text
    assert "Bibliotheeknetwerk Voorbeeldland" in text and "Jaarverslag" in browser.title
    assert console_errors(browser) == []

    wait = WebDriverWait(browser, 10)
    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys(coordinator.username)
    browser.find_element(By.NAME, "password").send_keys("rol-test-2021" + Keys.ENTER)
    wait.until(EC.url_to_be(f"{live_server.url}/admin/"))
    text = visible()
    assert bnf_words(text) == [], text
    assert "BNV registratie" in browser.title and "Netwerk" in text
    # (the admin's pages link no favicon: the browser's own try at /favicon.ico is a 404)
    assert [e for e in console_errors(browser) if "favicon.ico" not in e["message"]] == []

    browser.find_element(By.LINK_TEXT, "Netwerk").click()
    wait.until(EC.url_contains("/admin/kpis/network/1/change/"))
    assert browser.find_element(By.ID, "id_name").get_attribute("value") == (
        "Bibliotheeknetwerk Voorbeeldland"
    )
    for size in SIZES:
        _emulate(browser, size)
        _full_page_shot(browser, size, "network-admin")
    assert [e for e in console_errors(browser) if "favicon.ico" not in e["message"]] == []
