"""Signing in, and a sync started with "Sync now" whose progress a person watches to the end."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, wait_for
from zoomadmin.sync.models import SyncRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_signing_in_leads_to_the_dashboard_of_the_connected_account(
    page, steps, tenant, admin_user, sandbox
):
    sign_in(page, steps, admin_user.username)

    panel = page.locator("#zoom-dashboard")
    expect(panel).to_contain_text(str(tenant))
    users = sandbox.state.default_account.users
    expect(panel.locator(".zd-users h3")).to_have_text(f"Users: {len(users)}")
    steps("the dashboard")


def test_sync_now_runs_a_sync_whose_progress_reaches_done(page, signed_in, steps, tenant, sandbox):
    # Slow enough Zoom for the progress to be seen moving (a second or two).
    sandbox.config.update(latency_seconds=0.05)
    before = set(SyncRun.objects.values_list("pk", flat=True))
    page.goto(f"/admin/tenants/tenant/{tenant.pk}/change/")
    steps("the tenant page")

    # Django-q2 runs tasks inline under test: the sync runs in the request of "Sync now", so a
    # second tab watches it (the way a person would keep the dashboard open).
    page.get_by_role("button", name="Sync now").click(no_wait_after=True)
    run = wait_for(lambda: SyncRun.objects.exclude(pk__in=before).first(), what="the sync to start")
    watcher = page.context.new_page()
    watcher.goto("/admin/")
    live = watcher.locator(f'.zd-live[data-progress-url$="/{run.pk}/progress/"]')
    expect(live.locator(".zd-live-status")).to_have_text("Running")
    steps("the sync running, on the dashboard", page=watcher)
    expect(live.locator(".zd-live-status")).to_have_text("Succeeded", timeout=30_000)
    expect(live.locator("progress")).to_have_attribute("value", "100")
    steps("the sync done, on the dashboard", page=watcher)

    expect(page).to_have_url(re.compile(rf"/admin/tenants/tenant/{tenant.pk}/change/$"))
    expect(page.locator(".messagelist")).to_contain_text("Queued a sync of “")
    steps("back on the tenant page")
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.users_done == run.users_seen == len(sandbox.state.default_account.users)
