"""Request-wide helpers: the network's identity read once per request, and a write the
database refused by the year policy as a Dutch page, never a 500.

Forms, imports and commands show a refusal where it happens; the refusal middleware is
the net under them, for a write that only the database could catch (a closing that
raced a form, an admin action on a closed year's rows).
"""

from django.shortcuts import render

from kpis.core import year_policy
from kpis.models.network import identity_per_request


class NetworkMiddleware:
    """``Network.objects.current()`` reads the identity at most once per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with identity_per_request():
            return self.get_response(request)


class YearPolicyRefusalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        refusal = year_policy.refusal_from(exception)
        if refusal is None:
            return None
        return render(request, "kpis/refused.html", {"messages_list": refusal.messages}, status=409)
