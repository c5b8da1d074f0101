"""Test settings: the product's settings with tasks run inline (exceptions surface) and fast hashing."""

from zoomadmin.settings import *  # noqa: F403
from zoomadmin.settings import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
# Tests connect tenants in fixtures and sync them when they mean to (a test turns it on).
ZOOM_SYNC_ON_CONNECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import os as _os
    import tempfile as _tempfile

    # Tests with threads need the real locking of the product (busy timeout, BEGIN IMMEDIATE):
    # Django's default shared-cache in-memory test database fails at once with "database table
    # is locked" instead of waiting. One file per test run, so parallel runs do not collide.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": _os.path.join(_tempfile.gettempdir(), f"zoomadmin-test-{_os.getpid()}.sqlite3")
    }
