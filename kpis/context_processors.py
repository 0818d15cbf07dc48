"""Template context for every page: the network's identity.

``{{ network.name }}``, ``{{ network.short }}``, ``{{ network.intro_text }}``,
``{{ network.logo_url }}``, ... (``kpis.models.network.Network``); read only when a
template uses it, once per request (``kpis.middleware.NetworkMiddleware``).
"""

from django.utils.functional import SimpleLazyObject

from kpis.models import Network


def network(request):
    return {"network": SimpleLazyObject(Network.objects.current)}
