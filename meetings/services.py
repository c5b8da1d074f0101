"""Writing meetings, webinars, registrants, cloud recordings and webinar participants into the
local mirror (used by the sync, webhooks and admin actions).

Every ``*_upsert`` takes objects as Zoom returns them and writes only what changed
(``zoomadmin.records.upsert``); hosts and parents are resolved to foreign keys in one query per
batch. Children come as ``(parent Zoom id, item)`` entries, so one call can carry the listings
of many parents; an entry whose parent is not stored is skipped (parents are written first).
Every ``*_mark_deleted`` marks what a complete listing of one scope did not contain; its
``deleted_at`` is when that listing began (default now).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone

from meetings.mapping import (
    recording_files,
    zoom_meeting_to_fields,
    zoom_participant_to_fields,
    zoom_recording_file_to_fields,
    zoom_recording_to_fields,
    zoom_registrant_to_fields,
    zoom_webinar_to_fields,
)
from meetings.models import (
    BaseRegistrant,
    CloudRecording,
    Meeting,
    MeetingRegistrant,
    RecordingFile,
    Webinar,
    WebinarParticipant,
    WebinarRegistrant,
)
from users.models import ZoomUser
from users.services import user_delete, user_ref
from zoomadmin.records.models import ZoomRecord
from zoomadmin.records.payloads import parse_timestamp
from zoomadmin.records.upsert import UpsertResult, bulk_upsert, mark_deleted, select_batches
from zoomadmin.tenants.audit import ReadBackFailed, zoom_write
from zoomadmin.tenants.models import Tenant
from zoomadmin.zoom.client import (
    REGISTRANT_STATUS_BATCH,
    ZoomClient,
    encode_meeting_id,
    encode_user_id,
)
from zoomadmin.zoom.errors import ZoomBadRequest, ZoomError, ZoomNotFound, ZoomUnavailable

logger = logging.getLogger(__name__)

Entry = tuple[int | str, dict[str, Any]]
# A recording's "type" when the recorded instance is a webinar's (Zoom's values, as text).
WEBINAR_RECORDING_TYPES = frozenset({"5", "6", "9"})


# --- meetings and webinars -----------------------------------------------------------------


def meetings_upsert(
    *,
    tenant: Tenant,
    items: Iterable[dict[str, Any]],
    synced_at: datetime,
    partial: bool = False,
    expired: bool | None = None,
    observed_at: Mapping[int, datetime] | None = None,
) -> UpsertResult:
    """Insert or update meetings from Zoom meeting objects (``partial``, ``observed_at`` by
    meeting id: see users_upsert).

    ``expired``: False for meetings Zoom's listing showed, True for those it left out that
    still exist (see ``meetings_known``), None to keep what is stored (an event).
    """
    rows = _with_hosts(tenant, [zoom_meeting_to_fields(item) for item in items])
    _observed_at(rows, observed_at, lambda row: row["zoom_id"])
    return bulk_upsert(
        Meeting, tenant=tenant, rows=_expired(rows, expired), synced_at=synced_at, partial=partial
    )


def webinars_upsert(
    *,
    tenant: Tenant,
    items: Iterable[dict[str, Any]],
    synced_at: datetime,
    partial: bool = False,
    expired: bool | None = None,
    observed_at: Mapping[int, datetime] | None = None,
) -> UpsertResult:
    rows = _with_hosts(tenant, [zoom_webinar_to_fields(item) for item in items])
    _observed_at(rows, observed_at, lambda row: row["zoom_id"])
    return bulk_upsert(
        Webinar, tenant=tenant, rows=_expired(rows, expired), synced_at=synced_at, partial=partial
    )


def meetings_known(
    *, tenant: Tenant, host_zoom_ids: Collection[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """By host, the stored meetings that the host's listing covers (present, not expired), as
    {id: the fields a list item carries}. One that a complete listing lacks was deleted, or
    expired since, and only Zoom can tell which ("Get a meeting")."""
    return _known(Meeting, tenant, host_zoom_ids)


def webinars_known(
    *, tenant: Tenant, host_zoom_ids: Collection[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    return _known(Webinar, tenant, host_zoom_ids)


def meeting_listed_changed(item: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Whether a "List meetings" item says something else than the stored meeting."""
    return _listed_changed(zoom_meeting_to_fields(item), stored)


def webinar_listed_changed(item: dict[str, Any], stored: dict[str, Any]) -> bool:
    return _listed_changed(zoom_webinar_to_fields(item), stored)


def meetings_mark_deleted(
    *,
    tenant: Tenant,
    seen_ids: Collection[int | str],
    host_zoom_ids: Collection[str] | None = None,
    deleted_at: datetime | None = None,
) -> int:
    """Mark the meetings of ``host_zoom_ids`` (every host when None) that complete listings of
    those hosts (``seen_ids``, their union) did not contain.

    Zoom ids are unique in the account, so the union judges each host as well as its own
    listing would: a meeting one host's listing lacks but another's holds was handed over.
    Expired meetings are not judged: Zoom's listing does not cover them. One that may have
    expired since it was stored is kept as expired, not marked deleted: Zoom's 404 for it
    might mean either (its messages say "not found or has expired").
    """
    scope = _listed_scope(host_zoom_ids)
    _keep_possibly_expired(Meeting, tenant, scope, seen_ids, deleted_at)
    return _mark(Meeting, tenant, scope, seen_ids, deleted_at)


def webinars_mark_deleted(
    *,
    tenant: Tenant,
    seen_ids: Collection[int | str],
    host_zoom_ids: Collection[str] | None = None,
    deleted_at: datetime | None = None,
) -> int:
    """As ``meetings_mark_deleted``, for webinars."""
    scope = _listed_scope(host_zoom_ids)
    _keep_possibly_expired(Webinar, tenant, scope, seen_ids, deleted_at)
    return _mark(Webinar, tenant, scope, seen_ids, deleted_at)


def meeting_mark_deleted(
    *, tenant: Tenant, zoom_id: int | str, deleted_at: datetime | None = None
) -> int:
    """Mark one meeting deleted (Zoom said so: a webhook, or a delete Zoom accepted)."""
    return _mark(Meeting, tenant, {"zoom_id": zoom_id}, (), deleted_at)


def webinar_mark_deleted(
    *, tenant: Tenant, zoom_id: int | str, deleted_at: datetime | None = None
) -> int:
    return _mark(Webinar, tenant, {"zoom_id": zoom_id}, (), deleted_at)


# --- remote-first writes of meetings and webinars ------------------------------------------
#
# Zoom first, then the mirror (SPEC §7). "Create a meeting" answers 201 with the meeting as
# "Get a meeting" shows it, which is stored; "Update a meeting", "Delete a meeting" and "Update
# meeting status" answer 204, so the meeting is read back ("Get a meeting", Light). A ZoomError
# leaves the mirror as it was, except where Zoom may have acted without answering (a timeout,
# a 5xx) or a retried delete met one already done (404): then what Zoom holds now is read back
# before the error is raised. Every request goes through ``zoom_write`` (audited; passcodes
# masked). None of these may run inside a transaction (a token refresh must commit).


# What a delete returns when Zoom no longer held the record (it is marked deleted all the same).
GONE_ALREADY = "Zoom no longer had it: marked deleted."


@dataclass(frozen=True)
class _Kind:
    """What differs between meetings and webinars in their writes."""

    model: type[Meeting] | type[Webinar]
    #: ``ZoomWrite.kind`` and the suffix of the ZoomClient methods: "meeting", "webinar".
    name: str
    #: The path segment: "meetings", "webinars".
    segment: str
    upsert: Callable[..., UpsertResult]
    registrants: type[MeetingRegistrant] | type[WebinarRegistrant]
    parent: str

    def call(self, client: ZoomClient, verb: str) -> Callable[..., Any]:
        return getattr(client, f"{verb}_{self.name}")

    def path(self, record: Meeting | Webinar) -> str:
        return f"/{self.segment}/{encode_meeting_id(record.zoom_id)}"


_MEETINGS = _Kind(Meeting, "meeting", "meetings", meetings_upsert, MeetingRegistrant, "meeting_id")
_WEBINARS = _Kind(Webinar, "webinar", "webinars", webinars_upsert, WebinarRegistrant, "webinar_id")


def meeting_create(
    *, tenant: Tenant, client: ZoomClient, actor: Any, host: ZoomUser, body: Mapping[str, Any]
) -> Meeting:
    """Create a meeting for ``host`` (``POST /users/{userId}/meetings`` with Zoom's body) and
    store Zoom's answer. Zoom caps creates and updates per host: "100 requests per day. The
    rate limit is applied against the userId of the meeting host"."""
    return _create(_MEETINGS, tenant, client, actor, host, body)


def webinar_create(
    *, tenant: Tenant, client: ZoomClient, actor: Any, host: ZoomUser, body: Mapping[str, Any]
) -> Webinar:
    """Create a webinar (``POST /users/{userId}/webinars``); Zoom refuses a host without the
    webinar add-on (400 code 200, "Webinar plan is missing. …")."""
    return _create(_WEBINARS, tenant, client, actor, host, body)


def meeting_update(
    *, tenant: Tenant, client: ZoomClient, actor: Any, meeting: Meeting, changes: dict[str, Any]
) -> Meeting:
    """Send ``changes`` (only what changed, in Zoom's shape: ``settings`` and ``recurrence``
    nested) with ``PATCH /meetings/{meetingId}``, then store what Zoom shows. No changes: no
    request."""
    return _update(_MEETINGS, tenant, client, actor, meeting, changes)


def webinar_update(
    *, tenant: Tenant, client: ZoomClient, actor: Any, webinar: Webinar, changes: dict[str, Any]
) -> Webinar:
    """As ``meeting_update``, with ``PATCH /webinars/{webinarId}``."""
    return _update(_WEBINARS, tenant, client, actor, webinar, changes)


def meeting_delete(
    *,
    tenant: Tenant,
    client: ZoomClient,
    actor: Any,
    meeting: Meeting,
    schedule_for_reminder: bool = False,
    cancel_meeting_reminder: bool = False,
) -> str:
    """Delete ``meeting`` in Zoom (``DELETE /meetings/{meetingId}``; a recurring one's whole
    series) and mark it deleted with its registrants. Zoom's choices, as published:
    ``schedule_for_reminder`` "Notify host and alternative host about the meeting cancellation
    via email"; ``cancel_meeting_reminder`` "Notify registrants about the meeting cancellation
    via email"; ``false`` for either is published as "Do not send any email notification", which
    is what an unticked choice promises, so both are always sent. Returns a note where Zoom had
    no such meeting any more (404, marked deleted all the same)."""
    query = {
        "schedule_for_reminder": schedule_for_reminder,
        "cancel_meeting_reminder": cancel_meeting_reminder,
    }
    return _delete(_MEETINGS, tenant, client, actor, meeting, query)


def webinar_delete(
    *,
    tenant: Tenant,
    client: ZoomClient,
    actor: Any,
    webinar: Webinar,
    cancel_webinar_reminder: bool = False,
) -> str:
    """Delete ``webinar`` (``DELETE /webinars/{webinarId}``; ``cancel_webinar_reminder``:
    "Notify panelists and registrants about the webinar cancellation via email")."""
    query = {"cancel_webinar_reminder": cancel_webinar_reminder}
    return _delete(_WEBINARS, tenant, client, actor, webinar, query)


def meeting_end(*, tenant: Tenant, client: ZoomClient, actor: Any, meeting: Meeting) -> Meeting:
    """End a live meeting (``PUT /meetings/{meetingId}/status`` with ``{"action": "end"}``),
    then store what Zoom shows."""
    return _write_then_refresh(
        _MEETINGS,
        tenant,
        client,
        meeting,
        lambda: zoom_write(
            lambda: client.update_meeting_status(meeting.zoom_id, "end"),
            tenant=tenant,
            actor=actor,
            kind=_MEETINGS.name,
            zoom_id=str(meeting.zoom_id),
            label=str(meeting),
            action="end",
            method="PUT",
            path=f"{_MEETINGS.path(meeting)}/status",
            body={"action": "end"},
        ),
    )


def meeting_refresh(*, tenant: Tenant, client: ZoomClient, meeting: Meeting) -> Meeting | None:
    """Fetch ``meeting`` (``GET /meetings/{meetingId}``) and store what Zoom holds.

    Zoom's 404 means deleted, or expired: the meeting is marked deleted (None) only when it
    cannot have expired (``may_have_expired``); otherwise it is kept, marked expired."""
    return _refresh(_MEETINGS, tenant, client, meeting)


def webinar_refresh(*, tenant: Tenant, client: ZoomClient, webinar: Webinar) -> Webinar | None:
    """As ``meeting_refresh``, with ``GET /webinars/{webinarId}``."""
    return _refresh(_WEBINARS, tenant, client, webinar)


def _create(
    kind: _Kind,
    tenant: Tenant,
    client: ZoomClient,
    actor: Any,
    host: ZoomUser,
    body: Mapping[str, Any],
) -> Any:
    ref = user_ref(host)
    # No read-back after a timeout: there is no id to read, and the client never resends a
    # POST that Zoom may have acted on; the next sync lists what Zoom made.
    created = zoom_write(
        lambda: kind.call(client, "create")(ref, body),
        tenant=tenant,
        actor=actor,
        kind=kind.name,
        zoom_id="",
        label=str(body.get("topic") or f"{kind.name} of {host}"),
        action="create",
        method="POST",
        path=f"/users/{encode_user_id(ref)}/{kind.segment}",
        body=body,
    )
    kind.upsert(tenant=tenant, items=[created], synced_at=timezone.now(), expired=False)
    return kind.model.objects.get(tenant=tenant, zoom_id=int(created["id"]))


def _update(
    kind: _Kind,
    tenant: Tenant,
    client: ZoomClient,
    actor: Any,
    record: Any,
    changes: dict[str, Any],
) -> Any:
    if not changes:
        return record
    return _write_then_refresh(
        kind,
        tenant,
        client,
        record,
        lambda: zoom_write(
            lambda: kind.call(client, "update")(record.zoom_id, changes),
            tenant=tenant,
            actor=actor,
            kind=kind.name,
            zoom_id=str(record.zoom_id),
            label=str(record),
            action="update",
            method="PATCH",
            path=kind.path(record),
            body=changes,
        ),
        asked=changes,
    )


def _delete(
    kind: _Kind,
    tenant: Tenant,
    client: ZoomClient,
    actor: Any,
    record: Any,
    query: dict[str, Any],
) -> str:
    try:
        zoom_write(
            lambda: kind.call(client, "delete")(record.zoom_id, **query),
            tenant=tenant,
            actor=actor,
            kind=kind.name,
            zoom_id=str(record.zoom_id),
            label=str(record),
            action="delete",
            method="DELETE",
            path=kind.path(record),
            query=query,
        )
    except ZoomNotFound:
        # "Meeting does not exist" (404 code 3001): what was asked is what Zoom holds, whether
        # another admin deleted it, it expired, or a DELETE resent after one Zoom did answer.
        _mark_gone(kind, tenant, record)
        return GONE_ALREADY
    except ZoomUnavailable:
        # Zoom may have deleted it without answering: what Zoom holds now decides what is
        # stored.
        with suppress(ZoomError):
            _refresh(kind, tenant, client, record)
        raise
    _mark_gone(kind, tenant, record)
    return ""


def _write_then_refresh(
    kind: _Kind,
    tenant: Tenant,
    client: ZoomClient,
    record: Any,
    write: Callable[[], Any],
    *,
    asked: Mapping[str, Any] | None = None,
) -> Any:
    """Make ``write`` (Zoom answers it with no body), then store the record as Zoom holds it;
    after no answer (a timeout, a 5xx), read back too, then raise. When Zoom accepted the write
    but the read-back fails (a 5xx, a rate limit), what was ``asked`` (Zoom's shape) is stored
    over the record and :class:`ReadBackFailed` raised: the write is done, and is not to be
    sent again (each one counts against the host's 100 a day)."""
    try:
        write()
    except ZoomUnavailable:
        with suppress(ZoomError):
            _refresh(kind, tenant, client, record)
        raise
    try:
        stored = _refresh(kind, tenant, client, record)
    except ZoomError as error:
        if asked:
            item = _merged(record.zoom_data, asked)
            kind.upsert(tenant=tenant, items=[item], synced_at=timezone.now(), partial=True)
        raise ReadBackFailed(kind.model.objects.get(pk=record.pk), error) from error
    return stored if stored is not None else kind.model.objects.get(pk=record.pk)


def _merged(stored: Mapping[str, Any], asked: Mapping[str, Any]) -> dict[str, Any]:
    """``stored`` Zoom JSON with ``asked`` applied as a PATCH applies it: ``settings`` and
    ``recurrence`` merged key by key, everything else replaced."""
    merged = {**stored, **asked}
    for nested in ("settings", "recurrence"):
        if isinstance(asked.get(nested), Mapping) and isinstance(stored.get(nested), Mapping):
            merged[nested] = {**stored[nested], **asked[nested]}
    return merged


def _refresh(kind: _Kind, tenant: Tenant, client: ZoomClient, record: Any) -> Any:
    try:
        data = kind.call(client, "get")(record.zoom_id)
    except ZoomNotFound:
        if may_have_expired(record, timezone.now()):
            kind.model.objects.filter(pk=record.pk).update(expired=True, updated=timezone.now())
            return kind.model.objects.get(pk=record.pk)
        _mark_gone(kind, tenant, record)
        return None
    kind.upsert(tenant=tenant, items=[data], synced_at=timezone.now())
    return kind.model.objects.get(pk=record.pk)


def _mark_gone(kind: _Kind, tenant: Tenant, record: Any) -> None:
    """Mark the record deleted, and its registrants with it (Zoom deletes them together)."""
    at = timezone.now()
    _mark(kind.model, tenant, {"pk": record.pk}, (), at)
    _mark(kind.registrants, tenant, {kind.parent: record.pk}, (), at)


# --- registrants ---------------------------------------------------------------------------


def meeting_registrants_upsert(
    *,
    tenant: Tenant,
    entries: Iterable[Entry],
    synced_at: datetime,
    partial: bool = False,
    observed_at: Mapping[tuple[int, str], datetime] | None = None,
) -> UpsertResult:
    """Insert or update registrants from ``(meeting id, registrant object)`` entries
    (``observed_at`` by ``(meeting id, registrant id)``: see users_upsert)."""
    rows = _child_rows(
        Meeting, "meeting_id", tenant, entries, zoom_registrant_to_fields, observed_at
    )
    return bulk_upsert(
        MeetingRegistrant, tenant=tenant, rows=rows, synced_at=synced_at, partial=partial
    )


def webinar_registrants_upsert(
    *,
    tenant: Tenant,
    entries: Iterable[Entry],
    synced_at: datetime,
    partial: bool = False,
    observed_at: Mapping[tuple[int, str], datetime] | None = None,
) -> UpsertResult:
    """Insert or update registrants from ``(webinar id, registrant object)`` entries."""
    rows = _child_rows(
        Webinar, "webinar_id", tenant, entries, zoom_registrant_to_fields, observed_at
    )
    return bulk_upsert(
        WebinarRegistrant, tenant=tenant, rows=rows, synced_at=synced_at, partial=partial
    )


def meeting_registrants_mark_deleted(
    *,
    tenant: Tenant,
    listings: Mapping[int | str, Collection[str]],
    deleted_at: datetime | None = None,
) -> int:
    """Mark, for each meeting of ``listings`` (meeting Zoom id -> the registrant ids its complete
    listing held, every status), the registrants that listing lacked."""
    return _mark_children(MeetingRegistrant, Meeting, "meeting_id", tenant, listings, deleted_at)


def webinar_registrants_mark_deleted(
    *,
    tenant: Tenant,
    listings: Mapping[int | str, Collection[str]],
    deleted_at: datetime | None = None,
) -> int:
    """As ``meeting_registrants_mark_deleted``, for webinars."""
    return _mark_children(WebinarRegistrant, Webinar, "webinar_id", tenant, listings, deleted_at)


# --- past webinar participants -------------------------------------------------------------


def webinar_participants_upsert(
    *, tenant: Tenant, entries: Iterable[Entry], synced_at: datetime
) -> UpsertResult:
    """Insert or update past participants from ``(webinar id, participant object)`` entries."""
    rows = _child_rows(Webinar, "webinar_id", tenant, entries, zoom_participant_to_fields)
    return bulk_upsert(WebinarParticipant, tenant=tenant, rows=rows, synced_at=synced_at)


def webinar_participants_mark_deleted(
    *,
    tenant: Tenant,
    listings: Mapping[int | str, Collection[str]],
    deleted_at: datetime | None = None,
) -> int:
    """Per webinar Zoom id, the ``meetings.mapping.participant_key`` values of its listing."""
    return _mark_children(WebinarParticipant, Webinar, "webinar_id", tenant, listings, deleted_at)


# --- cloud recordings ----------------------------------------------------------------------


@dataclass
class RecordingsUpsertResult(UpsertResult):
    """The recordings' counts, plus what happened to their files."""

    files: UpsertResult = field(default_factory=UpsertResult)
    files_deleted: int = 0


def recordings_upsert(
    *, tenant: Tenant, items: Iterable[dict[str, Any]], synced_at: datetime, partial: bool = False
) -> RecordingsUpsertResult:
    """Insert or update cloud recordings and their files from Zoom recording objects.

    A recording object lists all its files, so files it no longer lists are marked deleted
    (with ``partial``, only when the payload has ``recording_files`` at all).
    """
    items = list(items)
    rows = _with_hosts(tenant, [zoom_recording_to_fields(item) for item in items])
    _link_recorded_meetings(tenant, rows)
    result = bulk_upsert(
        CloudRecording, tenant=tenant, rows=rows, synced_at=synced_at, partial=partial
    )
    file_rows, listed_by = [], set()
    for item, row in zip(items, rows, strict=True):
        recording_pk = result.pks.get((row["zoom_id"],))
        if recording_pk is None or (partial and "recording_files" not in item):
            continue  # stale (a newer state is stored), or the payload does not list files
        listed_by.add(recording_pk)
        file_rows += [
            {**zoom_recording_file_to_fields(data), "recording_id": recording_pk}
            for data in recording_files(item)
        ]
    files = bulk_upsert(RecordingFile, tenant=tenant, rows=file_rows, synced_at=synced_at)
    files_deleted = 0
    if listed_by:
        files_deleted = mark_deleted(
            RecordingFile,
            tenant=tenant,
            scope=Q(recording_id__in=listed_by),
            seen_keys=files.pks.keys(),
            deleted_at=synced_at,
        )
    return RecordingsUpsertResult(
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        stale=result.stale,
        pks=result.pks,
        files=files,
        files_deleted=files_deleted,
    )


def recordings_mark_deleted(
    *,
    tenant: Tenant,
    seen_uuids: Collection[str],
    host_zoom_ids: Collection[str] | None = None,
    started_from: datetime | None = None,
    started_before: datetime | None = None,
    deleted_at: datetime | None = None,
) -> int:
    """Mark the recordings of a scope (hosts, a start-time window) that complete listings did
    not contain; Zoom lists recordings by date range, so only that range is judged."""
    scope = _hosts_scope(host_zoom_ids)
    if started_from is not None:
        scope &= Q(start_time__gte=started_from)
    if started_before is not None:
        scope &= Q(start_time__lt=started_before)
    return _mark(CloudRecording, tenant, scope, seen_uuids, deleted_at)


def recording_mark_deleted(
    *, tenant: Tenant, uuid: str, deleted_at: datetime | None = None, trashed: bool = False
) -> int:
    """Mark a recording and its files deleted in Zoom: to Zoom's trash (``trashed``: "Users can
    recover recordings from the trash up to 30 days after deletion", the ``recording.trashed``
    event), or permanently, which ends any stay in the trash."""
    at = deleted_at or timezone.now()
    marked = _mark(CloudRecording, tenant, {"zoom_id": uuid}, (), at)
    recordings = CloudRecording.objects.filter(tenant=tenant, zoom_id=uuid)
    files = RecordingFile.objects.filter(tenant=tenant, recording__in=recordings)
    _mark(RecordingFile, tenant, {"recording__in": recordings}, (), at)
    _set_trashed(recordings, files, at if trashed else None)
    return marked


def recording_files_mark_deleted(
    *,
    tenant: Tenant,
    uuid: str,
    file_ids: Collection[str],
    deleted_at: datetime | None = None,
    trashed: bool = False,
) -> int:
    """Mark files of a recording deleted (``recording.trashed`` and ``recording.deleted`` list
    "the trashed recording files": one file, or all of them); the recording goes with its last
    file. Returns the files marked."""
    at = deleted_at or timezone.now()
    recordings = CloudRecording.objects.filter(tenant=tenant, zoom_id=uuid)
    files = RecordingFile.objects.filter(
        tenant=tenant, recording__in=recordings, zoom_id__in=file_ids
    )
    marked = _mark(
        RecordingFile, tenant, {"recording__in": recordings, "zoom_id__in": file_ids}, (), at
    )
    _set_trashed(CloudRecording.objects.none(), files, at if trashed else None)
    if not RecordingFile.objects.filter(recording__in=recordings, deleted_at=None).exists():
        recording_mark_deleted(tenant=tenant, uuid=uuid, deleted_at=at, trashed=trashed)
    return marked


def _set_trashed(
    recordings: QuerySet[CloudRecording], files: QuerySet[RecordingFile], at: datetime | None
) -> None:
    """Note when the records went to Zoom's trash, or (None) that they are not in it. Only
    records Zoom has deleted (``deleted_at`` set) are touched."""
    for queryset in (recordings, files):
        queryset.filter(deleted_at__isnull=False).update(trashed_at=at, updated=timezone.now())


def meetings_mark_orphans(*, tenant: Tenant, deleted_at: datetime) -> dict[str, int]:
    """Mark deleted what went with its parent: the meetings, webinars and recordings of deleted
    users (Zoom deletes them with the user, or they left the account), then the registrants of
    deleted meetings and webinars and the files of deleted recordings. Meetings handed to
    another user were listed under their new host, so they are not a deleted host's any more."""
    deleted_users = ZoomUser.objects.filter(tenant=tenant, deleted_at__isnull=False)
    hosts = Q(host_zoom_id__in=Subquery(deleted_users.values("zoom_id")))
    counts = {
        "meetings": _mark(Meeting, tenant, hosts, (), deleted_at),
        "webinars": _mark(Webinar, tenant, hosts, (), deleted_at),
        "recordings": _mark(CloudRecording, tenant, hosts, (), deleted_at),
    }
    counts["meeting registrants"] = _mark(
        MeetingRegistrant, tenant, Q(meeting__deleted_at__isnull=False), (), deleted_at
    )
    counts["webinar registrants"] = _mark(
        WebinarRegistrant, tenant, Q(webinar__deleted_at__isnull=False), (), deleted_at
    )
    counts["recording files"] = _mark(
        RecordingFile, tenant, Q(recording__deleted_at__isnull=False), (), deleted_at
    )
    return counts


HANDED_OVER_KINDS = ("meetings", "webinars", "recordings")


def user_offboard(
    *,
    tenant: Tenant,
    client: ZoomClient,
    actor: Any,
    user: ZoomUser,
    action: str,
    transfer_to: ZoomUser | None = None,
    transfer_meeting: bool = False,
    transfer_webinar: bool = False,
    transfer_recording: bool = False,
) -> tuple[str, dict[str, int]]:
    """Disassociate or delete ``user`` in Zoom, handing over what is asked to ``transfer_to``
    (``users.services.user_delete``), then bring the mirror to what Zoom did with the rest
    (``host_removed``, no request). Returns ``user_delete``'s note and what was marked
    deleted, by kind. If Zoom refused the deletion, nothing changed here."""
    flags = {"meetings": transfer_meeting, "webinars": transfer_webinar}
    flags["recordings"] = transfer_recording
    note = user_delete(
        tenant=tenant,
        client=client,
        actor=actor,
        user=user,
        action=action,
        transfer_to=transfer_to,
        transfer_meeting=transfer_meeting,
        transfer_webinar=transfer_webinar,
        transfer_recording=transfer_recording,
    )
    marked = host_removed(
        tenant=tenant,
        host_zoom_id=user.zoom_id,
        successor=transfer_to,
        handed_over={kind for kind, asked in flags.items() if asked and transfer_to is not None},
    )
    return note, marked


def host_removed(
    *,
    tenant: Tenant,
    host_zoom_id: str,
    successor: ZoomUser | None,
    handed_over: Collection[str],
) -> dict[str, int]:
    """After Zoom deleted or disassociated the host ``host_zoom_id`` (``DELETE
    /users/{userId}`` answered 204): the kinds it ``handed_over`` ("meetings", "webinars",
    "recordings") Zoom moved to ``successor`` with their ids, so they are stored under the
    successor here too, whatever their age (no listing needed, and none of them is later
    taken for an orphan of the deleted host); what it did not hand over Zoom deleted with the
    user, so it is marked deleted with its registrants and files."""
    unknown = set(handed_over) - set(HANDED_OVER_KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}")
    at = timezone.now()
    host = Q(host_zoom_id=host_zoom_id)
    models_by_kind = {"meetings": Meeting, "webinars": Webinar, "recordings": CloudRecording}
    counts: dict[str, int] = {}
    for kind, model in models_by_kind.items():
        if successor is not None and kind in handed_over:
            moved = {"host_zoom_id": successor.zoom_id, "host": successor}
            if model is not CloudRecording:
                moved["host_email"] = successor.email
            model.objects.filter(host, tenant=tenant).update(**moved)
        else:
            counts[kind] = _mark(model, tenant, host, (), at)
    counts["meeting registrants"] = _mark(
        MeetingRegistrant, tenant, Q(meeting__deleted_at__isnull=False), (), at
    )
    counts["webinar registrants"] = _mark(
        WebinarRegistrant, tenant, Q(webinar__deleted_at__isnull=False), (), at
    )
    counts["recording files"] = _mark(
        RecordingFile, tenant, Q(recording__deleted_at__isnull=False), (), at
    )
    return counts


# --- registrant and recording writes -------------------------------------------------------
#
# Remote-first, as ``users.services``: each request goes through ``zoom_write`` (audited), the
# mirror changes only from what Zoom then shows, and a ZoomError leaves it as it was. A write
# Zoom did not answer (a timeout, a 5xx) may have been done: what Zoom shows is read back,
# then the error is raised. None of them may run inside a transaction.

Registrant = MeetingRegistrant | WebinarRegistrant
Scheduled = Meeting | Webinar

# Meetings OpenAPI, PUT /meetings/{meetingId}/registrants/status: ``action`` "approve -
# Approve registrant", "cancel - Cancel previously approved registrant's registration",
# "deny - Deny registrant". The listing knows three statuses (approved, pending, denied); the
# one a cancelled registration is listed under is not published (``_registrants_reread_each``).
STATUS_AFTER = {"approve": "approved", "deny": "denied", "cancel": None}
# Webinar OpenAPI, GET /webinars/{webinarId}/registrants/{registrantId}, 400 code 3079:
# "This registrant does not exist: {registrantId}."
REGISTRANT_MISSING_CODE = 3079


class RegistrantAdded(NamedTuple):
    #: None when Zoom's answer named no registrant and no listing shows one with the email.
    registrant: Registrant | None
    #: What Zoom answered the registration with: the registrant's own link to join.
    join_url: str


def _noun(parent: Scheduled) -> str:
    return "webinar" if isinstance(parent, Webinar) else "meeting"


def registrant_parent(registrant: Registrant) -> Scheduled:
    return registrant.webinar if isinstance(registrant, WebinarRegistrant) else registrant.meeting


def _registrants_store(
    tenant: Tenant, parent: Scheduled, items: Iterable[dict[str, Any]]
) -> dict[str, Registrant]:
    """Store registrant objects of ``parent`` as a listing of it would; the stored records by
    Zoom id."""
    entries = [(parent.zoom_id, item) for item in items]
    if not entries:
        return {}
    upsert = (
        webinar_registrants_upsert if isinstance(parent, Webinar) else meeting_registrants_upsert
    )
    upsert(tenant=tenant, entries=entries, synced_at=timezone.now())
    model = WebinarRegistrant if isinstance(parent, Webinar) else MeetingRegistrant
    stored = model._default_manager.filter(
        tenant=tenant, **{_noun(parent): parent}, zoom_id__in=[item["id"] for _, item in entries]
    )
    return {registrant.zoom_id: registrant for registrant in stored}


def registrant_add(
    *,
    tenant: Tenant,
    client: ZoomClient,
    actor: Any,
    parent: Scheduled,
    fields: Mapping[str, str],
) -> RegistrantAdded:
    """Register someone for a meeting or webinar (``POST /meetings|webinars/{id}/registrants``,
    ``email`` and ``first_name`` required; Zoom answers 201 with ``registrant_id`` and
    ``join_url``), then read the registrant (``GET …/registrants/{registrantId}``, Light) so
    that it is stored as the sync's listing stores it, with the status Zoom gave it (approved
    where the meeting approves automatically, else pending). Zoom answers a second registration
    with the same email with the first one, which is then stored again, unchanged."""
    noun = _noun(parent)
    body = {name: value for name, value in fields.items() if value}
    answer = None
    try:
        answer = zoom_write(
            lambda: getattr(client, f"add_{noun}_registrant")(parent.zoom_id, body),
            tenant=tenant,
            actor=actor,
            kind="registrant",
            zoom_id="",
            label=f"{body.get('email', '')} ({noun} {parent.zoom_id})",
            action="add",
            method="POST",
            path=f"/{noun}s/{encode_meeting_id(parent.zoom_id)}/registrants",
            body=body,
        )
    except ZoomUnavailable:
        with suppress(ZoomError):
            _registrant_find_by_email(tenant, client, parent, body.get("email", ""))
        raise
    join_url = str(answer.get("join_url") or "")
    registrant_id = str(answer.get("registrant_id") or "")
    if not registrant_id:
        # The answer's ``id`` is the meeting's ("id": "The meeting ID."), not the registrant's:
        # without ``registrant_id`` the registration is found by its email.
        found = _registrant_find_by_email(tenant, client, parent, body.get("email", ""))
        return RegistrantAdded(found, join_url or (found.join_url if found else ""))
    try:
        data = getattr(client, f"get_{noun}_registrant")(parent.zoom_id, registrant_id)
    except ZoomError:
        # Registered, but not readable now: what the answer and the form say is what is known.
        data = {**body, "id": registrant_id, "join_url": join_url}
    stored = _registrants_store(tenant, parent, [data])
    # Zoom leaves ``join_url`` out "if the meeting was created with the approval_type field
    # value of 1 (manual approval)": a pending registrant has no link yet.
    return RegistrantAdded(stored[registrant_id], join_url or str(data.get("join_url") or ""))


def _registrant_find_by_email(
    tenant: Tenant, client: ZoomClient, parent: Scheduled, email: str
) -> Registrant | None:
    """After an unanswered registration: the registrant Zoom lists with ``email``, stored."""
    lister = getattr(client, f"list_{_noun(parent)}_registrants")
    for status in ("approved", "pending", "denied"):
        for item in lister(parent.zoom_id, status=status):
            if str(item.get("email", "")).lower() == email.lower() and item.get("id"):
                return _registrants_store(tenant, parent, [item])[str(item["id"])]
    return None


def registrant_refresh(
    *, tenant: Tenant, client: ZoomClient, registrant: Registrant
) -> Registrant | None:
    """Read ``registrant`` from Zoom (``GET …/registrants/{registrantId}``) and store it; None
    (and marked deleted) when Zoom says it is gone: 404, or for a webinar 400 code 3079."""
    parent = registrant_parent(registrant)
    try:
        data = getattr(client, f"get_{_noun(parent)}_registrant")(
            parent.zoom_id, registrant.zoom_id
        )
    except (ZoomNotFound, ZoomBadRequest) as error:
        if isinstance(error, ZoomBadRequest) and error.code != REGISTRANT_MISSING_CODE:
            raise
        _mark(type(registrant), tenant, {"pk": registrant.pk}, (), None)
        return None
    return _registrants_store(tenant, parent, [data]).get(registrant.zoom_id)


def registrants_set_status(
    *,
    tenant: Tenant,
    client: ZoomClient,
    actor: Any,
    registrants: Sequence[Registrant],
    action: str,
) -> dict[int, str]:
    """Approve, deny or cancel registrants of one meeting or webinar in one call (``PUT
    /meetings|webinars/{id}/registrants/status`` with ``{"action", "registrants": [{"id",
    "email"}]}``; at most 30: the published ``"registrants": {"maximum": 30}``; Zoom answers
    204). Then one listing of the meeting's registrants in the status they moved to (``GET
    …/registrants?status=``, Medium, 300 a page), and of the statuses they came from for any
    not found there, and the registrants are stored as listed.

    Returns, by registrant pk, a note where Zoom shows something else than asked."""
    if action not in STATUS_AFTER:
        raise ValueError(f"unknown registrant status action {action!r}")
    if not registrants:
        return {}
    if len(registrants) > REGISTRANT_STATUS_BATCH:
        raise ValueError(f"at most {REGISTRANT_STATUS_BATCH} registrants per status call")
    parent = registrant_parent(registrants[0])
    if any(registrant_parent(r).pk != parent.pk for r in registrants):
        raise ValueError("the registrants of one meeting or webinar per status call")
    noun = _noun(parent)
    who = [{"id": r.zoom_id, **({"email": r.email} if r.email else {})} for r in registrants]
    one = registrants[0] if len(registrants) == 1 else None
    try:
        zoom_write(
            lambda: getattr(client, f"update_{noun}_registrant_status")(
                parent.zoom_id, action, who
            ),
            tenant=tenant,
            actor=actor,
            kind="registrant",
            zoom_id=one.zoom_id if one else "",
            label=str(one) if one else f"{len(registrants)} registrants of {noun} {parent.zoom_id}",
            action=action,
            method="PUT",
            path=f"/{noun}s/{encode_meeting_id(parent.zoom_id)}/registrants/status",
            body={"action": action, "registrants": who},
        )
    except ZoomUnavailable:
        with suppress(ZoomError):
            _registrants_reread(tenant, client, parent, registrants, action)
        raise
    try:
        return _registrants_reread(tenant, client, parent, registrants, action)
    except ZoomError as error:
        # Zoom did it ("204 Registrant status updated."): stored as asked, and not to be asked
        # again (a registrant's status changes are limited per day).
        expected = STATUS_AFTER[action]
        if expected is not None:
            entries = [(parent.zoom_id, {"id": r.zoom_id, "status": expected}) for r in registrants]
            upsert = (
                webinar_registrants_upsert
                if isinstance(parent, Webinar)
                else meeting_registrants_upsert
            )
            upsert(tenant=tenant, entries=entries, synced_at=timezone.now(), partial=True)
        label = one if one else f"{len(registrants)} registrants of {noun} {parent.zoom_id}"
        raise ReadBackFailed(label, error) from error


def _registrants_reread(
    tenant: Tenant,
    client: ZoomClient,
    parent: Scheduled,
    registrants: Sequence[Registrant],
    action: str,
) -> dict[int, str]:
    if action == "cancel":
        return _registrants_reread_each(tenant, client, registrants)
    wanted = {r.zoom_id: r for r in registrants}
    expected = STATUS_AFTER[action]
    statuses = dict.fromkeys([expected, *(r.status for r in registrants if r.status)])
    lister = getattr(client, f"list_{_noun(parent)}_registrants")
    found: dict[str, dict[str, Any]] = {}
    for status in statuses:
        if len(found) == len(wanted):
            break
        for item in lister(parent.zoom_id, status=status):
            if item.get("id") in wanted:
                found.setdefault(item["id"], item)
    _registrants_store(tenant, parent, found.values())
    notes = {}
    for zoom_id, registrant in wanted.items():
        item = found.get(zoom_id)
        if item is None:
            notes[registrant.pk] = "Zoom did not list it afterwards: re-sync to see."
        elif item.get("status") != expected:
            notes[registrant.pk] = f"Zoom left it {item.get('status')}."
    return notes


def _registrants_reread_each(
    tenant: Tenant, client: ZoomClient, registrants: Sequence[Registrant]
) -> dict[int, str]:
    """After a cancel, each registrant read on its own (``GET …/registrants/{registrantId}``,
    Light): Zoom's description says only "Cancel previously approved registrant's
    registration", not which status, if any, a cancelled registration is listed under, so none
    is guessed. Still approved is reported; gone (404, or 3079 for a webinar) is marked
    deleted."""
    notes = {}
    for registrant in registrants:
        try:
            stored = registrant_refresh(tenant=tenant, client=client, registrant=registrant)
        except ZoomError as error:
            notes[registrant.pk] = f"Zoom did not show it afterwards ({error}): re-sync to see."
            continue
        if stored is not None and stored.status == BaseRegistrant.Status.APPROVED:
            notes[registrant.pk] = "Zoom left it approved."
    return notes


def _recording_path(uuid: str, file_id: str = "") -> str:
    path = f"/meetings/{encode_meeting_id(uuid)}/recordings"
    return f"{path}/{file_id}" if file_id else path


def recording_delete(
    *,
    tenant: Tenant,
    client: ZoomClient,
    actor: Any,
    recording: CloudRecording,
    action: str = "trash",
) -> str:
    """ "Delete all of a meeting's or webinar's recording files" (``DELETE
    /meetings/{meetingId}/recordings``, ``action`` "trash - Move recording to trash" (the
    default; Zoom keeps it there 30 days) or "delete - Delete recording permanently"), by the
    instance's UUID: "If providing the meeting ID instead of UUID, the response will be for the
    latest meeting instance". After the 204 the recording and its files are marked deleted."""
    if action not in ("trash", "delete"):
        raise ValueError(f"unknown recording delete action {action!r}")
    try:
        zoom_write(
            lambda: client.delete_meeting_recordings(recording.zoom_id, action=action),
            tenant=tenant,
            actor=actor,
            kind="recording",
            zoom_id=recording.zoom_id,
            label=str(recording),
            action=f"delete ({action})",
            method="DELETE",
            path=_recording_path(recording.zoom_id),
            query={"action": action},
        )
    except ZoomNotFound:
        # 404 "3301 There is no recording for this meeting" (trashed in Zoom already, or a
        # DELETE resent after one Zoom did answer), but 404 is also "1001 User … does not
        # exist": what Zoom lists decides.
        if _recording_files_in_zoom(client, recording) is not None:
            raise
        recording_mark_deleted(tenant=tenant, uuid=recording.zoom_id)
        return GONE_ALREADY
    except ZoomUnavailable:
        if _recording_files_in_zoom(client, recording) is None:
            recording_mark_deleted(tenant=tenant, uuid=recording.zoom_id, trashed=action == "trash")
        raise
    recording_mark_deleted(tenant=tenant, uuid=recording.zoom_id, trashed=action == "trash")
    return ""


def recording_file_delete(
    *,
    tenant: Tenant,
    client: ZoomClient,
    actor: Any,
    recording_file: RecordingFile,
    action: str = "trash",
) -> str:
    """ "Delete a specific recording file from a meeting or webinar" (``DELETE
    /meetings/{meetingId}/recordings/{recordingId}``, the file's id, ``action`` trash or
    delete), by its recording's UUID; after the 204 the file is marked deleted. Zoom gives
    some files no id (a timeline, a file still being processed): those cannot be named."""
    if action not in ("trash", "delete"):
        raise ValueError(f"unknown recording delete action {action!r}")
    if not recording_file.zoom_data.get("id"):
        raise ValueError("Zoom gives this file no id: delete its recording instead")
    recording = recording_file.recording
    try:
        zoom_write(
            lambda: client.delete_recording_file(
                recording.zoom_id, recording_file.zoom_id, action=action
            ),
            tenant=tenant,
            actor=actor,
            kind="recording file",
            zoom_id=recording_file.zoom_id,
            label=f"{recording_file} of {recording}",
            action=f"delete ({action})",
            method="DELETE",
            path=_recording_path(recording.zoom_id, recording_file.zoom_id),
            query={"action": action},
        )
    except ZoomNotFound:
        files = _recording_files_in_zoom(client, recording)
        if files is not None and recording_file.zoom_id in files:
            raise
        _recording_file_mark_deleted(tenant, recording_file, trashed=False)
        return GONE_ALREADY
    except ZoomUnavailable:
        files = _recording_files_in_zoom(client, recording)
        if files is None or recording_file.zoom_id not in files:
            _recording_file_mark_deleted(tenant, recording_file, trashed=action == "trash")
        raise
    _recording_file_mark_deleted(tenant, recording_file, trashed=action == "trash")
    return ""


def _recording_file_mark_deleted(
    tenant: Tenant, recording_file: RecordingFile, *, trashed: bool
) -> None:
    at = timezone.now()
    _mark(RecordingFile, tenant, {"pk": recording_file.pk}, (), at)
    one = RecordingFile.objects.filter(pk=recording_file.pk)
    _set_trashed(CloudRecording.objects.none(), one, at if trashed else None)


def _recording_files_in_zoom(client: ZoomClient, recording: CloudRecording) -> set[str] | None:
    """The ids of the files Zoom holds of ``recording``; None when Zoom says it has none (404
    code 3301, "There is no recording for this meeting."). Unknown (no answer): every file."""
    try:
        data = client.get_meeting_recordings(recording.zoom_id)
    except ZoomNotFound:
        return None
    except ZoomError:
        return set(recording.files.values_list("zoom_id", flat=True))
    return {str(item.get("id")) for item in recording_files(data)}


# --- internals -----------------------------------------------------------------------------


def _observed_at(
    rows: list[dict[str, Any]], observed_at: Mapping[Any, datetime] | None, key: Callable
) -> None:
    """Each row's own ``synced_at``, where ``observed_at`` has one for its key."""
    for row in rows if observed_at else ():
        if key(row) in observed_at:
            row["synced_at"] = observed_at[key(row)]


def _with_hosts(tenant: Tenant, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with ``host_id`` resolved from ``host_zoom_id`` (None until the host is stored)."""
    host_pks = _pks_by_zoom_id(
        ZoomUser, tenant, {r["host_zoom_id"] for r in rows if r.get("host_zoom_id")}
    )
    for row in rows:
        if "host_zoom_id" in row:  # a partial payload without a host keeps the stored one
            row["host_id"] = host_pks.get(row["host_zoom_id"])
    return rows


def _link_recorded_meetings(tenant: Tenant, rows: list[dict[str, Any]]) -> None:
    webinar_ids, meeting_ids = set(), set()
    for row in rows:
        if row.get("meeting_zoom_id") is not None:
            is_webinar = row.get("type") in WEBINAR_RECORDING_TYPES
            (webinar_ids if is_webinar else meeting_ids).add(row["meeting_zoom_id"])
    webinar_pks = _pks_by_zoom_id(Webinar, tenant, webinar_ids)
    meeting_pks = _pks_by_zoom_id(Meeting, tenant, meeting_ids)
    for row in rows:
        if "meeting_zoom_id" in row:
            row["webinar_id"] = webinar_pks.get(row["meeting_zoom_id"])
            row["meeting_id"] = meeting_pks.get(row["meeting_zoom_id"])


def _child_rows(
    parent_model: type[ZoomRecord],
    parent_attname: str,
    tenant: Tenant,
    entries: Iterable[Entry],
    to_fields: Callable[[dict[str, Any]], dict[str, Any]],
    observed_at: Mapping[tuple[int, str], datetime] | None = None,
) -> list[dict[str, Any]]:
    """Mapped rows of ``(parent Zoom id, item)`` entries, with the parent's foreign key (and
    their own ``synced_at`` from ``observed_at``, by ``(parent Zoom id, child key)``)."""
    entries = [(int(parent_id), item) for parent_id, item in entries]
    parent_pks = _pks_by_zoom_id(parent_model, tenant, {parent_id for parent_id, _ in entries})
    rows, missing = [], set()
    for parent_id, item in entries:
        if parent_id in parent_pks:
            rows.append({**to_fields(item), parent_attname: parent_pks[parent_id]})
            if observed_at and (parent_id, rows[-1]["zoom_id"]) in observed_at:
                rows[-1]["synced_at"] = observed_at[(parent_id, rows[-1]["zoom_id"])]
        else:
            missing.add(parent_id)
    if missing:
        logger.warning(
            "Skipped the children of %s %s, not stored",
            parent_model._meta.verbose_name_plural,
            sorted(missing),
        )
    return rows


def _mark_children(
    model: type[ZoomRecord],
    parent_model: type[ZoomRecord],
    parent_attname: str,
    tenant: Tenant,
    listings: Mapping[int | str, Collection[str]],
    deleted_at: datetime | None,
) -> int:
    """One statement for the children of many parents; a child is keyed by its parent and id."""
    seen_by_parent = {int(parent_id): seen for parent_id, seen in listings.items()}
    parent_pks = _pks_by_zoom_id(parent_model, tenant, seen_by_parent.keys())
    if not parent_pks:
        return 0
    seen = {
        (parent_pks[parent_id], zoom_id)
        for parent_id, ids in seen_by_parent.items()
        if parent_id in parent_pks
        for zoom_id in ids
    }
    scope = Q(**{f"{parent_attname}__in": list(parent_pks.values())})
    return _mark(model, tenant, scope, seen, deleted_at)


def _mark(
    model: type[ZoomRecord],
    tenant: Tenant,
    scope: Q | Mapping[str, Any],
    seen: Collection[Any],
    deleted_at: datetime | None,
) -> int:
    return mark_deleted(
        model,
        tenant=tenant,
        scope=scope,
        seen_keys=seen,
        deleted_at=deleted_at or timezone.now(),
    )


def _listed_scope(host_zoom_ids: Collection[str] | None) -> Q:
    return _hosts_scope(host_zoom_ids) & Q(expired=False)


# Zoom Support, "Meeting ID": a one-off meeting's ID expires 30 days after its time, a
# recurring one's 365 days after it was last started (a day less here, to be safe).
ONE_OFF_LIFETIME = timedelta(days=29)
RECURRING_LIFETIME = timedelta(days=364)
ONE_OFF_TYPES = frozenset({1, 2, 5})


def may_have_expired(meeting: ZoomRecord, at: datetime) -> bool:
    """Whether Zoom may have let ``meeting`` (or a webinar) expire by ``at``, judged from what
    is stored; True when unsure."""
    if meeting.type in ONE_OFF_TYPES:
        return meeting.start_time is None or meeting.start_time < at - ONE_OFF_LIFETIME
    starts = [
        parse_timestamp(o.get("start_time")) for o in meeting.zoom_data.get("occurrences") or ()
    ]
    past = [start for start in starts if start is not None and start <= at]
    last = max(past, default=meeting.zoom_created_at)
    return last is None or last < at - RECURRING_LIFETIME


def _keep_possibly_expired(
    model: type[ZoomRecord],
    tenant: Tenant,
    scope: Q,
    seen_ids: Collection[int | str],
    at: datetime,
) -> int:
    """Mark expired (kept) the present records of ``scope`` absent from ``seen_ids`` that may
    have expired: only what surely could not have is left to be marked deleted."""
    seen = {int(zoom_id) for zoom_id in seen_ids}
    absent = [
        record
        for record in model._default_manager.filter(
            scope, tenant=tenant, deleted_at__isnull=True, synced_at__lte=at
        ).only("pk", "zoom_id", "type", "start_time", "zoom_created_at", "zoom_data")
        if record.zoom_id not in seen
    ]
    expired = [record.pk for record in absent if may_have_expired(record, at)]
    if not expired:
        return 0
    return model._default_manager.filter(pk__in=expired).update(expired=True)


def _expired(rows: list[dict[str, Any]], expired: bool | None) -> list[dict[str, Any]]:
    if expired is not None:
        for row in rows:
            row["expired"] = expired
    return rows


# The typed fields a meeting list item carries, compared by a reconcile (settings, which only
# "Get a meeting" has, change by webhook and are refreshed by the daily full sync).
LISTED_FIELDS = ("uuid", "topic", "type", "start_time", "duration", "timezone", "host_zoom_id")


def _known(
    model: type[ZoomRecord], tenant: Tenant, host_zoom_ids: Collection[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    known: dict[str, dict[str, dict[str, Any]]] = {host: {} for host in host_zoom_ids}
    rows = model._default_manager.filter(
        tenant=tenant, host_zoom_id__in=list(known), deleted_at__isnull=True, expired=False
    ).values("zoom_id", *LISTED_FIELDS)
    for row in rows:
        known[row["host_zoom_id"]][str(row["zoom_id"])] = row
    return known


def _listed_changed(listed: dict[str, Any], stored: dict[str, Any]) -> bool:
    return any(listed[name] != stored[name] for name in LISTED_FIELDS if name in listed)


def _hosts_scope(host_zoom_ids: Collection[str] | None) -> Q:
    return Q(host_zoom_id__in=list(host_zoom_ids)) if host_zoom_ids is not None else Q()


def _pks_by_zoom_id(
    model: type[ZoomRecord], tenant: Tenant, zoom_ids: Collection[Any]
) -> dict[Any, int]:
    if not zoom_ids:
        return {}
    pks = {}
    for chunk in select_batches(zoom_ids):
        rows = model._default_manager.filter(tenant=tenant, zoom_id__in=chunk)
        pks.update(rows.values_list("zoom_id", "pk"))
    return pks
