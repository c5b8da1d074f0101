"""Fixtures of the meeting-write tests: the same as the user-write tests' (a tenant connected
to the sandbox and synced, a superuser signed in, the sandbox's request count)."""

from tests.users.conftest import (  # noqa: F401
    admin_client,
    admin_user,
    fast_zoom,
    tenant,
    zoom_requests,
)
