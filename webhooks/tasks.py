"""django-q2 tasks of webhooks: take an event id, do its work, safe to run twice.

- ``process_event(event_id)``: routes a stored event to its tenant (``webhooks.routing``).
  Applying events to the mirrored records comes with the handlers (webhooks issue).
"""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task

from webhooks.models import WebhookEvent
from webhooks.routing import event_route

TASK_GROUP = "zoom-webhooks"


def process_event(event_id: int) -> str:
    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None:
        return "missing"
    if event.tenant_id is None and event.status == WebhookEvent.Status.RECEIVED:
        event = event_route(event=event)
    return event.status


def enqueue_event(event_id: int) -> None:
    def enqueue() -> None:
        async_task("webhooks.tasks.process_event", event_id, group=TASK_GROUP)

    transaction.on_commit(enqueue, robust=True)
