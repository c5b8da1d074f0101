"""``/webhooks/zoom/``: Zoom's event notification endpoint (SPEC §8).

Verify, store, answer; the work happens later on the worker cluster. Zoom wants an answer
within three seconds (FACTS.md §3.4), so this view does no Zoom call and one insert:

- POST only, CSRF-exempt (Zoom cannot send a token; the signature stands in for it);
- a body larger than ``ZOOM_WEBHOOK_MAX_BYTES`` is refused (413) before it is read;
- ``x-zm-signature`` must be Zoom's HMAC of ``v0:{x-zm-request-timestamp}:{body}`` under one
  of the configured secret tokens, with the timestamp within five minutes: otherwise 401 and
  nothing is stored. The URL-validation challenge is answered only when signed so, or the
  endpoint would compute HMACs of anything for anyone;
- a signed body that is not a JSON object with an ``event`` is refused with 400;
- a verified event is stored once (a duplicate delivery only counts up) and 200 answers; the
  worker cluster is asked to apply what was stored (at most one task per process a few times a
  second, ``webhooks.tasks.enqueue_drain``, not a task per event).

It runs without the admin's middleware (``webhooks.wsgi``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from datetime import UTC
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from webhooks.models import WebhookEvent
from webhooks.signature import challenge_answer, verifying_secret
from webhooks.tasks import enqueue_drain

VALIDATION_EVENT = "endpoint.url_validation"


@csrf_exempt
@require_POST
def zoom_webhook(request: HttpRequest) -> HttpResponse:
    secrets = settings.ZOOM_WEBHOOK_SECRET_TOKENS
    if not secrets:
        return _refuse(401, "No webhook secret token is configured here.")
    limit = settings.ZOOM_WEBHOOK_MAX_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _refuse(400, "Malformed Content-Length.")
    if length > limit:
        return _refuse(413, "Body too large.")
    body = request.body
    if len(body) > limit:
        return _refuse(413, "Body too large.")
    timestamp = _single(request, "x-zm-request-timestamp")
    signature = _single(request, "x-zm-signature")
    if timestamp is None or signature is None:
        return _refuse(401, "Missing or repeated signature headers.")
    secret = verifying_secret(
        secrets, timestamp=timestamp, signature=signature, body=body, now=time.time()
    )
    if secret is None:
        return _refuse(401, "Invalid signature.")
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return _refuse(400, "The body is not JSON.")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("event"), str):
        return _refuse(400, "The body is not a Zoom event.")
    if envelope["event"] == VALIDATION_EVENT:
        plain = (envelope.get("payload") or {}).get("plainToken")
        if not isinstance(plain, str) or not plain or len(plain) > 256:
            return _refuse(400, "The challenge carries no plainToken.")
        return JsonResponse(challenge_answer(secret, plain))
    if not isinstance(envelope.get("payload"), dict):
        return _refuse(400, "The event carries no payload.")
    _store(envelope, request_id=_single(request, "x-zm-request-id") or "")
    return HttpResponse(status=200)


def _store(envelope: dict[str, Any], *, request_id: str) -> None:
    """One statement: the event's row, or, for a duplicate delivery, one more to its count.
    (The ORM's create and its IntegrityError took as long as all the rest of the request: this
    is the receiver's whole cost, and Zoom may deliver hundreds a second.)"""
    text = canonical(envelope)
    fields = event_fields(envelope)
    row = {
        **fields,
        "request_id": request_id[:200],
        "payload": text,
        "status": WebhookEvent.Status.RECEIVED,
        "error": "",
        "note": "",
        "attempts": 0,
        "deliveries": 1,
        "received_at": connection.ops.adapt_datetimefield_value(timezone.now()),
    }
    sql, values = _insert_sql(tuple(row)), list(row.values())
    if connection.vendor == "postgresql":
        # psycopg's server-side binding (the values sent beside the query, not quoted into it
        # in Python) costs half of Django's client-side cursor here; never a prepared
        # statement, which a pooler in transaction mode would not know.
        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, values, prepare=False)
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
    enqueue_drain()


@functools.cache
def _insert_sql(columns: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    table = quote(WebhookEvent._meta.db_table)
    deliveries = quote("deliveries")
    return (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({quote('dedupe_key')}) "
        f"DO UPDATE SET {deliveries} = {table}.{deliveries} + 1"
    )


def canonical(envelope: dict[str, Any]) -> str:
    """The envelope as stored: JSON with sorted keys, the same text for the same content."""
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"))


def event_fields(envelope: dict[str, Any]) -> dict[str, Any]:
    """The columns of a stored event, from Zoom's envelope. ``app_deauthorized`` keeps its
    ``event_ts`` inside ``payload`` (FACTS.md §3.5).

    The key against duplicates ends with a digest of the payload: Zoom's retry of a delivery
    says the same; two changes of one object in one millisecond (two updates by a script) do
    not, and are two events. Not of the whole envelope: ``recording.completed`` carries a
    ``download_token`` beside the payload, which a retry may well renew."""
    payload = envelope.get("payload") or {}
    event_ts = event_time_ms(envelope.get("event_ts", payload.get("event_ts")))
    obj = payload.get("object") if isinstance(payload.get("object"), dict) else {}
    object_id = obj.get("uuid") or obj.get("id") or obj.get("email") or payload.get("user_id", "")
    registrant = obj.get("registrant")
    if isinstance(registrant, dict) and registrant.get("id"):
        # A registration event's object is the meeting: approving several of its registrants at
        # once makes as many events, of one meeting and maybe one millisecond.
        object_id = f"{object_id}/{registrant['id']}"
    account_id = str(payload.get("account_id") or "")[:64]
    key = f"{envelope['event']}:{event_ts}:{account_id}:{object_id}"
    return {
        "event": envelope["event"][:100],
        "event_ts": event_ts,
        "account_id": account_id,
        "object_id": str(obj.get("id") or obj.get("uuid") or "")[:200],
        "dedupe_key": f"{key[:283]}:{_digest(canonical(payload))}",
    }


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def event_time_ms(value: Any) -> int | None:
    """Zoom's ``event_ts`` in milliseconds: an integer everywhere but in ``app_deauthorized``,
    whose published example carries ``"event_ts": "2024-09-08 15:58:40"`` (read as UTC)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        parsed = parse_datetime(value.strip())
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return int(parsed.timestamp() * 1000)
    return None


def _single(request: HttpRequest, name: str) -> str | None:
    """One header's value; None when absent. (WSGI folds repeated headers into one value,
    joined by commas: a comma-joined signature never verifies.) Read from ``META``: building
    ``request.headers`` parses every header, for the three this view reads."""
    return request.META.get("HTTP_" + name.upper().replace("-", "_"))


def _refuse(status: int, reason: str) -> HttpResponse:
    return JsonResponse({"error": reason}, status=status)
