from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "zoomadmin.sync"
    label = "sync"
    verbose_name = "Sync"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django_q.signals import post_spawn

        from zoomadmin.sync.schedule import ensure_schedule
        from zoomadmin.sync.tasks import tenant_connected_sync, worker_started
        from zoomadmin.tenants.signals import tenant_connected

        # The periodic sync of every tenant (django-q2 Schedule), kept in step with the settings.
        post_migrate.connect(ensure_schedule, sender=self, dispatch_uid="zoom-sync-schedule")
        # In each new worker process: a prompt stop of its sync, and the runs of workers gone.
        post_spawn.connect(worker_started, dispatch_uid="zoom-sync-worker-started")
        # A tenant just connected is synced at once (ZOOM_SYNC_ON_CONNECT).
        tenant_connected.connect(tenant_connected_sync, dispatch_uid="zoom-sync-on-connect")
