"""Signals of tenants, for the rooms above it that may not be imported here.

- ``tenant_connected``: a tenant was connected or re-connected (OAuth or Server-to-Server), sent
  once the connect is committed, with ``tenant`` and ``created`` (a new tenant, or one known
  before). The sync queues the tenant's first sync from it (``ZOOM_SYNC_ON_CONNECT``).
"""

from django.dispatch import Signal

tenant_connected = Signal()
