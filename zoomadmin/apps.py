from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ZoomAdminSiteConfig(admin_apps.AdminConfig):
    """Django's admin with zoomadmin's site (``zoomadmin.admin.ZoomAdminSite``); named in
    INSTALLED_APPS in place of ``django.contrib.admin``."""

    default = False
    default_site = "zoomadmin.admin.ZoomAdminSite"


class ZoomAdminConfig(AppConfig):
    """The project itself: its system checks and management commands (its parts are apps too)."""

    name = "zoomadmin"
    verbose_name = "zoomadmin"

    def ready(self) -> None:
        from zoomadmin import checks  # noqa: F401  (registers the system checks)
