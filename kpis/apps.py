from auditlog.apps import AuditlogConfig
from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    default = True  # the app config of "kpis" (this module holds another one, below)
    name = "kpis"
    verbose_name = _("Registraties en jaarcijfers")

    def ready(self):
        from django.db.models.signals import post_migrate

        from kpis import audit, data_version

        audit.register_models()
        post_migrate.connect(data_version.install_after_migrate, sender=self)


class AuditTrailConfig(AuditlogConfig):
    """django-auditlog, under a Dutch name in the admin."""

    default = False
    verbose_name = _("Audittrail")


class LoginProtectionConfig(AxesConfig):
    """django-axes, under a Dutch name in the admin (its texts: locale/nl)."""

    default = False
    verbose_name = _("Inlogbeveiliging")
