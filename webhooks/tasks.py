"""django-q2 tasks of webhooks: take an event id, do its work, safe to run twice.

- ``process_received_events()``: applies every event received and not yet taken
  (``webhooks.processing.events_drain``); the receiver asks for one with
  :func:`enqueue_drain`, which queues at most one per process every ``DRAIN_EVERY_SECONDS``
  (a burst of deliveries becomes a few tasks a second, each applying batches, not a task per event);
- ``process_event(event_id)``: routes a stored event to its tenant (``webhooks.routing``) and
  applies it (``webhooks.processing``); a failure is retried a bounded number of times, then
  left failed with the error for an administrator to re-process.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import connections, transaction
from django_q.conf import Conf
from django_q.tasks import async_task

from webhooks.models import WebhookEvent
from webhooks.processing import MAX_ATTEMPTS, event_process, events_drain

logger = logging.getLogger(__name__)

TASK_GROUP = "zoom-webhooks"
DRAIN_TASK = "webhooks.tasks.process_received_events"
DRAIN_EVERY_SECONDS = 0.2
# A drain's wait after a batch that was not full, for more to gather (events_drain): under a
# steady stream, batches of a few hundred instead of a few dozen, a third of the CPU per event
# (bench/webhooks.py), for at most this much more time from receipt to record.
DRAIN_GATHER_SECONDS = 0.25
# How long one drain task goes on before it leaves the rest to a drain queued after it: a
# worker held by a steady stream would keep syncs and bulk jobs waiting behind it.
DRAIN_BUDGET_SECONDS = 2.0


def process_event(event_id: int) -> str:
    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None:
        return "missing"
    event = event_process(event=event)
    if event.status == WebhookEvent.Status.FAILED and event.attempts < MAX_ATTEMPTS:
        enqueue_event(event.pk)
    return event.status


def process_received_events() -> dict[str, int]:
    # Inline (tests), a drain applies what its request stored: nothing gathers meanwhile.
    drained = events_drain(
        gather=0.0 if Conf.SYNC else DRAIN_GATHER_SECONDS, budget=DRAIN_BUDGET_SECONDS
    )
    retried = [e.pk for e in drained.failed if e.attempts < MAX_ATTEMPTS]
    for event_id in retried:
        enqueue_event(event_id)
    if drained.more:  # the rest after whatever else waits for a worker
        _queue_drain()
    return {
        "events": drained.events,
        "failed": len(drained.failed),
        "retried": len(retried),
        "more": drained.more,
    }


def enqueue_event(event_id: int) -> None:
    def enqueue() -> None:
        async_task("webhooks.tasks.process_event", event_id, group=TASK_GROUP)

    transaction.on_commit(enqueue, robust=True)


class _DrainRequests:
    """Queues a drain task at once, or, within ``DRAIN_EVERY_SECONDS`` of the last one, from a
    thread of its own at the end of that time: every stored event is followed by a drain queued
    after it was committed (a drain takes what is there when it starts), and a burst costs one
    task per interval. Per process; threads share it. The thread lives as long as the process
    and keeps its database connection (``CONN_MAX_AGE``): queueing a task costs an insert, not
    a connection."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._last = 0.0
        self._due = False  # a drain is to be queued by the thread
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        if Conf.SYNC:  # tasks run inline (tests): nothing else can store events meanwhile
            _queue_drain()
            return
        with self._lock:
            if self._due:
                return  # the thread's drain comes after this event
            if time.monotonic() - self._last < DRAIN_EVERY_SECONDS:
                self._due = True
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run, name="zoom-webhook-drains", daemon=True
                    )
                    self._thread.start()
                self._lock.notify()
                return
            self._last = time.monotonic()
        _queue_drain()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._due:
                    self._lock.wait()
                wait = self._last + DRAIN_EVERY_SECONDS - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            with self._lock:
                self._due = False
                self._last = time.monotonic()
            try:
                _queue_drain()
            except Exception:  # the next event asks again; the thread must live on
                logger.exception("Could not queue the drain of webhook events")
            finally:
                for connection in connections.all(initialized_only=True):
                    connection.close_if_unusable_or_obsolete()


_drain_requests = _DrainRequests()


def enqueue_drain() -> None:
    """Have the events stored so far applied soon (after the surrounding transaction commits)."""
    transaction.on_commit(_drain_requests.request, robust=True)


def _queue_drain() -> None:
    # Not saved when it succeeds: a drain a few times a second would push every other task's
    # result out of the kept ones (a failure is kept).
    async_task(DRAIN_TASK, group=TASK_GROUP, save=False)
