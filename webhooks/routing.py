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


def events_route(*, events: list[WebhookEvent]) -> list[WebhookEvent]:
    """``event_route`` for a batch, in a few queries: each event gets its ``tenant`` (the
    routed ones saved, the others marked unrouted). Returns ``events``."""
    known = Tenant.objects.in_bulk({e.tenant_id for e in events if e.tenant_id is not None})
    accounts = {e.account_id for e in events if e.tenant_id is None and e.account_id}
    by_account = {t.account_id: t for t in Tenant.objects.filter(account_id__in=accounts)}
    routed: dict[Tenant, list[int]] = {}
    unrouted = []
    for event in events:
        if event.tenant_id is not None:
            event.tenant = known[event.tenant_id]
        elif event.account_id in by_account:
            event.tenant = by_account[event.account_id]
            routed.setdefault(event.tenant, []).append(event.pk)
        else:
            event.status = WebhookEvent.Status.UNROUTED
            event.processed_at = timezone.now()
            unrouted.append(event.pk)
    for tenant, ids in routed.items():
        WebhookEvent.objects.filter(pk__in=ids).update(tenant=tenant)
    if unrouted:
        WebhookEvent.objects.filter(pk__in=unrouted).update(
            status=WebhookEvent.Status.UNROUTED, processed_at=timezone.now()
        )
    return events
