"""End to end: a change made "in Zoom" (the sandbox's API) is sent by the sandbox as a signed
event notification to the running app, which applies it: the record changes with no sync."""

from __future__ import annotations

import time

import pytest

from users.models import ZoomUser
from webhooks.models import WebhookEvent
from zoomadmin.sandbox.api.users import ADMIN_ROLE, OWNER_ROLE
from zoomadmin.tenants.tokens import client_for_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_change_in_zoom_reaches_the_record_through_the_sandbox_s_webhook(
    live_server, tenant, sandbox, settings
):
    settings.ZOOM_WEBHOOK_SECRET_TOKENS = ["e2e-secret"]
    sandbox.webhooks.attach()
    sandbox.config.update(
        webhook_url=f"{live_server.url}/webhooks/zoom/", webhook_secret="e2e-secret"
    )
    user = next(
        u
        for u in sandbox.state.default_account.users.values()
        if u["status"] == "active" and u["role_id"] not in (OWNER_ROLE, ADMIN_ROLE)
    )
    try:
        client_for_tenant(tenant).update_user(user["id"], {"dept": "Arrived by webhook"})
        stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
        events = WebhookEvent.objects.filter(event="user.updated")
        deadline = time.time() + 10
        # The record changes first, then the batch's outcome is written: wait for both.
        while time.time() < deadline and not (
            stored.dept == "Arrived by webhook"
            and events.filter(status=WebhookEvent.Status.PROCESSED).exists()
        ):
            time.sleep(0.05)
            stored.refresh_from_db()
    finally:
        sandbox.config.update(webhook_url="")
    assert stored.dept == sandbox.state.default_account.users[user["id"]]["dept"]
    assert events.get().status == "processed"
