"""Fixtures for the Zoom client tests: a token for the sandbox account and a client factory.

Backoffs are tiny so that retry tests stay fast; nothing here fakes HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from zoomadmin.sandbox import SandboxServer
from zoomadmin.zoom.auth import StaticTokenProvider, TokenProvider
from zoomadmin.zoom.client import ZoomClient

FAST_RETRIES: dict[str, Any] = {
    "max_retries": 3,
    "backoff_base": 0.01,
    "backoff_max": 0.05,
    "max_retry_after": 5.0,
    "timeout": 5.0,
}


@pytest.fixture
def tokens(sandbox: SandboxServer) -> dict[str, Any]:
    """A fresh access/refresh token pair for the seeded account's owner."""
    state = sandbox.state
    with state.lock:
        return state.issue_tokens(account_id=state.default_account.id)


@pytest.fixture
def make_client(sandbox: SandboxServer, tokens: dict[str, Any]) -> Callable[..., ZoomClient]:
    """Build a ZoomClient on the sandbox; keyword arguments override the fast defaults."""

    def make(token_provider: TokenProvider | None = None, **overrides: Any) -> ZoomClient:
        provider = token_provider or StaticTokenProvider(tokens["access_token"])
        options = {**FAST_RETRIES, **overrides}
        return ZoomClient(base_url=sandbox.api_base_url, token_provider=provider, **options)

    return make


@pytest.fixture
def client(make_client: Callable[..., ZoomClient]) -> ZoomClient:
    return make_client()
