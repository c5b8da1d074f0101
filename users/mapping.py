"""Zoom's user JSON → ``ZoomUser`` fields. Pure: no I/O, no ORM.

Reads the user object of ``GET /users/{userId}``, an item of ``GET /users`` (fewer fields:
no ``role_name``; no ``id`` for pending users) and the ``object`` of the ``user.*`` webhooks.
A field is in the result only when its key is in the payload (``zoomadmin.records.payloads``).
"""

from __future__ import annotations

from typing import Any

from zoomadmin.records.payloads import first, integer, present, text, timestamp


def user_key(data: dict[str, Any]) -> str:
    """Zoom's user id, or ``email:<address>`` for a pending user listed without one.

    Zoom documents that ``GET /users?status=pending`` omits ``id``; the email is unique in an
    account, so it keys the pending user until a payload with the id appears.
    """
    zoom_id = data.get("id")
    if zoom_id:
        return str(zoom_id)
    email = str(data.get("email") or "").strip()
    if not email:
        raise ValueError("a Zoom user payload has neither an id nor an email")
    return pending_key(email)


PENDING_PREFIX = "email:"


def pending_key(email: str) -> str:
    """The key of a user that Zoom lists without an id (emails are unique in an account, and
    compared without case)."""
    return PENDING_PREFIX + email.strip().lower()


def zoom_user_to_fields(data: dict[str, Any]) -> dict[str, Any]:
    return present(
        zoom_id=user_key(data),
        email=text(data, "email"),
        first_name=text(data, "first_name"),
        last_name=text(data, "last_name"),
        display_name=text(data, "display_name"),
        type=integer(data, "type"),
        status=text(data, "status"),
        role_id=text(data, "role_id"),
        role_name=text(data, "role_name"),
        dept=text(data, "dept"),
        job_title=text(data, "job_title"),
        timezone=text(data, "timezone"),
        pmi=integer(data, "pmi"),
        last_login_time=timestamp(data, "last_login_time"),
        # "created_at" is, in some of Zoom's descriptions, when the latest login type was made;
        # "user_created_at" is unambiguous when Zoom sends it.
        zoom_created_at=first(timestamp(data, "user_created_at"), timestamp(data, "created_at")),
        zoom_data=dict(data),
    )
