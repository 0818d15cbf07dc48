from auditlog.apps import AuditlogConfig
from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig, apps
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    default = True  # the app config of "kpis" (this module holds another one, below)
    name = "kpis"
    verbose_name = _("Registraties en jaarcijfers")

    def ready(self):
        from django.db.models.signals import post_migrate

        from kpis import evidence, transport_summary
        from kpis.core import audit, data_version, year_policy
        from kpis.models import Target
        from kpis.reporting import closing, figures

        audit.register_models()
        evidence.connect_signals()
        # The year policy's rules and guard come from the reporting layer, handed down
        # here so that the models never import it.
        year_policy.register(closing.year_rules())
        year_policy.register_reference_guard(closing.run_checked)
        Target.known_keys = staticmethod(figures.known_keys)
        # People by name everywhere (lists, filters, choices, the audit trail): auth's
        # User prints its username ("adv1"); the full name reads better, the username
        # stays the fallback for accounts without one.
        User = apps.get_model("auth", "User")
        User.__str__ = _full_name_or_username
        post_migrate.connect(data_version.install_after_migrate, sender=self)
        post_migrate.connect(year_policy.install_after_migrate, sender=self)
        post_migrate.connect(transport_summary.install_after_migrate, sender=self)


def _full_name_or_username(user) -> str:
    return user.get_full_name() or user.get_username()


class AuditTrailConfig(AuditlogConfig):
    """django-auditlog, under a Dutch name in the admin."""

    default = False
    verbose_name = _("Audittrail")


class LoginProtectionConfig(AxesConfig):
    """django-axes, under a Dutch name in the admin (its texts: locale/nl)."""

    default = False
    verbose_name = _("Inlogbeveiliging")


class BnfAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with our site (start page, grouped models) as ``admin.site``."""

    default = False
    default_site = "kpis.admin_site.BnfAdminSite"
