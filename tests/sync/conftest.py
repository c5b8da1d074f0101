"""Fixtures of the sync tests: a tenant connected to the sandbox, and a comparable snapshot of
everything synced for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import models

from tests.processes import subprocess_env  # noqa: F401  (the sync tests import it from here)
from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer
from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.services import synced_data_models, tenant_connect_server_to_server

# Columns that say when, not what, and the fingerprint (of local foreign keys too): they differ
# between two runs that mirror the same data into fresh rows.
TIME_COLUMNS = {"synced_at", "created", "updated", "zoom_hash", "webinars_refused_at"}


@pytest.fixture(autouse=True)
def fast_zoom(settings: Any) -> None:
    # No pacing (the sandbox sets no limit unless a test asks) and a few threads.
    settings.ZOOM_RATE_SHARE = 10_000
    settings.ZOOM_SYNC_CONCURRENCY = 4


@pytest.fixture
def connect(zoom_settings: SandboxServer, django_user_model) -> Callable[..., Tenant]:
    """``connect(account_id=None)``: a tenant connected to a sandbox account (S2S)."""
    admin = django_user_model.objects.create_user(username="sync-admin")

    def make(account_id: str | None = None) -> Tenant:
        account_id = account_id or zoom_settings.state.default_account.id
        return tenant_connect_server_to_server(
            account_id=account_id,
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            user=admin,
        )

    return make


@pytest.fixture
def tenant(connect: Callable[..., Tenant]) -> Tenant:
    return connect()


@pytest.fixture
def sync() -> Callable[..., SyncRun]:
    def run(tenant: Tenant, **kwargs: Any) -> SyncRun:
        kwargs.setdefault("trigger", "test")
        result = tenant_sync(tenant=tenant, **kwargs)
        assert result is not None, "the tenant was busy"
        return result

    return run


def snapshot(tenant: Tenant) -> dict[str, dict[str, dict[str, Any]]]:
    """Every synced row of ``tenant``, keyed by model and Zoom key ("parent/child" for keys of
    two fields), without local ids and times; a foreign key reads as the Zoom id of its row."""
    state: dict[str, dict[str, dict[str, Any]]] = {}
    for model in synced_data_models():
        names = []
        for field in model._meta.concrete_fields:
            if field.primary_key or field.name in TIME_COLUMNS or field.name == "tenant":
                continue
            if isinstance(field, models.ForeignKey):
                has_zoom_id = any(f.name == "zoom_id" for f in field.related_model._meta.fields)
                names.append(f"{field.name}__zoom_id" if has_zoom_id else field.attname)
            elif field.name == "deleted_at":
                continue
            else:
                names.append(field.name)
        key_names = [
            f"{name}__zoom_id" if model._meta.get_field(name).is_relation else name
            for name in model.zoom_key
        ]
        rows = {}
        for row in model._default_manager.filter(tenant=tenant).values(*names, "deleted_at"):
            row["present"] = row.pop("deleted_at") is None
            key = [str(row[name]) for name in key_names]
            rows[key[0] if len(key) == 1 else "/".join(key)] = row
        state[model._meta.label] = rows
    return state


def present_ids(tenant: Tenant, label: str) -> set[str]:
    """The Zoom ids (a child's own id, without its parent's) of the present rows of a model."""
    return {str(row["zoom_id"]) for row in snapshot(tenant)[label].values() if row["present"]}
