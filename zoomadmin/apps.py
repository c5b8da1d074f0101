from django.apps import AppConfig


class ZoomAdminConfig(AppConfig):
    name = "zoomadmin"
    verbose_name = "Zoom accounts"

    def ready(self) -> None:
        from zoomadmin import checks  # noqa: F401  (registers the system checks)
        from zoomadmin.crypto import connect_encryption_signals

        connect_encryption_signals()

        from django.db.models.signals import post_migrate

        from zoomadmin.sync.schedule import ensure_schedule

        # The periodic sync of every tenant (django-q2 Schedule), kept in step with the settings.
        post_migrate.connect(ensure_schedule, sender=self, dispatch_uid="zoom-sync-schedule")
