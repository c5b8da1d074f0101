"""The stored events' indexes: every delivery stored writes each of them, and so does each
change of its status, so there are only those a query needs; the queries that read among
millions of processed events (the drain's take, the list's "Failed" and "Unrouted") find
theirs through small partial indexes (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from webhooks.models import WebhookEvent

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]


def _events(count: int, status: str, start: int) -> list[WebhookEvent]:
    now = timezone.now()
    return [
        WebhookEvent(
            account_id="acct",
            event="meeting.updated",
            dedupe_key=f"k{start + n}",
            object_id=str(n % 300),
            status=status,
            received_at=now,
            payload={"event": "meeting.updated"},
        )
        for n in range(count)
    ]


@pytest.fixture
def many_processed():
    WebhookEvent.objects.bulk_create(
        [
            *_events(5000, WebhookEvent.Status.PROCESSED, 0),
            *_events(5, WebhookEvent.Status.RECEIVED, 10_000),
            *_events(5, WebhookEvent.Status.FAILED, 20_000),
            *_events(5, WebhookEvent.Status.UNROUTED, 30_000),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {WebhookEvent._meta.db_table}")


def test_the_drain_takes_what_is_left_through_its_partial_index(many_processed):
    pending = WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).order_by("pk")
    assert "webhooks_event_received" in pending[:100].explain()


@pytest.mark.parametrize("status", ["failed", "unrouted"])
def test_the_lists_failed_and_unrouted_events_are_found_through_theirs(many_processed, status):
    shown = WebhookEvent.objects.filter(status=status).order_by("-received_at", "-id")
    assert "webhooks_event_attention" in shown[:100].explain()


def test_a_delivery_writes_only_the_indexes_a_query_needs():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s",
            [WebhookEvent._meta.db_table],
        )
        names = sorted(name for (name,) in cursor.fetchall())
    assert names == sorted(
        [
            "webhooks_webhookevent_pkey",
            "webhooks_event_dedupe_key",  # the receiver's ON CONFLICT
            "webhooks_event_list",
            "webhooks_tenant_list",
            "webhooks_event_by_name",  # the list filtered by event
            "webhooks_tenant_object",  # a record's change history
            "webhooks_event_received",  # partial: what is left to process
            "webhooks_event_attention",  # partial: failed and unrouted
        ]
    )
