from django.apps import AppConfig


class DevToolsConfig(AppConfig):
    name = "kpis.dev"
    label = "kpis_dev"
    verbose_name = "Ontwikkelgereedschap"
