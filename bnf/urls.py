from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("BNF registratie")
admin.site.site_title = _("BNF registratie")
admin.site.index_title = _("Registraties en jaarcijfers")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("kpis.urls")),
]
