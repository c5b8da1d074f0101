"""Zoom Phone user recordings and Team Chat channels and messages (read-only, live views).

As Zoom documents: phone recordings are a Zoom Phone user's (anyone else "does not exist", 404
code 1001) and cover `from`..`to` (default: the past 30 days; at most one month; `to` required
with `from`). Chat channels page 10 by default, up to 1,000. Chat messages need `to_contact` or
`to_channel` (400 code 300 otherwise), cover one UTC `date` (default today) or `from`..`to`,
go back at most six months, come newest first, and page 10 by default, up to 50.
"""

from __future__ import annotations

import datetime as dt

from ..web import ApiError, Response, validation_error
from .routing import MEDIUM, Context, one_month_after, paginate, route


@route("GET", "/phone/users/{userId}/recordings", category=MEDIUM)
def list_phone_recordings(ctx: Context, user_id: str) -> Response:
    user = ctx.user(user_id)
    if user["id"] not in ctx.account.phone_users:
        # "Prerequisites: A Zoom Phone license"; Zoom Phone knows only its users.
        raise ApiError(404, 1001, f"User does not exist: {user_id}.")
    if ctx.query.get("from") and not ctx.query.get("to"):
        raise validation_error("to")  # "**Required** only when the `from` parameter is specified"
    start = ctx.date("from") or ctx.today - dt.timedelta(days=30)
    end = min(ctx.date("to") or ctx.today, one_month_after(start))
    if end < start:
        raise validation_error("to")
    low, high = start.isoformat(), end.isoformat()
    found = [
        r
        for r in ctx.account.phone_recordings.get(user["id"], ())
        if low <= r["date_time"][:10] <= high
    ]
    body = paginate(
        ctx,
        found,
        items_key="recordings",
        listing=("phone_recordings", user["id"], start, end),
        maximum=300,
        envelope=("page_count", "page_size", "total_records"),
    )
    return Response.json(200, {"from": low, "to": high, **body})


@route("GET", "/chat/users/{userId}/channels", category=MEDIUM)
def list_user_channels(ctx: Context, user_id: str) -> Response:
    user = ctx.user(user_id)
    channels = [ctx.account.channels[c] for c in ctx.account.user_channels.get(user["id"], ())]
    body = paginate(
        ctx,
        channels,
        items_key="channels",
        listing=("channels", user["id"]),
        maximum=1000,
        default=10,
        envelope=("page_size", "total_records"),
    )
    return Response.json(200, body)


@route("GET", "/chat/users/{userId}/messages", category=MEDIUM)
def list_user_chat_messages(ctx: Context, user_id: str) -> Response:
    user = ctx.user(user_id)
    account = ctx.account
    to_channel, to_contact = ctx.query.get("to_channel", ""), ctx.query.get("to_contact", "")
    if to_channel:
        if to_channel not in account.user_channels.get(user["id"], ()):
            raise ApiError(404, 4130, f"Channel does not exist: {to_channel}.")
        messages = account.channel_messages.get(to_channel, [])
    elif to_contact:
        contact = account.find_user(to_contact)
        if contact is None:
            raise ApiError(404, 1001, f"User does not exist: {to_contact}.")
        messages = account.direct_messages.get(frozenset((user["id"], contact["id"])), [])
    else:
        raise ApiError(400, 300, "Must provide either contact or channel parameter.")

    window: dict[str, str] = {}
    date = ctx.query.get("date", "")
    if date or not ctx.query.get("from"):
        day = ctx.date("date") or ctx.today
        low, high = f"{day.isoformat()}T00:00:00Z", f"{day.isoformat()}T23:59:59Z"
        window["date"] = day.isoformat()
    else:
        low = _datetime(ctx, "from")
        high = _datetime(ctx, "to") if ctx.query.get("to") else _iso(ctx.now)
        # "The API only returns this value if you call the `to` query parameter" (and `from`).
        window.update({"from": low, "to": high} if ctx.query.get("to") else {"from": low})
    if low < _iso(ctx.now - 183 * 86_400):
        raise ApiError(400, 300, "Only provide past chat messages in recent 6 months.")
    found = [m for m in reversed(messages) if low <= m["date_time"] <= high]
    body = paginate(
        ctx,
        found,
        items_key="messages",
        listing=("messages", user["id"], to_channel, to_contact, low, high),
        maximum=50,
        default=10,
        envelope=("page_size",),
    )
    return Response.json(200, {**window, **body})


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _datetime(ctx: Context, name: str) -> str:
    raw = ctx.query.get(name, "")
    try:
        parsed = dt.datetime.strptime(raw, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise validation_error(name) from None
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")
