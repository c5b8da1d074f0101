"""Zoom events → the same services the sync uses (SPEC §8; FACTS.md §3.5, §3.6).

``HANDLERS`` maps an event name to ``handler(context)``; an event without one is ignored. Each
handler applies the event's ``payload.object`` with the records' own upserts, dated by the
event's ``event_ts``, so that:

- an event older than the stored state (the record's ``synced_at``) never overwrites it (the
  upsert's own rule), nor one older than the sync's last observation of the record's scope
  (``zoomadmin.sync.observations``): a sync that saw a record unchanged counts too;
- ``*.updated`` events carry only the changed fields (``object``, the former values in
  ``old_object``): those are applied on top of what is stored (settings merged key by key);
  where the event cannot be applied safely (an occurrence of a recurring meeting, a user event
  whose ``object`` and ``old_object`` name different users), the object is fetched from Zoom;
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
    meeting_registrants_upsert,
    meetings_mark_orphans,
    meetings_upsert,
    recording_files_mark_deleted,
    recording_mark_deleted,
    recordings_upsert,
    webinar_mark_deleted,
    webinar_registrants_upsert,
    webinars_upsert,
)
from users.models import ZoomUser
from users.services import user_mark_deleted, user_refresh, users_upsert
from webhooks.models import WebhookEvent
from zoomadmin.sync.observations import subtree_observed_at, users_observed_at
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.services import tenant_app_client_id, tenant_disconnect
from zoomadmin.tenants.tokens import client_for_tenant
from zoomadmin.zoom.errors import ZoomNotFound

STALE = "Older than what the sync last saw: not applied."
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


def _older_than(observed: datetime | None, at: datetime) -> bool:
    return observed is not None and at <= observed


# --- users ---------------------------------------------------------------------------------


def _user_payload(context: Context, **fields: Any) -> dict[str, Any]:
    item = {**context.object, **fields}
    if item.get("status") == ZoomUser.Status.PENDING:
        # Zoom lists pending users without an id; the mirror keys them by e-mail until then.
        item.pop("id", None)
    return item


def user_created(context: Context) -> str:
    # Users webhooks, user.created: creation_type "create" sends an invitation (pending).
    status = "pending" if context.payload.get("creation_type") == "create" else "active"
    if _older_than(users_observed_at(context.tenant), context.at):
        return STALE
    users_upsert(
        tenant=context.tenant,
        items=[_user_payload(context, status=status)],
        synced_at=context.at,
        partial=True,
    )
    return ""


def user_updated(context: Context) -> str:
    obj, old = context.object, context.payload.get("old_object") or {}
    if old.get("id") and obj.get("id") and old["id"] != obj["id"]:
        # Zoom's own published example names two ids here: which user changed is not certain.
        for user_id in {old["id"], obj["id"]}:
            _refetch_user(context, user_id)
        return f"{FETCHED}: the event named two users, so both were read again."
    if _older_than(users_observed_at(context.tenant), context.at):
        return STALE
    stored = ZoomUser.objects.filter(tenant=context.tenant, zoom_id=str(obj.get("id"))).first()
    if stored is None:
        _refetch_user(context, str(obj.get("id")))
        return f"{FETCHED}: not stored yet."
    item = {**context.object, "email": obj.get("email", stored.email)}
    users_upsert(tenant=context.tenant, items=[item], synced_at=context.at, partial=True)
    return ""


def _status(status: str) -> Callable[[Context], str]:
    def handle(context: Context) -> str:
        if _older_than(users_observed_at(context.tenant), context.at):
            return STALE
        users_upsert(
            tenant=context.tenant,
            items=[_user_payload(context, status=status)],
            synced_at=context.at,
            partial=True,
        )
        return ""

    return handle


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


# --- meetings and webinars -----------------------------------------------------------------


def _hosted_stale(context: Context) -> bool:
    host = str(context.object.get("host_id") or "")
    return bool(host) and _older_than(subtree_observed_at(context.tenant, host), context.at)


def _merged(model: type[Meeting] | type[Webinar], context: Context) -> dict[str, Any]:
    """The event's object on top of the stored one, ``settings`` merged key by key (an
    ``updated`` event carries only the changed settings)."""
    obj = dict(context.object)
    if isinstance(obj.get("settings"), dict):
        stored = (
            model.objects.filter(tenant=context.tenant, zoom_id=obj.get("id"))
            .values_list("zoom_data", flat=True)
            .first()
        )
        settings = (stored or {}).get("settings") or {}
        obj["settings"] = {**settings, **obj["settings"]}
    return obj


def _upsert_hosted(webinar: bool) -> Callable[[Context], str]:
    model = Webinar if webinar else Meeting
    upsert = webinars_upsert if webinar else meetings_upsert

    def handle(context: Context) -> str:
        if context.payload.get("scope") == "single" or context.payload.get("operation") == "single":
            return _refetch_hosted(context, webinar)  # one occurrence of a recurring one
        if _hosted_stale(context):
            return STALE
        upsert(
            tenant=context.tenant,
            items=[_merged(model, context)],
            synced_at=context.at,
            partial=True,
        )
        return ""

    return handle


def _deleted_hosted(webinar: bool) -> Callable[[Context], str]:
    mark = webinar_mark_deleted if webinar else meeting_mark_deleted

    def handle(context: Context) -> str:
        if context.payload.get("operation") == "single":
            return _refetch_hosted(context, webinar)  # one occurrence deleted, not the series
        mark(tenant=context.tenant, zoom_id=context.object.get("id"), deleted_at=context.at)
        meetings_mark_orphans(tenant=context.tenant, deleted_at=context.at)
        return ""

    return handle


def _meeting_status(status: str) -> Callable[[Context], str]:
    def handle(context: Context) -> str:
        obj = {"id": context.object.get("id"), "status": status}
        meetings_upsert(tenant=context.tenant, items=[obj], synced_at=context.at, partial=True)
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


def _registration(webinar: bool, status: str | None) -> Callable[[Context], str]:
    upsert = webinar_registrants_upsert if webinar else meeting_registrants_upsert

    def handle(context: Context) -> str:
        registrant = context.object.get("registrant")
        if not isinstance(registrant, dict) or not registrant.get("id"):
            return "No registrant in the event."
        if _hosted_stale(context):
            return STALE
        item = dict(registrant)
        if status is not None:
            item["status"] = status
        entries = [(context.object.get("id"), item)]
        upsert(tenant=context.tenant, entries=entries, synced_at=context.at, partial=True)
        return ""

    return handle


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


HANDLERS: dict[str, Callable[[Context], str]] = {
    "user.created": user_created,
    "user.updated": user_updated,
    "user.activated": _status("active"),
    "user.deactivated": _status("inactive"),
    "user.invitation_accepted": _status("active"),
    "user.deleted": user_gone,
    "user.disassociated": user_gone,
    "meeting.created": _upsert_hosted(webinar=False),
    "meeting.updated": _upsert_hosted(webinar=False),
    "meeting.recovered": _upsert_hosted(webinar=False),
    "meeting.deleted": _deleted_hosted(webinar=False),
    "meeting.started": _meeting_status(Meeting.Status.STARTED),
    "meeting.ended": _meeting_status(Meeting.Status.WAITING),
    "webinar.created": _upsert_hosted(webinar=True),
    "webinar.updated": _upsert_hosted(webinar=True),
    "webinar.recovered": _upsert_hosted(webinar=True),
    "webinar.deleted": _deleted_hosted(webinar=True),
    "meeting.registration_created": _registration(webinar=False, status=None),
    "meeting.registration_approved": _registration(webinar=False, status="approved"),
    "meeting.registration_denied": _registration(webinar=False, status="denied"),
    # A cancelled registration is listed no more as approved; Zoom's registrant listings
    # know only approved, pending and denied, and the sandbox lists it as denied.
    "meeting.registration_cancelled": _registration(webinar=False, status="denied"),
    "webinar.registration_created": _registration(webinar=True, status=None),
    "webinar.registration_approved": _registration(webinar=True, status="approved"),
    "webinar.registration_denied": _registration(webinar=True, status="denied"),
    "webinar.registration_cancelled": _registration(webinar=True, status="denied"),
    "recording.completed": recording_completed,
    "recording.deleted": _recording_gone(trashed=False),
    "recording.trashed": _recording_gone(trashed=True),
    # Back from the trash, with its files: stored as listed, which clears the deletion.
    "recording.recovered": recording_completed,
    "app_deauthorized": app_deauthorized,
}
