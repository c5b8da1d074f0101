"""A burst of deliveries is applied in batches (``webhooks.processing.events_drain``), not a task
per event: the receiver asks for a drain at most once per process every few milliseconds; a
batch is applied in the order Zoom made the changes; one object's events are taken by one
worker at a time; two registrants of one meeting changed in one millisecond are two events."""

from __future__ import annotations

import copy
import functools
import time

import pytest
from django_q.conf import Conf

from tests.webhooks.test_processing import member
from users.models import ZoomUser
from webhooks import tasks
from webhooks.models import WebhookEvent
from webhooks.processing import _take
from zoomadmin.tenants.tokens import client_for_tenant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(monkeypatch) -> list[float]:
    """Drains asked of the worker cluster (when), instead of running them."""
    asked: list[float] = []
    monkeypatch.setattr(tasks, "_queue_drain", lambda: asked.append(time.monotonic()))
    return asked


def test_a_batch_is_applied_in_the_order_zoom_made_the_changes(
    tenant, sandbox, outbox, deliver, queued
):
    user = member(sandbox)
    zoom = client_for_tenant(tenant)
    zoom.update_user(user["id"], {"dept": "First"})
    time.sleep(0.01)
    zoom.update_user(user["id"], {"job_title": "Second"})
    first, second = outbox.take("user.updated")
    assert deliver(second) == deliver(first) == 200  # the newer one overtook the older
    assert WebhookEvent.objects.filter(status="received").count() == 2

    assert tasks.process_received_events() == {
        "events": 2,
        "failed": 0,
        "retried": 0,
        "more": False,
    }

    # Each carried only its own field: both are in the record (applied one by one, the older
    # one would have been dropped as older than the record).
    stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
    zoom_user = sandbox.state.default_account.users[user["id"]]
    assert (stored.dept, stored.job_title) == (zoom_user["dept"], zoom_user["job_title"])
    assert (stored.dept, stored.job_title) == ("First", "Second")
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_a_burst_of_deliveries_asks_for_a_drain_once_per_interval(monkeypatch, queued):
    monkeypatch.setattr(Conf, "SYNC", False)  # a real cluster: drains are queued, not run
    requests = tasks._DrainRequests()

    started = time.monotonic()
    for _ in range(50):
        requests.request()
    time.sleep(tasks.DRAIN_EVERY_SECONDS * 4)

    # One at once, one by the timer after the interval, which came after the last event.
    assert len(queued) == 2
    assert queued[1] - started >= tasks.DRAIN_EVERY_SECONDS
    requests.request()
    assert len(queued) == 3  # the interval is over: at once again


def test_workers_never_take_events_of_an_object_another_worker_holds(
    tenant, sandbox, outbox, deliver, queued
):
    one, other = (
        member(sandbox),
        next(
            u
            for u in sandbox.state.default_account.users.values()
            if u["id"] != member(sandbox)["id"]
        ),
    )
    zoom = client_for_tenant(tenant)
    for user, value in [(one, "A"), (one, "B"), (other, "C")]:
        zoom.update_user(user["id"], {"dept": value})
        time.sleep(0.002)
    for event in outbox.take("user.updated"):
        assert deliver(event) == 200

    (held,) = _take(1)  # a worker takes the first event, about `one`
    taken = _take(10)  # another worker, meanwhile

    assert held.object_id == one["id"]
    assert [e.object_id for e in taken] == [other["id"]]
    assert _take(10) == []


def test_registrants_of_one_meeting_changed_in_one_millisecond_are_separate_events(
    tenant, sandbox, outbox, deliver, queued
):
    account = sandbox.state.default_account
    meeting_id, registrant = next(
        (mid, r) for mid, regs in account.registrants.items() for r in regs.values()
    )
    action = "deny" if registrant["status"] == "approved" else "approve"
    client_for_tenant(tenant).update_meeting_registrant_status(
        meeting_id, action, [{"id": registrant["id"]}]
    )
    (first,) = outbox.take()
    # Zoom announces each registrant's change in an event of its own: a second registrant
    # approved or denied in the same call, at the same moment.
    twin = copy.deepcopy(first)
    twin["payload"]["object"]["registrant"]["id"] = "another-registrant"

    assert deliver(first) == deliver(twin) == deliver(copy.deepcopy(first)) == 200

    stored = WebhookEvent.objects.order_by("pk")
    assert stored.count() == 2
    assert list(stored.values_list("deliveries", flat=True)) == [2, 1]


def test_a_drain_stops_at_its_budget_and_queues_another_for_the_rest(
    tenant, sandbox, outbox, deliver, queued, monkeypatch
):
    """A steady stream never leaves nothing to take: a drain goes on for its time budget,
    then leaves its worker to whatever waits and queues a drain for the rest."""
    zoom = client_for_tenant(tenant)
    account = sandbox.state.default_account
    members = [u for u in account.users.values() if u["status"] == "active"][1:4]
    for user in members:
        zoom.update_user(user["id"], {"dept": "Budgeted"})
    for envelope in outbox.take("user.updated"):
        assert deliver(envelope) == 200
    queued.clear()  # those the deliveries asked for
    monkeypatch.setattr(tasks, "DRAIN_BUDGET_SECONDS", 0.0)
    monkeypatch.setattr(tasks, "events_drain", functools.partial(tasks.events_drain, batch_size=1))

    first = tasks.process_received_events()

    assert (first["events"], first["more"]) == (1, True)
    assert len(queued) == 1  # the rest: another drain
    assert WebhookEvent.objects.filter(status="received").count() == 2
    while WebhookEvent.objects.filter(status="received").exists():
        tasks.process_received_events()
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
