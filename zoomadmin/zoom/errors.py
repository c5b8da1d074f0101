"""Zoom's error answers as Python exceptions.

Zoom answers a failed REST call with an HTTP status and a body ``{"code": <int>, "message": <str>}``;
validation failures (code 300) add ``"errors": [{"field": ..., "message": ...}]``. The token endpoint
answers ``{"reason": ..., "error": ...}`` instead. Every kind below keeps those parts as attributes and
renders them so that a Zoom administrator can read ``str(error)`` as is, for example::

    Zoom answered 404 (code 3001): Meeting does not exist: 123 [GET /meetings/123]

The request is named by method and path only (never the query string, headers or body), so an
exception never carries an access token, a refresh token or a client secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any


class ZoomError(Exception):
    """Zoom refused or could not answer a request."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        method: str = "",
        path: str = "",
        errors: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.method = method
        self.path = path
        self.errors: list[dict[str, Any]] = [dict(error) for error in errors]

    def headline(self) -> str:
        """What happened, before Zoom's message: subclasses without an HTTP answer change it."""
        if self.status is None:
            return "Zoom request failed"
        if self.code is None:
            return f"Zoom answered {self.status}"
        return f"Zoom answered {self.status} (code {self.code})"

    def details(self) -> str:
        """Anything worth adding after Zoom's message (field errors, reset time, ...)."""
        if not self.errors:
            return ""
        parts = []
        for error in self.errors:
            field = error.get("field")
            text = error.get("message") or ""
            parts.append(f"{field}: {text}" if field else str(text))
        return " (" + "; ".join(parts) + ")"

    def __str__(self) -> str:
        text = f"{self.headline()}: {self.message}{self.details()}"
        request = " ".join(part for part in (self.method, self.path) if part)
        return f"{text} [{request}]" if request else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class ZoomBadRequest(ZoomError):
    """400: Zoom rejected the request (code 300 carries the field errors in ``.errors``)."""


class ZoomPageTokenExpired(ZoomBadRequest):
    """400 code 300 "The next page token is invalid or expired": restart the listing.

    A ``next_page_token`` lives 15 minutes, so a listing interrupted for longer must start over.
    """


class ZoomUnauthorized(ZoomError):
    """401 that a token refresh did not cure (revoked app, missing scope, wrong account)."""


class ZoomForbidden(ZoomError):
    """403: the token's user or app may not do this."""


class ZoomNotFound(ZoomError):
    """404 (code 1001 user, 3001 meeting, ...)."""


class ZoomConflict(ZoomError):
    """409 (code 1005: the email is already used)."""


class ZoomRateLimited(ZoomError):
    """429 per-second (or concurrency) limit, still refused after the retries.

    ``retry_after`` is how many seconds Zoom asked to wait, when it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    def details(self) -> str:
        text = super().details()
        if self.retry_after is not None:
            text += f" (retry after {self.retry_after:g} s)"
        return text


class ZoomDailyLimit(ZoomRateLimited):
    """429 daily limit: the account's daily quota, or the 100-per-day cap on meeting and webinar
    creates/updates of one host. Raised at once (retrying is pointless before ``resets_at``)."""

    def __init__(self, message: str, *, resets_at: datetime, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.resets_at = resets_at

    def details(self) -> str:
        # The reset time says more than a retry delay in seconds.
        return ZoomError.details(self) + f" (resumes at {self.resets_at:%Y-%m-%d %H:%M} UTC)"


class ZoomUnavailable(ZoomError):
    """5xx, connection error or timeout, still failing after the retry bound."""

    def __init__(self, message: str, *, attempts: int = 1, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.attempts = attempts

    def headline(self) -> str:
        tries = "1 attempt" if self.attempts == 1 else f"{self.attempts} attempts"
        if self.status is None:
            return f"Zoom could not be reached after {tries}"
        return f"Zoom was unavailable after {tries}, last answer {self.status}"


class ZoomReauthorizationRequired(ZoomError):
    """The token endpoint refused a refresh token or the app's credentials.

    Nothing but a new authorization (or new Server-to-Server credentials) can cure it, so callers
    mark the tenant "needs re-authorization" instead of retrying.
    """

    def headline(self) -> str:
        return "Zoom refused the token request"


def is_per_user_cap(error: ZoomError) -> bool:
    """Zoom's cap of 100 meeting or webinar creates and updates per host per UTC day (FACTS.md
    §5, observed body: "You have exceeded the daily rate limit (100) of Meeting Create/Update
    API requests permitted for this particular user. …"): one host's limit, not the account's."""
    return isinstance(error, ZoomDailyLimit) and "particular user" in error.message.lower()


def in_words(error: ZoomError) -> str:
    """``error`` as an administrator reads it, Zoom's per-host cap said plainly."""
    if is_per_user_cap(error):
        return (
            "Zoom's limit of 100 meeting and webinar creates and updates per host per day is "
            f"used up for this host; Zoom accepts more after 00:00 UTC. [{error}]"
        )
    if isinstance(error, ZoomUnavailable):
        return f"{error}. Zoom may have done it although it did not answer: re-sync to see."
    return str(error)
