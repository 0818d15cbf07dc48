"""The page cache (kpis.core.page_cache): fast anonymous pages that are never stale, never
shared between staff and anonymous visitors, with ETag/304; one worker recomputes."""

import datetime
import re
import threading
import time
import uuid

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client

from kpis.core import page_cache
from kpis.models import Channel
from kpis.reporting import aggregation, closing
from tests.factories import make_channel, make_channel_post, make_training, set_network
from tests.test_roles import PUBLIC_PATHS

pytestmark = pytest.mark.django_db

DAY = datetime.date(2021, 3, 15)
PUBLIC_URLS = PUBLIC_PATHS  # every page anyone may see without signing in


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def shown(page: str, key: str) -> str:
    match = re.search(rf'data-key="{re.escape(key)}".*?data-value>([^<]*)<', page, re.S)
    return match.group(1)


def test_a_write_shows_on_the_next_anonymous_page(client, django_assert_num_queries):
    make_training(held_on=DAY)
    assert shown(client.get("/2021/").content.decode(), "knowledge.trainings") == "1"
    with django_assert_num_queries(1):  # from the page cache
        assert shown(client.get("/2021/").content.decode(), "knowledge.trainings") == "1"
    training = make_training(held_on=DAY)
    assert shown(client.get("/2021/").content.decode(), "knowledge.trainings") == "2"
    training.held_on = datetime.date(2020, 3, 15)  # an ORM save moving it out of the year
    training.save()
    assert shown(client.get("/2021/").content.decode(), "knowledge.trainings") == "1"
    values = {r["key"]: r["value"] for r in client.get("/2021/figures.json").json()["figures"]}
    assert values["knowledge.trainings"] == 1


def test_every_public_page_has_an_etag_and_answers_304(client, django_assert_num_queries):
    make_training(held_on=DAY)
    for url in PUBLIC_URLS:
        first = client.get(url)
        assert first.status_code == 200, url
        etag = first["ETag"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', etag), url
        assert first["Cache-Control"] == page_cache.PUBLIC, url
        assert "Cookie" in first["Vary"], url
        with django_assert_num_queries(1):  # the data version, nothing else
            again = client.get(url, headers={"if-none-match": etag})
        assert again.status_code == 304, url
        assert again["ETag"] == etag and again.content == b"", url
        assert again["Cache-Control"] == page_cache.PUBLIC, url
        cached = client.get(url)  # the cached copy: same body, headers and validator
        assert cached.content == first.content, url
        assert cached["Content-Type"] == first["Content-Type"], url
        assert cached.get("Content-Disposition") == first.get("Content-Disposition"), url
        assert cached["ETag"] == etag, url
        assert client.get(url, headers={"if-none-match": '"other"'}).status_code == 200, url
    etags = {client.get(url)["ETag"] for url in PUBLIC_URLS}
    assert len(etags) == len(PUBLIC_URLS)  # one per page

    make_training(held_on=DAY)  # new data: a new validator, the full page again
    response = client.get("/2021/", headers={"if-none-match": etag})
    assert response.status_code == 200 and response["ETag"] != etag


def test_the_etag_changes_with_the_day_and_the_networks_identity(client, monkeypatch):
    make_training(held_on=DAY)
    etag = client.get("/2021/")["ETag"]
    assert client.get("/2021/")["ETag"] == etag
    set_network(name="Bibliotheeknetwerk Voorbeeldland")
    renamed = client.get("/2021/")
    assert renamed["ETag"] != etag
    assert "Bibliotheeknetwerk Voorbeeldland" in renamed.content.decode()
    etag = renamed["ETag"]
    set_network(home_province="utrecht")
    assert client.get("/2021/")["ETag"] != etag

    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    monkeypatch.setattr(page_cache, "_today", lambda: tomorrow)
    assert client.get("/2021/")["ETag"] != etag


def test_staff_pages_are_private_and_never_cached(client, coordinator):
    make_training(held_on=DAY)
    anonymous = client.get("/2021/")
    client.force_login(coordinator)
    for url in PUBLIC_URLS:
        response = client.get(url, headers={"if-none-match": anonymous["ETag"]})
        assert response.status_code == 200, url
        assert response["Cache-Control"] == page_cache.PRIVATE, url
        assert not response.has_header("ETag"), url
    staff_page = client.get("/2021/").content.decode()
    assert "Bekijk de registraties" in staff_page  # the staff page, not the cached one
    assert "Bekijk de registraties" not in Client().get("/2021/").content.decode()


def test_staff_and_anonymous_never_see_each_others_page(coordinator_client, coordinator):
    channel = make_channel(slug="flip", name="Flip")
    make_channel_post(channel=channel, title="Gepubliceerd", published_on=datetime.date(2021, 5, 1))
    closing.close_year(2021, coordinator)
    with connection.cursor() as cursor:  # reference data changed: the live figure drifts
        cursor.execute(f"UPDATE {Channel._meta.db_table} SET report_posts = %s", [False])
    anonymous = Client()
    for first, second in ((anonymous, coordinator_client), (coordinator_client, anonymous)):
        cache.clear()
        for _ in range(2):  # the second time from whatever either put in the cache
            for client in (first, second):
                page = client.get("/2021/").content.decode()
                data = client.get("/2021/figures.json").json()
                if client is anonymous:
                    assert "wijken af" not in page and "Bekijk de registraties" not in page
                    assert data["differs_from_published"] == []
                else:
                    assert "wijken af van de vastgestelde cijfers" in page
                    assert "communication.posts.flip" in page
                    assert data["differs_from_published"] == ["communication.posts.flip"]


def test_without_the_page_cache_pages_still_carry_validators(client, settings):
    settings.BNF_PAGE_CACHE = False
    make_training(held_on=DAY)
    first = client.get("/2021/")
    assert first["Cache-Control"] == page_cache.PUBLIC
    assert client.get("/2021/", headers={"if-none-match": first["ETag"]}).status_code == 304


def test_a_year_without_data_is_still_not_found(client):
    assert client.get("/1999/").status_code == 404
    assert client.get("/1999/").status_code == 404


class Counting:
    """compute(): counts its calls, takes a moment (as a recomputation does)."""

    def __init__(self, seconds=0.2):
        self.calls = 0
        self.seconds = seconds
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.calls += 1
        time.sleep(self.seconds)
        return {"value": 42}


def run_threads(n, target):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


@pytest.mark.parametrize("workers", [2, 8])
def test_single_flight_computes_once_for_concurrent_callers(workers):
    compute = Counting()
    results = run_threads(workers, lambda: page_cache.single_flight("test.sf", compute, 60))
    assert compute.calls == 1
    assert results == [{"value": 42}] * workers
    assert cache.get("test.sf:lock") is None  # released


def test_single_flight_waits_only_as_long_as_the_lock_lives(settings):
    settings.BNF_CACHE_LOCK_SECONDS = 0.3
    cache.add("test.stuck:lock", "another worker that died", 0.3)
    compute = Counting(seconds=0)
    started = time.monotonic()
    assert page_cache.single_flight("test.stuck", compute, 60) == {"value": 42}
    assert compute.calls == 1 and time.monotonic() - started < 2


def test_single_flight_lets_the_others_compute_when_the_first_fails():
    calls = []

    def failing():
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.1)
            raise RuntimeError("database gone")
        return "ok"

    results = []

    def call():
        try:
            results.append(page_cache.single_flight("test.fails", failing, 60))
        except RuntimeError:
            results.append("failed")

    first = threading.Thread(target=call)
    first.start()
    time.sleep(0.02)
    call()
    first.join()
    assert sorted(results) == ["failed", "ok"]


def test_the_figure_history_is_computed_once_for_concurrent_requests(monkeypatch):
    """``aggregation.history()`` from 6 threads at once: one computation. The database is
    stubbed out (the threads would have connections of their own, outside the test's
    transaction): the data version is fixed and the computation counted."""
    from kpis.reporting.figures import declared_figures

    counted = Counting(seconds=0.2)

    def compute_history(figures, until=None):
        counted()
        return aggregation.History(declared_figures([]), {}, {}, {}, {}, [2021], {}, {}, {})

    monkeypatch.setattr(page_cache, "current_version", lambda: "1:1")
    monkeypatch.setattr(aggregation, "report_channels", lambda: [])
    monkeypatch.setattr(aggregation, "home_library_ids", lambda: [])
    monkeypatch.setattr(aggregation, "compute_history", compute_history)
    results = run_threads(6, lambda: aggregation.history().years)
    assert counted.calls == 1
    assert results == [[2021]] * 6


def test_single_flight_uses_a_value_stored_between_its_miss_and_its_lock(monkeypatch):
    """Another worker stored the value and released its lock just after this caller
    missed: the caller then gets the lock, but must not compute a second time."""
    key = f"test.race.{uuid.uuid4().hex}"
    real_add = cache.add

    def add_after_the_other_finished(lock, token, timeout):
        cache.set(key, {"value": "theirs"}, 60)  # the other caller's result, lock gone
        return real_add(lock, token, timeout)

    monkeypatch.setattr(cache, "add", add_after_the_other_finished)
    compute = Counting(seconds=0)
    assert page_cache.single_flight(key, compute, 60) == {"value": "theirs"}
    assert compute.calls == 0


def test_single_flight_across_clients_of_a_shared_redis(settings):
    """What several gunicorn workers share: one Redis (BNF_CACHE_URL)."""
    redis = pytest.importorskip("redis")

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "bnf-test",
        }
    }
    key = f"test.redis.{uuid.uuid4().hex}"  # test runs in parallel share the Redis
    try:
        compute = Counting()
        results = run_threads(8, lambda: page_cache.single_flight(key, compute, 60))
        assert compute.calls == 1 and results == [{"value": 42}] * 8
    finally:
        caches["default"].delete_many([key, f"{key}:lock"])
