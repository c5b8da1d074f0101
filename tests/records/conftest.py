"""Fixtures of the records tests: two tenants, Zoom's published example payloads, times, signed-in
clients (a superuser; a staff member of the module's ``rows`` tenant with every permission) and
a tenant synced from the sandbox."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from zoomadmin.tenants.models import Tenant, TenantMembership

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "zoom"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def zoom_example(operation: str) -> dict[str, Any]:
    """The response body Zoom publishes for ``operation`` (a fresh copy every call)."""
    return copy.deepcopy(json.loads((FIXTURES / f"{operation}.json").read_text()))


@pytest.fixture
def tenant(db) -> Tenant:
    return Tenant.objects.create(account_id="acct-one", name="One", connection="s2s")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return Tenant.objects.create(account_id="acct-two", name="Two", connection="s2s")


@pytest.fixture
def at() -> Callable[[int], datetime]:
    """``at(minutes)``: a fixed instant, ``minutes`` after the tests' reference time."""
    return lambda minutes=0: T0 + timedelta(minutes=minutes)


@pytest.fixture
def superuser_client(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    return client


@pytest.fixture
def staff_client(django_user_model, rows) -> Client:
    """A staff member of the rows' tenant (the module's ``rows``) with every model permission."""
    user = django_user_model.objects.create_user("staff", "s@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    TenantMembership.objects.create(tenant=rows.tenant, user=user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def synced(zoom_settings, settings, django_user_model):
    """The sandbox's account connected and synced: (tenant, its superuser, the sandbox)."""
    from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from zoomadmin.sync.runs import tenant_sync
    from zoomadmin.tenants.services import tenant_connect_server_to_server

    settings.ZOOM_RATE_SHARE = 10_000
    admin_user = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")
    tenant = tenant_connect_server_to_server(
        account_id=zoom_settings.state.default_account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=admin_user,
    )
    assert tenant_sync(tenant=tenant, trigger="test").status == "succeeded"
    return tenant, admin_user, zoom_settings
