"""``/webhooks/zoom/``: Zoom's signature and challenge, checked against the project's copy of
Zoom's published webhook examples; verified events stored once and routed; every malformed or
forged request refused with a 4xx and no trace."""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections import Counter
from pathlib import Path

import pytest
from django.test import Client

from webhooks.models import WebhookEvent
from webhooks.signature import MAX_SKEW_SECONDS, challenge_answer, sign
from zoomadmin.tenants.models import Tenant

pytestmark = pytest.mark.django_db

EXAMPLES = json.loads(
    (
        Path(__file__).resolve().parents[1] / "fixtures" / "zoom" / "webhook-examples.json"
    ).read_text()
)
VECTORS = EXAMPLES["signature_test_vectors"]["computed_locally_not_published_by_zoom"]
URL = "/webhooks/zoom/"
SECRET = "test_secret_token"


def example(event: str) -> dict:
    """Zoom's published example request body for ``event`` (a fresh copy)."""
    found = next(e for e in EXAMPLES["examples"] if e["event"] == event and "request_body" in e)
    return copy.deepcopy(found["request_body"])


@pytest.fixture(autouse=True)
def secret(settings):
    settings.ZOOM_WEBHOOK_SECRET_TOKENS = [SECRET]


def post(client: Client, body: bytes, *, timestamp: str | None = None, signature=None, **headers):
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    signature = sign(SECRET, timestamp, body) if signature is None else signature
    extra = {"HTTP_X_ZM_REQUEST_TIMESTAMP": timestamp, "HTTP_X_ZM_SIGNATURE": signature}
    extra.update(headers)
    return client.post(URL, body, content_type="application/json", **extra)


def test_the_signature_is_zoom_s_hmac_of_timestamp_and_body():
    # FACTS.md §3.2: "v0=" + hex(HMAC-SHA256(secret token, "v0:" + timestamp + ":" + body)).
    vector = VECTORS[0]
    assert (
        sign(vector["secret"], vector["x_zm_request_timestamp"], vector["raw_body"].encode())
        == vector["expected_x_zm_signature"]
    )


def test_the_challenge_is_answered_with_zoom_s_encrypted_token(client):
    vector = VECTORS[1]
    assert challenge_answer(vector["secret"], vector["plainToken"]) == {
        "plainToken": vector["plainToken"],
        "encryptedToken": vector["expected_encryptedToken"],
    }
    body = json.dumps(example("endpoint.url_validation")).encode()
    response = post(client, body)
    plain = example("endpoint.url_validation")["payload"]["plainToken"]
    assert response.status_code == 200
    assert response.json() == challenge_answer(SECRET, plain)
    assert not WebhookEvent.objects.exists()


def test_an_unsigned_challenge_is_refused(client):
    # Answered unsigned, the endpoint would compute HMACs of anything for anyone.
    body = json.dumps(example("endpoint.url_validation")).encode()
    response = post(client, body, signature="v0=" + "0" * 64)
    assert response.status_code == 401
    assert "encryptedToken" not in response.content.decode()


def test_a_verified_event_is_stored_routed_and_a_duplicate_counted_once(
    client, django_capture_on_commit_callbacks
):
    envelope = example("meeting.started")
    tenant = Tenant.objects.create(
        account_id=envelope["payload"]["account_id"], name="Example", connection="s2s"
    )
    body = json.dumps(envelope).encode()
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, body, HTTP_X_ZM_REQUEST_ID="req-1")
        again = post(client, body, HTTP_X_ZM_REQUEST_ID="req-2")  # Zoom's retry of it
    assert (first.status_code, again.status_code) == (200, 200)
    event = WebhookEvent.objects.get()
    assert (event.event, event.event_ts, event.account_id) == (
        "meeting.started",
        envelope["event_ts"],
        envelope["payload"]["account_id"],
    )
    assert event.payload == envelope
    assert event.deliveries == 2
    assert event.tenant == tenant  # routed by payload.account_id (the task ran inline)


def test_a_retry_with_a_new_download_token_is_the_same_event(client):
    """``recording.completed`` carries a ``download_token`` beside its payload (Zoom's
    example): a retry may renew it, and is still the one event."""
    envelope = example("recording.completed")
    assert "download_token" in envelope
    retry = {**envelope, "download_token": envelope["download_token"] + "-renewed"}
    assert post(client, json.dumps(envelope).encode()).status_code == 200
    assert post(client, json.dumps(retry).encode()).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.deliveries == 2


def test_an_event_of_an_account_no_tenant_has_is_kept_unrouted(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, json.dumps(example("user.created")).encode())
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.UNROUTED
    assert event.tenant is None


def test_an_old_and_a_new_secret_are_both_accepted_while_rotating(client, settings):
    settings.ZOOM_WEBHOOK_SECRET_TOKENS = ["new-token", SECRET]
    assert post(client, json.dumps(example("user.created")).encode()).status_code == 200


def test_app_deauthorized_keeps_its_event_time_from_inside_the_payload(client):
    # Marketplace webhooks: app_deauthorized has no top-level event_ts (FACTS.md §3.5).
    envelope = example("app_deauthorized")
    assert "event_ts" not in envelope
    assert post(client, json.dumps(envelope).encode()).status_code == 200
    # Zoom's published example: "event_ts": "2024-09-08 15:58:40" (a string, read as UTC).
    assert envelope["payload"]["event_ts"] == "2024-09-08 15:58:40"
    assert WebhookEvent.objects.get().event_ts == 1725811120000


def _bad_requests() -> list[tuple[str, dict]]:
    """Each: (what it is, keyword arguments of one request)."""
    now = int(time.time())
    valid = [
        json.dumps(e["request_body"]).encode()
        for e in EXAMPLES["examples"]
        if "request_body" in e and e["event"] != "endpoint.url_validation"
    ]
    cases: list[tuple[str, dict]] = []
    for body in valid:
        ts = str(now)
        other = body.replace(b"}", b" }", 1)
        cases += [
            ("wrong signature", {"body": body, "signature": "v0=" + "ab" * 32}),
            ("wrong secret", {"body": body, "signature": sign("not-the-secret", ts, body)}),
            ("signature of another body", {"body": body, "signature": sign(SECRET, ts, other)}),
            ("no signature prefix", {"body": body, "signature": sign(SECRET, ts, body)[3:]}),
            ("upper-case signature", {"body": body, "signature": sign(SECRET, ts, body).upper()}),
            ("stale timestamp", {"body": body, "timestamp": str(now - MAX_SKEW_SECONDS - 30)}),
            ("future timestamp", {"body": body, "timestamp": str(now + MAX_SKEW_SECONDS + 30)}),
            ("timestamp in ms", {"body": body, "timestamp": str(now * 1000)}),
            ("non-numeric timestamp", {"body": body, "timestamp": "yesterday"}),
            ("negative timestamp", {"body": body, "timestamp": f"-{now}"}),
            ("duplicated signature", {"body": body, "duplicate_signature": True}),
            ("missing signature", {"body": body, "omit": "HTTP_X_ZM_SIGNATURE"}),
            ("missing timestamp", {"body": body, "omit": "HTTP_X_ZM_REQUEST_TIMESTAMP"}),
            ("replay beyond the window", {"body": body, "timestamp": str(now - 86400)}),
        ]
    for body in (
        b"not json",
        b"[1, 2, 3]",
        b'"a string"',
        b"",
        b"{}",
        b'{"event": 5}',
        b'{"event": "user.created", "payload": []}',
        b"\xff\xfe",
        b'{"event": "endpoint.url_validation", "payload": {}}',
    ):
        cases.append((f"malformed body {body[:20]!r}", {"body": body}))
    cases.append(("2 MB body", {"body": b'{"event": "x", "pad": "' + b"a" * 2_000_000 + b'"}'}))
    for method in ("get", "put", "delete", "patch"):
        cases.append((f"{method.upper()} request", {"method": method, "body": valid[0]}))
    return cases


def test_every_forged_or_malformed_request_is_refused_with_a_4xx_and_leaves_no_trace(
    client, capsys
):
    tally: Counter = Counter()
    cases = _bad_requests()
    for what, case in itertools.chain(cases, cases):  # every case twice: no state builds up
        body = case["body"]
        timestamp = case.get("timestamp", str(int(time.time())))
        signature = case.get("signature", sign(SECRET, timestamp, body))
        headers = {"HTTP_X_ZM_REQUEST_TIMESTAMP": timestamp, "HTTP_X_ZM_SIGNATURE": signature}
        if case.get("duplicate_signature"):
            headers["HTTP_X_ZM_SIGNATURE"] = f"{signature},{signature}"  # as WSGI joins repeats
        headers.pop(case.get("omit", ""), None)
        method = case.get("method", "post").upper()
        response = client.generic(method, URL, body, content_type="application/json", **headers)
        assert 400 <= response.status_code < 500, (what, response.status_code)
        tally[response.status_code] += 1
    assert not WebhookEvent.objects.exists()
    total = sum(tally.values())
    assert total >= 200
    with capsys.disabled():
        print(f"\n  webhook bad-input battery: {total} requests refused, by status {dict(tally)}")


def test_without_a_configured_secret_nothing_is_accepted(client, settings):
    settings.ZOOM_WEBHOOK_SECRET_TOKENS = []
    assert post(client, json.dumps(example("user.created")).encode()).status_code == 401
    assert not WebhookEvent.objects.exists()
