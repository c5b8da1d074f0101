"""Fixtures of the bulk-job tests: those of the user-write tests."""

from tests.users.conftest import (  # noqa: F401
    admin_client,
    admin_user,
    fast_zoom,
    tenant,
    zoom_requests,
)
