"""Login throttling glue for django-axes (see the "Inlogpogingen" part of bnf/settings.py)."""

import ipaddress

from axes.backends import AxesStandaloneBackend
from django.conf import settings


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lock-out check for every login that arrives over HTTP.

    Axes refuses ``authenticate()`` calls without a request. Those come only from code
    (management commands, the shell, tests, the test client's ``login()``), where there
    is no client to throttle, so they go straight on to ``ModelBackend``. Every login
    view must pass the request to ``authenticate()``, as Django's own views do.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def client_ip(request) -> str | None:
    """The client address that failed logins are counted against.

    Without reverse proxies (``BNF_PROXY_COUNT = 0``) that is REMOTE_ADDR. Behind N
    proxies that each append the address they received the request from to
    X-Forwarded-For, it is the N-th entry from the right: written by our outermost proxy,
    so a client cannot forge it (entries further left can be anything the client sent).
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    proxies = settings.BNF_PROXY_COUNT
    if proxies <= 0:
        return remote_addr
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [part.strip() for part in forwarded.split(",") if part.strip()]
    if len(chain) < proxies:
        return remote_addr  # did not come through all our proxies
    try:
        return str(ipaddress.ip_address(chain[-proxies]))
    except ValueError:
        return remote_addr
