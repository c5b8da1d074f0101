"""The first run's tenant (``manage.py zoom_demo``, which ``scripts/run`` calls) is connected
through the OAuth screens a person goes through, not behind them: allauth's confirmation, the
sandbox's sign-in and consent page with the account's owner chosen and **Allow**, and the
callback; and a tenant just connected, there or from the admin, is synced at once
(``ZOOM_SYNC_ON_CONNECT``)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, seed_account
from zoomadmin.sync.models import SyncRun
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.services import tenant_connect_server_to_server


def demo(zoom, **options) -> str:
    out = StringIO()
    call_command("zoom_demo", sandbox_url=zoom.url, host="127.0.0.1:8000", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")


@pytest.fixture
def first_run(zoom, settings):
    """The sandbox as `manage.py zoom_sandbox` serves it: its consent page on, two accounts."""
    settings.ZOOM_SYNC_ON_CONNECT = True  # the product's default (tests turn it off)
    zoom.config.update(consent_page=True)
    return seed_account(zoom.state, users=4, seed=2)


def test_the_first_account_is_connected_through_the_consent_page_by_its_owner_and_synced(
    zoom, zoom_account, first_run, superuser, django_capture_on_commit_callbacks
):
    second = first_run
    owner = zoom_account.users[zoom_account.owner_id]

    with django_capture_on_commit_callbacks(execute=True):
        output = demo(zoom)

    tenant = Tenant.objects.get()
    assert tenant.account_id == zoom_account.id
    assert tenant.connection == Tenant.Connection.OAUTH
    assert tenant.status == Tenant.Status.CONNECTED
    assert list(tenant.members.all()) == [superuser]
    # Zoom's side: one grant, the owner's, and the code went back to the app's callback.
    grants = list(zoom.state.grants.values())
    assert [(g.account_id, g.user_id) for g in grants] == [(zoom_account.id, owner["id"])]
    assert f"signed in to the sandbox as {owner['email']}" in output
    assert f"Sandbox account {second.id} ({second.name}) is not connected" in output
    # Its first sync ran (inline here; on the worker cluster in a real run), queued by the
    # connect itself.
    run = SyncRun.objects.get(tenant=tenant)
    assert (run.trigger, run.status) == ("connect", SyncRun.Status.SUCCEEDED)

    again = demo(zoom)

    assert f"Sandbox account {zoom_account.id} is the tenant {tenant}." in again
    assert len(zoom.state.grants) == 1  # not authorized a second time
    assert SyncRun.objects.filter(tenant=tenant).count() == 1


def test_a_sandbox_started_anew_has_the_tenant_connected_again_not_left_failing(
    zoom, zoom_account, first_run, superuser, django_capture_on_commit_callbacks
):
    demo(zoom, no_sync=True)
    tenant = Tenant.objects.get()
    with zoom.state.lock:  # the next scripts/run: a new sandbox, which knows no grant
        zoom.state.grants.clear()
        zoom.state.refresh_tokens.clear()
        zoom.state.access_tokens.clear()

    with django_capture_on_commit_callbacks(execute=True):
        output = demo(zoom)

    tenant.refresh_from_db()
    assert tenant.status == Tenant.Status.CONNECTED
    assert "through the OAuth screens" in output
    assert len(zoom.state.grants) == 1
    run = SyncRun.objects.get(tenant=tenant)
    assert (run.trigger, run.status) == ("connect", SyncRun.Status.SUCCEEDED)


def test_a_refused_consent_fails_loudly_and_connects_nothing(
    zoom, zoom_account, first_run, superuser
):
    owner = zoom_account.users[zoom_account.owner_id]
    with zoom.state.lock:
        owner["status"] = "inactive"  # cannot sign in to Zoom: the page does not list them

    with pytest.raises(CommandError, match=owner["email"]):
        demo(zoom)

    assert not Tenant.objects.exists()


def test_a_tenant_connected_from_the_admin_is_synced_at_once(
    zoom, zoom_account, superuser, settings, django_capture_on_commit_callbacks
):
    settings.ZOOM_SYNC_ON_CONNECT = True
    with django_capture_on_commit_callbacks(execute=True):
        tenant = tenant_connect_server_to_server(
            account_id=zoom_account.id,
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            user=superuser,
        )

    run = SyncRun.objects.get(tenant=tenant)
    assert (run.trigger, run.status) == ("connect", SyncRun.Status.SUCCEEDED)


def test_with_sync_on_connect_off_a_new_tenant_waits_for_its_schedule(
    zoom, zoom_account, superuser, settings, django_capture_on_commit_callbacks
):
    settings.ZOOM_SYNC_ON_CONNECT = False
    with django_capture_on_commit_callbacks(execute=True):
        tenant_connect_server_to_server(
            account_id=zoom_account.id,
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            user=superuser,
        )

    assert not SyncRun.objects.exists()
