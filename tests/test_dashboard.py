"""The dashboard on the admin index (issue 12, item 3): per tenant the signed-in user may see,
its connection, its syncs (the running one's progress polled from the sync run's progress
JSON), users by type and status, license use and idle licensed users, meetings of the coming
weeks, registrants waiting for approval, webhook events and bulk jobs, each figure linked to
the filtered list behind it.

Expected figures come from the sandbox's data (what Zoom holds) or from the stored rows read
here in Python, never from the dashboard's own queries; every link is followed, and the list
it opens must hold exactly the records its figure counts.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting, MeetingRegistrant, Webinar, WebinarRegistrant
from users.models import ZoomUser
from webhooks.models import WebhookEvent
from zoomadmin.dashboard import dashboard_for, week_starts
from zoomadmin.jobs.models import BulkJob
from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from zoomadmin.sandbox.records import iso
from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.tenants.models import Tenant, TenantMembership
from zoomadmin.tenants.services import tenant_connect_server_to_server

INDEX = "/admin/"
DAY = 86_400


@pytest.fixture(autouse=True)
def fast_zoom(settings: Any) -> None:
    settings.ZOOM_RATE_SHARE = 10_000
    settings.ZOOM_SYNC_CONCURRENCY = 2


@pytest.fixture
def superuser(django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def account(zoom_settings: Any) -> Any:
    """The sandbox's account, some of its licensed users long without a sign-in (Zoom's
    ``last_login_time``), so that every idle threshold has users."""
    account = zoom_settings.state.default_account
    now = time_now()
    licensed = [
        user
        for user in account.users.values()
        if user["type"] == 2 and user["status"] == "active" and user["id"] != account.owner_id
    ]
    for user, days in zip(licensed, (95, 75, 45), strict=False):
        user["last_login_time"] = iso(now - days * DAY)
    return account


@pytest.fixture
def tenant(account: Any, superuser: Any) -> Tenant:
    tenant = tenant_connect_server_to_server(
        account_id=account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=superuser,
    )
    assert tenant_sync(tenant=tenant, trigger="test").status == "succeeded"
    return tenant


@pytest.fixture
def other_tenant(db: Any) -> Tenant:
    """A second customer's Zoom account, with one record of every kind the dashboard counts."""
    other = Tenant.objects.create(account_id="acct-other", name="Other customer", connection="s2s")
    fill(other, users=3, now=timezone.now())
    return other


@pytest.fixture
def staff(django_user_model: Any, tenant: Tenant) -> Any:
    """A staff member of ``tenant`` only, with every model permission."""
    user = django_user_model.objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    TenantMembership.objects.create(tenant=tenant, user=user)
    return user


def time_now() -> float:
    return timezone.now().timestamp()


def parse_zoom_time(value: str | None) -> datetime | None:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if value else None


def listed(client: Any, url: str) -> int:
    """How many records the changelist behind ``url`` holds."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def static_files(page: str) -> set[str]:
    return {
        url for url in re.findall(r'(?:src|href)="([^"]+)"', page) if url.startswith("/static/")
    }


def links(page: str) -> set[str]:
    return {unescape(href) for href in re.findall(r'href="([^"]+)"', page)}


# --- what it counts ---------------------------------------------------------------------------


def test_users_by_type_and_status_are_the_sandboxs(client, superuser, tenant, account):
    expected = Counter((user["type"], user["status"]) for user in account.users.values())
    client.force_login(superuser)

    (board,) = dashboard_for(superuser).tenants
    shown = {
        (row.label, figure.label.lower()): figure.count
        for row in board.users.rows
        for figure in row.statuses
    }

    names = dict(ZoomUser.Type.choices)
    assert shown == {(names[t], status): n for (t, status), n in expected.items()}
    assert board.users.total == len(account.users)
    for row in board.users.rows:
        assert listed(client, row.url) == row.total
        for figure in row.statuses:
            assert listed(client, figure.url) == figure.count


def test_license_use_counts_licensed_seats_and_says_the_seat_total_is_unknown(
    client, superuser, tenant, account
):
    licensed = Counter(u["status"] for u in account.users.values() if u["type"] == 2)
    client.force_login(superuser)

    (board,) = dashboard_for(superuser).tenants
    page = client.get(INDEX).content.decode()

    # Zoom counts a pending user's license (Users API, "Get user summary":
    # "pending_users_count: The number of users with a pending activation meeting license").
    assert board.licenses.active.count == licensed["active"]
    assert board.licenses.pending.count == licensed["pending"]
    assert board.licenses.seats_used.count == licensed["active"] + licensed["pending"]
    assert board.licenses.seats_total is None
    assert "Seats free: unknown" in page
    assert listed(client, board.licenses.active.url) == licensed["active"]
    assert listed(client, board.licenses.pending.url) == licensed["pending"]


def test_idle_licensed_users_link_to_the_users_list_filtered_by_idle_for(
    client, superuser, tenant, account
):
    now = timezone.now()
    active_licensed = [
        u for u in account.users.values() if u["type"] == 2 and u["status"] == "active"
    ]
    client.force_login(superuser)

    (board,) = dashboard_for(superuser, now=now).tenants

    for figure, days in zip(board.licenses.idle, (30, 60, 90), strict=True):
        since = now - timedelta(days=days)
        expected = sum(
            1
            for u in active_licensed
            if (parse_zoom_time(u.get("last_login_time")) or now) < since
            or (not u.get("last_login_time") and parse_zoom_time(u["user_created_at"]) < since)
        )
        assert expected >= 1  # the fixture made one user idle beyond every threshold
        assert figure.count == expected
        assert f"idle={days}" in figure.url
        assert listed(client, figure.url) == expected


def test_the_users_list_offers_the_idle_for_filter(client, superuser, tenant):
    client.force_login(superuser)

    page = client.get(reverse("admin:users_zoomuser_changelist")).content.decode()

    assert "idle for" in page.lower() and "?idle=90" in page


def test_meetings_and_webinars_of_the_coming_weeks_link_to_their_lists(client, superuser, tenant):
    now = timezone.now()
    bounds = week_starts(now)
    client.force_login(superuser)

    (board,) = dashboard_for(superuser, now=now).tenants

    assert len(board.weeks) == 4
    for model, attribute in ((Meeting, "meetings"), (Webinar, "webinars")):
        starts = [m.start_time for m in model.objects.filter(tenant=tenant) if m.deleted_at is None]
        for week, row in enumerate(board.weeks):
            expected = sum(1 for s in starts if s and bounds[week] <= s < bounds[week + 1])
            figure = getattr(row, attribute)
            assert figure.count == expected, (model, week)
            assert listed(client, figure.url) == expected
    assert sum(row.meetings.count for row in board.weeks) > 0  # the sandbox plans meetings


def test_registrants_waiting_for_approval_link_to_them(client, superuser, tenant):
    client.force_login(superuser)

    (board,) = dashboard_for(superuser).tenants

    for figure, model in zip(
        board.registrants, (MeetingRegistrant, WebinarRegistrant), strict=True
    ):
        expected = sum(
            1
            for r in model.objects.filter(tenant=tenant)
            if r.status == "pending" and not r.deleted_at
        )
        assert figure.count == expected
        assert listed(client, figure.url) == expected
    assert board.registrants[0].count > 0  # the sandbox's manual-approval meetings have some


def test_webhook_events_and_bulk_jobs_that_need_a_look(client, superuser, tenant):
    now = timezone.now()
    events = WebhookEvent.objects.bulk_create(
        WebhookEvent(
            tenant=tenant,
            account_id=tenant.account_id,
            event="meeting.updated",
            dedupe_key=f"k{n}",
            status=status,
        )
        for n, status in enumerate(["processed", "processed", "failed", "failed", "failed"])
    )
    # received_at is auto_now_add: two of them arrived long ago.
    old = now - timedelta(days=20)
    WebhookEvent.objects.filter(pk__in=[events[0].pk, events[2].pk]).update(received_at=old)
    jobs = BulkJob.objects.bulk_create(
        BulkJob(
            tenant=tenant,
            operation="users.deactivate",
            title=f"job {n}",
            status=status,
            failed=failed,
        )
        for n, (status, failed) in enumerate(
            [("failed", 0), ("failed", 0), ("done", 2), ("done", 0), ("running", 0)]
        )
    )
    BulkJob.objects.filter(pk=jobs[0].pk).update(created=now - timedelta(days=45))
    client.force_login(superuser)

    (board,) = dashboard_for(superuser).tenants

    assert board.webhooks.recent.count == 3
    assert board.webhooks.failed.count == 3
    assert board.webhooks.last_at == WebhookEvent.objects.latest("received_at").received_at
    failed_jobs, refused_jobs = board.jobs
    assert (failed_jobs.count, refused_jobs.count) == (1, 1)  # the 45-day-old one is left out
    for figure in (board.webhooks.recent, board.webhooks.failed, failed_jobs, refused_jobs):
        assert listed(client, figure.url) == figure.count


# --- syncs and their live progress -----------------------------------------------------------


def running_run(tenant: Tenant, *, seen: int = 10, done: int = 4) -> SyncRun:
    now = timezone.now()
    return SyncRun.objects.create(
        tenant=tenant,
        status=SyncRun.Status.RUNNING,
        started_at=now - timedelta(minutes=2),
        heartbeat_at=now,
        users_seen=seen,
        users_done=done,
        counts={"users": {"created": 3, "updated": 1, "unchanged": 2, "deleted": 0}},
        requests=17,
    )


def test_the_last_and_the_running_sync_show_with_a_progress_bar(client, superuser, tenant):
    last = SyncRun.objects.get(tenant=tenant)
    current = running_run(tenant)
    client.force_login(superuser)

    (board,) = dashboard_for(superuser).tenants
    page = client.get(INDEX).content.decode()

    assert board.sync.last.pk == last.pk and board.sync.last.status == "succeeded"
    assert board.sync.current.pk == current.pk and board.sync.current.percent == 40
    progress_url = reverse("admin:sync_syncrun_progress", args=[current.pk])
    assert f'data-progress-url="{progress_url}"' in page
    assert '<progress class="zd-progress" max="100" value="40">' in page
    # Drawn offline: every script and stylesheet is the admin's own, the dashboard's inline.
    assert set(re.findall(r'<script src="([^"]+)"', page)) <= static_files(page)
    assert set(re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)) <= static_files(page)
    assert "://" not in page.split('<div id="zoom-dashboard">')[1].split("</script>")[0]


def test_the_progress_json_follows_the_run(client, superuser, tenant):
    run = running_run(tenant, seen=8, done=2)
    client.force_login(superuser)
    url = reverse("admin:sync_syncrun_progress", args=[run.pk])

    first = client.get(url).json()
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.SUCCEEDED, users_done=8, finished_at=timezone.now()
    )
    second = client.get(url).json()

    assert first["running"] is True and first["percent"] == 25 and first["records"] == 6
    assert (first["users_done"], first["users_seen"], first["requests"]) == (2, 8, 17)
    assert second["running"] is False and second["percent"] == 100
    assert second["status_display"] == "Succeeded"


def test_a_running_sync_whose_worker_went_silent_says_so(client, superuser, tenant, settings):
    run = running_run(tenant)
    SyncRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.ZOOM_SYNC_STALE_SECONDS + 5)
    )
    client.force_login(superuser)

    (board,) = dashboard_for(superuser).tenants
    answer = client.get(reverse("admin:sync_syncrun_progress", args=[run.pk])).json()
    page = client.get(INDEX).content.decode()

    assert board.sync.current.stalled and answer["stalled"]
    assert '<span class="zd-warn zd-live-stalled">(its worker went silent' in page


def test_an_applications_index_keeps_its_model_list_without_the_dashboard(
    client, superuser, tenant
):
    client.force_login(superuser)

    page = client.get(reverse("admin:app_list", args=["users"])).content.decode()

    assert "zoom-dashboard" not in page and tenant.name not in page
    assert reverse("admin:users_zoomuser_changelist") in page


# --- tenants ----------------------------------------------------------------------------------


def test_a_staff_member_sees_nothing_of_another_tenant(
    client, staff, tenant, other_tenant, zoom_settings
):
    theirs = SyncRun.objects.get(tenant=other_tenant, status=SyncRun.Status.RUNNING)
    client.force_login(staff)
    before = zoom_settings.state.stats.requests_total

    board = dashboard_for(staff)
    page = client.get(INDEX).content.decode()
    progress = client.get(reverse("admin:sync_syncrun_progress", args=[theirs.pk]))

    assert [t.tenant for t in board.tenants] == [tenant]
    assert other_tenant.name not in page
    assert not [url for url in links(page) if f"tenant__id__exact={other_tenant.pk}" in url]
    assert f"/admin/sync/syncrun/{theirs.pk}/" not in page
    assert progress.status_code == 404
    assert zoom_settings.state.stats.requests_total == before  # nothing asked Zoom


def test_a_superuser_sees_every_tenant_and_unrouted_events(client, superuser, tenant, other_tenant):
    WebhookEvent.objects.create(
        account_id="nobody", event="user.created", dedupe_key="u1", status="unrouted"
    )
    client.force_login(superuser)

    board = dashboard_for(superuser)
    page = client.get(INDEX).content.decode()

    assert {t.tenant for t in board.tenants} == {tenant, other_tenant}
    assert board.unrouted.count == 1 and listed(client, board.unrouted.url) == 1
    assert tenant.name in page and other_tenant.name in page


def test_a_section_needs_the_view_permission_of_its_records(client, django_user_model, tenant):
    user = django_user_model.objects.create_user("viewer", "v@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_zoomuser"))
    TenantMembership.objects.create(tenant=tenant, user=user)
    client.force_login(user)

    (board,) = dashboard_for(user).tenants
    page = client.get(INDEX).content.decode()

    assert board.users is not None and board.licenses is not None
    assert board.sync is board.weeks is board.registrants is board.webhooks is board.jobs is None
    assert "zd-users" in page and "zd-weeks" not in page and "zd-sync" not in page


def test_a_staff_member_of_no_tenant_is_told_so(client, django_user_model, tenant):
    user = django_user_model.objects.create_user("lonely", "l@example.com", "pw", is_staff=True)
    client.force_login(user)

    page = client.get(INDEX).content.decode()

    assert "not a member of any Zoom account" in page and tenant.name not in page


def test_a_tenant_that_needs_reauthorization_says_why_with_a_reconnect_link(
    client, superuser, tenant
):
    Tenant.objects.filter(pk=tenant.pk).update(
        status=Tenant.Status.REAUTHORIZATION_REQUIRED, status_reason="Invalid Token!"
    )
    client.force_login(superuser)

    (board,) = dashboard_for(superuser).tenants
    page = client.get(INDEX).content.decode()

    assert "Needs re-authorization" in page and "Invalid Token!" in page
    assert board.reconnect_url and board.sync_url is None
    assert f'href="{board.reconnect_url}"'.replace("&", "&amp;") in page


# --- cost -------------------------------------------------------------------------------------


def fill(tenant: Tenant, *, users: int, now: datetime, start: int = 0) -> None:
    """``users`` users of the tenant, as many meetings, webinars and registrants, a few
    webhook events and bulk jobs, and a finished and a running sync."""
    stored = ZoomUser.objects.bulk_create(
        ZoomUser(
            tenant=tenant,
            zoom_id=f"u{n}",
            email=f"u{n}@example.com",
            type=(1, 2)[n % 2],
            status=("active", "inactive", "pending")[n % 3],
            last_login_time=now - timedelta(days=n % 120),
            zoom_created_at=now - timedelta(days=400),
            synced_at=now,
        )
        for n in range(start, start + users)
    )
    meetings = Meeting.objects.bulk_create(
        Meeting(
            tenant=tenant,
            zoom_id=10_000 + n,
            host=user,
            topic=f"m{n}",
            type=2,
            start_time=now + timedelta(hours=n % 700),
            approval_type=1,
            synced_at=now,
        )
        for n, user in zip(range(start, start + users), stored, strict=True)
    )
    webinars = Webinar.objects.bulk_create(
        Webinar(
            tenant=tenant,
            zoom_id=20_000 + m.zoom_id,
            topic="w",
            start_time=m.start_time,
            synced_at=now,
        )
        for m in meetings
    )
    MeetingRegistrant.objects.bulk_create(
        MeetingRegistrant(tenant=tenant, meeting=m, zoom_id="r", status="pending", synced_at=now)
        for m in meetings
    )
    WebinarRegistrant.objects.bulk_create(
        WebinarRegistrant(tenant=tenant, webinar=w, zoom_id="r", status="pending", synced_at=now)
        for w in webinars
    )
    WebhookEvent.objects.bulk_create(
        WebhookEvent(tenant=tenant, event="user.updated", dedupe_key=f"{tenant.pk}-{n}", status=s)
        for n, s in enumerate(("processed", "failed"), start=start)
    )
    BulkJob.objects.bulk_create(
        BulkJob(tenant=tenant, operation="users.deactivate", title="j", status=s)
        for s in ("failed", "done")
    )
    if not SyncRun.objects.filter(tenant=tenant).exists():
        SyncRun.objects.create(
            tenant=tenant, status="succeeded", started_at=now, heartbeat_at=now, finished_at=now
        )
        running_run(tenant)


def queries_of_the_index(client: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INDEX).status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["superuser", "staff"])
def test_the_index_costs_the_same_queries_for_1_or_3_tenants_and_5_or_500_users(
    client, django_user_model, who
):
    now = timezone.now()
    first = Tenant.objects.create(account_id="a1", name="First", connection="s2s")
    fill(first, users=5, now=now)
    if who == "superuser":
        user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    else:
        user = django_user_model.objects.create_user("staff", "s@example.com", "pw", is_staff=True)
        user.user_permissions.set(Permission.objects.all())
        TenantMembership.objects.create(tenant=first, user=user)
    client.force_login(user)
    queries_of_the_index(client)  # the first request caches what every later one reuses

    small = queries_of_the_index(client)
    fill(first, users=495, now=now, start=5)
    for n in (2, 3):
        more = Tenant.objects.create(account_id=f"a{n}", name=f"Tenant {n}", connection="s2s")
        fill(more, users=500, now=now)
        if who == "staff":
            TenantMembership.objects.create(tenant=more, user=user)
    large = queries_of_the_index(client)

    assert len(dashboard_for(user).tenants) == 3
    assert ZoomUser.objects.filter(tenant=first).count() == 500
    assert large == small
