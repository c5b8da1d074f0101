"""Fixtures shared by every test folder.

Sandbox Zoom (``zoomadmin.sandbox``, SPEC §9), served over real loopback HTTP:

``sandbox_server`` (session)
    One ``SandboxServer`` on 127.0.0.1 (a free port), started once per test session.

``sandbox`` (function)
    That server, reset for the test: default knobs, no queued faults, zero stats, no
    listeners, and one fresh small account seeded with ``SANDBOX_SEED_ARGS`` (10 users, a few
    meetings, webinars, registrants, recordings, phone recordings, chat). Returns the server:

    - ``sandbox.url`` / ``sandbox.api_base_url``: the OAuth and API base URLs;
    - ``sandbox.state``: the data (``state.default_account`` is the seeded account, its owner
      ``account.users[account.owner_id]``); ``state.issue_tokens()`` mints a token pair for
      the default account's owner without the OAuth dance; ``state.listeners`` receives
      ``(event, account_id, payload)`` on every change; ``state.stats`` counts requests;
    - ``sandbox.config``: latency, rate limits, token lifetimes and faults
      (``config.update(rate_limit_per_second=2)``, ``config.script_fault(ScriptedFault("503"))``).

    Seed more with ``zoomadmin.sandbox.seed_account(sandbox.state, users=..., seed=...)``.

``private_pacing`` (autouse)
    Each test's request budgets live in its own directory: a 429 one test provokes (which
    pushes the account's budget back) never slows another test of the session.

``zoom_settings`` (function)
    Points ``ZOOM_API_BASE_URL``, ``ZOOM_OAUTH_BASE_URL``, ``ZOOM_CLIENT_ID`` and
    ``ZOOM_CLIENT_SECRET`` at the sandbox through pytest-django's ``settings``; returns the
    sandbox.

``other_customer`` (function)
    ``other_customer(**seed)``: another customer's Zoom account, seeded in the sandbox with
    ``seed_account``'s arguments (3 users, seed 7, unless given), connected as a tenant over
    Server-to-Server by a superuser of its own, and synced; returns the tenant. For the tests
    that another tenant's records answer 404 and reach no Zoom.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer, seed_account
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.tenants.services import tenant_connect_server_to_server
from zoomadmin.zoom import pacing

SANDBOX_SEED_ARGS: dict[str, Any] = {
    "users": 10,
    "meetings_per_user": 3,
    "webinars_per_licensed_user": 1,
    "registrant_ratio": 0.5,
    "recording_ratio": 0.5,
    "inactive_ratio": 0.1,
    "pending_ratio": 0.1,
    "seed": 1,
}


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    server = SandboxServer().start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxServer:
    sandbox_server.reset()
    sandbox_server.state.listeners.clear()
    seed_account(sandbox_server.state, **SANDBOX_SEED_ARGS)
    return sandbox_server


@pytest.fixture
def zoom_settings(sandbox: SandboxServer, settings: Any) -> SandboxServer:
    settings.ZOOM_API_BASE_URL = sandbox.api_base_url
    settings.ZOOM_OAUTH_BASE_URL = sandbox.url
    settings.ZOOM_CLIENT_ID = DEFAULT_CLIENT_ID
    settings.ZOOM_CLIENT_SECRET = DEFAULT_CLIENT_SECRET
    return sandbox


@pytest.fixture
def other_customer(zoom_settings: SandboxServer, django_user_model: Any) -> Any:
    def connect_and_sync(**seed: Any) -> Any:
        account = seed_account(zoom_settings.state, **{"users": 3, "seed": 7, **seed})
        tenant = tenant_connect_server_to_server(
            account_id=account.id,
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            user=django_user_model.objects.create_superuser("other", "o@example.com", "pw"),
        )
        tenant_sync(tenant=tenant, trigger="test")
        return tenant

    return connect_and_sync


@pytest.fixture(autouse=True)
def private_pacing(tmp_path_factory: Any, monkeypatch: Any) -> Iterator[None]:
    monkeypatch.setattr(pacing, "DEFAULT_DIRECTORY", tmp_path_factory.mktemp("pacing"))
    # On Redis (REDIS_URL), each test's budgets under a prefix of its own.
    monkeypatch.setattr(pacing.RedisPacer, "PREFIX", f"zoomadmin:pacing:test-{uuid.uuid4()}:")
    pacing.pacer_for.cache_clear()
    yield
    pacing.pacer_for.cache_clear()
