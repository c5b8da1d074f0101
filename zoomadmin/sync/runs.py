"""Starting and finishing a tenant's sync: one running SyncRun per tenant, and its outcome.

``tenant_sync`` is the whole of a full sync for callers (the django-q2 task, the command):
claim the tenant, build its client, walk, and record how it ended:

- ``succeeded``: everything listed; ``partial``: some listings failed (``errors``);
- ``paused``: Zoom's daily limit, or a per-second limit whose ``Retry-After`` outlasts the
  client's patience (``resets_at``); the next run, scheduled for then, completes the sync;
- ``failed``: the authorization was refused (the token provider has already marked the tenant
  "needs re-authorization", so nothing retries in a loop), the user listing failed, or a bug;
- ``interrupted``: its worker was asked to stop (``zoomadmin.sync.workers``) and the walk
  stopped after the requests in flight; the next sync continues it.

The claim is a row: a ``running`` SyncRun, unique per tenant by a partial unique index, so two
workers (threads, processes or hosts) cannot both sync one tenant. A run whose heartbeat is
older than ``ZOOM_SYNC_STALE_SECONDS`` belongs to a worker that died; the next claim marks it
``interrupted`` and takes the tenant.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from users.models import ZoomUser
from zoomadmin.sync.engine import RunCancelled, RunTakenOver, Walk, WalkResult
from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.schedule import schedule_resume
from zoomadmin.sync.steps import walk_plan
from zoomadmin.sync.workers import STOPPED_MESSAGE, stop_requested
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.tokens import client_for_tenant
from zoomadmin.zoom.client import ZoomClient, concurrency_for
from zoomadmin.zoom.errors import (
    ZoomBadRequest,
    ZoomDailyLimit,
    ZoomError,
    ZoomForbidden,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomReauthorizationRequired,
    ZoomUnauthorized,
)

logger = logging.getLogger(__name__)


def stale_after() -> timedelta:
    # The writing thread heartbeats every second; minutes of silence mean the worker is gone.
    return timedelta(seconds=settings.ZOOM_SYNC_STALE_SECONDS)


def unfinished_run(tenant: Tenant) -> SyncRun | None:
    """The latest run of ``tenant`` when it left its sync unfinished (out of time, paused,
    failed, killed, or some listings failed) less than ``ZOOM_FULL_SYNC_HOURS`` after that
    sync began: the next run continues it rather than starting over."""
    latest = SyncRun.objects.filter(tenant=tenant).order_by("-started_at", "-pk").first()
    if latest is None or latest.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL):
        return None  # its sync walked every user (a partial one: some listings failed)
    since = timezone.now() - timedelta(hours=settings.ZOOM_FULL_SYNC_HOURS)
    if latest.pass_started_at is None or latest.pass_started_at < since:
        return None
    return latest


def full_sync_due(tenant: Tenant) -> bool:
    """Whether the next new sync of ``tenant`` must be a full one: none that walked every
    user (succeeded, or partial: some listings failed) began within ``ZOOM_FULL_SYNC_HOURS``.
    A listing that fails every time does not make every run a full one."""
    since = timezone.now() - timedelta(hours=settings.ZOOM_FULL_SYNC_HOURS)
    return not SyncRun.objects.filter(
        tenant=tenant,
        kind=SyncRun.Kind.FULL,
        status__in=(SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL),
        pass_started_at__gte=since,
    ).exists()


def _kind(tenant: Tenant, full: bool | None) -> str:
    if full is None:
        full = full_sync_due(tenant)
    return SyncRun.Kind.FULL if full else SyncRun.Kind.RECONCILE


def run_claim(
    *,
    tenant: Tenant,
    trigger: str = "",
    kind: str = SyncRun.Kind.FULL,
    pass_started_at: datetime | None = None,
) -> SyncRun | None:
    """A new running SyncRun for ``tenant``, or None when another live run holds it.
    ``pass_started_at``: when the sync it continues began (default: it begins one)."""
    now = timezone.now()
    interrupted = SyncRun.objects.filter(
        tenant=tenant, status=SyncRun.Status.RUNNING, heartbeat_at__lt=now - stale_after()
    ).update(
        status=SyncRun.Status.INTERRUPTED,
        finished_at=now,
        message="The worker running this sync stopped responding; a later run took over.",
    )
    if interrupted:
        logger.warning("Sync of tenant %s: took over from a stale run", tenant)
    try:
        with transaction.atomic():
            return SyncRun.objects.create(
                tenant=tenant,
                trigger=trigger,
                kind=kind,
                started_at=now,
                heartbeat_at=now,
                pass_started_at=pass_started_at or now,
            )
    except IntegrityError:
        return None


def tenant_sync(
    *,
    tenant: Tenant,
    trigger: str = "",
    client: ZoomClient | None = None,
    concurrency: int | None = None,
    on_progress: Callable[[SyncRun], None] | None = None,
    full: bool | None = None,
    deadline_seconds: float | None = None,
) -> SyncRun | None:
    """Run one sync of ``tenant`` now, in this thread; None if one is already running.

    ``full``: True for a new full sync, False for a reconcile, None for whichever is due: the
    continuation of an unfinished sync (it walks only the users not walked since that began),
    else a full sync when none walked every user within ``ZOOM_FULL_SYNC_HOURS``, else a
    reconcile.
    ``deadline_seconds``: begin no user's subtree after this long; the run then ends
    ``continued``, for a next one to go on.
    """
    unfinished = unfinished_run(tenant) if full is None else None
    kind = unfinished.kind if unfinished else _kind(tenant, full)
    run = run_claim(
        tenant=tenant,
        trigger=trigger,
        kind=kind,
        pass_started_at=unfinished.pass_started_at if unfinished else None,
    )
    if run is None:
        logger.info("Sync of tenant %s skipped: another sync is running", tenant)
        return None
    try:
        client = client or client_for_tenant(tenant)
        # Fetch (or renew) the token here, before any thread runs: a refused authorization
        # ends the run at once, and the threads start with a cached token instead of each
        # reading it from the database.
        client.token_provider.get_token()
        requests_at_start = client.request_count
        run.account_recordings, asked = account_recordings_allowed(tenant, client)
        run.account_recordings_checked_at = timezone.now() if asked else None
        SyncRun.objects.filter(pk=run.pk).update(
            account_recordings=run.account_recordings,
            account_recordings_checked_at=run.account_recordings_checked_at,
        )
        # A continuation walks again the subtrees its predecessor left incomplete: their stored
        # meetings cannot be trusted as unchanged (their registrants may not have been listed).
        full = run.kind == SyncRun.Kind.FULL or unfinished is not None
        root, account_steps = walk_plan(account_recordings=run.account_recordings, full=full)
        result = Walk(
            tenant=tenant,
            client=client,
            root=root,
            account_steps=account_steps,
            run=run,
            requests_at_start=requests_at_start,
            full=full,
            deadline=time.monotonic() + deadline_seconds if deadline_seconds else None,
            pass_started_at=run.pass_started_at,
            continuing=unfinished is not None,
            concurrency=concurrency or settings.ZOOM_SYNC_CONCURRENCY or concurrency_for(client),
            on_progress=on_progress,
            should_stop=stop_requested,
        ).run()
    except RunTakenOver:
        logger.warning("Sync run %s of tenant %s was taken over by another worker", run.pk, tenant)
        run.refresh_from_db()
        return run
    except RunCancelled as cancelled:
        _finish(
            run, SyncRun.Status.FAILED, message=f"Stopped: {cancelled}; nothing more was written."
        )
        return run
    except ZoomError as error:
        # Raised before the walk started: the tenant is not connected, its token was refused.
        _finish(run, SyncRun.Status.FAILED, message=str(error))
        return run
    except BaseException as error:
        _finish(run, SyncRun.Status.FAILED, message=f"Internal error: {error!r}")
        raise
    _finish_walk(run, result)
    return run


# How long a run trusts an earlier run's finding about "List recordings of an account".
ACCOUNT_RECORDINGS_RECHECK = timedelta(days=7)


def account_recordings_allowed(tenant: Tenant, client: ZoomClient) -> tuple[bool, bool]:
    """(whether Zoom lets this app list cloud recordings for the whole account, whether Zoom
    was asked now). Scope ``cloud_recording:read:list_account_recordings:admin``. A finding
    that Zoom gave within ``ACCOUNT_RECORDINGS_RECHECK`` is trusted, unless a run since failed
    to list that way (the scope was taken back); else one small listing (today's) asks. A
    refusal means "per host"; any other failure means "per host" for this run alone."""
    now = timezone.now()
    checked = (
        SyncRun.objects.filter(
            tenant=tenant,
            account_recordings_checked_at__gte=now - ACCOUNT_RECORDINGS_RECHECK,
        )
        .order_by("-account_recordings_checked_at")
        .values_list("account_recordings", "account_recordings_checked_at")
        .first()
    )
    if checked is not None and not _account_listing_failed_since(tenant, checked[1]):
        return checked[0], False
    today = now.astimezone(UTC).date()
    try:
        client.list_account_recordings_window(from_=today, to=today)
    except (ZoomBadRequest, ZoomForbidden, ZoomNotFound, ZoomUnauthorized) as refused:
        logger.info("Tenant %s: recordings are listed per host (%s)", tenant, refused)
        return False, True
    except (ZoomDailyLimit, ZoomReauthorizationRequired):
        raise
    except ZoomError as error:
        logger.warning("Tenant %s: recordings listed per host in this run (%s)", tenant, error)
        return False, False
    return True, True


def _account_listing_failed_since(tenant: Tenant, since: datetime) -> bool:
    runs = SyncRun.objects.filter(
        tenant=tenant, started_at__gte=since, account_recordings=True
    ).values_list("errors", flat=True)
    return any(
        error.get("kind") == "recordings" and not error.get("parent")
        for errors in runs
        for error in errors
    )


def _finish_walk(run: SyncRun, result: WalkResult) -> None:
    run.counts = result.counts
    run.errors = result.errors
    run.error_count = result.error_count
    if result.stopped and result.stop is None:
        done = f"{run.users_done} of {run.users_seen} users walked"
        _finish(run, SyncRun.Status.INTERRUPTED, message=STOPPED_MESSAGE.format(done=done))
    elif result.stop is None and result.cut_short:
        done = f"{run.users_done} of {run.users_seen} users walked"
        _finish(run, SyncRun.Status.CONTINUED, message=f"Out of time ({done}); continues.")
    elif isinstance(result.stop, ZoomRateLimited):
        run.resets_at = _resumes_at(result.stop)
        _finish(run, SyncRun.Status.PAUSED, message=str(result.stop))
        _schedule_resume(run)
    elif result.stop is not None:
        _finish(run, SyncRun.Status.FAILED, message=str(result.stop))
    elif not result.root_complete:
        first = result.errors[0]["message"] if result.errors else "the user listing did not finish"
        _finish(run, SyncRun.Status.FAILED, message=first)
    elif result.error_count:
        _finish(run, SyncRun.Status.PARTIAL, message=f"{result.error_count} listings failed.")
    else:
        _finish(run, SyncRun.Status.SUCCEEDED)
    if result.root_complete:
        _name_after_the_account(run.tenant)


def _name_after_the_account(tenant: Tenant) -> None:
    """A tenant connected without a name (Server-to-Server, named by its account ID) takes its
    company's, as a tenant connected over OAuth takes it from the profile of whoever authorized
    it: the ``company`` of the account's owner (Zoom's role "0"), whose details the sync has
    just read. No request of its own; a name given in the admin is left alone."""
    if tenant.name and tenant.name != tenant.account_id:
        return
    owner = (
        ZoomUser.objects.filter(tenant=tenant, role_id="0", deleted_at__isnull=True)
        .values_list("zoom_data", flat=True)
        .first()
    )
    company = str((owner or {}).get("company") or "").strip()[:200]
    if company:
        if Tenant.objects.filter(pk=tenant.pk, name=tenant.name).update(name=company):
            tenant.name = company


# A per-second 429 that outlasted the client's patience: try again a while later, not at once.
MIN_PAUSE = timedelta(minutes=1)


def _resumes_at(stop: ZoomRateLimited) -> datetime:
    if isinstance(stop, ZoomDailyLimit):
        return stop.resets_at
    wait = timedelta(seconds=stop.retry_after or 0)
    return timezone.now() + max(wait, MIN_PAUSE)


def _finish(run: SyncRun, status: str, *, message: str = "") -> None:
    now = timezone.now()
    run.status = status
    run.message = message
    run.finished_at = run.heartbeat_at = now
    # Only our own running row: a run declared stale meanwhile keeps "interrupted".
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
        status=status,
        message=message,
        finished_at=now,
        heartbeat_at=now,
        counts=run.counts,
        requests=run.requests,
        errors=run.errors,
        error_count=run.error_count,
        resets_at=run.resets_at,
    )
    if status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL):
        Tenant.objects.filter(pk=run.tenant_id).update(last_synced_at=now)
    log = logger.info if status == SyncRun.Status.SUCCEEDED else logger.warning
    log("Sync run %s of tenant %s ended %s %s", run.pk, run.tenant_id, status, message)


def _schedule_resume(run: SyncRun) -> None:
    schedule_resume(tenant_id=run.tenant_id, at=run.resets_at)
