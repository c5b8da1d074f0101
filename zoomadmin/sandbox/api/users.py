"""Zoom Users API: list, create, get (by id, email or `me`), update, delete, change status.

Statuses and codes as Zoom documents them: `action=create` makes a `pending` user (Zoom mails
an invitation), the other create actions an `active` one; a taken email answers 409 code 1005;
an unknown user 404 code 1001. `DELETE` defaults to `action=disassociate` and can hand the
user's meetings, webinars and recordings to `transfer_email`; what is not handed over goes.
The owner cannot be removed; admins cannot be disassociated (code 1117) nor have their
status changed (code 200).
"""

from __future__ import annotations

from typing import Any

from .. import records
from ..web import ApiError, Response, validation_error
from .routing import MEDIUM, Context, paginate, route

OWNER_ROLE, ADMIN_ROLE = "0", "1"
CREATE_ACTIONS = ("create", "autoCreate", "custCreate", "ssoCreate")
USER_TYPES = (1, 2, 4, 99)
STATUSES = ("active", "inactive", "pending")
# Profile fields `PATCH /users/{userId}` may change, with the type each must have.
UPDATABLE: dict[str, type | tuple[type, ...]] = {
    "first_name": str,
    "last_name": str,
    "display_name": str,
    "dept": str,
    "job_title": str,
    "company": str,
    "location": str,
    "timezone": str,
    "language": str,
    "type": int,
    "pmi": int,
    "use_pmi": bool,
    "cms_user_id": str,
    "cost_center": str,
    "manager": str,
    "phone_country": str,
    "phone_number": str,
    "pronouns": str,
    "pronouns_option": int,
    "custom_attributes": list,
}
MAX_LENGTHS = {"first_name": 64, "last_name": 64, "display_name": 128, "job_title": 128}


@route("GET", "/users", category=MEDIUM)
def list_users(ctx: Context) -> Response:
    status = ctx.choice("status", STATUSES, "active")
    role_id = ctx.query.get("role_id", "")
    users = [
        user
        for user in ctx.account.users.values()
        if user["status"] == status
        and (not role_id or user["role_id"] == role_id)
        and user["id"] not in ctx.account.expired_invitations
    ]
    body = paginate(
        ctx,
        users,
        items_key="users",
        listing=("users", status, role_id),
        maximum=2000,
        render=records.user_list_item,
    )
    return Response.json(200, body)


@route("POST", "/users")
def create_user(ctx: Context) -> Response:
    body = ctx.json()
    action = body.get("action")
    info = body.get("user_info")
    if action not in CREATE_ACTIONS:
        raise validation_error("action")
    if not isinstance(info, dict):
        raise validation_error("user_info")
    email = info.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 128:
        raise validation_error("user_info.email")
    if info.get("type") not in USER_TYPES:
        raise validation_error("user_info.type")
    for name in ("first_name", "last_name"):
        value = info.get(name, "")
        if not isinstance(value, str) or len(value) > MAX_LENGTHS[name]:
            raise validation_error(f"user_info.{name}")
    if any(email.lower() in account.emails for account in ctx.state.accounts.values()):
        raise ApiError(409, 1005, f'Email "{email}" has already been used.')
    rng = ctx.state.rng
    user = records.make_user(
        account=ctx.account,
        user_id=ctx.state.new_id(),
        email=email,
        first_name=info.get("first_name", ""),
        last_name=info.get("last_name", ""),
        user_type=info["type"],
        status="pending" if action == "create" else "active",
        created_at=ctx.now,
        pmi=rng.randrange(2_000_000_000, 9_999_999_999),
    )
    if info.get("display_name"):
        user["display_name"] = info["display_name"]
    ctx.account.add_user(user)
    if (info.get("feature") or {}).get("zoom_phone"):
        ctx.account.phone_users.add(user["id"])
    ctx.emit("user.created", {"creation_type": action, "object": records.user_event_object(user)})
    return Response.json(
        201, {k: user[k] for k in ("id", "first_name", "last_name", "email", "type")}
    )


@route("GET", "/users/{userId}")
def get_user(ctx: Context, user_id: str) -> Response:
    user = ctx.user(user_id)
    if user["id"] in ctx.account.expired_invitations:
        # "…the user did not accept the invitation on time and the invitation expired - thus
        # making the userId invalid."
        raise ApiError(
            400, 1120, "A valid invitation to join the Zoom account was not found for this user."
        )
    return Response.json(200, user)


@route("PATCH", "/users/{userId}")
def update_user(ctx: Context, user_id: str) -> Response:
    user = ctx.user(user_id)
    body = ctx.json()
    changes: dict[str, Any] = {}
    for name, value in body.items():
        expected = UPDATABLE.get(name)
        if expected is None:
            continue  # Zoom ignores fields it does not know
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise validation_error(name)
        if isinstance(value, str) and len(value) > MAX_LENGTHS.get(name, 256):
            raise validation_error(name)
        if name == "type" and value not in USER_TYPES:
            raise validation_error(name)
        if user.get(name) != value:
            changes[name] = value
    if ("first_name" in changes or "last_name" in changes) and "display_name" not in body:
        first = changes.get("first_name", user["first_name"])
        last = changes.get("last_name", user["last_name"])
        if f"{first} {last}".strip() != user["display_name"]:
            changes["display_name"] = f"{first} {last}".strip()
    if "pmi" in changes:
        changes["personal_meeting_url"] = f"{records.WEB_BASE}/j/{changes['pmi']}"
    if changes:
        old = {name: user.get(name) for name in changes}
        user.update(changes)
        ctx.emit(
            "user.updated",
            {
                "time_stamp": int(ctx.now * 1000),
                "object": {"id": user["id"], **changes},
                "old_object": {"id": user["id"], **old},
            },
        )
    return Response.empty(204)


@route("DELETE", "/users/{userId}")
def delete_user(ctx: Context, user_id: str) -> Response:
    user = ctx.user(user_id)
    action = ctx.choice("action", ("disassociate", "delete"), "disassociate")
    if user["id"] == ctx.account.owner_id:
        raise ApiError(400, 200, "No privilege.")  # an account keeps its owner
    if action == "disassociate" and user["role_id"] == ADMIN_ROLE:
        raise ApiError(400, 1117, "You can not disassociate an Admin user.")
    target = None
    transfer_email = ctx.query.get("transfer_email", "")
    if transfer_email:
        if transfer_email.lower() == user["email"].lower():
            raise ApiError(
                400,
                300,
                "The transfer-to email address cannot be the same as the unlinked or deleted "
                "user's email address.",
            )
        target = ctx.user(transfer_email)
    _hand_over(ctx, user, target)
    ctx.account.remove_user(user["id"])
    event = "user.deleted" if action == "delete" else "user.disassociated"
    ctx.emit(event, {"object": records.user_event_object(user)})
    return Response.empty(204)


def _hand_over(ctx: Context, user: dict, target: dict | None) -> None:
    """Move what the `transfer_*` flags ask for to `target`; delete the rest of the user's data."""
    account = ctx.account
    for meeting in account.meetings_of(user["id"]):
        is_webinar = meeting["type"] in records.WEBINAR_TYPES
        if target and ctx.flag("transfer_webinar" if is_webinar else "transfer_meeting"):
            account.move_meeting(meeting["id"], target)
        else:
            account.remove_meeting(meeting["id"])
            account.registrants.pop(meeting["id"], None)
            account.webinar_instances.pop(meeting["id"], None)
    for recording in account.recordings_of(user["id"]):
        if target and ctx.flag("transfer_recording"):
            account.move_recording(recording["id"], target)
        else:
            account.remove_recording(recording["id"])
    account.phone_recordings.pop(user["id"], None)
    account.user_channels.pop(user["id"], None)


@route("PUT", "/users/{userId}/status")
def update_user_status(ctx: Context, user_id: str) -> Response:
    user = ctx.user(user_id)
    action = ctx.json().get("action")
    if action not in ("activate", "deactivate", "clock_in", "clock_out"):
        raise validation_error("action")
    if action in ("activate", "deactivate"):
        if user["role_id"] in (OWNER_ROLE, ADMIN_ROLE):
            raise ApiError(
                400, 200, "Zoom Room and Admin users' status cannot be activated or deactivated."
            )
        new_status = "active" if action == "activate" else "inactive"
        if user["status"] != new_status:
            user["status"] = new_status
            ctx.emit(f"user.{action}d", {"object": records.user_event_object(user)})
    # Zoom documents a 200 with no body for this call.
    return Response.empty(200)
