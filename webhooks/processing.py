"""Applying stored events: route each to its tenant, run its handler, record the outcome.

- ``event_process(event=)``: one event (a retry, an administrator's re-process);
- ``events_drain()``: every event received and not yet taken, in batches: each batch is taken
  at once (a worker never takes an event another one took), routed at once, applied in the
  order of the events' ``event_ts`` (deliveries overtaken by later ones are put back in order),
  and its outcomes written at once. The events that change records' fields
  (``webhooks.handlers.CHANGES``) are applied together, a few queries per kind of record
  (``webhooks.changes``), up to the next event that is not (a deletion, a read from Zoom),
  which is applied on its own, in its place. A burst of deliveries costs a few queries per
  batch, not a task or a query per event.

Safe to run twice: an event already processed, ignored or unrouted is left as it is, and a
handler applies its event idempotently (the upserts compare before writing). No Zoom call here
runs inside a transaction (a handler may fetch an object from Zoom).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from webhooks.changes import Change, changes_apply
from webhooks.handlers import CHANGES, HANDLERS, Context
from webhooks.models import WebhookEvent
from webhooks.routing import event_route, events_route

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
    if event.event in HANDLERS:
        WebhookEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1)
        event.attempts += 1
    _apply(event)
    event.save(update_fields=OUTCOME_FIELDS)
    return event


# Taken events are ``received`` with ``attempts`` counted up; one whose worker died is taken
# again after this long.
CLAIM_STALE_AFTER = timedelta(minutes=10)
BATCH_SIZE = 500
TAKE_LOCK = 0x7A6F6F6D  # "zoom": the advisory lock of taking events (PostgreSQL)
OUTCOME_FIELDS = ["status", "error", "note", "processed_at"]


@dataclass
class Drained:
    events: int = 0
    failed: list[WebhookEvent] = field(default_factory=list)
    #: Stopped at its time budget with events perhaps left: another drain is to go on.
    more: bool = False


def events_drain(
    *, batch_size: int = BATCH_SIZE, gather: float = 0.0, budget: float | None = None
) -> Drained:
    """Apply every received event that no worker has taken, until none is left, or until
    ``budget`` seconds have passed (then ``more``: a steady stream never leaves none).

    ``gather``: seconds to wait after a batch that was not full, so that what arrives meanwhile
    comes as one batch. A batch costs a few queries whatever its size: under a steady stream,
    batches of whatever had arrived since the last (a few dozen) cost several times the CPU per
    event of batches of a few hundred, taken from the same cores that answer Zoom."""
    drained = Drained()
    started = time.monotonic()
    while batch := _take(batch_size):
        routed = [e for e in events_route(events=batch) if e.status != WebhookEvent.Status.UNROUTED]
        events_apply(routed)
        drained.failed += [e for e in routed if e.status == WebhookEvent.Status.FAILED]
        _save_outcomes(routed)
        drained.events += len(batch)
        if budget is not None and time.monotonic() - started + gather >= budget:
            drained.more = True
            break
        if gather and len(batch) < batch_size:
            time.sleep(gather)
    return drained


def events_apply(events: list[WebhookEvent]) -> None:
    """Apply routed ``events`` in the order Zoom made the changes; each one's outcome is set on
    it, for the caller to save."""
    pending: list[tuple[WebhookEvent, Change]] = []
    for event in sorted(events, key=lambda e: (e.event_ts or 0, e.pk)):
        build = CHANGES.get(event.event)
        if build is not None:
            try:
                change = build(_context(event))
            except Exception as error:  # noqa: BLE001 - a malformed event, kept with its error
                _failed(event, error)
                continue
            if isinstance(change, Change):
                pending.append((event, change))
                continue
            if isinstance(change, str):
                _outcome(event, WebhookEvent.Status.PROCESSED, note=change)
                continue
        _changes_apply(pending)
        pending = []
        _apply(event)
    _changes_apply(pending)


def _changes_apply(pending: list[tuple[WebhookEvent, Change]]) -> None:
    by_tenant: dict[int, list[tuple[WebhookEvent, Change]]] = {}
    for event, change in pending:
        by_tenant.setdefault(event.tenant_id, []).append((event, change))
    for items in by_tenant.values():
        tenant = items[0][0].tenant
        try:
            applied = changes_apply(tenant=tenant, changes=[change for _, change in items])
        except Exception as error:  # noqa: BLE001 - one by one, each failure kept on its event
            logger.warning(
                "A batch of %s webhook events failed (%s): one by one", len(items), error
            )
            for event, _ in items:
                _apply(event)
            continue
        unstored = {id(change) for change in applied.unstored}
        for event, change in items:
            if id(change) in unstored:
                _apply(event)  # read from Zoom, outside the batch's transaction
            else:
                _outcome(event, WebhookEvent.Status.PROCESSED, note=change.note)


def _save_outcomes(events: list[WebhookEvent]) -> None:
    """One UPDATE per distinct outcome (most of a batch shares one; ``bulk_update``'s CASE
    per row cost more than the batch's handlers). Rows deleted meanwhile (``app_deauthorized``
    deletes its tenant's events) are skipped."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for event in events:
        groups.setdefault((event.status, event.error, event.note), []).append(event.pk)
    now = timezone.now()
    for (status, error, note), ids in groups.items():
        WebhookEvent.objects.filter(pk__in=ids).update(
            status=status, error=error, note=note, processed_at=now
        )


def _take(size: int) -> list[WebhookEvent]:
    """Up to ``size`` received events, taken for this worker (oldest first), none about an
    object whose events another worker has taken and not finished: one object's events are
    applied by one worker at a time, in order (two upserts of one record's fields at once
    would each keep only its own)."""
    abandoned = timezone.now() - CLAIM_STALE_AFTER
    received = WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Takers one at a time, each seeing what the one before took (SQLite's writers
            # are one at a time anyway).
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TAKE_LOCK])
        busy = (
            received.filter(attempts__gt=0, received_at__gte=abandoned)
            .exclude(object_id="")
            .values("object_id")
        )
        events = list(
            received.select_for_update(skip_locked=True)
            .filter(Q(attempts=0) | Q(received_at__lt=abandoned))
            .exclude(object_id__in=busy)
            .order_by("pk")[:size]
        )
        WebhookEvent.objects.filter(pk__in=[e.pk for e in events]).update(
            attempts=F("attempts") + 1
        )
    for event in events:
        event.attempts += 1
    return events


def _apply(event: WebhookEvent) -> None:
    """Run the event's handler; its outcome is set on ``event``, for the caller to save."""
    handler = HANDLERS.get(event.event)
    if handler is None:
        _outcome(event, WebhookEvent.Status.IGNORED)
        return
    try:
        note = handler(_context(event))
    except Exception as error:  # noqa: BLE001 - kept on the event, retried, shown in the admin
        _failed(event, error)
        return
    _outcome(event, WebhookEvent.Status.PROCESSED, note=note)


def _context(event: WebhookEvent) -> Context:
    payload = event.payload.get("payload") or {}
    at = (
        datetime.fromtimestamp(event.event_ts / 1000, tz=UTC)
        if event.event_ts is not None
        else event.received_at
    )
    return Context(tenant=event.tenant, event=event.event, payload=payload, at=at)


def _failed(event: WebhookEvent, error: Exception) -> None:
    logger.warning("Webhook event %s (%s) failed: %s", event.pk, event.event, error)
    _outcome(event, WebhookEvent.Status.FAILED, error=f"{type(error).__name__}: {error}")


def _outcome(event: WebhookEvent, status: str, *, error: str = "", note: str = "") -> None:
    event.status = status
    event.error = error[:2000]
    event.note = note[:2000]
    event.processed_at = timezone.now()
