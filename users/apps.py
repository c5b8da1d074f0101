from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Zoom users"

    def ready(self) -> None:
        # The writes bulk jobs may make on users (zoomadmin.jobs.operations).
        from users import operations  # noqa: F401
