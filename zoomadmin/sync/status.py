"""A tenant's sync as its admin page shows it: the running run (live: the page polls this as
JSON), the last finished one, and the queued syncs that were skipped.

One sync of a tenant runs at a time: a sync task that finds its tenant syncing starts nothing
and answers ``busy`` (``zoomadmin.sync.tasks.sync_tenant``). django-q2 keeps each finished task
with its answer (``django_q.models.Task``, named by ``sync_task_name``), which is where a skipped
sync is found, so that it does not silently vanish. No secret and no Zoom data in any of it:
statuses, counts and times.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, Subquery
from django.urls import reverse
from django.utils import formats, timezone
from django_q.models import Task

from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.progress import run_is_stalled, run_progress
from zoomadmin.tenants.models import Tenant

SKIPPED_SHOWN = 5
SKIPPED_SINCE = timedelta(days=1)
# Finished sync tasks read to find the skipped ones among them.
TASKS_READ = 50


def sync_task_name(tenant_id: int) -> str:
    """The name of every sync task of a tenant (django-q2's ``task_name``)."""
    return f"zoom-sync-tenant-{tenant_id}"


def tenant_sync_status(tenant: Tenant, *, now: datetime | None = None) -> dict[str, Any]:
    """The running run and the last finished one (``run_progress`` with their page's ``url``),
    and the syncs skipped in the last day, newest first."""
    current, last = _current_and_last(tenant)
    return {
        "running": current is not None and not run_is_stalled(current),
        "current": _with_url(current),
        "last": _with_url(last),
        "skipped": skipped_syncs(tenant, since=(now or timezone.now()) - SKIPPED_SINCE),
        "runs_url": reverse("admin:sync_syncrun_changelist") + f"?tenant__id__exact={tenant.pk}",
    }


def _current_and_last(tenant: Tenant) -> tuple[SyncRun | None, SyncRun | None]:
    """The newest running run and the newest other one, in one query."""
    runs = SyncRun.objects.filter(tenant=tenant).order_by("-started_at", "-pk").values("pk")
    running = SyncRun.Status.RUNNING
    newest = Q(pk=Subquery(runs.filter(status=running)[:1])) | Q(
        pk=Subquery(runs.exclude(status=running)[:1])
    )
    found = list(SyncRun.objects.filter(newest))
    current = next((run for run in found if run.status == running), None)
    last = next((run for run in found if run.status != running), None)
    return current, last


def running_tenant_ids(tenant_ids: list[int]) -> set[int]:
    """Those of ``tenant_ids`` whose sync is running now (not a run whose worker went silent,
    which the next sync takes over)."""
    running = SyncRun.objects.filter(tenant_id__in=tenant_ids, status=SyncRun.Status.RUNNING)
    return {run.tenant_id for run in running if not run_is_stalled(run)}


def skipped_syncs(tenant: Tenant, *, since: datetime) -> list[dict[str, str]]:
    """Sync tasks of ``tenant`` since ``since`` that found it syncing and started nothing:
    when, and what had queued them (``trigger``: admin, schedule, …)."""
    tasks = Task.objects.filter(name=sync_task_name(tenant.pk), stopped__gte=since).order_by(
        "-stopped"
    )[:TASKS_READ]
    skipped = []
    for task in tasks:
        result = task.result if isinstance(task.result, dict) else {}
        if result.get("status") == "busy":
            kwargs = task.kwargs if isinstance(task.kwargs, dict) else {}
            skipped.append(
                {
                    "at": task.stopped.isoformat(),
                    "at_display": _display(task.stopped),
                    "trigger": kwargs.get("trigger", ""),
                }
            )
    return skipped[:SKIPPED_SHOWN]


def _with_url(run: SyncRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        **run_progress(run),
        "url": reverse("admin:sync_syncrun_change", args=[run.pk]),
        "started_display": _display(run.started_at),
        "finished_display": _display(run.finished_at),
    }


def _display(moment: datetime | None) -> str:
    """As the admin shows a time (its format, the current time zone)."""
    if moment is None:
        return ""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
