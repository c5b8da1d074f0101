"""Child processes of a test: the environment a ``manage.py`` child needs to share the test's
database and sandbox."""

from __future__ import annotations

import os

from django.db import connection

from zoomadmin.sandbox import SandboxServer


def subprocess_env(sandbox: SandboxServer, **extra: str) -> dict[str, str]:
    """Environment for a child ``manage.py`` that shares this test's database and sandbox."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        database_url = f"sqlite:///{settings_dict['NAME']}"
    else:
        database_url = (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zoomadmin.settings",
        "DATABASE_URL": database_url,
        "ZOOM_API_BASE_URL": sandbox.api_base_url,
        "ZOOM_OAUTH_BASE_URL": sandbox.url,
        "ZOOM_RATE_SHARE": "10000",
        "DJANGO_LOG_LEVEL": "WARNING",
        **extra,
    }
