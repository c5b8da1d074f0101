"""Routing, authentication, rate limits and pagination for the sandbox's `/v2` REST API.

The contract spoken here is Zoom's, for every endpoint:

* `Authorization: Bearer <access token>`; a missing or unknown token answers 401
  `{"code": 124, "message": "Invalid access token."}`, an expired one
  `"Access token is expired."`. Data is scoped to the token's account: another account's user
  or meeting does not exist.
* Per-account limits (when configured): a token bucket answering 429 with
  `X-RateLimit-Type: QPS` and `Retry-After` in seconds, and a daily budget answering 429 with
  `X-RateLimit-Type: Daily-limit` and `Retry-After` as the ISO date-time of the next 00:00 UTC.
* Lists take `page_size` (clamped to the endpoint's published maximum) and an opaque
  `next_page_token` that lives 15 minutes and belongs to one listing; the last page carries
  `"next_page_token": ""`. A bogus or expired token answers 400, code 300.
* An unknown path answers 404, code 2300 "This API endpoint is not recognized."
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ..config import SandboxConfig
from ..records import WEBINAR_TYPES
from ..state import AccessToken, Account, SandboxState, utc_day
from ..web import ApiError, Request, Response, validation_error

LIGHT, MEDIUM = "Light", "Medium"

Handler = Callable[..., Response]


@dataclass(slots=True, frozen=True)
class Route:
    method: str
    template: str  # "/users/{userId}/meetings", relative to /v2
    segments: tuple[str, ...]
    handler: Handler
    category: str


ROUTES: list[Route] = []


def route(method: str, template: str, *, category: str = LIGHT) -> Callable[[Handler], Handler]:
    """Register `handler(ctx, *path_params) -> Response` for `method template`."""

    def register(handler: Handler) -> Handler:
        segments = tuple(template.strip("/").split("/"))
        ROUTES.append(Route(method, template, segments, handler, category))
        return handler

    return register


def match(method: str, segments: Sequence[str]) -> tuple[Route | None, list[str]]:
    """The route for a request and its path parameters, in order.

    Routes are tried in order of definition and the first match wins. A known path with
    another method answers like an unknown path, as Zoom does.
    """
    for candidate in ROUTES:
        if candidate.method != method or len(candidate.segments) != len(segments):
            continue
        params: list[str] = []
        for pattern, value in zip(candidate.segments, segments, strict=True):
            if pattern[0] == "{":
                if not value:
                    break
                params.append(value)
            elif pattern != value:
                break
        else:
            return candidate, params
    return None, []


class Context:
    """One authenticated API request: the caller's account and user, the query, the clock."""

    __slots__ = ("state", "config", "request", "token", "account", "now")

    def __init__(
        self, state: SandboxState, config: SandboxConfig, request: Request, token: AccessToken
    ) -> None:
        self.state = state
        self.config = config
        self.request = request
        self.token = token
        self.account: Account = state.accounts[token.account_id]
        self.now = state.now()

    @property
    def query(self) -> dict[str, str]:
        return self.request.query

    @property
    def operator(self) -> dict:
        """The user on whose behalf the token acts (the account owner for Server-to-Server)."""
        return self.account.users.get(self.token.user_id) or self.account.users.get(
            self.account.owner_id, {"id": "", "email": ""}
        )

    def emit(self, event: str, payload: dict[str, Any], *, operator: bool = True) -> None:
        """Announce a change, in the shape of a Zoom webhook's `payload`."""
        envelope: dict[str, Any] = {"account_id": self.account.id}
        if operator:
            envelope["operator"] = self.operator.get("email", "")
            envelope["operator_id"] = self.operator.get("id", "")
        envelope.update(payload)
        self.state.emit(event, self.account.id, envelope)

    # Lookups with Zoom's not-found errors.

    def user(self, key: str) -> dict:
        user = self.operator if key == "me" else self.account.find_user(key)
        if not user or not user.get("id"):
            raise ApiError(404, 1001, f"User does not exist: {key}.")
        return user

    def meeting(self, key: str, *, webinar: bool = False) -> dict:
        kind = "Webinar" if webinar else "Meeting"
        meeting = self.account.meetings.get(int(key)) if key.isdigit() else None
        if meeting is None:
            raise ApiError(404, 3001, f"{kind} does not exist: {key}.")
        if (meeting["type"] in WEBINAR_TYPES) != webinar:
            if webinar:
                raise ApiError(404, 3001, f"Webinar does not exist: {key}.")
            raise ApiError(400, 3000, "Cannot access webinar info.")
        return meeting

    def json(self) -> dict[str, Any]:
        return self.request.json()

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() == "true"

    def choice(self, name: str, allowed: Iterable[str], default: str) -> str:
        value = self.query.get(name) or default
        if value not in allowed:
            raise validation_error(name)
        return value

    def date(self, name: str) -> dt.date | None:
        """A `yyyy-mm-dd` query parameter (a date-time's date part is accepted too)."""
        raw = self.query.get(name, "")
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw[:10])
        except ValueError:
            raise validation_error(name) from None

    @property
    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.now, dt.UTC).date()


def one_month_after(day: dt.date) -> dt.date:
    """The same day next month, or that month's last day (Jan 31 -> Feb 28): Zoom's longest window."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


# --- pagination ----------------------------------------------------------------------------


def paginate(
    ctx: Context,
    items: Sequence[Any],
    *,
    items_key: str,
    listing: tuple,
    maximum: int,
    default: int = 30,
    envelope: Iterable[str] = ("page_count", "page_number", "page_size", "total_records"),
    render: Callable[[Any], dict] | None = None,
) -> dict[str, Any]:
    """One page of `items` in Zoom's list envelope, with a `next_page_token` for the rest."""
    size = _page_size(ctx.query.get("page_size"), default, maximum)
    listing = (ctx.account.id, *listing, size)
    token = ctx.query.get("next_page_token", "")
    if token:
        offset = ctx.state.cursor_offset(token, listing)
        if offset is None:
            raise ApiError(400, 300, "The next page token is invalid or expired.")
    else:
        # The legacy `page_number` still works where Zoom documents it.
        page_number = ctx.query.get("page_number", "1")
        offset = (
            (int(page_number) - 1) * size if page_number.isdigit() and page_number != "0" else 0
        )
    page = items[offset : offset + size]
    next_offset = offset + size
    next_token = ""
    if next_offset < len(items):
        next_token = ctx.state.open_cursor(listing, next_offset, ctx.config.page_token_ttl_seconds)
    fields = {
        "page_count": math.ceil(len(items) / size),
        "page_number": offset // size + 1,
        "page_size": size,
        "total_records": len(items),
    }
    body = {name: fields[name] for name in envelope}
    body["next_page_token"] = next_token
    body[items_key] = [render(item) for item in page] if render else list(page)
    return body


def _page_size(raw: str | None, default: int, maximum: int) -> int:
    if not raw:
        return default
    try:
        size = int(raw)
    except ValueError:
        raise validation_error("page_size") from None
    return default if size < 1 else min(size, maximum)


# --- dispatch ------------------------------------------------------------------------------

PER_SECOND_MESSAGE = (
    "You have reached the maximum per-second rate limit for this API. Try again later."
)
DAILY_MESSAGE = (
    "You have reached the maximum daily rate limit for this API. "
    "Refer to the response header for details on when you can make another request."
)


def dispatch(state: SandboxState, config: SandboxConfig, request: Request) -> Response:
    """Answer one `/v2/...` request."""
    segments = [_unquote(s) for s in request.path[len("/v2/") :].split("/")]
    found, params = match(request.method, segments) if None not in segments else (None, {})
    with state.lock:
        if found is None:
            return ApiError(404, 2300, "This API endpoint is not recognized.").response()
        state.stats.requests_by_route[f"{request.method} /v2{found.template}"] += 1
        try:
            token = _authenticate(state, request)
            state.stats.requests_by_account[token.account_id] += 1
            _enforce_limits(state, config, token.account_id, found.category)
            return found.handler(Context(state, config, request, token), *params)
        except ApiError as error:
            if error.status == 429:
                state.stats.rate_limited += 1
            return error.response()


def _unquote(segment: str) -> str | None:
    """One raw path segment as Zoom reads it.

    A UUID with a "/" is sent encoded ("%2F"); one that starts with "/" or holds "//" must be
    double-encoded ("%252F"), because Zoom's front end would otherwise mangle it. So: decode
    once, again if that left an escape, and refuse (None) a once-encoded leading "/" or "//".
    """
    once = unquote(segment)
    if "%" in once:
        return unquote(once)
    if once.startswith("/") or "//" in once:
        return None
    return once


def _authenticate(state: SandboxState, request: Request) -> AccessToken:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    token = state.access_tokens.get(value.strip()) if scheme.lower() == "bearer" else None
    if token is None or token.account_id not in state.accounts:
        raise ApiError(401, 124, "Invalid access token.")
    if token.expires_at <= state.now():
        raise ApiError(401, 124, "Access token is expired.")
    return token


def _enforce_limits(
    state: SandboxState, config: SandboxConfig, account_id: str, category: str
) -> None:
    now = state.now()
    rate = config.rate_limits.get(category) or config.rate_limit_per_second
    if rate > 0:
        # Zoom counts each category apart; one budget for all when only the old knob is set.
        bucket = f"{account_id}:{category}" if config.rate_limits.get(category) else account_id
        wait = state.limits.take(bucket, rate, now)
        if wait:
            raise ApiError(
                429,
                429,
                PER_SECOND_MESSAGE,
                headers={
                    "X-RateLimit-Category": category,
                    "X-RateLimit-Type": "QPS",
                    "X-RateLimit-Limit": str(math.ceil(rate)),
                    "X-RateLimit-Remaining": "0",
                    "Retry-After": str(max(1, math.ceil(wait))),
                },
            )
    if config.daily_limit > 0:
        today = utc_day(now)
        if state.limits.count_day(account_id, today) > config.daily_limit:
            raise ApiError(
                429,
                429,
                DAILY_MESSAGE,
                headers={
                    "X-RateLimit-Category": category,
                    "X-RateLimit-Type": "Daily-limit",
                    "X-RateLimit-Limit": str(config.daily_limit),
                    "X-RateLimit-Remaining": "0",
                    "Retry-After": time.strftime(
                        "%Y-%m-%dT%H:%M:%SZ", time.gmtime((today + 1) * 86_400)
                    ),
                },
            )
