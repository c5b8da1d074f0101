"""ZoomClient: the one place that sends HTTP requests to Zoom's REST API v2.

What it promises its callers:

- **Errors** become typed exceptions (:mod:`zoomadmin.zoom.errors`) carrying Zoom's status, code,
  message and field errors.
- **Tokens**: every request carries ``Authorization: Bearer`` from a :class:`TokenProvider`. A 401
  with code 124 (expired/invalid token) refreshes once through the provider and retries once;
  a second 401 raises :class:`ZoomUnauthorized`. Nothing here logs or raises a token.
- **Rate limits** (per Zoom account): before every attempt, retries included, the client waits for
  a slot of the account's pacer. A daily-limit 429 (``X-RateLimit-Type: Daily-limit`` or the
  per-user "daily rate limit (100)" of meeting creates/updates) raises :class:`ZoomDailyLimit` at
  once. Other 429s wait ``Retry-After`` (seconds or a datetime) or a backoff and retry; a
  ``Retry-After`` longer than ``max_retry_after`` raises :class:`ZoomRateLimited` at once, so a
  worker is not parked for minutes.
- **Faults**: 500/502/503/504, connection errors and timeouts are retried with exponential backoff
  and full jitter, up to ``max_retries`` retries, then :class:`ZoomUnavailable`.

  POST creates things, and a create retried after Zoom acted on it makes a duplicate. So a POST is
  retried only when Zoom cannot have acted on it: a 429, a 502 or 503 (a gateway or an
  overloaded front refused it), or a connection that could not be opened. A POST that met a 500,
  a 504, a read timeout or a connection dropped after sending raises at once, telling that the
  outcome is unknown. GET, PUT, PATCH and DELETE are idempotent at Zoom and are always retried
  (a DELETE whose first attempt did succeed answers 404 on the retry).
- **Paging**: :meth:`ZoomClient.paginate` follows ``next_page_token`` at the largest page size each
  endpoint allows and yields items as pages arrive. An expired page token (15 minutes) raises
  :class:`ZoomPageTokenExpired` so that the caller can restart the listing.
- **Meeting ids**: UUIDs that start with ``/`` or contain ``//`` are double URL-encoded
  (:func:`encode_meeting_id`), as Zoom requires.
"""

from __future__ import annotations

import calendar
import email.utils
import logging
import math
import os
import random
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests
from django.views.decorators.debug import sensitive_variables
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from zoomadmin.zoom.auth import TokenProvider
from zoomadmin.zoom.errors import (
    ZoomBadRequest,
    ZoomConflict,
    ZoomDailyLimit,
    ZoomError,
    ZoomForbidden,
    ZoomNotFound,
    ZoomPageTokenExpired,
    ZoomRateLimited,
    ZoomUnauthorized,
    ZoomUnavailable,
)
from zoomadmin.zoom.limits import HEAVY, LIGHT, MEDIUM
from zoomadmin.zoom.pacing import Pacer, PacerBusy

logger = logging.getLogger(__name__)

# Largest page_size per listing (Zoom's OpenAPI descriptions). GET /users publishes 2000, but
# Zoom's own pagination guide and older docs say 300, which is known to work.
PAGE_SIZE_DEFAULT = 300
PAGE_SIZE_USERS = 2000  # "List users": page_size maximum 2000
PAGE_SIZE_CHAT_CHANNELS = 1000
PAGE_SIZE_CHAT_MESSAGES = 50
# PUT .../registrants/status takes at most 30 registrants per call.
REGISTRANT_STATUS_BATCH = 30

RETRY_STATUSES = frozenset({500, 502, 503, 504})
# Statuses that prove Zoom did not act on a request, so even a POST may be sent again.
POST_SAFE_RETRY_STATUSES = frozenset({429, 502, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
TOKEN_ERROR_CODE = 124
UNKNOWN_OUTCOME = "; Zoom may have acted on it, check before sending it again"
VALIDATION_ERROR_CODE = 300

ERROR_CLASSES: dict[int, type[ZoomError]] = {
    400: ZoomBadRequest,
    401: ZoomUnauthorized,
    403: ZoomForbidden,
    404: ZoomNotFound,
    409: ZoomConflict,
    429: ZoomRateLimited,
}


class UnsafeApiPath(ValueError):
    """A raw request's path that could reach something other than the API base."""


# A segment of a Zoom path: ids, emails, UUIDs, and the escapes Zoom's paths use: ``%40`` "@",
# ``%2B`` "+", ``%3D`` "=", ``%3A`` ":", ``%2F`` "/" (a UUID holding one "/", encoded once), and
# ``%25XX`` (a UUID that starts with "/" or holds "//" is double-encoded: "%252F").
_PATH_SEGMENT = re.compile(r"(?:[A-Za-z0-9._~@+=:-]|%(?:25[0-9A-Fa-f]{2}|40|2[BbFf]|3[DdAa]))+")
# What a segment may hold once decoded: the same characters, "/" and what is left to decode.
# No whitespace, control character, backslash or non-ASCII text, which no Zoom path holds.
_DECODED_SEGMENT = re.compile(r"[A-Za-z0-9._~@+=:/%-]*")
# Zoom decodes a segment twice; one still changing after this many decodings is refused.
_MAX_DECODINGS = 10


def api_path(path: str) -> str:
    """``path`` when it can name nothing but a resource under the API base, else
    UnsafeApiPath: it starts with one ``/``, has no scheme, host, query or fragment (those go
    apart), and each segment is non-empty and holds only what Zoom paths hold. Zoom decodes a
    segment more than once, so each decoding of it must still hold only that, be more than
    ``/`` and have no ``.`` or ``..`` between its slashes; the first, no empty piece either (a
    UUID with a leading ``/`` or a ``//`` is sent double-encoded)."""
    if not path.startswith("/") or path.startswith("//"):
        raise UnsafeApiPath("The path must start with a single / (it is appended to the API base).")
    for segment in path[1:].split("/"):
        if not segment:
            raise UnsafeApiPath("The path has an empty segment.")
        if not _PATH_SEGMENT.fullmatch(segment):
            raise UnsafeApiPath(f"The path segment {segment!r} has characters a Zoom path has not.")
        text = segment
        for decodings in range(_MAX_DECODINGS):
            pieces = text.split("/")
            if not any(pieces):
                raise UnsafeApiPath(f"The path segment {segment!r} decodes to nothing but /.")
            if decodings == 1 and "" in pieces:
                # Zoom's front end decodes once and mangles a leading "/" or a "//": a UUID
                # holding them must be double-encoded.
                raise UnsafeApiPath(f"The path segment {segment!r} must be double-encoded.")
            if "." in pieces or ".." in pieces:
                raise UnsafeApiPath("The path may not go up (. or ..), however it is encoded.")
            decoded = urllib.parse.unquote(text)
            if decoded == text:
                break
            if not _DECODED_SEGMENT.fullmatch(decoded):
                raise UnsafeApiPath(
                    f"The path segment {segment!r} decodes to characters a Zoom path has not."
                )
            text = decoded
        else:
            raise UnsafeApiPath(f"The path segment {segment!r} is encoded too many times.")
    return path


@dataclass(frozen=True)
class RawResponse:
    """What Zoom answered, as is (the superuser "Raw request" page)."""

    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON, else the text, else None
    elapsed: float

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


# --- recording downloads -------------------------------------------------------------------

# A download is read and passed on one chunk at a time: a file of any size holds one in memory.
DOWNLOAD_CHUNK_SIZE = 256 * 1024
# Zoom answers a download URL with a redirect to its storage: one hop, a few at most.
MAX_DOWNLOAD_REDIRECTS = 5
_DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeDownloadUrl(ValueError):
    """A download URL that does not lie on Zoom's hosts: the tenant's token is not sent there."""


def trusted_download_url(url: str, trusted_origins: Sequence[str]) -> str:
    """``url`` when its scheme and port are those of one of ``trusted_origins`` (base URLs such
    as ``https://zoom.us``) and its host is that origin's host or a subdomain of it (Zoom's
    download URLs live on ``zoom.us`` or a regional ``us06web.zoom.us``); else UnsafeDownloadUrl."""
    parsed = urllib.parse.urlsplit(url)
    host = (parsed.hostname or "").lower()
    if parsed.scheme not in _DEFAULT_PORTS or not host or parsed.username or parsed.password:
        raise UnsafeDownloadUrl("The download URL is not an http(s) URL of a host.")
    for origin in trusted_origins:
        trusted = urllib.parse.urlsplit(origin)
        trusted_host = (trusted.hostname or "").lower()
        if (
            trusted_host
            and parsed.scheme == trusted.scheme
            and _port(parsed) == _port(trusted)
            and (host == trusted_host or host.endswith("." + trusted_host))
        ):
            return url
    raise UnsafeDownloadUrl(
        f"The download URL is not on Zoom's hosts ({host}): the tenant's token is not sent there."
    )


def _port(parsed: urllib.parse.SplitResult) -> int | None:
    return parsed.port or _DEFAULT_PORTS.get(parsed.scheme)


def _without_query(url: str) -> str:
    """A URL as it may be logged: a storage URL's query holds its signature."""
    parsed = urllib.parse.urlsplit(url)
    return f"{parsed.scheme}://{parsed.netloc}{parsed.path}"


class Download:
    """A file coming from Zoom (:meth:`ZoomClient.download_file`): its size and type as the
    storage announced them, and its bytes in chunks of at most ``chunk_size``. The connection
    is released once the chunks are read, or on :meth:`close` (also as a context manager)."""

    def __init__(self, response: requests.Response, *, chunk_size: int, label: str) -> None:
        self._response = response
        self._chunk_size = chunk_size
        self._label = label

    @property
    def content_length(self) -> int | None:
        value = self._response.headers.get("Content-Length", "")
        return int(value) if value.isdigit() else None

    @property
    def content_type(self) -> str:
        return self._response.headers.get("Content-Type", "")

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes; a connection that breaks off raises ZoomUnavailable."""
        try:
            for chunk in self._response.iter_content(self._chunk_size):
                if chunk:
                    yield chunk
        except requests.RequestException as exc:
            raise ZoomUnavailable(
                f"the download broke off ({_describe_failure(exc)})",
                method="GET",
                path=self._label,
            ) from None
        finally:
            self._response.close()

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> Download:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def encode_meeting_id(meeting_id: int | str) -> str:
    """A meeting/webinar id or UUID as one path segment.

    Zoom decodes path segments twice for UUIDs that start with "/" or contain "//", so those are
    double URL-encoded; other UUIDs (which may hold "+", "/" or "=") are encoded once.
    """
    if isinstance(meeting_id, int):
        return str(meeting_id)
    once = quote(meeting_id, safe="")
    if meeting_id.startswith("/") or "//" in meeting_id:
        return quote(once, safe="")
    return once


def encode_user_id(user_id: str) -> str:
    """A user id, email or ``me`` as one path segment."""
    return quote(str(user_id), safe="@")


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the target month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_windows(end: date, months: int) -> list[tuple[date, date]]:
    """``months`` consecutive windows (both ends included) of at most one calendar month, the
    last one ending on ``end``, oldest first.

    Zoom lists cloud recordings over at most one month per call (``from``..``to``), so a longer
    range is walked window by window; no window is ever longer.
    """
    windows = []
    for _ in range(months):
        start = add_months(end, -1) + timedelta(days=1)
        windows.append((start, end))
        end = start - timedelta(days=1)
    return windows[::-1]


@dataclass(frozen=True)
class RecordingsWindow:
    items: list[dict[str, Any]]
    from_: date  # the first day Zoom's answer covers
    to: date  # the last day Zoom's answer covers


def _day(value: Any, default: date) -> date:
    """A ``yyyy-mm-dd`` of Zoom's answer; ``default`` when Zoom left it out or sent nonsense."""
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return default


# Zoom's "Rate Limit Label" of each endpoint (every operation's description in the published
# OpenAPI documents; the contract tests compare this table with them). Counting is per
# category, per account. Anything not listed is Light.
_MEDIUM = tuple(
    (method, re.compile(pattern))
    for method, pattern in (
        ("GET", r"/users"),
        ("GET", r"/users/[^/]+/(meetings|webinars|recordings)"),
        ("GET", r"/accounts/[^/]+/recordings"),
        ("GET", r"/(meetings|webinars)/[^/]+/registrants"),
        ("PUT", r"/(meetings|webinars)/[^/]+/registrants/status"),
        ("GET", r"/past_(meetings|webinars)/.+/participants"),
        ("GET", r"/phone/users/[^/]+/recordings"),
        ("GET", r"/chat/users/[^/]+/(channels|messages)"),
    )
)


def request_category(method: str, path: str) -> str:
    """The rate-limit category Zoom counts a request in: light, medium or heavy."""
    if path.startswith("/report/"):
        return HEAVY
    method = method.upper()
    if any(method == m and pattern.fullmatch(path) for m, pattern in _MEDIUM):
        return MEDIUM
    return LIGHT


def _limited_category(response: requests.Response, method: str, path: str) -> str:
    """The category a 429 names (``X-RateLimit-Category``), else the request's own."""
    named = response.headers.get("X-RateLimit-Category", "").strip().lower()
    return named if named in (LIGHT, MEDIUM, HEAVY) else request_category(method, path)


class ZoomClient:
    """Zoom REST API v2 for one account (tenant). Safe to share between threads."""

    def __init__(
        self,
        *,
        base_url: str,
        token_provider: TokenProvider,
        pacer: Pacer | None = None,
        pacing_key: str = "",
        rate_per_second: float | None = None,
        rates: Mapping[str, float] | None = None,
        timeout: float | tuple[float, float] = 30.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_retry_after: float = 120.0,
        session: requests.Session | None = None,
        pool_size: int = 32,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token_provider = token_provider
        self.pacer = pacer
        self.pacing_key = pacing_key or self.base_url
        # Zoom counts Light, Medium and Heavy requests in separate per-second budgets; ``rates``
        # paces each apart. ``rate_per_second`` alone is one budget for every request.
        self.rate_per_second = rate_per_second
        self.rates = dict(rates or {})
        # A float is the read timeout; connecting should never take that long.
        self.timeout = timeout if isinstance(timeout, tuple) else (min(timeout, 10.0), timeout)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.session = session or _build_session(pool_size, self.base_url)
        self._count = 0
        self._count_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ZoomClient(base_url={self.base_url!r}, pacing_key={self.pacing_key!r})"

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, every retry included."""
        return self._count

    # --- the HTTP core ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Send one API call (with its retries); the parsed JSON body, None for an empty one."""
        response = self._send(method.upper(), path, params=params, json=json, retry=True)
        return _parse_success(response, method=method.upper(), path=path)

    def raw_request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> RawResponse:
        """Send one call and return Zoom's answer whatever its status.

        Paced, and a 401 code 124 still refreshes the token once, but nothing else is retried:
        the superuser sees what Zoom answered. Only a request that got no answer raises.
        """
        path = api_path(path)
        started = time.monotonic()
        response = self._send(method.upper(), path, params=params, json=json, retry=False)
        return RawResponse(
            status=response.status_code,
            headers=dict(response.headers),
            body=_parse_body(response),
            elapsed=time.monotonic() - started,
        )

    def paginate(
        self,
        path: str,
        *,
        items_key: str,
        params: Mapping[str, Any] | None = None,
        page_size: int = PAGE_SIZE_DEFAULT,
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a listing, page by page, following ``next_page_token``."""
        for page in self.pages(path, params=params, page_size=page_size):
            yield from page.get(items_key) or ()

    def pages(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int = PAGE_SIZE_DEFAULT,
    ) -> Iterator[dict[str, Any]]:
        """Yield every page of a listing (its whole answer), following ``next_page_token``."""
        token = ""
        while True:
            page = self.page(path, params=params, page_size=page_size, next_page_token=token)
            yield page
            token = page.get("next_page_token")
            if not token:
                return

    def page(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int = PAGE_SIZE_DEFAULT,
        next_page_token: str = "",
    ) -> dict[str, Any]:
        """One page of a listing (its whole answer): the first, or the one ``next_page_token``
        names, which Zoom serves only with the same query as the page that gave it."""
        query = {key: value for key, value in (params or {}).items() if value is not None}
        query["page_size"] = page_size
        if next_page_token:
            query["next_page_token"] = next_page_token
        return self.request("GET", path, params=query) or {}

    @sensitive_variables("token", "fresh")
    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        retry: bool,
    ) -> requests.Response:
        token = self.token_provider.get_token()
        refreshed = False
        retries = self.max_retries if retry else 0
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._attempt(method, path, token, params, json, attempt)
            except requests.RequestException as exc:
                cause = _describe_failure(exc)
                resendable = _may_resend(method, never_sent=_never_sent(exc))
                if resendable and attempt <= retries:
                    self._wait_before_retry(method, path, attempt, cause, self._backoff(attempt))
                    continue
                if not resendable:
                    cause += UNKNOWN_OUTCOME
                raise ZoomUnavailable(cause, attempts=attempt, method=method, path=path) from None

            if response.status_code < 400:
                return response
            body = _parse_body(response)
            if _is_token_error(response.status_code, body) and not refreshed:
                refreshed = True
                fresh = self.token_provider.refresh(token)
                if fresh != token:
                    token = fresh
                    attempt -= 1  # a refresh is not a fault and spends no retry
                    continue
            if not retry:
                return response

            error = self._error_for(response, body, method, path, attempt)
            delay = self._retry_delay(error, method, attempt) if attempt <= retries else None
            if isinstance(error, ZoomRateLimited) and not isinstance(error, ZoomDailyLimit):
                # The whole budget is spent, for every thread and worker of the account: push
                # back the category Zoom names and the request's own (which the retry waits on)
                # for all of them; the retry then waits in the pacer like the rest.
                categories = {_limited_category(response, method, path)}
                categories.add(request_category(method, path))
                budgets = [b for b in map(self._budget, categories) if b is not None]
                for key, _ in budgets:
                    self.pacer.defer(key, error.retry_after or max(1.0, self._backoff(attempt)))
                if budgets and delay is not None:
                    logger.warning(
                        "Zoom %s %s answered 429, retry %d of %d once the account's budget allows",
                        method,
                        path,
                        attempt,
                        self.max_retries,
                    )
                    continue
            if delay is None:
                raise error
            self._wait_before_retry(method, path, attempt, str(response.status_code), delay)

    @sensitive_variables("token")
    def _attempt(
        self,
        method: str,
        path: str,
        token: str,
        params: Mapping[str, Any] | None,
        json: Any,
        attempt: int,
    ) -> requests.Response:
        """One paced, counted HTTP request."""
        try:
            self._pace(request_category(method, path))
        except PacerBusy as busy:
            # A 429 pushed the account's budget back further than a thread should sleep.
            raise ZoomRateLimited(
                f"Zoom's rate limit: the account's request budget is spent for {busy.seconds:.0f} s",
                status=429,
                retry_after=busy.seconds,
                method=method,
                path=path,
            ) from None
        with self._count_lock:
            self._count += 1
        started = time.monotonic()
        outcome = "an unexpected error"
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            outcome = _describe_failure(exc)
            raise
        else:
            outcome = str(response.status_code)
        finally:
            elapsed = time.monotonic() - started
            logger.debug(
                "%s %s -> %s in %.3fs (attempt %d)", method, path, outcome, elapsed, attempt
            )
        return response

    def _error_for(
        self, response: requests.Response, body: Any, method: str, path: str, attempt: int
    ) -> ZoomError:
        status = response.status_code
        if status == 429:
            return self._rate_limit_error(response, body, method, path)
        error = _error_from_response(status, body, method, path, response.reason)
        if status not in RETRY_STATUSES:
            return error
        message = error.message
        if not _may_resend(method, status=status):
            message += UNKNOWN_OUTCOME
        return ZoomUnavailable(
            message, attempts=attempt, status=status, code=error.code, method=method, path=path
        )

    def _retry_delay(self, error: ZoomError, method: str, attempt: int) -> float | None:
        """Seconds to wait before sending again, or None when a retry cannot help."""
        if isinstance(error, ZoomDailyLimit):
            return None
        if isinstance(error, ZoomRateLimited):
            if error.retry_after is None:
                return self._backoff(attempt)
            # Parking a worker for minutes helps nobody: the caller may defer the work instead.
            return error.retry_after if error.retry_after <= self.max_retry_after else None
        if isinstance(error, ZoomUnavailable) and _may_resend(method, status=error.status):
            return self._backoff(attempt)
        return None

    def _backoff(self, attempt: int) -> float:
        # Full jitter: workers that failed together do not come back together.
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)

    def _pace(self, category: str) -> None:
        budget = self._budget(category)
        if budget is not None:
            self.pacer.wait(*budget, max_wait=self.max_retry_after)

    def _budget(self, category: str) -> tuple[str, float] | None:
        """The pacer key and rate that ``category``'s requests spend, if paced."""
        if self.pacer is None:
            return None
        if self.rates.get(category):
            return f"{self.pacing_key}:{category}", self.rates[category]
        if self.rate_per_second and not self.rates:
            return self.pacing_key, self.rate_per_second
        return None

    def _wait_before_retry(
        self, method: str, path: str, attempt: int, cause: str, delay: float
    ) -> None:
        logger.warning(
            "Zoom %s %s failed (%s), retry %d of %d in %.2fs",
            method,
            path,
            cause,
            attempt,
            self.max_retries,
            delay,
        )
        time.sleep(delay)

    def _rate_limit_error(
        self, response: requests.Response, body: Any, method: str, path: str
    ) -> ZoomRateLimited:
        code, message = _code_and_message(body)
        message = message or "Too many requests"
        kwargs: dict[str, Any] = {"status": 429, "code": code, "method": method, "path": path}
        retry_after, retry_at = _parse_retry_after(response.headers.get("Retry-After"))
        limit_type = response.headers.get("X-RateLimit-Type", "")
        if limit_type.lower() == "daily-limit" or "daily rate limit" in message.lower():
            resets_at = retry_at or _next_utc_midnight()
            return ZoomDailyLimit(message, resets_at=resets_at, retry_after=retry_after, **kwargs)
        return ZoomRateLimited(message, retry_after=retry_after, **kwargs)

    # --- users -----------------------------------------------------------------------------

    def get_me(self) -> dict[str, Any]:
        return self.request("GET", "/users/me")

    def list_users(
        self, *, status: str | None = None, role_id: str | None = None
    ) -> Iterator[dict[str, Any]]:
        return self.paginate(
            "/users",
            items_key="users",
            params={"status": status, "role_id": role_id},
            page_size=PAGE_SIZE_USERS,
        )

    def get_user(self, user_id: str) -> dict[str, Any]:
        return self.request("GET", f"/users/{encode_user_id(user_id)}")

    def create_user(self, *, action: str, user_info: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/users", json={"action": action, "user_info": dict(user_info)})

    def update_user(self, user_id: str, body: Mapping[str, Any]) -> None:
        self.request("PATCH", f"/users/{encode_user_id(user_id)}", json=dict(body))

    def delete_user(
        self,
        user_id: str,
        *,
        action: str = "disassociate",
        transfer_email: str | None = None,
        transfer_meeting: bool | None = None,
        transfer_webinar: bool | None = None,
        transfer_recording: bool | None = None,
    ) -> None:
        params = _query(
            action=action,
            transfer_email=transfer_email,
            transfer_meeting=transfer_meeting,
            transfer_webinar=transfer_webinar,
            transfer_recording=transfer_recording,
        )
        self.request("DELETE", f"/users/{encode_user_id(user_id)}", params=params)

    def update_user_status(self, user_id: str, action: str) -> None:
        self.request("PUT", f"/users/{encode_user_id(user_id)}/status", json={"action": action})

    # --- meetings --------------------------------------------------------------------------

    def list_meetings(self, user_id: str, *, type: str | None = None) -> Iterator[dict[str, Any]]:
        path = f"/users/{encode_user_id(user_id)}/meetings"
        return self.paginate(path, items_key="meetings", params={"type": type})

    def create_meeting(self, user_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/users/{encode_user_id(user_id)}/meetings", json=dict(body))

    def get_meeting(
        self, meeting_id: int | str, *, occurrence_id: str | None = None
    ) -> dict[str, Any]:
        path = f"/meetings/{encode_meeting_id(meeting_id)}"
        return self.request("GET", path, params=_query(occurrence_id=occurrence_id))

    def update_meeting(
        self, meeting_id: int | str, body: Mapping[str, Any], *, occurrence_id: str | None = None
    ) -> None:
        path = f"/meetings/{encode_meeting_id(meeting_id)}"
        self.request("PATCH", path, params=_query(occurrence_id=occurrence_id), json=dict(body))

    def delete_meeting(
        self,
        meeting_id: int | str,
        *,
        occurrence_id: str | None = None,
        schedule_for_reminder: bool | None = None,
        cancel_meeting_reminder: bool | None = None,
    ) -> None:
        params = _query(
            occurrence_id=occurrence_id,
            schedule_for_reminder=schedule_for_reminder,
            cancel_meeting_reminder=cancel_meeting_reminder,
        )
        self.request("DELETE", f"/meetings/{encode_meeting_id(meeting_id)}", params=params)

    def update_meeting_status(self, meeting_id: int | str, action: str) -> None:
        path = f"/meetings/{encode_meeting_id(meeting_id)}/status"
        self.request("PUT", path, json={"action": action})

    def get_meeting_invitation(self, meeting_id: int | str) -> dict[str, Any]:
        return self.request("GET", f"/meetings/{encode_meeting_id(meeting_id)}/invitation")

    # --- webinars --------------------------------------------------------------------------

    def list_webinars(self, user_id: str, *, type: str | None = None) -> Iterator[dict[str, Any]]:
        path = f"/users/{encode_user_id(user_id)}/webinars"
        return self.paginate(path, items_key="webinars", params={"type": type})

    def create_webinar(self, user_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/users/{encode_user_id(user_id)}/webinars", json=dict(body))

    def get_webinar(
        self, webinar_id: int | str, *, occurrence_id: str | None = None
    ) -> dict[str, Any]:
        path = f"/webinars/{encode_meeting_id(webinar_id)}"
        return self.request("GET", path, params=_query(occurrence_id=occurrence_id))

    def update_webinar(
        self, webinar_id: int | str, body: Mapping[str, Any], *, occurrence_id: str | None = None
    ) -> None:
        path = f"/webinars/{encode_meeting_id(webinar_id)}"
        self.request("PATCH", path, params=_query(occurrence_id=occurrence_id), json=dict(body))

    def delete_webinar(
        self,
        webinar_id: int | str,
        *,
        occurrence_id: str | None = None,
        cancel_webinar_reminder: bool | None = None,
    ) -> None:
        params = _query(
            occurrence_id=occurrence_id, cancel_webinar_reminder=cancel_webinar_reminder
        )
        self.request("DELETE", f"/webinars/{encode_meeting_id(webinar_id)}", params=params)

    # --- registrants -----------------------------------------------------------------------

    def list_meeting_registrants(
        self, meeting_id: int | str, *, status: str | None = None, occurrence_id: str | None = None
    ) -> Iterator[dict[str, Any]]:
        return self._list_registrants("meetings", meeting_id, status, occurrence_id)

    def add_meeting_registrant(
        self, meeting_id: int | str, body: Mapping[str, Any], *, occurrence_ids: str | None = None
    ) -> dict[str, Any]:
        return self._add_registrant("meetings", meeting_id, body, occurrence_ids)

    def update_meeting_registrant_status(
        self,
        meeting_id: int | str,
        action: str,
        registrants: Sequence[Mapping[str, Any]],
        *,
        occurrence_id: str | None = None,
    ) -> None:
        self._update_registrant_status("meetings", meeting_id, action, registrants, occurrence_id)

    def get_meeting_registrant(self, meeting_id: int | str, registrant_id: str) -> dict[str, Any]:
        """``GET /meetings/{meetingId}/registrants/{registrantId}`` (Light): the registrant as
        "List meeting registrants" shows it."""
        return self._get_registrant("meetings", meeting_id, registrant_id)

    def list_webinar_registrants(
        self, webinar_id: int | str, *, status: str | None = None, occurrence_id: str | None = None
    ) -> Iterator[dict[str, Any]]:
        return self._list_registrants("webinars", webinar_id, status, occurrence_id)

    def add_webinar_registrant(
        self, webinar_id: int | str, body: Mapping[str, Any], *, occurrence_ids: str | None = None
    ) -> dict[str, Any]:
        return self._add_registrant("webinars", webinar_id, body, occurrence_ids)

    def update_webinar_registrant_status(
        self,
        webinar_id: int | str,
        action: str,
        registrants: Sequence[Mapping[str, Any]],
        *,
        occurrence_id: str | None = None,
    ) -> None:
        self._update_registrant_status("webinars", webinar_id, action, registrants, occurrence_id)

    def get_webinar_registrant(self, webinar_id: int | str, registrant_id: str) -> dict[str, Any]:
        return self._get_registrant("webinars", webinar_id, registrant_id)

    def _get_registrant(
        self, kind: str, object_id: int | str, registrant_id: str
    ) -> dict[str, Any]:
        path = f"/{kind}/{encode_meeting_id(object_id)}/registrants/{quote(registrant_id, safe='')}"
        return self.request("GET", path)

    def _list_registrants(
        self, kind: str, object_id: int | str, status: str | None, occurrence_id: str | None
    ) -> Iterator[dict[str, Any]]:
        path = f"/{kind}/{encode_meeting_id(object_id)}/registrants"
        params = {"status": status, "occurrence_id": occurrence_id}
        return self.paginate(path, items_key="registrants", params=params)

    def _add_registrant(
        self,
        kind: str,
        object_id: int | str,
        body: Mapping[str, Any],
        occurrence_ids: str | None,
    ) -> dict[str, Any]:
        path = f"/{kind}/{encode_meeting_id(object_id)}/registrants"
        params = _query(occurrence_ids=occurrence_ids)
        return self.request("POST", path, params=params, json=dict(body))

    def _update_registrant_status(
        self,
        kind: str,
        object_id: int | str,
        action: str,
        registrants: Sequence[Mapping[str, Any]],
        occurrence_id: str | None,
    ) -> None:
        path = f"/{kind}/{encode_meeting_id(object_id)}/registrants/status"
        params = _query(occurrence_id=occurrence_id)
        for start in range(0, len(registrants), REGISTRANT_STATUS_BATCH):
            batch = [dict(r) for r in registrants[start : start + REGISTRANT_STATUS_BATCH]]
            self.request("PUT", path, params=params, json={"action": action, "registrants": batch})

    # --- recordings and participants -------------------------------------------------------

    def get_meeting_recordings(self, meeting_id: int | str) -> dict[str, Any]:
        return self.request("GET", f"/meetings/{encode_meeting_id(meeting_id)}/recordings")

    def list_user_recordings(
        self,
        user_id: str,
        *,
        from_: date | str | None = None,
        to: date | str | None = None,
        trash: bool | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Recorded meetings of one user between two dates (at most one month apart)."""
        path = f"/users/{encode_user_id(user_id)}/recordings"
        params = _query(**{"from": _when(from_), "to": _when(to), "trash": trash})
        return self.paginate(path, items_key="meetings", params=params)

    def delete_meeting_recordings(self, meeting_id: int | str, *, action: str = "trash") -> None:
        path = f"/meetings/{encode_meeting_id(meeting_id)}/recordings"
        self.request("DELETE", path, params={"action": action})

    def delete_recording_file(
        self, meeting_id: int | str, recording_id: str, *, action: str = "trash"
    ) -> None:
        """``DELETE /meetings/{meetingId}/recordings/{recordingId}``: "Delete a specific
        recording file from a meeting or webinar" (``meetingId`` an id or instance UUID)."""
        path = (
            f"/meetings/{encode_meeting_id(meeting_id)}/recordings/{quote(recording_id, safe='')}"
        )
        self.request("DELETE", path, params={"action": action})

    @sensitive_variables("token", "fresh")
    def download_file(
        self,
        url: str,
        *,
        trusted_origins: Sequence[str],
        chunk_size: int = DOWNLOAD_CHUNK_SIZE,
    ) -> Download:
        """Open a recording file's ``download_url`` for reading in chunks.

        Meetings OpenAPI, ``recording_files[].download_url``: "use the ``download_access_token``
        or the user's OAuth access token to download the file. Set the ``access_token`` as a
        Bearer token in the Authorization header […] The URL may be a redirect. In that case,
        use ``curl --location`` to follow redirects". So the token travels in the header only,
        never in the URL (Zoom's older ``?access_token=`` form lands in access logs), and only
        to ``url``, which must lie on one of ``trusted_origins`` (Zoom's web and API hosts or
        their subdomains, else :class:`UnsafeDownloadUrl` and no request). Zoom's redirect to
        its storage is followed here, hop by hop, without the header when the hop leaves the
        host (requests' own rule, ``Session.should_strip_auth``, as ``curl --location`` does).

        Paced as a Light request of the account's budget; a 401 code 124 refreshes the token
        once; 429, 5xx and network errors before the first byte are retried as :meth:`request`
        retries a GET. Errors name the URL's path only (a storage URL's query is a signature).
        """
        label = urllib.parse.urlsplit(trusted_download_url(url, trusted_origins)).path or "/"
        token = self.token_provider.get_token()
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._download_attempt(url, label, token, attempt)
            except requests.RequestException as exc:
                cause = _describe_failure(exc)
                if attempt <= self.max_retries:
                    self._wait_before_retry("GET", label, attempt, cause, self._backoff(attempt))
                    continue
                raise ZoomUnavailable(cause, attempts=attempt, method="GET", path=label) from None
            status = response.status_code
            if status < 300:
                return Download(response, chunk_size=chunk_size, label=label)
            # Zoom's storage may answer an HTML page: only a JSON error body is Zoom's words.
            body = _parse_body(response) if status >= 400 else None
            body = body if isinstance(body, dict) else None
            response.close()
            if _is_token_error(status, body) and not refreshed:
                refreshed = True
                fresh = self.token_provider.refresh(token)
                if fresh != token:
                    token = fresh
                    attempt -= 1
                    continue
            if status < 400:
                raise ZoomError(
                    f"Zoom redirected the download more than {MAX_DOWNLOAD_REDIRECTS} times",
                    status=status,
                    method="GET",
                    path=label,
                )
            error = self._error_for(response, body, "GET", label, attempt)
            delay = (
                self._retry_delay(error, "GET", attempt) if attempt <= self.max_retries else None
            )
            if delay is None:
                raise error
            self._wait_before_retry("GET", label, attempt, str(status), delay)

    @sensitive_variables("token", "headers")
    def _download_attempt(
        self, url: str, label: str, token: str, attempt: int
    ) -> requests.Response:
        """One paced download request and its redirects, each hop counted."""
        try:
            self._pace(LIGHT)
        except PacerBusy as busy:
            raise ZoomRateLimited(
                f"Zoom's rate limit: the account's request budget is spent for {busy.seconds:.0f} s",
                status=429,
                retry_after=busy.seconds,
                method="GET",
                path=label,
            ) from None
        # identity: the bytes as stored, so that their count is Zoom's file_size.
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
        current = url
        for _hop in range(MAX_DOWNLOAD_REDIRECTS + 1):
            with self._count_lock:
                self._count += 1
            response = self.session.get(
                current, headers=headers, stream=True, allow_redirects=False, timeout=self.timeout
            )
            logger.debug(
                "GET %s -> %s (download, attempt %d)",
                _without_query(current),
                response.status_code,
                attempt,
            )
            if not response.is_redirect:
                return response
            target = urllib.parse.urljoin(current, response.headers["Location"])
            response.close()
            if urllib.parse.urlsplit(target).scheme not in ("http", "https"):
                raise ZoomError(
                    "Zoom redirected the download to a location that is not HTTP",
                    status=response.status_code,
                    method="GET",
                    path=label,
                )
            if self.session.should_strip_auth(current, target):
                headers = {k: v for k, v in headers.items() if k != "Authorization"}
            current = target
        return response

    def list_past_webinar_participants(self, webinar_id: int | str) -> Iterator[dict[str, Any]]:
        """``GET /past_webinars/{webinarId}/participants`` (Medium): given a webinar ID, "the
        latest webinar instance"; given an instance UUID (``list_past_webinar_instances``),
        that instance."""
        path = f"/past_webinars/{encode_meeting_id(webinar_id)}/participants"
        return self.paginate(path, items_key="participants")

    def list_past_webinar_instances(self, webinar_id: int) -> list[dict[str, Any]]:
        """``GET /past_webinars/{webinarId}/instances`` (Light): the "List of ended webinar
        instances", each its ``uuid`` and ``start_time``, in one answer (no pages)."""
        answer = self.request("GET", f"/past_webinars/{int(webinar_id)}/instances") or {}
        return list(answer.get("webinars") or ())

    # --- Zoom Phone and Team Chat (live views) ---------------------------------------------

    def list_user_recordings_window(
        self, user_id: str, *, from_: date, to: date
    ) -> RecordingsWindow:
        """The recordings of one user between two dates, and the dates Zoom says the answer
        covers (its ``from`` and ``to``): Zoom covers at most one month per call, and cuts a
        longer range short rather than refusing it."""
        return self._recordings_window(
            f"/users/{encode_user_id(user_id)}/recordings", from_=from_, to=to
        )

    def list_account_recordings_window(
        self, *, from_: date, to: date, account_id: str = "me"
    ) -> RecordingsWindow:
        """Every host's recordings between two dates ("List recordings of an account", scope
        ``cloud_recording:read:list_account_recordings:admin``): one listing per month for the
        whole account instead of one per host. Same range rules as the user listing."""
        return self._recordings_window(
            f"/accounts/{quote(account_id, safe='')}/recordings", from_=from_, to=to
        )

    def _recordings_window(self, path: str, *, from_: date, to: date) -> RecordingsWindow:
        params = _query(**{"from": _when(from_), "to": _when(to)})
        items: list[dict[str, Any]] = []
        covered: list[date] = []
        for page in self.pages(path, params=params):
            covered = covered or [_day(page.get("from"), from_), _day(page.get("to"), to)]
            items.extend(page.get("meetings") or ())
        return RecordingsWindow(items=items, from_=covered[0], to=covered[1])

    def list_phone_recordings(
        self, user_id: str, *, from_: date | str | None = None, to: date | str | None = None
    ) -> Iterator[dict[str, Any]]:
        path, params = self._phone_recordings_query(user_id, from_, to)
        return self.paginate(path, items_key="recordings", params=params)

    def phone_recordings_page(
        self,
        user_id: str,
        *,
        from_: date | str | None = None,
        to: date | str | None = None,
        page_size: int = PAGE_SIZE_DEFAULT,
        next_page_token: str = "",
    ) -> dict[str, Any]:
        """One page of "Get user's recordings" (Zoom Phone): Zoom's answer as is, with the days
        it covers (``from``, ``to``: at most one month), ``recordings``, ``next_page_token``."""
        path, params = self._phone_recordings_query(user_id, from_, to)
        return self.page(path, params=params, page_size=page_size, next_page_token=next_page_token)

    def _phone_recordings_query(
        self, user_id: str, from_: date | str | None, to: date | str | None
    ) -> tuple[str, dict[str, Any]]:
        path = f"/phone/users/{encode_user_id(user_id)}/recordings"
        return path, _query(**{"from": _when(from_), "to": _when(to)})

    def list_user_channels(self, user_id: str) -> Iterator[dict[str, Any]]:
        path = f"/chat/users/{encode_user_id(user_id)}/channels"
        return self.paginate(path, items_key="channels", page_size=PAGE_SIZE_CHAT_CHANNELS)

    def user_channels_page(
        self, user_id: str, *, page_size: int = PAGE_SIZE_CHAT_CHANNELS, next_page_token: str = ""
    ) -> dict[str, Any]:
        """One page of "List user's channels": ``channels``, ``next_page_token``,
        ``total_records``."""
        path = f"/chat/users/{encode_user_id(user_id)}/channels"
        return self.page(path, page_size=page_size, next_page_token=next_page_token)

    def list_user_chat_messages(
        self,
        user_id: str,
        *,
        to_contact: str | None = None,
        to_channel: str | None = None,
        date: date | str | None = None,
        from_: datetime | date | str | None = None,
        to: datetime | date | str | None = None,
    ) -> Iterator[dict[str, Any]]:
        path, params = self._chat_messages_query(user_id, to_contact, to_channel, date, from_, to)
        return self.paginate(
            path, items_key="messages", params=params, page_size=PAGE_SIZE_CHAT_MESSAGES
        )

    def user_chat_messages_page(
        self,
        user_id: str,
        *,
        to_contact: str | None = None,
        to_channel: str | None = None,
        date: date | str | None = None,
        from_: datetime | date | str | None = None,
        to: datetime | date | str | None = None,
        page_size: int = PAGE_SIZE_CHAT_MESSAGES,
        next_page_token: str = "",
    ) -> dict[str, Any]:
        """One page of "List user's chat messages" with a contact or in a channel (exactly one
        of them; Zoom requires it): ``messages``, ``next_page_token``, and the ``date`` or
        ``from``/``to`` asked for."""
        path, params = self._chat_messages_query(user_id, to_contact, to_channel, date, from_, to)
        return self.page(path, params=params, page_size=page_size, next_page_token=next_page_token)

    def _chat_messages_query(
        self,
        user_id: str,
        to_contact: str | None,
        to_channel: str | None,
        day: date | str | None,
        from_: datetime | date | str | None,
        to: datetime | date | str | None,
    ) -> tuple[str, dict[str, Any]]:
        if (to_contact is None) == (to_channel is None):
            raise ValueError("give exactly one of to_contact and to_channel")
        path = f"/chat/users/{encode_user_id(user_id)}/messages"
        params = _query(
            **{
                "to_contact": to_contact,
                "to_channel": to_channel,
                "date": _when(day),
                "from": _when(from_),
                "to": _when(to),
            }
        )
        return path, params


# --- helpers -------------------------------------------------------------------------------


# A Zoom request takes about this long; the in-flight requests that keep a budget busy are its
# rate times this (Little's law), within bounds that suit a worker process.
TYPICAL_LATENCY_SECONDS = 0.25
MIN_CONCURRENCY, MAX_CONCURRENCY = 2, 32


def concurrency_for(client: ZoomClient) -> int:
    """How many requests to keep in flight so that the client's budget is used, not passed."""
    rate = sum(client.rates.values()) or client.rate_per_second or 0
    wanted = math.ceil(rate * TYPICAL_LATENCY_SECONDS) if rate else MAX_CONCURRENCY
    return max(MIN_CONCURRENCY, min(MAX_CONCURRENCY, wanted))


def _build_session(pool_size: int, base_url: str) -> requests.Session:
    session = requests.Session()
    # requests re-reads the proxy and CA-bundle variables of os.environ on every request (half
    # of a request's CPU time in a sync); read them once, for the one host this client calls.
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    # Many sync threads share one client; retries are ours (urllib3's would bypass the pacer).
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "zoomadmin"
    return session


def _query(**params: Any) -> dict[str, Any]:
    """Query parameters without the unset ones; booleans as Zoom spells them."""
    return {
        key: ("true" if value else "false") if isinstance(value, bool) else value
        for key, value in params.items()
        if value is not None
    }


def _when(value: datetime | date | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _parse_body(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _parse_success(response: requests.Response, *, method: str, path: str) -> Any:
    body = _parse_body(response)
    if isinstance(body, str):
        raise ZoomError(
            f"the answer is not JSON ({response.headers.get('Content-Type', 'no content type')}); "
            "is ZOOM_API_BASE_URL right?",
            status=response.status_code,
            method=method,
            path=path,
        )
    return body


def _code_and_message(body: Any) -> tuple[int | None, str]:
    if isinstance(body, dict):
        code = body.get("code")
        try:
            code = int(code) if code is not None else None
        except (TypeError, ValueError):
            code = None
        return code, str(body.get("message") or "")
    if isinstance(body, str):
        return None, body.strip()[:200]
    return None, ""


def _error_from_response(status: int, body: Any, method: str, path: str, reason: str) -> ZoomError:
    code, message = _code_and_message(body)
    errors = body.get("errors") if isinstance(body, dict) else None
    kind = ERROR_CLASSES.get(status, ZoomError)
    if status == 400 and code == VALIDATION_ERROR_CODE and "next page token" in message.lower():
        kind = ZoomPageTokenExpired
    return kind(
        message or reason or "no message",
        status=status,
        code=code,
        method=method,
        path=path,
        errors=errors if isinstance(errors, list) else (),
    )


def _may_resend(method: str, *, status: int | None = None, never_sent: bool = False) -> bool:
    """Whether sending again cannot make Zoom act twice (see the module docstring)."""
    return method in IDEMPOTENT_METHODS or never_sent or status in POST_SAFE_RETRY_STATUSES


def _is_token_error(status: int, body: Any) -> bool:
    """Zoom's "Invalid access token" / "Access token is expired" (code 124)."""
    return status in (400, 401) and _code_and_message(body)[0] == TOKEN_ERROR_CODE


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the connection could not even be opened, so Zoom saw nothing."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _describe_failure(exc: requests.RequestException) -> str:
    # requests' own messages quote the whole URL and pool internals; name the kind instead.
    if isinstance(exc, requests.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, requests.ReadTimeout):
        return "timed out waiting for the answer"
    if _never_sent(exc):
        return "could not connect"
    if isinstance(exc, requests.ConnectionError):
        return "the connection was dropped"
    return f"request failed ({type(exc).__name__})"


def _parse_retry_after(value: str | None) -> tuple[float | None, datetime | None]:
    """``Retry-After`` as (seconds from now, moment): Zoom sends seconds or an ISO datetime."""
    if not value:
        return None, None
    value = value.strip()
    now = datetime.now(UTC)
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # float() also reads "nan" and "inf", which timedelta refuses: no usable delay.
        if not math.isfinite(seconds):
            return None, None
        seconds = max(seconds, 0.0)
        try:
            return seconds, now + timedelta(seconds=seconds)
        except OverflowError:  # beyond year 9999: far longer than anyone waits anyway
            return seconds, None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)  # the HTTP-date form
        except (TypeError, ValueError):
            return None, None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - now).total_seconds(), 0.0), moment.astimezone(UTC)


def _next_utc_midnight() -> datetime:
    today = datetime.now(UTC).date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)
