from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "zoomadmin.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
