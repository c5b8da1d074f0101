"""Each field an event carries is judged by when that field was last observed, not the record.

Zoom's ``*.updated`` events carry only what changed. FACTS.md §3.5: "Update events carry
``payload.old_object`` with the **previous values of changed fields only** (``meeting.updated``:
``old_object`` has ``id`` + changed keys; … ``user.updated``: ``old_object``/``object`` with
changed fields, plus ``time_stamp``)", as in Zoom's published Users webhook example
(``webhook-examples.json``, ``user.updated``): ``"old_object": {"email": "xxxxxx.old@zoom.us",
"id": …}, "object": {"email": "xxxxxx@zoom.us", "id": …}`` and nothing else of the user. So an
event delivered late may still carry the only news of a field: it must be applied for that
field, and for no field something newer showed. Expected values are the sandbox's own state.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings.models import Meeting, MeetingRegistrant
from tests.webhooks.test_processing import member
from users.models import ZoomUser
from webhooks import tasks
from webhooks.models import WebhookEvent
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.tenants.tokens import client_for_tenant

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = json.loads(
    (
        Path(__file__).resolve().parents[1] / "fixtures" / "zoom" / "webhook-examples.json"
    ).read_text()
)


def test_zoom_s_published_update_carries_only_the_changed_fields():
    (example,) = [e for e in EXAMPLES["examples"] if e["event"] == "user.updated"]
    payload = example["request_body"]["payload"]
    assert set(payload["object"]) == set(payload["old_object"]) == {"id", "email"}


def _meeting(sandbox) -> dict:
    return sandbox.state.default_account.meetings_of(member(sandbox)["id"])[0]


def test_a_late_update_still_brings_the_field_nothing_newer_changed(
    tenant, sandbox, outbox, deliver
):
    meeting = _meeting(sandbox)
    zoom = client_for_tenant(tenant)
    zoom.update_meeting(meeting["id"], {"topic": "Topic changed first"})
    time.sleep(0.01)
    zoom.update_meeting(meeting["id"], {"agenda": "Agenda changed second"})
    first, second = outbox.take("meeting.updated")
    assert set(first["payload"]["object"]) == {"id", "uuid", "topic"}
    assert first["event_ts"] < second["event_ts"]

    assert deliver(second) == 200  # applied on its own, before the older one arrives
    assert deliver(first) == 200

    stored = Meeting.objects.get(tenant=tenant, zoom_id=meeting["id"])
    zoom_meeting = sandbox.state.default_account.meetings[meeting["id"]]
    assert stored.topic == zoom_meeting["topic"]
    assert stored.zoom_data["agenda"] == zoom_meeting["agenda"]
    assert set(WebhookEvent.objects.values_list("note", flat=True)) == {""}


def test_a_late_update_of_a_field_changed_since_is_not_applied_for_that_field(
    tenant, sandbox, outbox, deliver
):
    user = member(sandbox)
    zoom = client_for_tenant(tenant)
    zoom.update_user(user["id"], {"dept": "Old dept", "job_title": "Old title"})
    time.sleep(0.01)
    zoom.update_user(user["id"], {"dept": "New dept"})
    first, second = outbox.take("user.updated")

    assert deliver(second) == 200
    assert deliver(first) == 200  # its dept is older than the stored one; its title is not

    stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
    zoom_user = sandbox.state.default_account.users[user["id"]]
    assert (stored.dept, stored.job_title) == (zoom_user["dept"], zoom_user["job_title"])
    assert (stored.dept, stored.job_title) == ("New dept", "Old title")


def test_an_update_seen_unchanged_still_dates_its_field(tenant, sandbox, outbox, deliver):
    """The newer event re-states what is stored (a write of nothing): the older one, delivered
    after it, must still not bring back its value."""
    user = member(sandbox)
    stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
    original = stored.dept
    zoom = client_for_tenant(tenant)
    zoom.update_user(user["id"], {"dept": "Interim"})
    time.sleep(0.01)
    zoom.update_user(user["id"], {"dept": original})
    interim, back = outbox.take("user.updated")

    assert deliver(back) == 200  # equal to what is stored
    assert deliver(interim) == 200

    stored.refresh_from_db()
    assert stored.dept == sandbox.state.default_account.users[user["id"]]["dept"] == original


def test_a_reconcile_counts_only_for_the_fields_its_listing_carries(
    tenant, sandbox, outbox, deliver
):
    """Users OpenAPI, "List users": an item carries no ``job_title`` (a detail's field), so a
    reconcile that found the listed user unchanged did not see it."""
    user = member(sandbox)
    client_for_tenant(tenant).update_user(user["id"], {"job_title": "Set before the reconcile"})
    (event,) = outbox.take("user.updated")
    time.sleep(0.01)
    run = tenant_sync(tenant=tenant, trigger="test")
    assert run.kind == "reconcile" and run.counts["users"]["updated"] == 0

    assert deliver(event) == 200  # delayed past the reconcile

    stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
    assert stored.job_title == sandbox.state.default_account.users[user["id"]]["job_title"]
    assert WebhookEvent.objects.get().note == ""


def test_a_registrant_changed_before_a_reconcile_is_still_applied(tenant, sandbox, outbox, deliver):
    """A reconcile lists the registrants only of meetings that are new or whose listed fields
    changed: it saw none of this one's."""
    account = sandbox.state.default_account
    stored = MeetingRegistrant.objects.filter(tenant=tenant).select_related("meeting").first()
    meeting_id = stored.meeting.zoom_id
    registrant = account.registrants[meeting_id][stored.zoom_id]
    action = "deny" if registrant["status"] == "approved" else "approve"
    client_for_tenant(tenant).update_meeting_registrant_status(
        meeting_id, action, [{"id": registrant["id"]}]
    )
    (event,) = outbox.take()
    time.sleep(0.01)
    assert tenant_sync(tenant=tenant, trigger="test").kind == "reconcile"

    assert deliver(event) == 200

    stored.refresh_from_db()
    assert stored.status == account.registrants[meeting_id][registrant["id"]]["status"]


def test_a_full_sync_that_saw_no_change_counts_for_every_field(tenant, sandbox, outbox, deliver):
    user = member(sandbox)
    stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
    original = stored.job_title
    zoom = client_for_tenant(tenant)
    zoom.update_user(user["id"], {"job_title": "Interim"})
    zoom.update_user(user["id"], {"job_title": original})  # back again; that event is lost
    interim, _lost = outbox.take("user.updated")
    time.sleep(0.01)
    assert tenant_sync(tenant=tenant, trigger="test", full=True).counts["users"]["updated"] == 0

    assert deliver(interim) == 200

    stored.refresh_from_db()
    assert (
        stored.job_title == original == sandbox.state.default_account.users[user["id"]]["job_title"]
    )
    assert "Older than what the sync last saw" in WebhookEvent.objects.get().note


@pytest.mark.parametrize("events", [4, 40])
def test_a_drain_of_many_events_of_one_object_runs_a_bounded_number_of_queries(
    tenant, sandbox, outbox, deliver, monkeypatch, events
):
    monkeypatch.setattr(tasks, "_queue_drain", lambda: None)  # stored, not yet applied
    user = member(sandbox)
    zoom = client_for_tenant(tenant)
    for number in range(events):
        zoom.update_user(user["id"], {"dept": f"Dept {number}"})
        time.sleep(0.002)
    for event in outbox.take("user.updated"):
        assert deliver(event) == 200

    with CaptureQueriesContext(connection) as queries:
        assert tasks.process_received_events()["events"] == events

    assert len(queries) <= 30  # about 20: a few per batch and kind, none per event
    stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
    assert stored.dept == sandbox.state.default_account.users[user["id"]]["dept"]
