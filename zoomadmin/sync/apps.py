from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "zoomadmin.sync"
    label = "sync"
    verbose_name = "Sync"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from zoomadmin.sync.schedule import ensure_schedule

        # The periodic sync of every tenant (django-q2 Schedule), kept in step with the settings.
        post_migrate.connect(ensure_schedule, sender=self, dispatch_uid="zoom-sync-schedule")
