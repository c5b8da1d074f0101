"""The sandbox sends its changes as Zoom sends event notifications (FACTS.md §3.1-§3.5):
Zoom's envelope and headers, signed with the secret token, retried only after a 5xx or no
answer, three times; duplicated or delayed on request."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from zoomadmin.sandbox.state import DEFAULT_CLIENT_ID

SECRET = "receiver-secret"


class Receiver:
    """A loopback endpoint that records each delivery and answers with the next status."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.deliveries: list[tuple[dict, bytes]] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/zoom/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, seconds: float = 5.0) -> None:
        deadline = time.time() + seconds
        while len(self.deliveries) < count and time.time() < deadline:
            time.sleep(0.01)
        assert len(self.deliveries) >= count, self.deliveries


@pytest.fixture
def receiver(sandbox):
    made = []

    def make(statuses: list[int] | None = None, **config) -> Receiver:
        endpoint = Receiver(statuses)
        made.append(endpoint)
        sandbox.webhooks.attach()
        sandbox.config.update(webhook_url=endpoint.url, webhook_secret=SECRET, **config)
        return endpoint

    yield make
    sandbox.config.update(webhook_url="")
    for endpoint in made:
        endpoint.server.shutdown()


def change_a_user(sandbox) -> str:
    account = sandbox.state.default_account
    user = next(u for u in account.users.values() if u["status"] == "active")
    token = sandbox.state.issue_tokens()["access_token"]
    request = urllib.request.Request(
        f"{sandbox.api_base_url}/users/{user['id']}",
        data=json.dumps({"job_title": "Changed in Zoom"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="PATCH",
    )
    urllib.request.urlopen(request, timeout=5).close()
    return user["id"]


def test_a_change_is_posted_in_zoom_s_envelope_signed_with_the_secret(sandbox, receiver):
    endpoint = receiver()
    user_id = change_a_user(sandbox)
    endpoint.wait(1)
    headers, body = endpoint.deliveries[0]
    envelope = json.loads(body)
    # FACTS.md §3.5: {"event", "event_ts" (ms), "payload": {"account_id", "object", …}}.
    assert envelope["event"] == "user.updated"
    assert abs(envelope["event_ts"] / 1000 - time.time()) < 60
    assert envelope["payload"]["account_id"] == sandbox.state.default_account.id
    assert envelope["payload"]["object"] == {"id": user_id, "job_title": "Changed in Zoom"}
    # §3.2: v0= + hex(HMAC-SHA256(secret token, "v0:" + timestamp + ":" + body)).
    message = b"v0:" + headers["x-zm-request-timestamp"].encode() + b":" + body
    expected = "v0=" + hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert headers["x-zm-signature"] == expected
    assert headers["user-agent"] == "Zoom Marketplace/1.0a"
    assert headers["content-type"].startswith("application/json")
    assert headers["x-zm-request-id"]


def test_a_5xx_is_retried_three_times_then_dropped(sandbox, receiver):
    # §3.4: "Retries only for HTTP ≥500 … 3 retries … then dropped."
    endpoint = receiver([500, 503, 502, 500], webhook_retry_delays=[0.05, 0.05, 0.05])
    change_a_user(sandbox)
    endpoint.wait(4)
    time.sleep(0.3)
    assert len(endpoint.deliveries) == 4
    assert sandbox.state.stats.webhooks_dropped == 1
    assert len({body for _, body in endpoint.deliveries}) == 1  # the same event each time


def test_a_4xx_is_not_retried(sandbox, receiver):
    endpoint = receiver([401], webhook_retry_delays=[0.05, 0.05, 0.05])
    change_a_user(sandbox)
    endpoint.wait(1)
    time.sleep(0.3)
    assert len(endpoint.deliveries) == 1


def test_deliveries_can_be_duplicated_for_a_receiver_s_tests(sandbox, receiver):
    endpoint = receiver(webhook_duplicate_rate=1.0)
    change_a_user(sandbox)
    endpoint.wait(2)
    (_, first), (_, second) = endpoint.deliveries
    assert first == second


def test_app_deauthorized_is_sent_legacy_shaped(sandbox, receiver):
    # Marketplace webhooks: no top-level event_ts; payload.event_ts a string (FACTS.md §3.5).
    endpoint = receiver()
    sandbox.state.deauthorize(sandbox.state.default_account.id, DEFAULT_CLIENT_ID)
    endpoint.wait(1)
    envelope = json.loads(endpoint.deliveries[0][1])
    assert envelope["event"] == "app_deauthorized"
    assert "event_ts" not in envelope
    assert isinstance(envelope["payload"]["event_ts"], str)
