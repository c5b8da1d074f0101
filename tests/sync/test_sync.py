"""A full sync against the sandbox Zoom over loopback HTTP: what it mirrors, what it marks
deleted, what it writes when nothing changed, and how it survives Zoom's faults and limits."""

from __future__ import annotations

import time as sandbox_time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from django.utils import timezone
from django_q.models import Schedule

from meetings.models import Meeting, MeetingRegistrant
from tests.sync.conftest import present_ids, snapshot
from tests.writes import count_rows_written
from users.models import ZoomUser
from zoomadmin.sandbox import Account, SandboxServer, ScriptedFault, seed_account
from zoomadmin.sandbox.api.meetings import is_expired
from zoomadmin.sandbox.records import iso
from zoomadmin.sync import engine, steps
from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.schedule import resume_schedule_name
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.services import (
    synced_data_models,
    tenant_delete_synced_data,
    tenant_disconnect,
)
from zoomadmin.tenants.tokens import client_for_tenant
from zoomadmin.zoom import client as client_module
from zoomadmin.zoom.client import ZoomClient, month_windows

pytestmark = pytest.mark.django_db

# Model label of each kind of synced record.
LABELS = {
    "users": "users.ZoomUser",
    "meetings": "meetings.Meeting",
    "webinars": "meetings.Webinar",
    "meeting registrants": "meetings.MeetingRegistrant",
    "webinar registrants": "meetings.WebinarRegistrant",
    "recordings": "meetings.CloudRecording",
}
WEBINAR_TYPES = {5, 6, 9}


def expected_ids(account: Account, months: int = 6) -> dict[str, set[str]]:
    """What a complete sync of ``account`` must hold, read from the sandbox's own data and rules:
    users of every status (a pending user, listed without an id, by its email); the unexpired
    meetings and webinars of users who can host (not pending; webinars need a licensed user),
    the registrants of those with registration on; the recordings of the window."""
    first_day = month_windows(datetime.now(UTC).date(), months)[0][0].isoformat()
    now = sandbox_time.time()
    ids: dict[str, set[str]] = {kind: set() for kind in LABELS}
    for user in account.users.values():
        pending = user["status"] == "pending"
        ids["users"].add("email:" + user["email"].lower() if pending else user["id"])
        if pending:
            continue
        for meeting_id in account.meetings_by_host.get(user["id"], {}):
            meeting = account.meetings[meeting_id]
            webinar = meeting["type"] in WEBINAR_TYPES
            if meeting["type"] == 1 or (webinar and user["type"] != 2):
                continue
            if is_expired(meeting, now):
                continue
            ids["webinars" if webinar else "meetings"].add(str(meeting_id))
            if meeting["settings"]["approval_type"] in (0, 1):
                kind = "webinar registrants" if webinar else "meeting registrants"
                ids[kind].update(account.registrants.get(meeting_id, {}))
        for meeting_id in account.recordings_by_host.get(user["id"], {}):
            recording = account.recordings[meeting_id]
            if recording["start_time"][:10] >= first_day:
                ids["recordings"].add(recording["uuid"])
    return ids


def mirrored_ids(tenant: Tenant) -> dict[str, set[str]]:
    return {kind: present_ids(tenant, label) for kind, label in LABELS.items()}


def clean_state(tenant: Tenant, sync: Callable[..., SyncRun]) -> dict:
    """The state a clean sync reaches from nothing (the reference of the fault tests)."""
    tenant_delete_synced_data(tenant=tenant)
    run = sync(tenant)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    return snapshot(tenant)


def test_a_full_sync_mirrors_every_kind_of_the_account(tenant, sandbox, sync):
    run = sync(tenant)

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    expected = expected_ids(sandbox.state.default_account)
    assert mirrored_ids(tenant) == expected
    for kind, ids in expected.items():
        assert ids, f"the seed should give some {kind}"
        assert run.counts[kind]["created"] == len(ids)
    assert run.requests == sandbox.state.stats.requests_by_account[tenant.account_id]
    assert run.finished_at and run.users_done == run.users_seen == len(expected["users"])
    tenant.refresh_from_db()
    assert tenant.last_synced_at == run.finished_at


def test_a_tenant_connected_without_a_name_takes_its_owners_company_from_the_first_sync(
    tenant, sandbox, sync
):
    # Server-to-Server has no profile to name it by: named by its account ID until the sync
    # has read the owner's details (GET /users/{userId}: ``company``, ``role_id`` "0").
    account = sandbox.state.default_account
    assert tenant.name == account.id
    company = account.users[account.owner_id]["company"]

    sync(tenant)

    tenant.refresh_from_db()
    assert tenant.name == company
    Tenant.objects.filter(pk=tenant.pk).update(name="Our Zoom")
    tenant.refresh_from_db()
    sync(tenant, full=True)
    tenant.refresh_from_db()
    assert tenant.name == "Our Zoom"  # a name given in the admin stays


def test_a_second_sync_with_nothing_changed_writes_no_rows(tenant, sync):
    sync(tenant)
    before = snapshot(tenant)

    with count_rows_written() as written:
        run = sync(tenant)

    assert written.total == 0, dict(written)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert all(c["created"] == c["updated"] == c["deleted"] == 0 for c in run.counts.values())
    assert snapshot(tenant) == before


def test_upserts_are_idempotent_across_whole_syncs(tenant, sandbox, sync, monkeypatch):
    # Small batches: every kind is written in many statements, interleaved with deletions.
    monkeypatch.setattr(engine, "FLUSH_ROWS", 7)
    sync(tenant)
    first = snapshot(tenant)

    sync(tenant)
    sync(tenant)

    assert snapshot(tenant) == first
    assert mirrored_ids(tenant) == expected_ids(sandbox.state.default_account)


def test_records_missing_from_a_complete_listing_are_marked_deleted(tenant, sandbox, sync):
    sync(tenant)
    account = sandbox.state.default_account
    hosts = [
        u
        for u in account.users.values()
        if u["status"] != "pending" and u["id"] != account.owner_id
    ]
    gone_user = next(u for u in hosts if account.meetings_by_host.get(u["id"]))
    hosted = [
        m
        for u in hosts
        if u is not gone_user
        for m in account.meetings_of(u["id"])
        if m["type"] not in WEBINAR_TYPES
    ]
    gone_meeting = next(m for m in hosted if account.registrants.get(m["id"]))
    kept_meeting = next(
        m for m in hosted if m is not gone_meeting and account.registrants.get(m["id"])
    )
    recording = next(r for r in account.recordings.values() if r["host_id"] != gone_user["id"])
    client = client_for_tenant(tenant)
    client.delete_user(gone_user["id"], action="delete")  # its meetings go with it
    client.delete_meeting(gone_meeting["id"])  # and its registrants
    client.delete_meeting_recordings(recording["id"], action="delete")
    with sandbox.state.lock:
        registrants = account.registrants[kept_meeting["id"]]
        gone_registrant = registrants.pop(next(iter(registrants)))

    run = sync(tenant, full=True)  # a registrant list is asked for by a full sync

    assert run.status == SyncRun.Status.SUCCEEDED
    mirrored = mirrored_ids(tenant)
    assert mirrored == expected_ids(account)
    assert gone_user["id"] not in mirrored["users"]
    assert str(gone_meeting["id"]) not in mirrored["meetings"]
    assert gone_registrant["id"] not in mirrored["meeting registrants"]
    assert recording["uuid"] not in mirrored["recordings"]
    for kind in ("users", "meetings", "meeting registrants", "recordings", "recording files"):
        assert run.counts[kind]["deleted"] >= 1, kind
    # Marked, not removed: the rows stay, with their deletion time.
    assert gone_user["id"] in snapshot(tenant)[LABELS["users"]]


def test_a_listing_that_failed_marks_nothing_deleted(tenant, sandbox, sync):
    sync(tenant)
    account = sandbox.state.default_account
    with sandbox.state.lock:
        host = next(
            u
            for u in account.users.values()
            if u["status"] != "pending" and account.meetings_by_host.get(u["id"])
        )
        meeting_id = next(
            i
            for i in account.meetings_by_host[host["id"]]
            if account.meetings[i]["type"] in {2, 8}
            and not is_expired(account.meetings[i], sandbox_time.time())
        )
        account.remove_meeting(meeting_id)
    # More 503s than the client retries: this host's meeting listing fails for good.
    sandbox.config.script_fault(
        ScriptedFault("503", count=50, path_prefix=f"/v2/users/{host['id']}/meetings")
    )

    run = sync(tenant, client=_impatient_client(tenant))

    assert run.status == SyncRun.Status.PARTIAL
    assert run.error_count == 1 and run.errors[0]["kind"] == "meetings"
    assert run.errors[0]["parent"] == host["id"]
    assert str(meeting_id) in mirrored_ids(tenant)["meetings"]
    assert run.counts["meetings"]["deleted"] == 0


def test_zoom_faults_mid_sync_end_in_the_state_of_a_clean_run(tenant, sandbox, sync, settings):
    reference = clean_state(tenant, sync)
    tenant_delete_synced_data(tenant=tenant)
    settings.ZOOM_HTTP_TIMEOUT_SECONDS = 0.5
    sandbox.config.update(
        fault_seed=7, error_rate=0.05, throttle_rate=0.02, stall_rate=0.01, stall_seconds=1.0
    )

    run = sync(tenant, client=_impatient_client(tenant))

    faults = sandbox.state.stats.faults_injected
    assert sum(faults.values()) > 0, "the fault mix should have hit this sync"
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert snapshot(tenant) == reference


def test_a_daily_limit_pauses_the_sync_and_a_later_run_completes_it(tenant, sandbox, sync):
    reference = clean_state(tenant, sync)
    tenant_delete_synced_data(tenant=tenant)
    # The sandbox counts the day's requests from when a limit is set.
    sandbox.config.update(daily_limit=40)

    paused = sync(tenant)

    assert paused.status == SyncRun.Status.PAUSED, paused.message
    assert paused.resets_at is not None and paused.resets_at > paused.started_at
    assert "daily" in paused.message.lower()
    assert snapshot(tenant) != reference
    resume = Schedule.objects.get(name=resume_schedule_name(tenant.pk))
    assert resume.next_run >= paused.resets_at

    sandbox.config.update(daily_limit=0)  # the next UTC day
    resumed = sync(tenant)

    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert snapshot(tenant) == reference


def test_a_retry_after_too_long_to_wait_pauses_the_whole_sync(tenant, sandbox, sync):
    # Zoom's limits are per account: once it asks for ten minutes, every other listing would
    # be refused as well. The run stops and is resumed after the wait.
    sandbox.config.script_fault(ScriptedFault("429", retry_after=600, path_prefix="/v2/users/"))

    paused = sync(tenant)

    assert paused.status == SyncRun.Status.PAUSED, paused.message
    assert paused.error_count == 0  # stopped, not failing listing after listing
    assert (paused.resets_at - paused.finished_at).total_seconds() == pytest.approx(600, abs=5)
    assert Schedule.objects.get(name=resume_schedule_name(tenant.pk)).next_run >= paused.resets_at


def test_a_refused_authorization_fails_the_run_without_retrying(tenant, sandbox, sync):
    sandbox.state.expire_access_tokens(tenant.account_id)
    tenant.s2s_credential.access_token = ""
    tenant.s2s_credential.client_secret = "not-the-secret"
    tenant.s2s_credential.save()
    before = sandbox.state.stats.requests_total

    run = sync(tenant)

    tenant.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert tenant.status == Tenant.Status.REAUTHORIZATION_REQUIRED
    assert sandbox.state.stats.requests_total - before <= 1  # one refused token request
    assert "not-the-secret" not in run.message


def _impatient_client(tenant: Tenant, session: requests.Session | None = None):
    """The tenant's real client, with short backoffs so that retries do not slow the test."""
    client = client_for_tenant(tenant, session=session)
    client.backoff_base = client.backoff_max = 0.01
    client.max_retry_after = 120.0
    return client


class ExpiringSession(requests.Session):
    """Makes the sandbox expire every access token of the account before the N-th request."""

    def __init__(self, sandbox: SandboxServer, account_id: str, after: int) -> None:
        super().__init__()
        self.sandbox, self.account_id, self.left = sandbox, account_id, after

    def request(self, *args, **kwargs):
        self.left -= 1
        if self.left == 0:
            self.sandbox.state.expire_access_tokens(self.account_id)
        return super().request(*args, **kwargs)


@pytest.mark.django_db(transaction=True)
def test_an_access_token_expiring_mid_sync_is_renewed_and_the_sync_completes(tenant, sandbox, sync):
    reference = clean_state(tenant, sync)
    tenant_delete_synced_data(tenant=tenant)
    refreshes = sandbox.state.stats.tokens_issued["account_credentials"]
    requests_before = sandbox.state.stats.requests_total

    session = ExpiringSession(sandbox, tenant.account_id, after=40)
    run = sync(tenant, client=_impatient_client(tenant, session=session))

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert sandbox.state.stats.requests_total > requests_before + 40
    assert sandbox.state.stats.tokens_issued["account_credentials"] > refreshes
    assert snapshot(tenant) == reference


class ExpiringPageTokens(requests.Session):
    """Lets the sandbox forget every page token before the first request that sends one to
    ``path`` (Zoom's tokens live 15 minutes)."""

    def __init__(self, sandbox: SandboxServer, path: str) -> None:
        super().__init__()
        self.sandbox, self.path, self.expired = sandbox, path, False

    def request(self, method, url, *args, **kwargs):
        params = kwargs.get("params") or {}
        if not self.expired and url.endswith(self.path) and "next_page_token" in params:
            self.expired = True
            with self.sandbox.state.lock:
                self.sandbox.state.cursors.clear()
        return super().request(method, url, *args, **kwargs)


def test_a_user_listing_whose_page_token_expired_is_started_again(
    connect, sandbox, sync, settings, monkeypatch
):
    settings.ZOOM_SYNC_RECORDINGS_MONTHS = 1
    monkeypatch.setattr(client_module, "PAGE_SIZE_USERS", 300)
    account = seed_account(
        sandbox.state,
        users=320,  # two pages of active users
        meetings_per_user=0,
        webinars_per_licensed_user=0,
        inactive_ratio=0,
        pending_ratio=0,
        seed=5,
    )
    tenant = connect(account.id)
    session = ExpiringPageTokens(sandbox, "/v2/users")

    run = sync(tenant, client=_impatient_client(tenant, session=session))

    assert session.expired
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert run.users_seen == run.users_done == 320
    assert present_ids(tenant, LABELS["users"]) == set(account.users)
    # Each user's listings ran once: the users listing restarted, the walk did not.
    requests_by_route = sandbox.state.stats.requests_by_route
    assert requests_by_route["GET /v2/users/{userId}/meetings"] == 320


def test_a_run_taken_over_by_another_worker_stops_writing(tenant, sync, monkeypatch):
    monkeypatch.setattr(engine, "PROGRESS_SECONDS", 0)

    def taken_over(run: SyncRun) -> None:
        # What a worker that found this run stale does (zoomadmin.sync.runs.run_claim).
        SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.INTERRUPTED)

    run = sync(tenant, on_progress=taken_over)

    # Not overwritten with an outcome: the run that took over reports the tenant's sync.
    assert run.status == SyncRun.Status.INTERRUPTED


def test_a_pending_user_is_kept_by_email_and_moved_to_its_id_once_it_accepts(tenant, sandbox, sync):
    account = sandbox.state.default_account
    with sandbox.state.lock:
        invited = next(
            u
            for u in account.users.values()
            if u["id"] != account.owner_id and u["status"] == "active"
        )
        invited["status"] = "pending"

    first = sync(tenant)

    assert first.status == SyncRun.Status.SUCCEEDED, first.message
    row = ZoomUser.objects.get(tenant=tenant, email=invited["email"])
    assert row.zoom_id == "email:" + invited["email"].lower() and row.status == "pending"
    with sandbox.state.lock:
        invited["status"] = "active"  # the invitation was accepted

    second = sync(tenant)

    assert second.status == SyncRun.Status.SUCCEEDED, second.message
    moved = ZoomUser.objects.get(pk=row.pk)
    assert (moved.zoom_id, moved.status, moved.deleted_at) == (invited["id"], "active", None)
    assert ZoomUser.objects.filter(tenant=tenant, email__iexact=invited["email"]).count() == 1
    assert second.counts["users"]["deleted"] == 0


def test_an_expired_meeting_is_kept_with_its_registrants_and_asked_about_once(
    tenant, sandbox, sync
):
    sync(tenant)
    account = sandbox.state.default_account
    now = sandbox_time.time()
    with sandbox.state.lock:
        meeting = next(
            m
            for m in account.meetings.values()
            if m["type"] == 2
            and not is_expired(m, now)
            and account.registrants.get(m["id"])
            and m["settings"]["approval_type"] in (0, 1)
            and account.users[m["host_id"]]["status"] != "pending"
        )
        meeting["start_time"] = iso(now - 40 * 86400)  # 40 days ago: Zoom lists it no more

    expired_run = sync(tenant)
    quiet_run = sync(tenant)

    for run in (expired_run, quiet_run):
        assert run.status == SyncRun.Status.SUCCEEDED, run.message
        assert (
            run.counts["meetings"]["deleted"] == run.counts["meeting registrants"]["deleted"] == 0
        )
    row = Meeting.objects.get(tenant=tenant, zoom_id=meeting["id"])
    assert row.deleted_at is None and row.expired
    assert row.start_time.timestamp() == pytest.approx(now - 40 * 86400, abs=1)
    kept = MeetingRegistrant.objects.filter(meeting=row, deleted_at__isnull=True)
    assert set(kept.values_list("zoom_id", flat=True)) == set(account.registrants[meeting["id"]])
    # Asked about once ("Get a meeting"), when it left the listing; not on the next run.
    assert quiet_run.requests == expired_run.requests - 1


def webinar_listings(sandbox) -> int:
    return sandbox.state.stats.requests_by_route["GET /v2/users/{userId}/webinars"]


def test_a_licensed_user_without_the_webinar_add_on_is_no_error_and_is_asked_again_weekly(
    tenant, sandbox, sync
):
    account = sandbox.state.default_account
    licensed = [u for u in account.users.values() if u["type"] == 2 and u["status"] != "pending"]
    without_addon = [u for u in licensed if u["id"] not in account.webinar_users]
    assert without_addon and len(without_addon) < len(licensed), "the seed should mix both"

    first = sync(tenant)
    after_first = webinar_listings(sandbox)
    second = sync(tenant)
    after_second = webinar_listings(sandbox)
    ZoomUser.objects.filter(tenant=tenant, webinars_refused_at__isnull=False).update(
        webinars_refused_at=timezone.now() - timedelta(days=8)
    )
    third = sync(tenant)

    for run in (first, second, third):
        assert run.status == SyncRun.Status.SUCCEEDED, run.message
        assert run.error_count == 0 and run.counts["webinars"]["deleted"] == 0
    assert after_first == len(licensed)  # each licensed user asked once
    assert after_second - after_first == len(licensed) - len(without_addon)  # refusals kept
    assert webinar_listings(sandbox) - after_second == len(licensed)  # a week on: asked again
    refused = ZoomUser.objects.filter(tenant=tenant, webinars_refused_at__isnull=False)
    assert set(refused.values_list("zoom_id", flat=True)) == {u["id"] for u in without_addon}


def test_recordings_of_a_months_last_days_are_listed_before_they_are_judged(tenant, sandbox):
    # Zoom covers at most one month per recordings listing, and its answer's from/to say which
    # days it covered. On March 31, a window stretched from February 28 would be cut short.
    account = sandbox.state.default_account
    host = account.users[account.owner_id]
    with sandbox.state.lock:
        recording = next(iter(account.recordings.values()))
        recording["host_id"] = host["id"]
        recording["start_time"] = "2026-03-30T10:00:00Z"
        account.recordings_by_host.setdefault(host["id"], {})[recording["id"]] = None
    client = client_for_tenant(tenant)

    listed = list(steps.list_recordings(client, host, datetime(2026, 3, 31, 12, tzinfo=UTC)))
    # A range longer than Zoom covers at once is walked to its end, Zoom's clamp included.
    whole = list(steps.recordings_covering(client, host["id"], date(2025, 10, 1), date(2026, 4, 2)))

    assert recording["uuid"] in {item["uuid"] for item in listed}
    assert recording["uuid"] in {item["uuid"] for item in whole}


def synced_rows(tenant: Tenant) -> int:
    return sum(
        model._default_manager.filter(tenant=tenant).count() for model in synced_data_models()
    )


def test_a_disconnect_during_a_sync_is_not_undone_by_its_later_batches(
    tenant, sandbox, sync, monkeypatch
):
    # Small, frequent batches: the disconnect lands while most of the account is still to come.
    monkeypatch.setattr(engine, "FLUSH_ROWS", 5)
    monkeypatch.setattr(engine, "PROGRESS_SECONDS", 0)
    disconnected = []

    def disconnect_once(run: SyncRun) -> None:
        if not disconnected and run.total("created"):
            tenant_disconnect(tenant=tenant, by_user=None, reason="test", revoke=False)
            disconnected.append(synced_rows(tenant))

    run = sync(tenant, on_progress=disconnect_once)

    assert disconnected == [0]
    assert synced_rows(tenant) == 0  # Zoom's data-deletion rule holds to the end
    assert run.status == SyncRun.Status.FAILED and "disconnected" in run.message


def test_a_run_taken_over_by_another_worker_writes_nothing_more(tenant, sandbox, sync, monkeypatch):
    flush = engine.Walk._flush

    def taken_over_just_before(walk: engine.Walk) -> None:
        # Another worker declared the run stale between two of this worker's batches.
        SyncRun.objects.filter(pk=walk.sync_run.pk).update(status=SyncRun.Status.INTERRUPTED)
        flush(walk)

    monkeypatch.setattr(engine.Walk, "_flush", taken_over_just_before)

    run = sync(tenant)

    assert run.status == SyncRun.Status.INTERRUPTED
    assert synced_rows(tenant) == 0


def test_a_user_whose_status_changes_between_the_status_listings_is_not_deleted(
    tenant, sandbox, sync, monkeypatch
):
    account = sandbox.state.default_account
    with sandbox.state.lock:
        user = next(
            u for u in account.users.values() if u["id"] != account.owner_id and u["type"] == 1
        )
        user["status"] = "inactive"
    sync(tenant)
    list_users = ZoomClient.list_users

    def reactivated_after_the_active_listing(client, status="active", **kwargs):
        yield from list_users(client, status=status, **kwargs)
        if status == "active":  # listed as neither active (too early) nor inactive (too late)
            with sandbox.state.lock:
                user["status"] = "active"

    monkeypatch.setattr(ZoomClient, "list_users", reactivated_after_the_active_listing)

    run = sync(tenant)

    stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
    assert (stored.deleted_at, stored.status) == (None, "active")  # asked for, and updated
    assert run.counts["users"]["deleted"] == 0
    assert (
        Meeting.objects.filter(
            tenant=tenant, host_zoom_id=user["id"], deleted_at__isnull=False
        ).count()
        == 0
    )


def test_a_sync_stores_what_get_a_user_knows_and_a_listing_erases_none_of_it(tenant, sandbox, sync):
    account = sandbox.state.default_account
    with sandbox.state.lock:
        for user in account.users.values():
            user["job_title"] = f"Title of {user['first_name']}"

    sync(tenant)
    with count_rows_written() as written:
        again = sync(tenant)

    for user in account.users.values():
        if user["status"] == "pending":
            continue
        stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
        # Users OpenAPI: GET /users items carry neither role_name nor job_title; "Get a user" does.
        assert (stored.role_name, stored.job_title) == (user["role_name"], user["job_title"])
        assert stored.zoom_data["language"] == user["language"]
    assert written.total == 0 and again.counts["users"]["updated"] == 0


def test_registrants_that_zoom_approves_automatically_are_not_listed_as_pending(
    tenant, sandbox, sync
):
    # With approval_type 0 Zoom approves every registrant at once: none can be pending.
    account = sandbox.state.default_account
    registration = [
        m
        for m in account.meetings.values()
        if m["type"] in (2, 3, 8)
        and not is_expired(m, sandbox_time.time())
        and account.users[m["host_id"]]["status"] != "pending"
        and m["settings"]["approval_type"] in (0, 1)
    ]
    automatic = [m for m in registration if m["settings"]["approval_type"] == 0]
    assert automatic and len(automatic) < len(registration), "the seed should mix both"

    run = sync(tenant)

    listings = sandbox.state.stats.requests_by_route["GET /v2/meetings/{meetingId}/registrants"]
    assert run.status == SyncRun.Status.SUCCEEDED
    assert listings == 3 * len(registration) - len(automatic)


def recording_listings(sandbox) -> dict[str, int]:
    routes = sandbox.state.stats.requests_by_route
    return {
        "account": routes["GET /v2/accounts/{accountId}/recordings"],
        "per host": routes["GET /v2/users/{userId}/recordings"],
    }


def test_recordings_are_listed_for_the_whole_account_when_zoom_allows_it(
    tenant, sandbox, sync, settings
):
    months = settings.ZOOM_SYNC_RECORDINGS_MONTHS
    run = sync(tenant)

    assert run.status == SyncRun.Status.SUCCEEDED and run.account_recordings is True
    assert (
        mirrored_ids(tenant)["recordings"]
        == expected_ids(sandbox.state.default_account)["recordings"]
    )
    # One small probe, then one listing per month for every host together.
    assert recording_listings(sandbox) == {"account": 1 + months, "per host": 0}


def test_recordings_are_listed_per_host_where_zoom_refuses_the_account_listing(
    tenant, sandbox, sync
):
    sandbox.config.update(account_recordings_scope=False)

    first = sync(tenant)
    second = sync(tenant)

    expected = expected_ids(sandbox.state.default_account)["recordings"]
    assert first.status == second.status == SyncRun.Status.SUCCEEDED
    assert first.account_recordings is second.account_recordings is False
    assert mirrored_ids(tenant)["recordings"] == expected
    assert recording_listings(sandbox)["account"] == 1  # the refusal is remembered


def test_a_pending_user_whose_invitation_expired_is_gone_and_fails_nothing(tenant, sandbox, sync):
    account = sandbox.state.default_account
    with sandbox.state.lock:
        invited = next(u for u in account.users.values() if u["id"] != account.owner_id)
        invited["status"] = "pending"
    sync(tenant)
    with sandbox.state.lock:
        account.expired_invitations.add(invited["id"])  # 400 code 1120 from now on

    run = sync(tenant)

    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    gone = ZoomUser.objects.get(tenant=tenant, zoom_id="email:" + invited["email"].lower())
    assert gone.deleted_at is not None
    assert run.counts["users"]["deleted"] == 1


def test_a_meeting_handed_to_another_host_is_neither_expired_nor_deleted(tenant, sandbox, sync):
    account = sandbox.state.default_account
    now = sandbox_time.time()
    hosts = [u for u in account.users.values() if u["status"] == "active"]
    giver, taker = hosts[0], hosts[1]
    with sandbox.state.lock:
        meeting = next(
            account.meetings[i]
            for i in account.meetings_by_host.get(giver["id"], {})
            if account.meetings[i]["type"] == 2 and not is_expired(account.meetings[i], now)
        )
    sync(tenant)
    with sandbox.state.lock:  # Zoom: reassign the meeting to another host
        del account.meetings_by_host[giver["id"]][meeting["id"]]
        account.meetings_by_host.setdefault(taker["id"], {})[meeting["id"]] = None
        meeting["host_id"] = taker["id"]

    run = sync(tenant)

    stored = Meeting.objects.get(tenant=tenant, zoom_id=meeting["id"])
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert (stored.host_zoom_id, stored.expired, stored.deleted_at) == (taker["id"], False, None)


DETAIL_ROUTES = (
    "GET /v2/users/{userId}",
    "GET /v2/meetings/{meetingId}",
    "GET /v2/webinars/{webinarId}",
)


def detail_requests(sandbox) -> int:
    return sum(sandbox.state.stats.requests_by_route[route] for route in DETAIL_ROUTES)


def test_a_reconcile_with_nothing_changed_asks_no_detail_and_writes_nothing(tenant, sandbox, sync):
    full = sync(tenant)
    details_before = detail_requests(sandbox)

    with count_rows_written() as written:
        reconcile = sync(tenant)

    assert (full.kind, reconcile.kind) == (SyncRun.Kind.FULL, SyncRun.Kind.RECONCILE)
    assert reconcile.status == SyncRun.Status.SUCCEEDED, reconcile.message
    assert detail_requests(sandbox) == details_before
    assert written.total == 0, dict(written)
    assert reconcile.requests < full.requests / 3


def test_a_reconcile_after_silent_changes_reaches_the_state_of_a_full_sync(tenant, sandbox, sync):
    sync(tenant)
    account = sandbox.state.default_account
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {sandbox.state.issue_tokens()['access_token']}"
    base = sandbox.api_base_url
    now = sandbox_time.time()
    listed = [
        m
        for m in account.meetings.values()
        if m["type"] == 2
        and not is_expired(m, now)
        and account.users[m["host_id"]]["status"] == "active"
    ]
    gone, moved = listed[0], listed[1]
    # Changes made in Zoom that no webhook told about: a user and a meeting added, a meeting
    # deleted, another moved to a new time.
    user = api.post(
        f"{base}/users",
        json={"action": "custCreate", "user_info": {"email": "new@example.org", "type": 1}},
    ).json()
    api.post(
        f"{base}/users/{account.owner_id}/meetings",
        json={"topic": "Added in Zoom", "type": 2, "start_time": "2030-01-15T10:00:00Z"},
    ).raise_for_status()
    api.delete(f"{base}/meetings/{gone['id']}").raise_for_status()
    api.patch(
        f"{base}/meetings/{moved['id']}", json={"start_time": "2030-02-01T09:00:00Z"}
    ).raise_for_status()

    reconcile = sync(tenant)
    reconciled = snapshot(tenant)
    tenant_delete_synced_data(tenant=tenant)
    full = sync(tenant, full=True)

    assert reconcile.kind == SyncRun.Kind.RECONCILE
    assert reconcile.status == full.status == SyncRun.Status.SUCCEEDED
    # Every object the full sync holds, the reconcile holds alike (and no more, but the
    # deleted meeting, which it keeps, marked).
    fresh = snapshot(tenant)
    for label, rows in fresh.items():
        for key, row in rows.items():
            assert reconciled[label].get(key) == row, (label, key)
    assert user["id"] in reconciled["users.ZoomUser"]
    assert not reconciled["meetings.Meeting"][str(gone["id"])]["present"]


def test_a_scope_taken_back_sends_recordings_back_to_per_host_listings(tenant, sandbox, sync):
    first = sync(tenant)
    sandbox.config.update(account_recordings_scope=False)  # the admin took the scope back

    refused = sync(tenant)  # trusts last finding, is refused: nothing judged, an error shown
    per_host = sync(tenant)  # asks again, and lists per host

    assert first.account_recordings is True
    assert refused.status == SyncRun.Status.PARTIAL and refused.counts["recordings"]["deleted"] == 0
    assert per_host.status == SyncRun.Status.SUCCEEDED, per_host.message
    assert per_host.account_recordings is False
    expected = expected_ids(sandbox.state.default_account)["recordings"]
    assert mirrored_ids(tenant)["recordings"] == expected


def test_a_listing_that_always_fails_does_not_make_every_run_a_full_one(tenant, sandbox, sync):
    host = next(u for u in sandbox.state.default_account.users.values() if u["status"] == "active")
    sandbox.config.script_fault(
        ScriptedFault("503", count=10_000, path_prefix=f"/v2/users/{host['id']}/meetings")
    )
    client = _impatient_client(tenant)

    first = sync(tenant, client=client)
    second = sync(tenant, client=client)

    assert first.kind == SyncRun.Kind.FULL and first.status == SyncRun.Status.PARTIAL
    assert second.kind == SyncRun.Kind.RECONCILE


def test_a_reconcile_keeps_the_whole_agenda_that_zoom_cuts_in_its_lists(tenant, sandbox, sync):
    # Meetings OpenAPI, List meetings, agenda: "truncated to 250 characters when you list all
    # of a user's meetings".
    account = sandbox.state.default_account
    now = sandbox_time.time()
    meeting = next(
        m
        for m in account.meetings.values()
        if m["type"] == 2
        and not is_expired(m, now)
        and account.users[m["host_id"]]["status"] == "active"
    )
    meeting["agenda"] = "A long agenda. " * 40
    sync(tenant)

    with count_rows_written() as written:
        reconcile = sync(tenant)

    assert reconcile.kind == SyncRun.Kind.RECONCILE
    stored = Meeting.objects.get(tenant=tenant, zoom_id=meeting["id"])
    assert stored.zoom_data["agenda"] == meeting["agenda"] and len(meeting["agenda"]) > 250
    assert written.total == 0
