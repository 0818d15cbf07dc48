from django.contrib import admin
from django.urls import include, path
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from kpis.models import Network

# "<network> registratie", read from the network's identity whenever a page shows it.
admin.site.site_header = lazy(lambda: Network.objects.current().admin_title, str)()
admin.site.site_title = admin.site.site_header
admin.site.index_title = _("Registraties en jaarcijfers")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("kpis.urls")),
]
