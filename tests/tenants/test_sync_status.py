"""A tenant's sync in the admin: its page shows the running sync with a progress bar that its
JSON (``…/tenant/<pk>/sync-status/``) keeps moving, the last finished run and the queued syncs
that were skipped; "Sync now" is on each row of the tenant list too. All of it is scoped to the
user's tenants (another tenant's answers 404) and asks Zoom nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.tasks import enqueue_tenant_sync
from zoomadmin.tenants.models import Tenant, TenantMembership
from zoomadmin.tenants.services import tenant_connect_server_to_server

LIST = "/admin/tenants/tenant/"


@pytest.fixture
def tenant(zoom_settings, staff_a):
    """A tenant on the sandbox's account, staff_a a member (and of tenant_a only besides)."""
    tenant = tenant_connect_server_to_server(
        account_id=zoom_settings.state.default_account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=staff_a,
        name="Sandbox",
    )
    TenantMembership.objects.get_or_create(tenant=tenant, user=staff_a)
    return tenant


@pytest.fixture
def zoom_requests(zoom_settings):
    return lambda: zoom_settings.state.stats.requests_total


def running(tenant: Tenant, *, seen: int, done: int) -> SyncRun:
    now = timezone.now()
    return SyncRun.objects.create(
        tenant=tenant,
        started_at=now - timedelta(seconds=30),
        heartbeat_at=now,
        users_seen=seen,
        users_done=done,
        counts={"users": {"created": seen, "updated": 0, "unchanged": 0, "deleted": 0}},
        requests=17,
    )


def status_url(tenant: Tenant) -> str:
    return f"/admin/tenants/tenant/{tenant.pk}/sync-status/"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_tenant_page_shows_the_running_sync_and_its_json_keeps_it_moving(
    client, staff_a, tenant, zoom_requests
):
    run = running(tenant, seen=10, done=4)
    client.force_login(staff_a)
    asked = zoom_requests()

    page = client.get(f"/admin/tenants/tenant/{tenant.pk}/change/").content.decode()
    first = client.get(status_url(tenant))
    SyncRun.objects.filter(pk=run.pk).update(users_done=9, heartbeat_at=timezone.now())
    later = client.get(status_url(tenant)).json()

    assert 'id="sync-status"' in page and f'data-status-url="{status_url(tenant)}"' in page
    assert '<progress id="sync-bar"' in page and 'value="40"' in page
    assert "4 of 10 users done; 10 records, 17 requests" in page
    assert "Not synced yet." in page  # nothing finished before
    section = page.split('id="sync-status"')[1].split("</script>")[0]
    assert "http" not in section  # nothing from elsewhere: no CDN, the page draws it
    assert first.status_code == 200 and "no-store" in first["Cache-Control"]
    data = first.json()
    assert data["running"] is True
    assert data["current"]["id"] == run.pk and data["current"]["percent"] == 40
    assert data["current"]["url"] == f"/admin/sync/syncrun/{run.pk}/change/"
    assert later["current"]["percent"] == 90 and later["current"]["users_done"] == 9
    assert zoom_requests() == asked  # the page and its JSON ask Zoom nothing


def test_a_finished_run_is_the_last_one_and_nothing_runs(client, staff_a, tenant):
    run = running(tenant, seen=3, done=3)
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.INTERRUPTED,
        finished_at=timezone.now(),
        message="Stopped with its worker (3 of 3 users walked).",
    )
    client.force_login(staff_a)

    data = client.get(status_url(tenant)).json()
    page = client.get(f"/admin/tenants/tenant/{tenant.pk}/change/").content.decode()

    assert data["running"] is False and data["current"] is None
    assert data["last"]["status"] == "interrupted"
    assert "No sync is running." in page
    assert "sync, interrupted</a>" in page and "Stopped with its worker" in page


def test_another_tenants_sync_answers_404_and_asks_zoom_nothing(
    client, staff_a, tenant, zoom_requests
):
    other = Tenant.objects.create(account_id="other-account", name="Other", connection="s2s")
    running(other, seen=5, done=1)
    client.force_login(staff_a)
    asked = zoom_requests()

    assert client.get(status_url(other)).status_code == 404
    assert client.post(f"/admin/tenants/tenant/{other.pk}/sync/").status_code == 404
    assert client.get(f"/admin/tenants/tenant/{other.pk}/change/").status_code == 404
    listing = client.get(LIST).content.decode()

    assert f"/admin/tenants/tenant/{other.pk}/sync/" not in listing
    assert SyncRun.objects.filter(tenant=other).count() == 1
    assert zoom_requests() == asked


def test_sync_now_on_a_row_of_the_tenant_list_syncs_it_and_comes_back_to_the_list(
    client, staff_a, tenant, tenant_a, django_capture_on_commit_callbacks
):
    tenant_a.status = Tenant.Status.DISCONNECTED
    tenant_a.save()
    client.force_login(staff_a)

    listing = client.get(LIST).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/tenants/tenant/{tenant.pk}/sync/", {"_sync_from_list": "1", "action": ""}
        )

    # The button belongs to the list's own form (its CSRF token) and posts to "Sync now".
    assert listing.count(">Sync now</button>") == 1
    assert f'formaction="/admin/tenants/tenant/{tenant.pk}/sync/"' in listing
    assert response.status_code == 302 and response["Location"] == LIST
    assert messages_of(response) == [f"Queued a sync of “{tenant}” for the workers."]
    # Tasks run inline under test: the sync ran.
    assert SyncRun.objects.get(tenant=tenant).status == SyncRun.Status.SUCCEEDED


def test_sync_now_while_a_sync_runs_queues_nothing_and_says_so(client, staff_a, tenant):
    running(tenant, seen=10, done=2)
    client.force_login(staff_a)

    response = client.post(f"/admin/tenants/tenant/{tenant.pk}/sync/")

    assert messages_of(response) == [f"Already syncing, not queued again: “{tenant}”."]
    assert SyncRun.objects.filter(tenant=tenant).count() == 1


def test_a_queued_sync_that_was_skipped_says_so_on_the_tenant_page(
    client, staff_a, tenant, django_capture_on_commit_callbacks
):
    running(tenant, seen=10, done=2)
    # The schedule queues a sync while this one runs (tasks run inline under test).
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_tenant_sync(tenant.pk, trigger="schedule")
    client.force_login(staff_a)

    data = client.get(status_url(tenant)).json()
    page = client.get(f"/admin/tenants/tenant/{tenant.pk}/change/").content.decode()

    assert SyncRun.objects.filter(tenant=tenant).count() == 1  # it started nothing
    assert [skip["trigger"] for skip in data["skipped"]] == ["schedule"]
    assert "because a sync of this account was running" in page
    assert "the sync queued by schedule, at " in page
