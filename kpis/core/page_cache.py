"""Whole public pages kept in the cache under the data version, their HTTP validators,
and the single-flight that lets one worker recompute after a write while the others wait.

An anonymous visitor's page (the dashboard, the report, its PDF, the figure exports) is
the same for everyone as long as the data (the network's identity included), the day,
the language and the code are the same: it is rendered once and kept under a key made
of exactly those (``page_key``). Serving it then costs one query, the data version
(``kpis.core.data_version.current``), and the cache read. The page's ``ETag`` is the same
digest, so a browser that already has it gets ``304 Not Modified`` for that one query.

Signed-in users (staff see drift lists and links to the records; anyone signed in sees
their own menu) are never served from, nor stored in, this cache, and their responses
are ``Cache-Control: private, no-store``; anonymous responses are
``public, max-age=0, must-revalidate`` with ``Vary: Cookie``, so no shared cache serves
one to the other either.
"""

from __future__ import annotations

import contextvars
import datetime
import functools
import hashlib
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_vary_headers

from kpis.core import data_version

PUBLIC = "public, max-age=0, must-revalidate"
PRIVATE = "private, no-store"
_MISSING = object()
# The data version a page view read first: the figures and charts it renders use it
# rather than reading it again (data can only be newer than it, never older).
_request_version: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "bnf_request_version", default=None
)
# Headers a view sets that belong to the page; everything else (cookies, Vary, CSP)
# is added per response by the middleware.
_KEPT_HEADERS = ("content-type", "content-disposition", "x-bnf-")


def current_version() -> str | None:
    """The data version: the one this page view already read, else from the database."""
    return _request_version.get() or data_version.current()


def lock_seconds() -> float:
    return float(getattr(settings, "BNF_CACHE_LOCK_SECONDS", 10))


def single_flight(key: str, compute: Callable, timeout: float | None):
    """``cache[key]``, or ``compute()`` stored there, computed by one caller at a time
    across every process sharing the cache.

    The first caller to miss takes a lock (``cache.add``, atomic in every backend) and
    computes; the others poll the cache for its result, for at most the lock's
    lifetime (``BNF_CACHE_LOCK_SECONDS``), and compute themselves if it has not come by
    then or the lock was given up without a result. ``compute()`` returning ``None``
    means "not to be kept" (nothing is stored)."""
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value
    lock, token, limit = f"{key}:lock", secrets.token_hex(8), lock_seconds()
    if limit > 0 and not cache.add(lock, token, limit):
        deadline, pause = time.monotonic() + limit, 0.005
        while time.monotonic() < deadline:
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
            value = cache.get(key, _MISSING)
            if value is not _MISSING:
                return value
            if cache.get(lock) is None:  # released: with a result just stored, or without
                value = cache.get(key, _MISSING)
                if value is not _MISSING:
                    return value
                break
        return _compute_and_store(key, compute, timeout)
    try:
        # Another caller may have stored the value and released its lock between our
        # miss and our lock: then it is there now, and computing again would be waste.
        value = cache.get(key, _MISSING)
        if value is not _MISSING:
            return value
        return _compute_and_store(key, compute, timeout)
    finally:
        if limit > 0 and cache.get(lock) == token:
            cache.delete(lock)


def _compute_and_store(key, compute, timeout):
    value = compute()
    if value is not None:
        cache.set(key, value, timeout)
    return value


@functools.cache
def _release() -> str:
    """Changes with the code, templates, static files and translations, so that a cache
    shared by processes of different releases never serves one release's page from
    another."""
    digest = hashlib.sha256(f"debug={settings.DEBUG}".encode())
    base = Path(settings.BASE_DIR)
    for folder in ("bnf", "kpis", "projects", "subsidies", "templates", "locale"):
        for path in sorted((base / folder).rglob("*")):
            if path.is_file() and path.suffix not in (".pyc", ".po"):
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _today() -> datetime.date:
    return datetime.date.today()


def page_key(request, version: str) -> tuple[str, str]:
    """(cache key, ETag) of an anonymous page: everything that changes what it shows."""
    parts = [
        version,
        _release(),  # covers the figure declarations too: they are code
        # (the network's identity and province are data: the version covers them)
        translation.get_language() or "",
        # A year in progress says "t/m <day>"; the views use the same clock.
        _today().isoformat(),
        request.path,
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"kpis.page:{digest}", f'"{digest}"'


def _entry(response: HttpResponse) -> dict | None:
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    headers = [(k, v) for k, v in response.items() if k.lower().startswith(_KEPT_HEADERS)]
    return {"content": response.content, "headers": headers}


def _public(response, etag: str | None):
    if etag is not None:
        response["ETag"] = etag
    response["Cache-Control"] = PUBLIC
    patch_vary_headers(response, ("Cookie",))
    return response


def public_page(view):
    """Serve ``view`` to anonymous visitors from the page cache with an ``ETag``
    (``304`` on a matching ``If-None-Match``); to anyone signed in uncached and
    ``private, no-store``."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated:
            response = view(request, *args, **kwargs)
            response["Cache-Control"] = PRIVATE
            return response
        version = data_version.current()
        if version is None:  # no data version: nothing to validate or cache against
            return _public(view(request, *args, **kwargs), None)
        key, etag = page_key(request, version)
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            return _public(not_modified, etag)
        if not (settings.BNF_FIGURE_CACHE and getattr(settings, "BNF_PAGE_CACHE", True)):
            known = _request_version.set(version)
            try:
                response = view(request, *args, **kwargs)
            finally:
                _request_version.reset(known)
            # Validators only for a page that would be kept, as with the cache on: a page
            # still being made (the report PDF's 202) must never come back as a 304.
            return _public(response, etag) if response.status_code == 200 else response

        rendered = None

        def compute():
            nonlocal rendered
            rendered = view(request, *args, **kwargs)
            if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # a form with a token
                return None
            return _entry(rendered)

        known = _request_version.set(version)
        try:
            entry = single_flight(key, compute, settings.BNF_FIGURE_CACHE_SECONDS)
        finally:
            _request_version.reset(known)
        if rendered is not None:
            if entry is None:  # not a page to keep: an error as it came, else private
                if rendered.status_code == 200:
                    rendered["Cache-Control"] = PRIVATE
                return rendered
            return _public(rendered, etag)
        if entry is None:  # another worker's result was not to keep (not stored: unreachable)
            return _public(view(request, *args, **kwargs), etag)
        response = HttpResponse(entry["content"], headers=dict(entry["headers"]))
        return _public(response, etag)

    return wrapped
