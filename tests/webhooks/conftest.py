"""Fixtures of the webhook tests: a synced tenant of the sandbox (as the write tests have), and
``deliver``: the sandbox's change announcements, signed and posted to ``/webhooks/zoom/`` the
way Zoom delivers them."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.users.conftest import (  # noqa: F401
    admin_client,
    admin_user,
    fast_zoom,
    tenant,
    zoom_requests,
)
from webhooks.signature import sign

SECRET = "sandbox-webhook-secret"


class Outbox:
    """What the sandbox announced, as Zoom's webhook envelopes, until delivered."""

    def __init__(self) -> None:
        self.envelopes: list[dict[str, Any]] = []

    def __call__(self, event: str, account_id: str, payload: dict[str, Any]) -> None:
        self.envelopes.append(
            {"event": event, "event_ts": int(time.time() * 1000), "payload": dict(payload)}
        )

    def take(self, event: str | None = None) -> list[dict[str, Any]]:
        taken = [e for e in self.envelopes if event is None or e["event"] == event]
        self.envelopes = [e for e in self.envelopes if e not in taken]
        return taken


@pytest.fixture
def outbox(sandbox, settings) -> Outbox:
    settings.ZOOM_WEBHOOK_SECRET_TOKENS = [SECRET]
    box = Outbox()
    sandbox.state.listeners.append(box)
    return box


@pytest.fixture
def deliver(client):
    def post(envelope: dict[str, Any]) -> int:
        body = json.dumps(envelope).encode()
        timestamp = str(int(time.time()))
        response = client.post(
            "/webhooks/zoom/",
            body,
            content_type="application/json",
            HTTP_X_ZM_REQUEST_TIMESTAMP=timestamp,
            HTTP_X_ZM_SIGNATURE=sign(SECRET, timestamp, body),
        )
        return response.status_code

    return post
