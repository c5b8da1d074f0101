"""Which tenant an event is about: ``payload.account_id`` is the Zoom account (FACTS.md
§3.5), the tenant's key."""

from __future__ import annotations

from django.utils import timezone

from webhooks.models import WebhookEvent
from zoomadmin.tenants.models import Tenant


def event_route(*, event: WebhookEvent) -> WebhookEvent:
    """Attach ``event`` to its tenant, or mark it unrouted (kept, visible to superusers)."""
    tenant = (
        Tenant.objects.filter(account_id=event.account_id).first() if event.account_id else None
    )
    if tenant is None:
        event.status = WebhookEvent.Status.UNROUTED
        event.processed_at = timezone.now()
        event.save(update_fields=["status", "processed_at"])
        return event
    event.tenant = tenant
    event.save(update_fields=["tenant"])
    return event
