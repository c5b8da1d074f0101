"""Test settings: the product's settings with tasks run inline (exceptions surface) and fast hashing."""

from zoomadmin.settings import *  # noqa: F403
from zoomadmin.settings import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
