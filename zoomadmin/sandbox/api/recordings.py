"""Zoom cloud recordings (per meeting and per user) and past webinar participants.

As Zoom documents: `GET /meetings/{meetingId}/recordings` takes a meeting id (latest instance)
or an instance UUID (double-encoded when it starts with "/" or contains "//") and answers 404
code 3301 when there is no recording; `DELETE` moves it to the trash (`action=trash`, the
default) or deletes it for good. `GET /users/{userId}/recordings` covers `from`..`to`
(yyyy-mm-dd, UTC, default today) and at most one month: a longer window is cut to one month
after `from`, and the `from`/`to` in the answer show the window actually covered.
`GET /past_webinars/{webinarId}/instances` lists a webinar's ended instances (each its own
UUID) and `GET /past_webinars/{webinarId}/participants` who attended one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .. import records
from ..web import ApiError, Response, validation_error
from .routing import MEDIUM, Context, one_month_after, paginate, route


@route("GET", "/meetings/{meetingId}/recordings")  # Light, as Zoom labels it
def get_meeting_recordings(ctx: Context, meeting_id: str) -> Response:
    recording = _recording(ctx, meeting_id)
    if ctx.query.get("include_fields") == "download_access_token":
        return Response.json(200, {**recording, "download_access_token": "sandbox-download-token"})
    return Response.json(200, recording)


@route("DELETE", "/meetings/{meetingId}/recordings")
def delete_meeting_recordings(ctx: Context, meeting_id: str) -> Response:
    recording = _recording(ctx, meeting_id)
    action = ctx.choice("action", ("trash", "delete"), "trash")
    ctx.account.remove_recording(recording["id"])
    if action == "trash":
        ctx.account.trashed_recordings[recording["id"]] = recording
    # The recording.trashed and recording.deleted examples (Meetings webhooks) carry the
    # recording with "recording_files": "Information about the trashed recording files".
    ctx.emit(f"recording.{'trashed' if action == 'trash' else 'deleted'}", {"object": recording})
    return Response.empty(204)


@route("DELETE", "/meetings/{meetingId}/recordings/{recordingId}")
def delete_recording_file(ctx: Context, meeting_id: str, recording_id: str) -> Response:
    """ "Delete a specific recording file from a meeting or webinar": the file leaves the
    recording (its size and count with it); an unknown file answers as an unknown recording
    does (404, code 3301, "There is no recording for this meeting.")."""
    recording = _recording(ctx, meeting_id)
    action = ctx.choice("action", ("trash", "delete"), "trash")
    files = recording["recording_files"]
    found = next((f for f in files if f.get("id") == recording_id), None)
    if found is None:
        raise ApiError(404, 3301, "There is no recording for this meeting.")
    files.remove(found)
    recording["recording_count"] = len(files)
    recording["total_size"] = sum(f.get("file_size", 0) for f in files)
    event_object = {k: v for k, v in recording.items() if k != "recording_files"}
    event_object["recording_files"] = [found]
    ctx.emit(f"recording.{'trashed' if action == 'trash' else 'deleted'}", {"object": event_object})
    return Response.empty(204)


@route("GET", "/users/{userId}/recordings", category=MEDIUM)
def list_user_recordings(ctx: Context, user_id: str) -> Response:
    host = ctx.user(user_id)
    start, end = _one_month(ctx)
    meeting_id = ctx.query.get("meeting_id", "")
    if ctx.flag("trash"):
        # Zoom does not filter the trash by date.
        found = [r for r in ctx.account.trashed_recordings.values() if r["host_id"] == host["id"]]
    else:
        found = _within(ctx.account.recordings_of(host["id"]), start, end)
    if meeting_id:
        found = [r for r in found if str(r["id"]) == meeting_id]
    listing = ("recordings", host["id"], start, end, ctx.flag("trash"), meeting_id)
    return _recordings_page(ctx, found, listing, start, end)


@route("GET", "/accounts/{accountId}/recordings", category=MEDIUM)
def list_account_recordings(ctx: Context, account_id: str) -> Response:
    """ "List recordings of an account" (FACTS.md §7; not in our copy of Meetings.json): every
    host's recordings, with the user listing's one-month ``from``/``to`` and answer shape.
    ``accountId`` is ``me`` (scope ``account:read:admin``) or, for a sub account, its id. An app
    without the scope is refused, as Zoom refuses a missing scope (400, code 4711)."""
    if account_id not in ("me", ctx.account.id):
        raise ApiError(404, 2001, f"Account does not exist: {account_id}.")
    if not ctx.config.account_recordings_scope:
        raise ApiError(
            400,
            4711,
            "Invalid access token, does not contain scopes:"
            "[cloud_recording:read:list_account_recordings:admin].",
        )
    start, end = _one_month(ctx)
    found = _within(ctx.account.recordings.values(), start, end)
    return _recordings_page(ctx, found, ("account recordings", start, end), start, end)


def _one_month(ctx: Context) -> tuple[dt.date, dt.date]:
    """The ``from``..``to`` of a recordings listing (default today), cut to one month."""
    start = ctx.date("from") or ctx.today
    end = min(ctx.date("to") or ctx.today + dt.timedelta(days=1), one_month_after(start))
    if end < start:
        raise validation_error("to")
    return start, end


def _within(recordings: Iterable[dict], start: dt.date, end: dt.date) -> list[dict]:
    low, high = start.isoformat(), end.isoformat()
    return [r for r in recordings if low <= r["start_time"][:10] <= high]


def _recordings_page(
    ctx: Context, found: list[dict], listing: tuple, start: dt.date, end: dt.date
) -> Response:
    """A recordings listing's answer, newest first, with the days it covers."""
    found.sort(key=lambda r: r["start_time"], reverse=True)
    body = paginate(
        ctx,
        found,
        items_key="meetings",
        listing=listing,
        maximum=300,
        envelope=("page_count", "page_size", "total_records"),
        render=records.recording_list_item,
    )
    return Response.json(200, {"from": start.isoformat(), "to": end.isoformat(), **body})


@route("GET", "/past_webinars/{webinarId}/instances")  # Light, as Zoom labels it
def list_past_webinar_instances(ctx: Context, webinar_id: str) -> Response:
    """ "List past webinar instances": ``webinars``, the "List of ended webinar instances",
    each its ``uuid`` and ``start_time`` (oldest first), in one answer. A webinar that never
    took place has none; an unknown one answers as every webinar endpoint does (404, 3001)."""
    if not webinar_id.isdigit():
        raise ApiError(400, 300, "Invalid webinar ID.")
    webinar = ctx.meeting(webinar_id, webinar=True)
    held = ctx.account.webinar_instances.get(webinar["id"], ())
    instances = [{"start_time": i["start_time"], "uuid": i["uuid"]} for i in held]
    return Response.json(200, {"webinars": instances})


@route("GET", "/past_webinars/{webinarId}/participants", category=MEDIUM)
def list_past_webinar_participants(ctx: Context, webinar_id: str) -> Response:
    """ "List webinar participants" of an ended instance: by webinar ID "the latest webinar
    instance", or the instance whose UUID is given. A webinar that never took place, or an
    unknown one, answers 404 code 3001 "Webinar does not exist." ``registrant_id`` "only
    returns if you pass the ``registrant_id`` value for the ``include_fields`` query
    parameter"."""
    account = ctx.account
    if webinar_id.isdigit():
        webinar = account.meetings.get(int(webinar_id))
        if webinar is None or webinar["type"] not in records.WEBINAR_TYPES:
            raise ApiError(404, 3001, "Webinar does not exist.")
    instance = account.webinar_instance(webinar_id)
    if instance is None:
        raise ApiError(404, 3001, "Webinar does not exist.")
    with_registrant = ctx.query.get("include_fields") == "registrant_id"
    body = paginate(
        ctx,
        instance["participants"],
        items_key="participants",
        listing=("participants", instance["uuid"]),
        maximum=300,
        envelope=("page_count", "page_size", "total_records"),
        render=None if with_registrant else _without_registrant,
    )
    return Response.json(200, body)


def _without_registrant(participant: dict) -> dict:
    return {k: v for k, v in participant.items() if k != "registrant_id"}


def _recording(ctx: Context, key: str) -> dict:
    account = ctx.account
    meeting_id = int(key) if key.isdigit() else account.recordings_by_uuid.get(key)
    recording = account.recordings.get(meeting_id) if meeting_id is not None else None
    if recording is None:
        raise ApiError(404, 3301, "There is no recording for this meeting.")
    return recording
