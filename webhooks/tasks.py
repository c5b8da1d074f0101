"""django-q2 tasks of webhooks: take an event id, do its work, safe to run twice.

- ``process_event(event_id)``: routes a stored event to its tenant (``webhooks.routing``) and
  applies it (``webhooks.processing``); a failure is retried a bounded number of times, then
  left failed with the error for an administrator to re-process.
"""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task

from webhooks.models import WebhookEvent
from webhooks.processing import MAX_ATTEMPTS, event_process

TASK_GROUP = "zoom-webhooks"


def process_event(event_id: int) -> str:
    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None:
        return "missing"
    event = event_process(event=event)
    if event.status == WebhookEvent.Status.FAILED and event.attempts < MAX_ATTEMPTS:
        enqueue_event(event.pk)
    return event.status


def enqueue_event(event_id: int) -> None:
    def enqueue() -> None:
        async_task("webhooks.tasks.process_event", event_id, group=TASK_GROUP)

    transaction.on_commit(enqueue, robust=True)
