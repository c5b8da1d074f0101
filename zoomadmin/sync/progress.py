"""How far a sync run has come, in the plain values a page shows and its progress JSON carries
(the sync run admin's ``<pk>/progress/``, polled by the dashboard while the run is running).

Progress is the users whose meetings, webinars, registrants and recordings are done, of the
users listed so far (the listing itself comes first: no percentage then). A running run whose
heartbeat stopped for ``ZOOM_SYNC_STALE_SECONDS`` is *stalled*: its worker is gone, and the
next sync will mark it interrupted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.runs import stale_after


def run_percent(run: SyncRun) -> int | None:
    """Users done of users seen, in percent; None while no user is listed yet."""
    if run.status != SyncRun.Status.RUNNING:
        return 100 if run.status == SyncRun.Status.SUCCEEDED else _ratio(run)
    return _ratio(run)


def _ratio(run: SyncRun) -> int | None:
    if not run.users_seen:
        return None
    return min(100, round(100 * run.users_done / run.users_seen))


def run_is_stalled(run: SyncRun, *, now: datetime | None = None) -> bool:
    if run.status != SyncRun.Status.RUNNING:
        return False
    return (now or timezone.now()) - run.heartbeat_at > stale_after()


def run_progress(run: SyncRun) -> dict[str, Any]:
    """The progress JSON of ``run`` (no secret, no Zoom data: counts and times)."""
    records = run.total("created") + run.total("updated") + run.total("unchanged")
    return {
        "id": run.pk,
        "status": run.status,
        "status_display": run.get_status_display(),
        "kind": run.get_kind_display(),
        "running": run.status == SyncRun.Status.RUNNING,
        "stalled": run_is_stalled(run),
        "percent": run_percent(run),
        "users_seen": run.users_seen,
        "users_done": run.users_done,
        "records": records,
        "requests": run.requests,
        "errors": run.error_count,
        "message": run.message,
        "started_at": run.started_at.isoformat(),
        "heartbeat_at": run.heartbeat_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
