"""The tenant's page shows its running sync with a progress bar that moves while a person
watches (the page polls its sync-status JSON; nothing is reloaded), then the run's end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from zoomadmin.sync.models import SyncRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_progress_bar_of_a_running_sync_moves_on_the_tenant_page_to_its_end(
    signed_in, steps, tenant
):
    page = signed_in
    now = timezone.now()
    # A sync that a worker is running (its progress written as it goes).
    run = SyncRun.objects.create(
        tenant=tenant,
        started_at=now - timedelta(seconds=20),
        heartbeat_at=now,
        users_seen=10,
        users_done=3,
        requests=40,
    )
    page.goto(f"/admin/tenants/tenant/{tenant.pk}/change/")
    panel = page.locator("#sync-status")
    expect(panel.locator("#sync-current-status")).to_have_text("Running")
    expect(panel.locator("#sync-bar")).to_have_attribute("value", "30")
    expect(panel.locator("#sync-current-stalled")).to_be_hidden()  # its worker is alive
    panel.scroll_into_view_if_needed()
    steps("a sync running, on the tenant page")

    SyncRun.objects.filter(pk=run.pk).update(users_done=8, heartbeat_at=timezone.now())
    expect(panel.locator("#sync-bar")).to_have_attribute("value", "80", timeout=10_000)
    expect(panel.locator("#sync-counts")).to_contain_text("8 of 10 users done")
    steps("its progress moved, the page not reloaded")

    SyncRun.objects.filter(pk=run.pk).update(
        users_done=10,
        status=SyncRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    expect(panel.locator("#sync-idle")).to_be_visible(timeout=10_000)
    expect(panel.locator("#sync-last")).to_contain_text("succeeded")
    steps("the sync done")
