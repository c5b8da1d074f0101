from django.apps import AppConfig


class ZoomAdminConfig(AppConfig):
    """The project itself: its system checks and management commands (its parts are apps too)."""

    name = "zoomadmin"
    verbose_name = "zoomadmin"

    def ready(self) -> None:
        from zoomadmin import checks  # noqa: F401  (registers the system checks)
