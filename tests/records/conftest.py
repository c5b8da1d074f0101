"""Fixtures of the records tests: two tenants, Zoom's published example payloads, and times."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from zoomadmin.tenants.models import Tenant

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
