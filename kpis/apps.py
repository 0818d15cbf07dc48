from auditlog.apps import AuditlogConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    default = True  # the app config of "kpis" (this module holds another one, below)
    name = "kpis"
    verbose_name = _("Registraties en jaarcijfers")

    def ready(self):
        from kpis import audit

        audit.register_models()


class AuditTrailConfig(AuditlogConfig):
    """django-auditlog, under a Dutch name in the admin."""

    default = False
    verbose_name = _("Audittrail")
