"""A record's change history: the events Zoom sent about it (who changed what in Zoom, the
event's ``operator``, and ``object`` against ``old_object``) merged with this app's own writes
to it (the audit), newest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from webhooks.models import WebhookEvent
from zoomadmin.tenants.models import ZoomWrite

# The audit's kind of record → the prefix of Zoom's events about such records.
EVENT_PREFIXES = {"user": "user.", "meeting": "meeting.", "webinar": "webinar."}


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    what: str
    source: str  # "Zoom" (an event) or "zoomadmin" (a write from here)
    outcome: str = ""
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)


def change_history(
    *, tenant_id: int, kind: str, zoom_id: str, limit: int = 20
) -> list[HistoryEntry]:
    entries = [_from_write(write) for write in _writes(tenant_id, kind, zoom_id, limit)]
    prefix = EVENT_PREFIXES.get(kind)
    if prefix:
        events = WebhookEvent.objects.filter(
            tenant_id=tenant_id, object_id=str(zoom_id), event__startswith=prefix
        ).order_by("-received_at")[:limit]
        entries += [_from_event(event) for event in events]
    return sorted(entries, key=lambda entry: entry.when, reverse=True)[:limit]


def _writes(tenant_id: int, kind: str, zoom_id: str, limit: int) -> Any:
    return ZoomWrite.objects.filter(tenant_id=tenant_id, kind=kind, zoom_id=zoom_id).select_related(
        "user"
    )[:limit]


def _from_write(write: ZoomWrite) -> HistoryEntry:
    body = (write.asked or {}).get("body") or {}
    changes = [(name, "", value) for name, value in body.items()] if isinstance(body, dict) else []
    return HistoryEntry(
        when=write.created,
        who=str(write.user or "-"),
        what=write.action,
        source="zoomadmin",
        outcome=write.get_outcome_display() + (f": {write.message}" if write.message else ""),
        changes=changes,
    )


def _from_event(event: WebhookEvent) -> HistoryEntry:
    payload = event.payload.get("payload") or {}
    obj = payload.get("object") if isinstance(payload.get("object"), dict) else {}
    old = payload.get("old_object") if isinstance(payload.get("old_object"), dict) else {}
    changes = []
    if old:
        changes = [(name, old.get(name, ""), value) for name, value in obj.items() if name != "id"]
    when = (
        datetime.fromtimestamp(event.event_ts / 1000, tz=UTC)
        if event.event_ts is not None
        else event.received_at
    )
    return HistoryEntry(
        when=when,
        who=str(payload.get("operator") or "Zoom"),
        what=event.event,
        source="Zoom",
        outcome=event.get_status_display(),
        changes=changes,
    )
