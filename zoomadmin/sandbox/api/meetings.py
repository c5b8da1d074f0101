"""Zoom Meetings API: meetings and webinars (list, create, get, update, delete), meeting status
(end, recover) and the meeting invitation.

Meetings and webinars share Zoom's id space and most rules, so one set of functions serves both.
Codes as Zoom documents them: an unknown meeting or webinar answers 404 code 3001; a body that
fails validation 400 code 300 with an `errors` list; a host past Zoom's 100 creates/updates per
UTC day answers 429 with Zoom's per-user message (no rate-limit headers, as observed at Zoom).
"""

from __future__ import annotations

import base64
import calendar
import re
import time
import zoneinfo
from datetime import datetime
from typing import Any

from .. import records
from ..web import ApiError, Response, validation_error
from .routing import MEDIUM, Context, paginate, route

MEETING_TYPES = (1, 2, 3, 8, 10)
# "List meetings" shows scheduled and recurring meetings, not instant or screen-share-only ones.
LISTED_TYPES = (2, 3, 8)
WEBINAR_TYPES = (5, 6, 9)
NON_RECURRING_TYPES = (1, 2, 5)
DAY = 86400
NON_RECURRING_TTL = 30 * DAY
RECURRING_TTL = 365 * DAY
DAILY_CAP_MESSAGE = (
    "You have exceeded the daily rate limit ({cap}) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00."
)
WEBINAR_PLAN_MISSING = (
    "Webinar plan is missing. You must subscribe to the webinar plan and enable webinars for "
    "this user in order to perform this action."
)
# Top-level fields a create or update may set, with their types and length limits.
FIELDS: dict[str, tuple[type, int]] = {
    "topic": (str, 200),
    "agenda": (str, 2000),
    "timezone": (str, 64),
    "password": (str, 10),
    "duration": (int, 1440),
}
# The passcode alphabets of the updates (Meetings OpenAPI): "Update a meeting", ``password``:
# "a passcode can **only** have a maximum length of 10 characters and only contain alphanumeric
# characters and the `@`, `-`, `_`, and `*` characters"; "Update a webinar": "Passcode may only
# contain the characters [a-z A-Z 0-9 @ - _ * !]. Maximum of 10 characters." The creates name
# no alphabet ("may contain … special characters such as !, @, #, etc."), so they are not held
# to one.
MEETING_PASSCODE = re.compile(r"[A-Za-z0-9@\-_*]{1,10}")
WEBINAR_PASSCODE = re.compile(r"[A-Za-z0-9@\-_*!]{1,10}")


# --- meetings ------------------------------------------------------------------------------


@route("GET", "/users/{userId}/meetings", category=MEDIUM)
def list_meetings(ctx: Context, user_id: str) -> Response:
    host = ctx.user(user_id)
    kind = ctx.choice(
        "type",
        ("scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"),
        "scheduled",
    )
    day_from, day_to = ctx.query.get("from", ""), ctx.query.get("to", "")
    meetings = [
        m
        for m in ctx.account.meetings_of(host["id"])
        if m["type"] in LISTED_TYPES
        and _matches_kind(m, kind, ctx.now)
        and (not day_from or m.get("start_time", "9999")[:10] >= day_from)
        and (not day_to or m.get("start_time", "")[:10] <= day_to)
    ]
    body = paginate(
        ctx,
        meetings,
        items_key="meetings",
        listing=("meetings", host["id"], kind, day_from, day_to),
        maximum=300,
        render=records.meeting_list_item,
    )
    return Response.json(200, body)


@route("POST", "/users/{userId}/meetings")
def create_meeting(ctx: Context, user_id: str) -> Response:
    return _create(ctx, ctx.user(user_id), webinar=False)


@route("GET", "/meetings/{meetingId}")
def get_meeting(ctx: Context, meeting_id: str) -> Response:
    return Response.json(200, ctx.meeting(meeting_id))


@route("PATCH", "/meetings/{meetingId}")
def update_meeting(ctx: Context, meeting_id: str) -> Response:
    return _update(ctx, ctx.meeting(meeting_id))


@route("DELETE", "/meetings/{meetingId}")
def delete_meeting(ctx: Context, meeting_id: str) -> Response:
    return _delete(ctx, ctx.meeting(meeting_id))


@route("PUT", "/meetings/{meetingId}/status")
def update_meeting_status(ctx: Context, meeting_id: str) -> Response:
    action = ctx.json().get("action")
    if action not in ("end", "recover"):
        raise validation_error("action")
    if action == "recover":
        deleted_id = int(meeting_id) if meeting_id.isdigit() else -1
        meeting = ctx.account.deleted_meetings.pop(deleted_id, None)
        if meeting is not None:
            ctx.account.add_meeting(meeting)
            ctx.emit("meeting.recovered", {"object": records.meeting_event_object(meeting)})
            return Response.empty(204)
    meeting = ctx.meeting(meeting_id)
    if action == "end" and meeting.get("status") == "started":
        meeting["status"] = "waiting"
        ended = records.meeting_event_object(meeting)
        ended["end_time"] = records.iso(ctx.now)
        ctx.emit("meeting.ended", {"object": ended}, operator=False)
    return Response.empty(204)


@route("GET", "/meetings/{meetingId}/invitation")
def get_meeting_invitation(ctx: Context, meeting_id: str) -> Response:
    meeting = ctx.account.meetings.get(int(meeting_id)) if meeting_id.isdigit() else None
    if meeting is None or meeting["type"] in records.WEBINAR_TYPES:
        # Zoom documents no "Cannot access webinar info." here: a webinar is no meeting.
        raise ApiError(404, 3001, f"Meeting does not exist: {meeting_id}.")
    host = ctx.account.users[meeting["host_id"]]
    return Response.json(200, {"invitation": records.invitation_text(meeting, host)})


# --- webinars ------------------------------------------------------------------------------


@route("GET", "/users/{userId}/webinars", category=MEDIUM)
def list_webinars(ctx: Context, user_id: str) -> Response:
    host = ctx.user(user_id)
    _require_webinar_plan(ctx, host)
    kind = ctx.choice("type", ("scheduled", "upcoming"), "scheduled")
    webinars = [
        m
        for m in ctx.account.meetings_of(host["id"])
        if m["type"] in records.WEBINAR_TYPES and _matches_kind(m, kind, ctx.now)
    ]
    body = paginate(
        ctx,
        webinars,
        items_key="webinars",
        listing=("webinars", host["id"], kind),
        maximum=300,
        render=records.meeting_list_item,
    )
    return Response.json(200, body)


@route("POST", "/users/{userId}/webinars")
def create_webinar(ctx: Context, user_id: str) -> Response:
    host = ctx.user(user_id)
    _require_webinar_plan(ctx, host)
    return _create(ctx, host, webinar=True)


@route("GET", "/webinars/{webinarId}")
def get_webinar(ctx: Context, webinar_id: str) -> Response:
    webinar = ctx.meeting(webinar_id, webinar=True)
    _require_webinar_plan(ctx, ctx.account.users.get(webinar["host_id"], {}))
    return Response.json(200, webinar)


def _require_webinar_plan(ctx: Context, host: dict) -> None:
    """Zoom refuses the webinars of a user without the webinar add-on: 400, code 200, "Webinar
    plan is missing" (Meetings OpenAPI, "List webinars": "Prerequisites: A Pro or higher plan
    with the webinar add-on"), a licensed user included."""
    if host.get("type") != 2 or host.get("id") not in ctx.account.webinar_users:
        raise ApiError(400, 200, WEBINAR_PLAN_MISSING)


@route("PATCH", "/webinars/{webinarId}")
def update_webinar(ctx: Context, webinar_id: str) -> Response:
    return _update(ctx, ctx.meeting(webinar_id, webinar=True))


@route("DELETE", "/webinars/{webinarId}")
def delete_webinar(ctx: Context, webinar_id: str) -> Response:
    return _delete(ctx, ctx.meeting(webinar_id, webinar=True))


# --- shared --------------------------------------------------------------------------------


def is_expired(meeting: dict, now: float) -> bool:
    """Whether Zoom's listings leave the meeting (or webinar) out as expired.

    Meetings OpenAPI, ``GET /users/{userId}/meetings``: "This API only returns a user's
    unexpired meetings", linking Zoom Support's "Meeting ID" article: a non-recurring meeting's
    ID expires 30 days after its scheduled time, a recurring meeting's 365 days after it was
    last started (here: its latest past occurrence, else its creation). "Get a meeting" still
    answers for an expired meeting; only the listings leave it out.
    """
    if meeting["type"] in NON_RECURRING_TYPES:
        start = _timestamp(meeting.get("start_time"))
        end = start + 60 * int(meeting.get("duration") or 0) if start is not None else None
        return end is not None and end < now - NON_RECURRING_TTL
    starts = [_timestamp(meeting.get("created_at"))]
    starts += [_timestamp(o.get("start_time")) for o in meeting.get("occurrences") or ()]
    last = max((t for t in starts if t is not None and t <= now), default=None)
    return last is not None and last < now - RECURRING_TTL


def _timestamp(value: Any) -> float | None:
    if not value:
        return None
    return float(calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ")))


def _matches_kind(meeting: dict, kind: str, now: float) -> bool:
    if kind != "live" and is_expired(meeting, now):
        return False
    if kind == "scheduled":
        return True
    if kind == "live":
        return meeting.get("status") == "started"
    last_start = meeting.get("start_time", "")
    if meeting.get("occurrences"):
        last_start = meeting["occurrences"][-1]["start_time"]
    if kind in ("upcoming", "upcoming_meetings"):
        return meeting["type"] in (3, 6) or last_start >= records.iso(now)
    return bool(last_start) and meeting.get("start_time", "") < records.iso(now)


def _validated(
    body: dict[str, Any], *, webinar: bool, creating: bool, timezone: str
) -> dict[str, Any]:
    """The fields of a create/update body, type-checked; raises Zoom's code 300 otherwise.

    ``timezone`` is the one a local ``start_time`` is read in when the body names none (the
    meeting's own, or the host's for a new meeting)."""
    fields: dict[str, Any] = {}
    for name, (expected, limit) in FIELDS.items():
        if name not in body:
            continue
        value = body[name]
        if not isinstance(value, expected) or isinstance(value, bool):
            raise validation_error(name)
        if (len(value) if isinstance(value, str) else value) > limit:
            raise validation_error(name)
        fields[name] = value
    if "duration" in fields and fields["duration"] < 1:
        # Meetings OpenAPI, ``duration``: "The value must be between 1 and 1440 minutes".
        raise validation_error("duration")
    alphabet = WEBINAR_PASSCODE if webinar else MEETING_PASSCODE
    if fields.get("password") and not creating and not alphabet.fullmatch(fields["password"]):
        raise validation_error("password")
    if "timezone" in fields:
        _zone(fields["timezone"])
    allowed = WEBINAR_TYPES if webinar else MEETING_TYPES
    if "type" in body:
        if body["type"] not in allowed:
            raise validation_error("type")
        fields["type"] = body["type"]
    elif creating:
        fields["type"] = 5 if webinar else 2
    if "start_time" in body:
        fields["start_time"] = _parse_time(body["start_time"], fields.get("timezone", timezone))
    if "settings" in body:
        if not isinstance(body["settings"], dict):
            raise validation_error("settings")
        approval = body["settings"].get("approval_type", 2)
        if approval not in (0, 1, 2):
            raise validation_error("settings.approval_type")
        fields["settings"] = body["settings"]
    if "recurrence" in body:
        recurrence = body["recurrence"]
        if not isinstance(recurrence, dict) or recurrence.get("type") not in (1, 2, 3):
            raise validation_error("recurrence.type")
        fields["recurrence"] = recurrence
    return fields


def _accepted_settings(requested: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The settings the sandbox keeps, type-checked against the current ones.

    Settings it does not model are ignored, as Zoom ignores fields it does not know, so an
    answer never carries a setting in a shape Zoom would not send.
    """
    accepted = {}
    for name, value in requested.items():
        if name not in current:
            continue
        if type(value) is not type(current[name]):
            raise validation_error(f"settings.{name}")
        accepted[name] = value
    return accepted


def _zone(name: Any) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise validation_error("timezone") from None


def _parse_time(value: Any, timezone: str) -> float:
    """Meetings OpenAPI, ``start_time``: "To set a meeting's start time in GMT, use the
    `yyyy-MM-ddTHH:mm:ssZ` date-time format … To set a meeting's start time using a specific
    timezone, use the `yyyy-MM-ddTHH:mm:ss` date-time format and specify the timezone ID in
    the `timezone` field": a time without `Z` is the wall-clock time in ``timezone``."""
    if isinstance(value, str):
        try:
            return float(calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ")))
        except ValueError:
            pass
        try:
            local = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            pass
        else:
            return local.replace(tzinfo=_zone(timezone)).timestamp()
    raise validation_error("start_time")


def _check_daily_cap(ctx: Context, host: dict) -> None:
    cap = ctx.config.meeting_writes_per_user_per_day
    if not ctx.state.count_meeting_write(host["id"], cap):
        raise ApiError(429, 429, DAILY_CAP_MESSAGE.format(cap=cap))


def _create(ctx: Context, host: dict, *, webinar: bool) -> Response:
    if host["status"] != "active":
        raise ApiError(
            400,
            3161,
            "Meeting hosting and scheduling capabilities are not allowed for your user account.",
        )
    fields = _validated(ctx.json(), webinar=webinar, creating=True, timezone=host["timezone"])
    _check_daily_cap(ctx, host)
    rng = ctx.state.rng
    meeting_type = fields["type"]
    settings = _accepted_settings(
        fields.get("settings", {}),
        records.meeting_settings(approval_type=2, auto_recording="none", webinar=webinar),
    )
    start = fields.get("start_time")
    if start is None and meeting_type not in (3, 6):
        start = ctx.now  # Zoom schedules a meeting without a start time for "now"
    occurrences = int((fields.get("recurrence") or {}).get("end_times", 4) or 4)
    meeting = records.make_meeting(
        meeting_id=ctx.state.new_meeting_id(),
        uuid=base64.b64encode(rng.randbytes(16)).decode(),
        host=host,
        topic=fields.get("topic", "Zoom meeting" if not webinar else "Zoom webinar"),
        meeting_type=meeting_type,
        start_time=start,
        duration=fields.get("duration", 60),
        timezone=fields.get("timezone", host["timezone"]),
        created_at=ctx.now,
        password=fields.get("password")
        or "".join(rng.choices("abcdefghjkmnpqrstuvwxyz23456789", k=8)),
        agenda=fields.get("agenda", ""),
        approval_type=settings.get("approval_type", 2),
        auto_recording=settings.get("auto_recording", "none"),
        occurrences=min(max(occurrences, 1), 60),
        settings=settings,
    )
    if "recurrence" in fields and "recurrence" in meeting:
        meeting["recurrence"].update(fields["recurrence"])
    ctx.account.add_meeting(meeting)
    event = "webinar.created" if webinar else "meeting.created"
    ctx.emit(event, {"operation": "single", "object": records.meeting_event_object(meeting)})
    return Response.json(201, meeting)


def _update(ctx: Context, meeting: dict) -> Response:
    webinar = meeting["type"] in records.WEBINAR_TYPES
    fields = _validated(
        ctx.json(), webinar=webinar, creating=False, timezone=meeting.get("timezone") or "UTC"
    )
    _check_daily_cap(ctx, ctx.account.users[meeting["host_id"]])
    changes: dict[str, Any] = {}
    old: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "start_time":
            value = records.iso(value)
        if name == "settings":
            value = _accepted_settings(value, meeting["settings"])
            merged = {**meeting["settings"], **value}
            if merged != meeting["settings"]:
                old["settings"] = {k: meeting["settings"].get(k) for k in value}
                changes["settings"] = value
                meeting["settings"] = merged
            continue
        if name == "recurrence":
            if "recurrence" in meeting:
                meeting["recurrence"].update(value)
            continue
        if meeting.get(name) != value:
            old[name] = meeting.get(name)
            changes[name] = value
            meeting[name] = value
    if "settings" in changes:
        registration = records.registration_open(meeting)
        if registration and "registration_url" not in meeting:
            meeting["registration_url"] = records.registration_url(meeting["uuid"])
    if changes:
        ids = {"id": meeting["id"], "uuid": meeting["uuid"]}
        event = "webinar.updated" if webinar else "meeting.updated"
        ctx.emit(
            event,
            {
                "scope": "all",
                "time_stamp": int(ctx.now * 1000),
                "object": {**ids, **changes},
                "old_object": {**ids, **old},
            },
        )
    return Response.empty(204)


def _delete(ctx: Context, meeting: dict) -> Response:
    webinar = meeting["type"] in records.WEBINAR_TYPES
    event = "webinar.deleted" if webinar else "meeting.deleted"
    occurrence_id = ctx.query.get("occurrence_id", "")
    if occurrence_id:
        occurrence = next(
            (o for o in meeting.get("occurrences", ()) if o["occurrence_id"] == occurrence_id), None
        )
        if occurrence is None:
            raise ApiError(400, 300, "Invalid parameter: occurrence_id.")
        occurrence["status"] = "deleted"
        deleted = records.meeting_event_object(meeting)
        deleted["occurrences"] = [occurrence]
        ctx.emit(event, {"operation": "single", "object": deleted})
        return Response.empty(204)
    ctx.account.remove_meeting(meeting["id"])
    if not webinar:
        ctx.account.deleted_meetings[meeting["id"]] = meeting
    else:
        ctx.account.registrants.pop(meeting["id"], None)
    ctx.emit(event, {"operation": "all", "object": records.meeting_event_object(meeting)})
    return Response.empty(204)
