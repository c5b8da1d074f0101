"""django-q2 tasks of the sync. They take ids, return small summaries, and are safe to run twice:
a second sync of a tenant that is already syncing finds it claimed and returns at once.

- ``sync_tenant(tenant_id, full=None)``: one sync of one tenant, the kind that is due unless
  ``full`` says (``zoomadmin.sync.runs.tenant_sync``).
- ``sync_all_tenants()``: the schedule's task; enqueues one ``sync_tenant`` per connected tenant,
  so each runs in its own task and one tenant's failure never touches another's.

Enqueue through :func:`enqueue_tenant_sync`, which waits for the surrounding transaction to
commit (a worker must find the rows it is given).

In a worker that is stopping (``zoomadmin.sync.workers``), a sync stops after the requests in
flight and its continuation, like a sync not begun yet, is left in the broker for the next
start of the cluster. ``worker_started`` (django-q2's ``post_spawn``, in each new worker)
installs that stop and looks for the runs of workers that are gone, queueing their
continuation.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django_q.tasks import async_task

from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.sync.status import sync_task_name
from zoomadmin.sync.workers import (
    cluster_stop_event,
    install_stop_handlers,
    interrupted_runs_recognize,
    stop_requested,
    watch_cluster_stop,
)
from zoomadmin.tenants.models import Tenant

logger = logging.getLogger(__name__)

TASK_GROUP = "zoom-sync"


def sync_tenant(tenant_id: int, trigger: str = "task", full: bool | None = None) -> dict[str, Any]:
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return {"tenant": tenant_id, "status": "missing"}
    if stop_requested():
        # Handed to a worker that is stopping: for the next start, not lost.
        _queue_for_next_start(tenant_id, trigger=trigger, full=full)
        return {"tenant": tenant_id, "status": "requeued"}
    run = tenant_sync(
        tenant=tenant,
        trigger=trigger,
        full=full,
        deadline_seconds=settings.ZOOM_SYNC_TASK_SECONDS,
    )
    if run is None:
        return {"tenant": tenant_id, "status": "busy"}
    if run.status == SyncRun.Status.CONTINUED:
        # Out of the task's time: the next task goes on where this one stopped.
        enqueue_tenant_sync(tenant_id, trigger="continue")
    elif run.status == SyncRun.Status.INTERRUPTED and stop_requested():
        _queue_for_next_start(tenant_id, trigger="continue")
    return run_summary(run)


def sync_all_tenants() -> list[int]:
    """Enqueue a sync of every connected tenant not waiting for a daily-limit reset."""
    now = timezone.now()
    tenant_ids = []
    for tenant in Tenant.objects.filter(status=Tenant.Status.CONNECTED):
        latest = tenant.sync_runs.order_by("-started_at", "-pk").first()
        if latest and latest.status == SyncRun.Status.PAUSED and latest.resets_at:
            if latest.resets_at > now:
                continue  # its resume is scheduled (zoomadmin.sync.schedule.schedule_resume)
        enqueue_tenant_sync(tenant.pk, trigger="schedule")
        tenant_ids.append(tenant.pk)
    return tenant_ids


def enqueue_tenant_sync(tenant_id: int, *, trigger: str = "task", full: bool | None = None) -> None:
    """Queue ``sync_tenant`` for the django-q2 cluster once the current transaction commits."""

    def enqueue() -> None:
        async_task(
            "zoomadmin.sync.tasks.sync_tenant",
            tenant_id,
            trigger=trigger,
            full=full,
            group=TASK_GROUP,
            task_name=sync_task_name(tenant_id),
        )

    # robust: a broker error for one tenant must not stop the others being enqueued.
    transaction.on_commit(enqueue, robust=True)


def tenant_connected_sync(sender: Any = None, tenant: Tenant | None = None, **kwargs: Any) -> None:
    """``tenants.signals.tenant_connected`` receiver: a tenant just connected is synced at once
    (on the worker cluster), not at the next scheduled sync, unless ``ZOOM_SYNC_ON_CONNECT`` is
    off."""
    if tenant is not None and settings.ZOOM_SYNC_ON_CONNECT:
        enqueue_tenant_sync(tenant.pk, trigger="connect")


def _queue_for_next_start(tenant_id: int, *, trigger: str, full: bool | None = None) -> None:
    """Into the broker even where tasks run inline (``sync=False``): this process is stopping."""
    async_task(
        "zoomadmin.sync.tasks.sync_tenant",
        tenant_id,
        trigger=trigger,
        full=full,
        group=TASK_GROUP,
        task_name=sync_task_name(tenant_id),
        sync=False,
    )


def worker_started(sender: Any = None, proc_name: str = "", **kwargs: Any) -> None:
    """django-q2's ``post_spawn`` receiver, in each new worker process (its main thread)."""
    if multiprocessing.parent_process() is None:
        return  # a task run inline (Q_CLUSTER "sync"), in this process: no worker of a cluster
    install_stop_handlers()
    stopping = cluster_stop_event()
    if stopping is not None:
        watch_cluster_stop(stopping)
    threading.Thread(
        target=_look_for_gone_workers, name="zoom-sync-gone-workers", daemon=True
    ).start()


def _look_for_gone_workers() -> None:
    try:
        continue_runs_of_gone_workers()
    except Exception:
        logger.exception("Looking for the sync runs of workers that are gone failed")
    finally:
        connections.close_all()  # this thread's own


def continue_runs_of_gone_workers(**watch: Any) -> list[int]:
    """Mark interrupted the runs of workers that are gone (``interrupted_runs_recognize``,
    which takes ``watch``) and queue their tenants' continuation; the tenants queued."""
    gone = {run.tenant_id for run in interrupted_runs_recognize(**watch)}
    connected = Tenant.objects.filter(pk__in=gone, status=Tenant.Status.CONNECTED)
    tenant_ids = sorted(connected.values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        enqueue_tenant_sync(tenant_id, trigger="continue")
    return tenant_ids


def run_summary(run: SyncRun) -> dict[str, Any]:
    return {
        "tenant": run.tenant_id,
        "run": run.pk,
        "status": run.status,
        "kind": run.kind,
        "requests": run.requests,
        "counts": run.counts,
        "errors": run.error_count,
        "message": run.message,
    }
