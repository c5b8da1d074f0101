"""Access tokens for the Zoom API: the provider protocol and Zoom's OAuth token endpoint.

Zoom's token endpoint (``POST {ZOOM_OAUTH_BASE_URL}/oauth/token``) authenticates the app with an HTTP
Basic header ``base64(client_id:client_secret)`` and takes form-encoded parameters:

- ``grant_type=refresh_token&refresh_token=...`` (user OAuth). Zoom rotates refresh tokens: every
  answer carries a new one and the old one stops working, so the new pair must be saved before it
  is used, and only one refresh may run at a time per token.
- ``grant_type=account_credentials&account_id=...`` (Server-to-Server OAuth; no refresh token).

Both answer ``{"access_token", "token_type", "refresh_token", "expires_in", "scope", "api_url"}``.
A refusal is a 400/401 such as ``{"reason": "Invalid Token!", "error": "invalid_grant"}``; it becomes
:class:`ZoomReauthorizationRequired`, because only a new authorization can cure it.
``POST /oauth/revoke`` with ``token=...`` revokes a token.

No function here logs or puts a token or secret in an exception. The ORM-backed providers of
tenants (``zoomadmin.tenants.tokens``) build on these functions; :class:`MemoryOAuthTokenProvider` is a
small in-process one for tools and tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from django.views.decorators.debug import sensitive_variables

from zoomadmin.zoom.errors import (
    ZoomError,
    ZoomRateLimited,
    ZoomReauthorizationRequired,
    ZoomUnavailable,
)

TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"
DEFAULT_TIMEOUT = (10.0, 30.0)


class TokenProvider(Protocol):
    """Where a ZoomClient gets its bearer token."""

    def get_token(self) -> str:
        """A usable access token, refreshed first when it is about to expire."""
        ...

    def refresh(self, stale_token: str) -> str:
        """Called once when Zoom answered 401 code 124 to ``stale_token``.

        Refreshes unless another thread or process has already replaced ``stale_token``, and
        returns the current token either way.
        """
        ...


class StaticTokenProvider:
    """A fixed access token (tests, one-off tools). It cannot be refreshed."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self) -> str:
        return self._token

    @sensitive_variables("stale_token")
    def refresh(self, stale_token: str) -> str:
        # Returning the same token tells the client that a retry cannot help.
        return self._token

    def __repr__(self) -> str:
        return "StaticTokenProvider(token=***)"


@dataclass(frozen=True)
class TokenResponse:
    """A token endpoint answer. ``refresh_token`` is "" for Server-to-Server tokens."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    scope: str = ""
    api_url: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenResponse:
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(data.get("refresh_token") or ""),
            expires_in=int(data.get("expires_in") or 3600),
            scope=str(data.get("scope") or ""),
            api_url=str(data.get("api_url") or ""),
        )


@sensitive_variables("client_secret", "refresh_token", "data")
def exchange_refresh_token(
    *,
    oauth_base_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    session: requests.Session | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
) -> TokenResponse:
    """Trade a refresh token for a new access token and a new (rotated) refresh token."""
    data = _post_token_endpoint(
        oauth_base_url=oauth_base_url,
        path=TOKEN_PATH,
        client_id=client_id,
        client_secret=client_secret,
        form={"grant_type": "refresh_token", "refresh_token": refresh_token},
        session=session,
        timeout=timeout,
    )
    return _token_response(data, path=TOKEN_PATH)


@sensitive_variables("client_secret", "data")
def request_account_credentials(
    *,
    oauth_base_url: str,
    account_id: str,
    client_id: str,
    client_secret: str,
    session: requests.Session | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
) -> TokenResponse:
    """A Server-to-Server OAuth access token (``grant_type=account_credentials``)."""
    data = _post_token_endpoint(
        oauth_base_url=oauth_base_url,
        path=TOKEN_PATH,
        client_id=client_id,
        client_secret=client_secret,
        form={"grant_type": "account_credentials", "account_id": account_id},
        session=session,
        timeout=timeout,
    )
    return _token_response(data, path=TOKEN_PATH)


@sensitive_variables("client_secret", "token")
def revoke_token(
    *,
    oauth_base_url: str,
    client_id: str,
    client_secret: str,
    token: str,
    session: requests.Session | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
) -> None:
    """Revoke an access token. A token Zoom no longer knows raises ZoomReauthorizationRequired,
    which a caller disconnecting a tenant may ignore."""
    _post_token_endpoint(
        oauth_base_url=oauth_base_url,
        path=REVOKE_PATH,
        client_id=client_id,
        client_secret=client_secret,
        form={"token": token},
        session=session,
        timeout=timeout,
    )


@sensitive_variables("client_secret", "form", "data")
def _post_token_endpoint(
    *,
    oauth_base_url: str,
    path: str,
    client_id: str,
    client_secret: str,
    form: dict[str, str],
    session: requests.Session | None,
    timeout: float | tuple[float, float],
) -> dict[str, Any]:
    http = session or requests
    try:
        response = http.post(
            oauth_base_url.rstrip("/") + path,
            data=form,
            auth=(client_id, client_secret),
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        # str(exc) may quote the URL; the form (with the token) is never in it, but keep it short.
        raise ZoomUnavailable(
            f"{type(exc).__name__} while calling the token endpoint",
            method="POST",
            path=path,
        ) from None
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if response.ok:
        return data
    reason = str(data.get("reason") or data.get("message") or response.reason or "refused")
    error = str(data.get("error") or "")
    kwargs: dict[str, Any] = {"status": response.status_code, "method": "POST", "path": path}
    if response.status_code in (400, 401):
        detail = f"{reason}, {error}" if error else reason
        if path == REVOKE_PATH:
            message = f"the token could not be revoked ({detail})"
        elif form.get("grant_type") == "refresh_token":
            message = (
                f"the refresh token is no longer valid ({detail}); connect the Zoom account again"
            )
        else:
            message = f"the app credentials were not accepted ({detail}); check them"
        raise ZoomReauthorizationRequired(message, **kwargs)
    if response.status_code == 429:
        raise ZoomRateLimited(reason, **kwargs)
    if response.status_code >= 500:
        raise ZoomUnavailable(reason, **kwargs)
    raise ZoomError(reason, **kwargs)


def _token_response(data: dict[str, Any], *, path: str) -> TokenResponse:
    if not data.get("access_token"):
        raise ZoomError("the token endpoint answered without an access token", path=path)
    return TokenResponse.from_json(data)


class MemoryOAuthTokenProvider:
    """User OAuth tokens kept in memory, refreshed shortly before expiry and on a 401.

    Thread-safe: one refresh at a time, and a thread whose stale token was already replaced by
    another thread's refresh gets the new token without a second refresh (rotated refresh tokens
    are single-use). ``on_rotate`` is called with every new pair before it is used, so a tool can
    persist it. After Zoom refuses the refresh token, every call raises the same
    ZoomReauthorizationRequired without asking Zoom again.
    """

    def __init__(
        self,
        *,
        oauth_base_url: str,
        client_id: str,
        client_secret: str,
        access_token: str,
        refresh_token: str,
        expires_at: float,
        on_rotate: Callable[[TokenResponse], None] | None = None,
        leeway: float = 60.0,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._oauth_base_url = oauth_base_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._access_token = access_token
        self._refresh_token = refresh_token
        self.expires_at = expires_at
        self._on_rotate = on_rotate
        self._leeway = leeway
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._refused: ZoomReauthorizationRequired | None = None
        self.refresh_count = 0

    def get_token(self) -> str:
        with self._lock:
            if self._refused is not None:
                raise self._refused
            if self._clock() >= self.expires_at - self._leeway:
                self._refresh_locked()
            return self._access_token

    @sensitive_variables("stale_token")
    def refresh(self, stale_token: str) -> str:
        with self._lock:
            if self._refused is not None:
                raise self._refused
            if self._access_token == stale_token:
                self._refresh_locked()
            return self._access_token

    def _refresh_locked(self) -> None:
        try:
            tokens = exchange_refresh_token(
                oauth_base_url=self._oauth_base_url,
                client_id=self._client_id,
                client_secret=self._client_secret,
                refresh_token=self._refresh_token,
                session=self._session,
            )
        except ZoomReauthorizationRequired as exc:
            self._refused = exc
            raise
        finally:
            self.refresh_count += 1
        if self._on_rotate is not None:
            self._on_rotate(tokens)
        self._access_token = tokens.access_token
        self._refresh_token = tokens.refresh_token or self._refresh_token
        self.expires_at = self._clock() + tokens.expires_in

    def __repr__(self) -> str:
        return f"MemoryOAuthTokenProvider(expires_at={self.expires_at!r})"
