"""Fixtures of the user-write tests: a tenant connected to the sandbox and synced, a superuser
signed in to the admin, and the sandbox's request count to show that bad input costs none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.services import tenant_connect_server_to_server


@pytest.fixture(autouse=True)
def fast_zoom(settings: Any) -> None:
    settings.ZOOM_RATE_SHARE = 10_000
    settings.ZOOM_SYNC_CONCURRENCY = 2


@pytest.fixture
def admin_user(django_user_model) -> Any:
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def tenant(zoom_settings: SandboxServer, admin_user: Any) -> Tenant:
    tenant = tenant_connect_server_to_server(
        account_id=zoom_settings.state.default_account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=admin_user,
    )
    assert tenant_sync(tenant=tenant, trigger="test").status == "succeeded"
    return tenant


@pytest.fixture
def admin_client(client: Any, admin_user: Any) -> Any:
    client.force_login(admin_user)
    return client


@pytest.fixture
def zoom_requests(zoom_settings: SandboxServer) -> Callable[[], int]:
    """``zoom_requests()``: every request the sandbox has received so far (API and OAuth)."""
    return lambda: zoom_settings.state.stats.requests_total
