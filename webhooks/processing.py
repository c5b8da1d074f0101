"""Applying one stored event: route it to its tenant, run its handler, record the outcome.

Safe to run twice: an event already processed, ignored or unrouted is left as it is, and a
handler applies its event idempotently (the upserts compare before writing). No Zoom call here
runs inside a transaction (a handler may fetch an object from Zoom).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db.models import F
from django.utils import timezone

from webhooks.handlers import HANDLERS, Context
from webhooks.models import WebhookEvent
from webhooks.routing import event_route

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
DONE = (
    WebhookEvent.Status.PROCESSED,
    WebhookEvent.Status.IGNORED,
    WebhookEvent.Status.UNROUTED,
)


def event_process(*, event: WebhookEvent) -> WebhookEvent:
    """Apply ``event``, unless it was processed, ignored or unrouted before."""
    if event.status in DONE:
        return event
    if event.tenant_id is None:
        event = event_route(event=event)
        if event.status == WebhookEvent.Status.UNROUTED:
            return event
    handler = HANDLERS.get(event.event)
    if handler is None:
        return _finish(event, WebhookEvent.Status.IGNORED)
    payload = event.payload.get("payload") or {}
    at = (
        datetime.fromtimestamp(event.event_ts / 1000, tz=UTC)
        if event.event_ts is not None
        else event.received_at
    )
    WebhookEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1)
    event.attempts += 1
    try:
        note = handler(Context(tenant=event.tenant, event=event.event, payload=payload, at=at))
    except Exception as error:  # noqa: BLE001 - kept on the event, retried, shown in the admin
        logger.warning("Webhook event %s (%s) failed: %s", event.pk, event.event, error)
        return _finish(event, WebhookEvent.Status.FAILED, error=f"{type(error).__name__}: {error}")
    return _finish(event, WebhookEvent.Status.PROCESSED, note=note)


def _finish(event: WebhookEvent, status: str, *, error: str = "", note: str = "") -> WebhookEvent:
    event.status = status
    event.error = error[:2000]
    event.note = note[:2000]
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "error", "note", "processed_at"])
    return event
