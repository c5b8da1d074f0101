"""Zoom events → the same services the sync uses (SPEC §8; FACTS.md §3.5, §3.6).

``HANDLERS`` maps an event name to ``handler(context)``; an event without one is ignored. Each
applies the event's ``payload.object`` with the records' own upserts, dated by the event's
``event_ts``:

- an event that changes a user's, meeting's, webinar's or registrant's fields (``CHANGES``) is
  applied field by field (``webhooks.changes``): ``*.updated`` events carry only the changed
  fields (``object``, the former values in ``old_object``), and each is applied unless it is
  older than what was observed of that field, by the record or by the sync (a sync that saw
  the record unchanged counts too); a batch of such events is applied at once;
- where an event cannot be applied as it stands (an occurrence of a recurring meeting, a user
  event whose ``object`` and ``old_object`` name different users, an update of a user not
  stored), the object is fetched from Zoom;
- deletions mark the record deleted (with what Zoom deleted with it);
- ``app_deauthorized`` disconnects the tenant (tokens deleted, synced data deleted), unless it
  is about an app the tenant no longer uses.

A handler returns a short note for the event's row ("" when applied as is).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from meetings.models import Meeting, Webinar
from meetings.services import (
    meeting_mark_deleted,
    meetings_mark_orphans,
    meetings_upsert,
    recording_files_mark_deleted,
    recording_mark_deleted,
    recordings_upsert,
    webinar_mark_deleted,
    webinars_upsert,
)
from users.models import ZoomUser
from users.services import user_mark_deleted, user_refresh
from webhooks.changes import (
    MEETING,
    MEETING_REGISTRANT,
    STALE,
    USER,
    WEBINAR,
    WEBINAR_REGISTRANT,
    Change,
    change_key,
    changes_apply,
)
from webhooks.models import WebhookEvent
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.services import tenant_app_client_id, tenant_disconnect
from zoomadmin.tenants.tokens import client_for_tenant
from zoomadmin.zoom.errors import ZoomNotFound

__all__ = ["CHANGES", "HANDLERS", "STALE", "Context"]

FETCHED = "Fetched from Zoom"
ALREADY_FETCHED = "Already read from Zoom since (a burst about one object costs one request)."


@dataclass
class Context:
    tenant: Tenant
    event: str
    payload: dict[str, Any]
    at: datetime  # when it happened in Zoom

    @property
    def object(self) -> dict[str, Any]:
        obj = self.payload.get("object")
        return obj if isinstance(obj, dict) else {}


# --- users, meetings, webinars and registrants: changes of their fields ---------------------
#
# Each builder says what an event changes (``webhooks.changes.Change``), for a batch of them
# to be applied at once (``webhooks.processing``); a note instead when there is nothing to
# apply, or None when the event is applied otherwise (read from Zoom), by its handler.

Built = Change | str | None


def _user_payload(context: Context, **fields: Any) -> dict[str, Any]:
    item = {**context.object, **fields}
    if item.get("status") == ZoomUser.Status.PENDING:
        # Zoom lists pending users without an id; the mirror keys them by e-mail until then.
        item.pop("id", None)
    return item


def _user_change(item: dict[str, Any], context: Context, *, creates: bool = True) -> Change:
    return Change(
        kind=USER, key=change_key(USER, item), fields=item, at=context.at, creates=creates
    )


def user_created_change(context: Context) -> Built:
    # Users webhooks, user.created: creation_type "create" sends an invitation (pending).
    status = "pending" if context.payload.get("creation_type") == "create" else "active"
    return _user_change(_user_payload(context, status=status), context)


def user_updated_change(context: Context) -> Built:
    obj, old = context.object, context.payload.get("old_object") or {}
    if old.get("id") and obj.get("id") and old["id"] != obj["id"]:
        return None  # Zoom's own published example names two ids: both are read again
    # Not stored yet: read from Zoom (``user_updated``), the event's fields being only some.
    return _user_change(dict(obj), context, creates=False)


def _user_status_change(status: str) -> Callable[[Context], Built]:
    def build(context: Context) -> Built:
        return _user_change(_user_payload(context, status=status), context)

    return build


def _hosted_change(webinar: bool) -> Callable[[Context], Built]:
    def build(context: Context) -> Built:
        if context.payload.get("scope") == "single" or context.payload.get("operation") == "single":
            return None  # one occurrence of a recurring one: the series is read again
        obj = context.object
        return Change(
            kind=WEBINAR if webinar else MEETING,
            key=change_key(MEETING, obj),
            fields=dict(obj),
            at=context.at,
            host=str(obj.get("host_id") or ""),
        )

    return build


def _meeting_status_change(status: str) -> Callable[[Context], Built]:
    def build(context: Context) -> Built:
        obj = context.object
        return Change(
            kind=MEETING,
            key=change_key(MEETING, obj),
            fields={"id": obj.get("id"), "status": status},
            at=context.at,
            host=str(obj.get("host_id") or ""),
        )

    return build


def _registration_change(webinar: bool, status: str | None) -> Callable[[Context], Built]:
    def build(context: Context) -> Built:
        registrant = context.object.get("registrant")
        if not isinstance(registrant, dict) or not registrant.get("id"):
            return "No registrant in the event."
        item = dict(registrant)
        if status is not None:
            item["status"] = status
        kind = WEBINAR_REGISTRANT if webinar else MEETING_REGISTRANT
        return Change(
            kind=kind,
            key=change_key(kind, item, context.object.get("id")),
            fields=item,
            at=context.at,
            host=str(context.object.get("host_id") or ""),
        )

    return build


def _applied(
    build: Callable[[Context], Built], otherwise: Callable[[Context], str]
) -> Callable[[Context], str]:
    """The handler of one event whose change a batch would carry: its change alone."""

    def handle(context: Context) -> str:
        change = build(context)
        if isinstance(change, str):
            return change
        if change is None:
            return otherwise(context)
        if changes_apply(tenant=context.tenant, changes=[change]).unstored:
            return not_stored(context)
        return change.note

    return handle


def not_stored(context: Context) -> str:
    """A ``user.updated`` about a user not stored: read from Zoom (the event has only some of
    its fields)."""
    _refetch_user(context, str(context.object.get("id")))
    return f"{FETCHED}: not stored yet."


def _user_updated_twice(context: Context) -> str:
    obj, old = context.object, context.payload.get("old_object") or {}
    for user_id in {old["id"], obj["id"]}:
        _refetch_user(context, user_id)
    return f"{FETCHED}: the event named two users, so both were read again."


def user_gone(context: Context) -> str:
    """user.deleted, user.disassociated: the user and what Zoom deleted with them."""
    user_id = str(context.object.get("id") or "")
    marked = user_mark_deleted(tenant=context.tenant, zoom_id=user_id, deleted_at=context.at)
    if marked:
        meetings_mark_orphans(tenant=context.tenant, deleted_at=context.at)
    return "" if marked else "Not stored, or stored from a newer state."


def _seen_since(model: Any, context: Context, zoom_id: Any) -> bool:
    """Whether Zoom's object was read after this event happened (stored from a newer state, or
    fetched for another event since): a burst of events about one object costs one request."""
    stored = model.objects.filter(tenant=context.tenant, zoom_id=zoom_id, synced_at__gte=context.at)
    if stored.exists():
        return True
    return WebhookEvent.objects.filter(
        tenant=context.tenant,
        object_id=str(zoom_id),
        note__startswith=FETCHED,
        processed_at__gte=context.at,
    ).exists()


def _refetch_user(context: Context, user_id: str) -> None:
    if _seen_since(ZoomUser, context, user_id):
        return
    user = ZoomUser.objects.filter(tenant=context.tenant, zoom_id=user_id).first()
    user = user or ZoomUser(tenant=context.tenant, zoom_id=user_id)
    user_refresh(tenant=context.tenant, client=client_for_tenant(context.tenant), user=user)


def _deleted_hosted(webinar: bool) -> Callable[[Context], str]:
    mark = webinar_mark_deleted if webinar else meeting_mark_deleted

    def handle(context: Context) -> str:
        if context.payload.get("operation") == "single":
            return _refetch_hosted(context, webinar)  # one occurrence deleted, not the series
        mark(tenant=context.tenant, zoom_id=context.object.get("id"), deleted_at=context.at)
        meetings_mark_orphans(tenant=context.tenant, deleted_at=context.at)
        return ""

    return handle


def _refetch_hosted(context: Context, webinar: bool) -> str:
    zoom_id = context.object.get("id")
    model = Webinar if webinar else Meeting
    if _seen_since(model, context, zoom_id):
        return ALREADY_FETCHED
    client = client_for_tenant(context.tenant)
    try:
        data = client.get_webinar(zoom_id) if webinar else client.get_meeting(zoom_id)
    except ZoomNotFound:
        mark = webinar_mark_deleted if webinar else meeting_mark_deleted
        mark(tenant=context.tenant, zoom_id=zoom_id, deleted_at=context.at)
        return "Gone from Zoom: marked deleted."
    upsert = webinars_upsert if webinar else meetings_upsert
    upsert(tenant=context.tenant, items=[data], synced_at=datetime.now(UTC))
    return f"{FETCHED}: an occurrence changed, so the series was read again."


# --- registrants and recordings ------------------------------------------------------------


def _nothing(context: Context) -> str:
    return ""


def _refetch_meeting(context: Context) -> str:
    return _refetch_hosted(context, webinar=False)


def _refetch_webinar(context: Context) -> str:
    return _refetch_hosted(context, webinar=True)


def recording_completed(context: Context) -> str:
    recordings_upsert(tenant=context.tenant, items=[context.object], synced_at=context.at)
    return ""


def _recording_gone(*, trashed: bool) -> Callable[[Context], str]:
    """``recording.trashed`` (to Zoom's trash, recoverable for 30 days) or ``recording.deleted``
    ("permanently deleted")."""

    def handle(context: Context) -> str:
        uuid = str(context.object.get("uuid") or "")
        listed = context.object.get("recording_files")
        if not isinstance(listed, list):
            recording_mark_deleted(
                tenant=context.tenant, uuid=uuid, deleted_at=context.at, trashed=trashed
            )
            return ""
        # "Information about the trashed recording files": a file deleted on its own is the
        # only one listed; the recording goes with its last.
        recording_files_mark_deleted(
            tenant=context.tenant,
            uuid=uuid,
            file_ids=[str(f.get("id")) for f in listed if isinstance(f, dict) and f.get("id")],
            deleted_at=context.at,
            trashed=trashed,
        )
        return ""

    return handle


# --- the app -------------------------------------------------------------------------------


def app_deauthorized(context: Context) -> str:
    client_id = context.payload.get("client_id")
    current = tenant_app_client_id(context.tenant)
    if client_id and current and client_id != current:
        return "About an app this tenant no longer uses: ignored."
    tenant_disconnect(
        tenant=context.tenant,
        by_user=None,
        reason="The Zoom app was deauthorized or uninstalled in Zoom (app_deauthorized).",
        revoke=False,
    )
    return ""


#: Events whose change of a record's fields a batch carries (``webhooks.changes``).
CHANGES: dict[str, Callable[[Context], Built]] = {
    "user.created": user_created_change,
    "user.updated": user_updated_change,
    "user.activated": _user_status_change("active"),
    "user.deactivated": _user_status_change("inactive"),
    "user.invitation_accepted": _user_status_change("active"),
    "meeting.created": _hosted_change(webinar=False),
    "meeting.updated": _hosted_change(webinar=False),
    "meeting.recovered": _hosted_change(webinar=False),
    "meeting.started": _meeting_status_change(Meeting.Status.STARTED),
    "meeting.ended": _meeting_status_change(Meeting.Status.WAITING),
    "webinar.created": _hosted_change(webinar=True),
    "webinar.updated": _hosted_change(webinar=True),
    "webinar.recovered": _hosted_change(webinar=True),
    "meeting.registration_created": _registration_change(webinar=False, status=None),
    "meeting.registration_approved": _registration_change(webinar=False, status="approved"),
    "meeting.registration_denied": _registration_change(webinar=False, status="denied"),
    # A cancelled registration is listed no more as approved; Zoom's registrant listings
    # know only approved, pending and denied, and the sandbox lists it as denied.
    "meeting.registration_cancelled": _registration_change(webinar=False, status="denied"),
    "webinar.registration_created": _registration_change(webinar=True, status=None),
    "webinar.registration_approved": _registration_change(webinar=True, status="approved"),
    "webinar.registration_denied": _registration_change(webinar=True, status="denied"),
    "webinar.registration_cancelled": _registration_change(webinar=True, status="denied"),
}
# What is read from Zoom instead, when an event's change cannot be applied as it stands.
_OTHERWISE: dict[str, Callable[[Context], str]] = {
    "user.updated": _user_updated_twice,
    **{f"meeting.{name}": _refetch_meeting for name in ("created", "updated", "recovered")},
    **{f"webinar.{name}": _refetch_webinar for name in ("created", "updated", "recovered")},
}

HANDLERS: dict[str, Callable[[Context], str]] = {
    **{name: _applied(build, _OTHERWISE.get(name, _nothing)) for name, build in CHANGES.items()},
    "user.deleted": user_gone,
    "user.disassociated": user_gone,
    "meeting.deleted": _deleted_hosted(webinar=False),
    "webinar.deleted": _deleted_hosted(webinar=True),
    "recording.completed": recording_completed,
    "recording.deleted": _recording_gone(trashed=False),
    "recording.trashed": _recording_gone(trashed=True),
    # Back from the trash, with its files: stored as listed, which clears the deletion.
    "recording.recovered": recording_completed,
    "app_deauthorized": app_deauthorized,
}
