"""Events applied to the mirror with the sync's own upserts: a change made in Zoom reaches the
record without a sync; duplicates apply once; an older event never overwrites a newer state,
whether a later event or a sync (even one that saw no change) observed it; deauthorization
deletes the tenant's data."""

from __future__ import annotations

import copy
import time

import pytest
from django.utils import timezone

from meetings.models import CloudRecording, Meeting
from users.models import ZoomUser
from webhooks.models import WebhookEvent
from zoomadmin.sandbox.api.users import ADMIN_ROLE, OWNER_ROLE
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.tokens import client_for_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def member(sandbox) -> dict:
    account = sandbox.state.default_account
    return next(
        u
        for u in account.users.values()
        if u["status"] == "active"
        and u["role_id"] not in (OWNER_ROLE, ADMIN_ROLE)
        and account.meetings_of(u["id"])
    )


def test_a_change_made_in_zoom_reaches_the_record_without_a_sync(tenant, sandbox, outbox, deliver):
    user = member(sandbox)
    client_for_tenant(tenant).update_user(user["id"], {"job_title": "Chief of Webhooks"})
    (event,) = outbox.take("user.updated")
    assert deliver(event) == 200
    stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
    assert stored.job_title == sandbox.state.default_account.users[user["id"]]["job_title"]
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


def test_a_meeting_update_changes_only_what_changed_and_keeps_its_settings(
    tenant, sandbox, outbox, deliver
):
    host = member(sandbox)
    meeting = sandbox.state.default_account.meetings_of(host["id"])[0]
    stored = Meeting.objects.get(tenant=tenant, zoom_id=meeting["id"])
    settings_before = stored.zoom_data.get("settings")
    client_for_tenant(tenant).update_meeting(meeting["id"], {"topic": "Moved by webhook"})
    (event,) = outbox.take("meeting.updated")
    assert deliver(event) == 200
    stored.refresh_from_db()
    assert stored.topic == sandbox.state.default_account.meetings[meeting["id"]]["topic"]
    assert stored.topic == "Moved by webhook"
    assert stored.zoom_data.get("settings") == settings_before


def test_a_duplicate_delivery_is_stored_and_applied_once(tenant, sandbox, outbox, deliver):
    user = member(sandbox)
    client_for_tenant(tenant).update_user(user["id"], {"dept": "Twice"})
    (event,) = outbox.take("user.updated")
    assert deliver(event) == 200
    assert deliver(copy.deepcopy(event)) == 200
    stored = WebhookEvent.objects.get()
    assert (stored.deliveries, stored.attempts) == (2, 1)


def test_out_of_order_deliveries_end_in_the_newest_state(tenant, sandbox, outbox, deliver):
    user = member(sandbox)
    zoom = client_for_tenant(tenant)
    zoom.update_user(user["id"], {"dept": "First"})
    time.sleep(0.01)
    zoom.update_user(user["id"], {"dept": "Second"})
    first, second = outbox.take("user.updated")
    assert first["event_ts"] < second["event_ts"]
    assert deliver(second) == 200
    assert deliver(first) == 200  # late: older than the stored state
    assert ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"]).dept == "Second"


def test_an_event_older_than_a_sync_that_saw_no_change_is_not_applied(
    tenant, sandbox, outbox, deliver
):
    user = member(sandbox)
    stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
    original = stored.first_name
    zoom = client_for_tenant(tenant)
    zoom.update_user(user["id"], {"first_name": "Interim"})
    zoom.update_user(user["id"], {"first_name": original})  # back again; that event is lost
    interim, _lost = outbox.take("user.updated")
    time.sleep(0.01)
    run = tenant_sync(tenant=tenant, trigger="test")  # sees the user as stored: writes nothing
    assert run.counts["users"]["updated"] == 0
    assert deliver(interim) == 200  # delivered after the sync, Zoom's retry of a failed send
    stored.refresh_from_db()
    assert (
        stored.first_name
        == original
        == sandbox.state.default_account.users[user["id"]]["first_name"]
    )
    assert "Older than what the sync last saw" in WebhookEvent.objects.get().note


def test_a_deleted_user_s_meetings_go_with_them(tenant, sandbox, outbox, deliver):
    user = member(sandbox)
    client_for_tenant(tenant).delete_user(user["id"], action="delete")
    (event,) = outbox.take("user.deleted")
    assert deliver(event) == 200
    stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
    assert stored.deleted_at is not None
    assert not Meeting.objects.filter(tenant=tenant, host=stored, deleted_at=None).exists()


def test_a_meeting_deleted_in_zoom_is_marked_deleted(tenant, sandbox, outbox, deliver):
    meeting = sandbox.state.default_account.meetings_of(member(sandbox)["id"])[0]
    client_for_tenant(tenant).delete_meeting(meeting["id"])
    (event,) = outbox.take("meeting.deleted")
    assert deliver(event) == 200
    assert Meeting.objects.get(tenant=tenant, zoom_id=meeting["id"]).deleted_at is not None


def test_a_recording_goes_to_the_trash_comes_back_and_is_deleted_for_good(
    tenant, sandbox, outbox, deliver
):
    """Meetings webhooks: recording.trashed (to the trash, "Users can recover recordings from
    the trash up to 30 days after deletion"), recording.recovered, recording.deleted
    ("permanently deleted"): each carries the recording with its files."""
    zoom = next(iter(sandbox.state.default_account.recordings.values()))
    client_for_tenant(tenant).delete_meeting_recordings(zoom["uuid"], action="trash")
    (trashed,) = outbox.take("recording.trashed")
    assert deliver(trashed) == 200
    stored = CloudRecording.objects.get(tenant=tenant, zoom_id=zoom["uuid"])
    assert stored.in_trash and all(f.in_trash for f in stored.files.all())

    later = trashed["event_ts"]
    for name in ("recording.recovered", "recording.deleted"):
        later += 1000
        assert deliver({**copy.deepcopy(trashed), "event": name, "event_ts": later}) == 200
        stored.refresh_from_db()
        if name == "recording.recovered":
            assert (stored.deleted_at, stored.in_trash) == (None, False)
            assert not stored.files.exclude(deleted_at=None).exists()
    assert stored.deleted_at is not None and not stored.in_trash
    assert not any(f.in_trash for f in stored.files.all())


def test_one_file_trashed_in_zoom_leaves_the_recording_and_its_other_files(
    tenant, sandbox, outbox, deliver
):
    zoom = next(
        r
        for r in sandbox.state.default_account.recordings.values()
        if len(r["recording_files"]) > 1
    )
    first, *others = (f["id"] for f in zoom["recording_files"])
    client_for_tenant(tenant).delete_recording_file(zoom["uuid"], first, action="trash")
    (trashed,) = outbox.take("recording.trashed")
    assert [f["id"] for f in trashed["payload"]["object"]["recording_files"]] == [first]
    assert deliver(trashed) == 200
    stored = CloudRecording.objects.get(tenant=tenant, zoom_id=zoom["uuid"])
    assert stored.deleted_at is None
    assert stored.files.get(zoom_id=first).in_trash
    assert set(stored.files.filter(deleted_at=None).values_list("zoom_id", flat=True)) == set(
        others
    )


def test_deauthorization_disconnects_the_tenant_and_deletes_its_data(
    tenant, sandbox, deliver, settings
):
    settings.ZOOM_WEBHOOK_SECRET_TOKENS = ["sandbox-webhook-secret"]
    assert ZoomUser.objects.filter(tenant=tenant).exists()
    envelope = {
        "event": "app_deauthorized",
        "payload": {
            "account_id": tenant.account_id,
            "user_id": "someone",
            "client_id": tenant.s2s_credential.client_id,
            "deauthorization_time": timezone.now().isoformat(),
            "event_ts": timezone.now().strftime("%Y-%m-%d %H:%M:%S"),
        },
    }
    assert deliver(envelope) == 200
    tenant.refresh_from_db()
    assert tenant.status == Tenant.Status.DISCONNECTED
    assert not ZoomUser.objects.filter(tenant=tenant).exists()


def test_deauthorization_of_an_app_the_tenant_no_longer_uses_is_ignored(
    tenant, sandbox, deliver, settings
):
    settings.ZOOM_WEBHOOK_SECRET_TOKENS = ["sandbox-webhook-secret"]
    envelope = {
        "event": "app_deauthorized",
        "payload": {"account_id": tenant.account_id, "client_id": "an-old-app", "event_ts": 1},
    }
    assert deliver(envelope) == 200
    tenant.refresh_from_db()
    assert tenant.status == Tenant.Status.CONNECTED
    assert "no longer uses" in WebhookEvent.objects.get().note


def test_the_tenant_page_says_which_events_arrived_lately_and_when(
    admin_client, tenant, sandbox, outbox, deliver
):
    user = member(sandbox)
    client_for_tenant(tenant).update_user(user["id"], {"dept": "Seen"})
    for event in outbox.take():
        assert deliver(event) == 200
    page = admin_client.get(f"/admin/tenants/tenant/{tenant.pk}/change/").content.decode()
    assert "Webhook events of the last 7 days" in page
    assert "user.updated" in page
    assert f"tenant__id__exact={tenant.pk}" in page


def test_a_user_s_page_shows_who_changed_what_in_zoom_and_from_here(
    admin_client, tenant, sandbox, outbox, deliver
):
    user = member(sandbox)
    stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
    old_title = stored.job_title
    client_for_tenant(tenant).update_user(user["id"], {"job_title": "Set in Zoom"})
    (event,) = outbox.take("user.updated")
    assert deliver(event) == 200
    url = f"/admin/users/zoomuser/{stored.pk}/change/"
    form = {
        "first_name": stored.first_name,
        "last_name": stored.last_name,
        "display_name": stored.display_name,
        "type": str(stored.type),
        "dept": "Set here",
        "job_title": "Set in Zoom",
        "timezone": stored.timezone,
        "language": stored.zoom_data.get("language", ""),
        "pmi": str(stored.pmi or ""),
    }
    assert admin_client.post(url, form).status_code == 302
    page = admin_client.get(url).content.decode()
    history = page[page.index('id="change-history"') :]
    assert "user.updated" in history and event["payload"]["operator"] in history
    assert f"job_title: {old_title} → Set in Zoom" in history or "job_title: Set in Zoom" in history
    assert "dept: Set here" in history
    assert history.index("dept: Set here") < history.index("user.updated")  # newest first


def test_a_burst_of_occurrence_changes_costs_one_request(tenant, sandbox, deliver, settings):
    settings.ZOOM_WEBHOOK_SECRET_TOKENS = ["sandbox-webhook-secret"]
    meeting = sandbox.state.default_account.meetings_of(member(sandbox)["id"])[0]
    route = "GET /v2/meetings/{meetingId}"
    before = sandbox.state.stats.requests_by_route[route]
    time.sleep(0.01)
    now = int(time.time() * 1000)  # after the sync: each is news to the mirror
    for n in range(5):  # one occurrence each (payload.scope "single"): the series is fetched
        envelope = {
            "event": "meeting.updated",
            "event_ts": now + n,
            "payload": {
                "account_id": tenant.account_id,
                "scope": "single",
                "object": {"id": meeting["id"], "occurrences": [{"occurrence_id": str(n)}]},
                "old_object": {"id": meeting["id"]},
            },
        }
        assert deliver(envelope) == 200
    assert sandbox.state.stats.requests_by_route[route] == before + 1
