"""Zoom's event notifications as stored: filter by event, tenant, status and unrouted; the
payload as Zoom sent it. Read-only; tenant-scoped (unrouted events, which have no tenant, are
superusers' only)."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from webhooks.handlers import HANDLERS
from webhooks.models import WebhookEvent
from webhooks.tasks import enqueue_drain
from zoomadmin.records.admin import ReadOnlyMixin
from zoomadmin.records.filters import code_filter
from zoomadmin.records.lists import ScalableFiltersMixin
from zoomadmin.tenants.scoping import TenantScopedAdmin

# The events this app acts on, by Zoom's names (others are stored as ignored).
EVENT_NAMES = {name: name for name in sorted(HANDLERS)}


@admin.register(WebhookEvent)
class WebhookEventAdmin(ScalableFiltersMixin, ReadOnlyMixin, TenantScopedAdmin):
    list_display = ["received_at", "event", "tenant", "account_id", "status", "note", "deliveries"]
    actions = ["reprocess_events"]
    list_filter = ["status", ("event", code_filter(EVENT_NAMES)), "tenant"]
    search_fields = ["=account_id", "event", "=request_id"]
    list_select_related = ["tenant"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    fields = [
        "received_at",
        "event",
        "event_ts",
        "account_id",
        "tenant",
        "request_id",
        "status",
        "error",
        "note",
        "attempts",
        "deliveries",
        "processed_at",
        "payload_json",
    ]
    readonly_fields = fields

    @admin.action(description="Re-process the selected events", permissions=["reprocess"])
    def reprocess_events(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        events = list(queryset.exclude(status=WebhookEvent.Status.RECEIVED))
        WebhookEvent.objects.filter(pk__in=[e.pk for e in events]).update(
            status=WebhookEvent.Status.RECEIVED, attempts=0, error="", note=""
        )
        enqueue_drain()
        messages.success(request, f"{len(events)} events queued to be processed again.")

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or request.user.has_perm("webhooks.view_webhookevent")

    @admin.display(description="payload")
    def payload_json(self, event: WebhookEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True))
