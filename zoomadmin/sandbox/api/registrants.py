"""Zoom registrants of meetings and webinars: list (by status), add, and update status.

As Zoom documents: lists default to `status=approved`; a new registrant is `approved` when the
meeting approves automatically (`settings.approval_type` 0, or `auto_approve`) and `pending`
when the host approves manually (1); `PUT .../registrants/status` takes `approve`, `deny` or
`cancel` (an approved registration withdrawn) for at most 30 registrants, by id or email.
Registering twice with one email returns the first registration, as Zoom does.
"""

from __future__ import annotations

from .. import records
from ..web import ApiError, Response, validation_error
from .routing import MEDIUM, Context, paginate, route

STATUSES = ("approved", "pending", "denied")
# action -> (statuses it applies to, new status, event suffix)
TRANSITIONS = {
    "approve": (("pending", "denied"), "approved", "registration_approved"),
    "deny": (("pending", "approved"), "denied", "registration_denied"),
    "cancel": (("approved",), "denied", "registration_cancelled"),
}


@route("GET", "/meetings/{meetingId}/registrants", category=MEDIUM)
def list_meeting_registrants(ctx: Context, meeting_id: str) -> Response:
    # Zoom documents "Cannot access webinar info." here with code 300, not the usual 3000.
    return _list(ctx, _meeting(ctx, meeting_id, {3000: 300}))


@route("POST", "/meetings/{meetingId}/registrants")
def add_meeting_registrant(ctx: Context, meeting_id: str) -> Response:
    # Zoom documents "Meeting does not exist" here with code 1001, not the usual 3001.
    return _add(ctx, _meeting(ctx, meeting_id, {3001: 1001}))


@route("PUT", "/meetings/{meetingId}/registrants/status", category=MEDIUM)
def update_meeting_registrant_status(ctx: Context, meeting_id: str) -> Response:
    return _update_status(ctx, ctx.meeting(meeting_id))


@route("GET", "/webinars/{webinarId}/registrants", category=MEDIUM)
def list_webinar_registrants(ctx: Context, webinar_id: str) -> Response:
    return _list(ctx, ctx.meeting(webinar_id, webinar=True))


@route("POST", "/webinars/{webinarId}/registrants")
def add_webinar_registrant(ctx: Context, webinar_id: str) -> Response:
    return _add(ctx, ctx.meeting(webinar_id, webinar=True))


@route("PUT", "/webinars/{webinarId}/registrants/status", category=MEDIUM)
def update_webinar_registrant_status(ctx: Context, webinar_id: str) -> Response:
    return _update_status(ctx, ctx.meeting(webinar_id, webinar=True))


@route("GET", "/meetings/{meetingId}/registrants/{registrantId}")
def get_meeting_registrant(ctx: Context, meeting_id: str, registrant_id: str) -> Response:
    return _get(ctx, ctx.meeting(meeting_id), registrant_id)


@route("GET", "/webinars/{webinarId}/registrants/{registrantId}")
def get_webinar_registrant(ctx: Context, webinar_id: str, registrant_id: str) -> Response:
    return _get(ctx, ctx.meeting(webinar_id, webinar=True), registrant_id)


def _get(ctx: Context, meeting: dict, registrant_id: str) -> Response:
    """The registrant as the listing shows it (the published 200 schema holds the same fields).
    An unknown registrant: for a webinar, the description's 400, code 3079, "This registrant
    does not exist: {registrantId}."; the meeting description names no such error, only its
    404, code 3001, which is answered then."""
    registrant = ctx.account.registrants.get(meeting["id"], {}).get(registrant_id)
    if registrant is None and meeting["type"] in records.WEBINAR_TYPES:
        raise ApiError(400, 3079, f"This registrant does not exist: {registrant_id}.")
    if registrant is None:
        raise ApiError(404, 3001, f"Registrant does not exist: {registrant_id}.")
    return Response.json(200, registrant)


def _meeting(ctx: Context, key: str, codes: dict[int, int]) -> dict:
    """`ctx.meeting(key)`, with the error codes this endpoint's description gives instead."""
    try:
        return ctx.meeting(key)
    except ApiError as error:
        if error.code not in codes:
            raise
        raise ApiError(error.status, codes[error.code], error.message) from None


def _kind(meeting: dict) -> str:
    return "webinar" if meeting["type"] in records.WEBINAR_TYPES else "meeting"


def _list(ctx: Context, meeting: dict) -> Response:
    status = ctx.choice("status", STATUSES, "approved")
    registrants = [
        r for r in ctx.account.registrants.get(meeting["id"], {}).values() if r["status"] == status
    ]
    body = paginate(
        ctx,
        registrants,
        items_key="registrants",
        listing=("registrants", meeting["id"], status),
        maximum=300,
    )
    return Response.json(200, body)


def _add(ctx: Context, meeting: dict) -> Response:
    if not records.registration_open(meeting):
        raise ApiError(
            400,
            3000,
            f"This {_kind(meeting)} does not have registration as required: {meeting['id']}.",
        )
    body = ctx.json()
    for name in ("first_name", "email"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise validation_error(name)
    if "@" not in body["email"] or len(body["email"]) > 128:
        raise validation_error("email")
    registrants = ctx.account.registrants.setdefault(meeting["id"], {})
    registrant = next(
        (r for r in registrants.values() if r["email"].lower() == body["email"].lower()), None
    )
    if registrant is None:
        automatic = meeting["settings"]["approval_type"] == 0 or body.get("auto_approve") is True
        rng = ctx.state.rng
        registrant = records.make_registrant(
            registrant_id=ctx.state.new_id(),
            meeting=meeting,
            email=body["email"],
            first_name=body["first_name"],
            last_name=body.get("last_name", ""),
            status="approved" if automatic else "pending",
            create_time=ctx.now,
            pin_code=rng.randrange(100_000, 999_999),
            extra=body,
        )
        registrants[registrant["id"]] = registrant
        ctx.emit(
            f"{_kind(meeting)}.registration_created",
            {"object": records.registrant_event_object(meeting, registrant)},
            operator=False,
        )
    answer = {"id": meeting["id"], "registrant_id": registrant["id"], "topic": meeting["topic"]}
    # Meetings OpenAPI, POST /meetings/{meetingId}/registrants, 201 join_url: "The API will not
    # return this field if the meeting was created with the approval_type field value of 1
    # (manual approval)." The webinar's description has no such exception.
    if _kind(meeting) == "webinar" or meeting["settings"]["approval_type"] != 1:
        answer["join_url"] = registrant["join_url"]
    if "start_time" in meeting:
        answer["start_time"] = meeting["start_time"]
    if meeting.get("occurrences"):
        answer["occurrences"] = meeting["occurrences"]
    if "participant_pin_code" in registrant:
        answer["participant_pin_code"] = registrant["participant_pin_code"]
    return Response.json(201, answer)


def _update_status(ctx: Context, meeting: dict) -> Response:
    body = ctx.json()
    action = body.get("action")
    if action not in TRANSITIONS:
        raise validation_error("action")
    wanted = body.get("registrants")
    if not isinstance(wanted, list) or not wanted or len(wanted) > 30:
        raise validation_error("registrants")
    ids = {w.get("id") for w in wanted if isinstance(w, dict) and w.get("id")}
    emails = {w["email"].lower() for w in wanted if isinstance(w, dict) and w.get("email")}
    sources, new_status, event = TRANSITIONS[action]
    for registrant in ctx.account.registrants.get(meeting["id"], {}).values():
        if registrant["id"] not in ids and registrant["email"].lower() not in emails:
            continue
        if registrant["status"] in sources:
            registrant["status"] = new_status
            ctx.emit(
                f"{_kind(meeting)}.{event}",
                {"object": records.registrant_event_object(meeting, registrant)},
            )
    return Response.empty(204)
