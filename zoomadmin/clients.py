"""The one place that builds a ZoomClient for a tenant.

The client gets the API base URL from ``ZOOM_API_BASE_URL``, the tenant's token provider
(``zoomadmin.tokens``), and the pacer shared by every thread and worker process, keyed on the Zoom
account: Zoom's rate limits are per account, whatever app or worker sends the request.
"""

from __future__ import annotations

import requests
from django.conf import settings

from zoomadmin.models import Tenant
from zoomadmin.tokens import TenantNotConnected, token_provider_for
from zoomadmin.zoom.client import ZoomClient
from zoomadmin.zoom.pacing import pacer_from_settings

__all__ = ["TenantNotConnected", "client_for_tenant"]


def client_for_tenant(
    tenant: Tenant,
    *,
    rate_per_second: float | None = None,
    session: requests.Session | None = None,
) -> ZoomClient:
    """A client speaking for ``tenant``; raises TenantNotConnected unless it is connected.

    Refusing here is what stops a tenant's background work once Zoom refused its authorization
    or it was disconnected: tasks build their client first.
    """
    if not tenant.is_connected:
        raise TenantNotConnected.for_tenant(tenant)
    return ZoomClient(
        base_url=settings.ZOOM_API_BASE_URL,
        token_provider=token_provider_for(tenant),
        pacer=pacer_from_settings(),
        pacing_key=tenant.account_id,
        rate_per_second=(
            rate_per_second or tenant.rate_limit_per_second or settings.ZOOM_RATE_LIMIT_PER_SECOND
        ),
        timeout=settings.ZOOM_HTTP_TIMEOUT_SECONDS,
        session=session,
    )
