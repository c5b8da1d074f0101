"""Zoom's event notifications as they arrived: stored first, processed afterwards.

Every verified delivery is one ``WebhookEvent`` (the envelope ``{"event", "event_ts",
"payload": {"account_id", "object", …}}``, FACTS.md §3.5), keyed against duplicates by
``dedupe_key`` (event, ``event_ts``, object id and a digest of the payload: Zoom gives no
delivery id it promises unique, and retries a delivery that got no 200 up to three times; two
changes of one object in one millisecond are two events). Unverified requests leave no row.
"""

from __future__ import annotations

from django.db import models

from zoomadmin.tenants.models import Tenant


class WebhookEvent(models.Model):
    #: Holds Zoom's data of its tenant: deleted with the synced data on a disconnect.
    deleted_with_synced_data = True

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (not an event this app acts on)"
        UNROUTED = "unrouted", "Unrouted (no tenant has this account)"
        FAILED = "failed", "Failed"

    # None until routed, and for an account that is no tenant (superusers see those).
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_events",
        db_index=False,  # the indexes below lead with it
    )
    account_id = models.CharField("Zoom account ID", max_length=64, blank=True)
    event = models.CharField(max_length=100)
    # When the event happened in Zoom (milliseconds since the epoch, Zoom's event_ts).
    event_ts = models.BigIntegerField(null=True, blank=True)
    request_id = models.CharField("Zoom request ID", max_length=200, blank=True)
    # The id of the object the event is about (a user's, a meeting's; a recording's UUID).
    object_id = models.CharField("Zoom object ID", max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=300)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    # What processing said of an event it applied otherwise than as is (older than the sync's
    # view, fetched from Zoom instead, about an app no longer used).
    note = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    deliveries = models.PositiveIntegerField(
        default=1, help_text="How often Zoom delivered it (duplicates are stored once)."
    )
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "webhook event"
        # Each index is written by every delivery stored and by each change of its status
        # (up to 1,000 a second): only those that a query needs (no index on a column
        # alone that Django adds for db_index, nor its "_like" twin on PostgreSQL).
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="webhooks_event_dedupe_key"),
        ]
        indexes = [
            # The events' list (its order), of all tenants and of one (and a tenant's summary).
            models.Index(fields=["-received_at", "-id"], name="webhooks_event_list"),
            models.Index(fields=["tenant", "-received_at", "-id"], name="webhooks_tenant_list"),
            # The list filtered by event (a code filter: the events this app acts on).
            models.Index(fields=["event", "-received_at"], name="webhooks_event_by_name"),
            # A record's change history.
            models.Index(fields=["tenant", "object_id"], name="webhooks_tenant_object"),
            # What is left to process, oldest first (the drain's take): small, whatever the
            # number of events kept.
            models.Index(
                fields=["id"],
                name="webhooks_event_received",
                condition=models.Q(status="received"),
            ),
            # The few that want a look (the list's "Failed" and "Unrouted", the dashboard's):
            # found at once among millions processed, and written only for those.
            models.Index(
                fields=["status", "-received_at"],
                name="webhooks_event_attention",
                condition=models.Q(status__in=["failed", "unrouted"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.account_id or 'no account'})"


class ObservedFields(models.Model):
    """When Zoom last showed each field of one record, where webhook events told more than the
    record's ``synced_at`` says: a ``*.updated`` event carries only the fields that changed, so
    an older event delivered late may still carry a field nothing newer touched.

    ``fields`` maps Zoom's keys of the object (``settings.<key>`` for a setting) to when an
    applied event showed them (microseconds since the epoch); ``others_at`` is when the other
    fields were last shown (None: never, the record was made from an event). It holds only while
    the record's ``synced_at`` is still ``record_synced_at``: a write by anyone else (a sync, a
    read from Zoom) showed every field it wrote at its own time, which the record then says."""

    #: Holds nothing of Zoom's data but field names; deleted with it anyway.
    deleted_with_synced_data = True

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=64, help_text="The record's model, as app_label.model.")
    record_id = models.BigIntegerField(help_text="The record's local id.")
    record_synced_at = models.DateTimeField()
    others_at = models.DateTimeField(null=True, blank=True)
    fields = models.JSONField(default=dict)

    class Meta:
        verbose_name_plural = "observed fields"
        constraints = [
            models.UniqueConstraint(fields=["kind", "record_id"], name="observed_fields_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id}: {len(self.fields)} fields observed by events"
