"""Writes read against Zoom's published description where the sandbox agreed with a mistaken
reading: a write Zoom accepted stays done when reading it back fails; a delete of what Zoom no
longer holds is done; webinars separate alternative hosts with commas; the host's start link
and registrants' PINs stay out of the audit; a host key stays out of the mirror; Zoom's field
errors land on the field they name; the forms take what Zoom takes and refuse, with no request,
what Zoom refuses by rule.

Expected values come from the sandbox's data (what Zoom holds), never from the code under test.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from meetings.models import CloudRecording, Meeting
from tests.admin_helpers import action_post, messages_of
from tests.meetings.test_meeting_writes import (
    ADD_MEETING_URL,
    ADD_WEBINAR_URL,
    MEETINGS_URL,
    account,
    add_form,
    change_form,
    change_url,
    errors_of,
    hosts,
    new_meeting,
    stored_user,
    zoom_meetings,
)
from tests.meetings.test_registrant_writes import (
    LIST_URL as REGISTRANTS_URL,
)
from tests.meetings.test_registrant_writes import (
    RECORDINGS_URL,
    STATUS_ROUTE,
    registration_meetings,
    seed_registrants,
    stored_of,
)
from tests.users.test_writes import change_form as user_change_form
from users.models import ZoomUser
from zoomadmin.jobs.models import BulkJobItem
from zoomadmin.sandbox.config import ScriptedFault
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.tenants.audit import MASK
from zoomadmin.tenants.models import ZoomWrite

pytestmark = pytest.mark.django_db(transaction=True)

LOCAL = "%Y-%m-%dT%H:%M:%S"


def refuse_reads(sandbox, path_prefix: str, count: int = 5) -> None:
    """Zoom refusing the reads that follow a write (here 400: a refusal the client does not
    retry, as a daily limit or a 429 beyond the wait would be)."""
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            status=400,
            code=300,
            message="Read refused.",
            method="GET",
            path_prefix=path_prefix,
            count=count,
        )
    )


# --- a write Zoom accepted is done, whatever the read-back -----------------------------------


def test_a_change_zoom_accepted_is_kept_when_reading_it_back_fails(admin_client, tenant, sandbox):
    """Meetings OpenAPI, PATCH /meetings/{meetingId}, 204 "Meeting updated.": done, and each
    update counts against the host's "100 requests per day"; it is not to be sent again."""
    target = zoom_meetings(sandbox, 2)[0]
    meeting = Meeting.objects.get(zoom_id=target["id"])
    settings_before = dict(meeting.zoom_data["settings"])
    refuse_reads(sandbox, "/v2/meetings/")
    response = admin_client.post(
        change_url(meeting), change_form(meeting, topic="Renamed, unread", waiting_room="on")
    )
    assert response.status_code == 302
    assert any("Zoom accepted it" in text for text in messages_of(response))
    zoom = account(sandbox).meetings[target["id"]]
    meeting.refresh_from_db()
    assert meeting.topic == zoom["topic"] == "Renamed, unread"
    # The settings asked for are merged into those stored, as Zoom's PATCH merges them.
    assert meeting.zoom_data["settings"]["waiting_room"] is zoom["settings"]["waiting_room"]
    for name, value in settings_before.items():
        if name != "waiting_room":
            assert meeting.zoom_data["settings"][name] == value
    write = ZoomWrite.objects.get()
    assert (write.method, write.outcome) == ("PATCH", "succeeded")


def test_approvals_zoom_accepted_are_kept_and_not_sent_again_when_the_listing_fails(
    sandbox, tenant, admin_client
):
    meeting = registration_meetings(sandbox)[0]
    pending = seed_registrants(sandbox, meeting, 3)
    tenant_sync(tenant=tenant, trigger="test", full=True)
    chosen = stored_of(tenant, pending)
    refuse_reads(sandbox, "/v2/meetings/")
    stats = sandbox.state.stats.requests_by_route
    calls = stats[STATUS_ROUTE]
    action_post(admin_client, REGISTRANTS_URL, "approve_registrants", chosen)
    assert stats[STATUS_ROUTE] - calls == 1
    items = BulkJobItem.objects.all()
    assert {i.status for i in items} == {"succeeded"}
    assert all("Zoom accepted it" in i.message for i in items)
    for registrant in chosen:
        registrant.refresh_from_db()
        zoom = account(sandbox).registrants[meeting["id"]][registrant.zoom_id]
        assert registrant.status == zoom["status"] == "approved"
    # Asked again, they are approved here already: Zoom is not asked twice.
    action_post(admin_client, REGISTRANTS_URL, "approve_registrants", chosen)
    assert stats[STATUS_ROUTE] - calls == 1


def test_deleting_a_recording_zoom_no_longer_holds_is_done(sandbox, tenant, admin_client):
    """Meetings OpenAPI, DELETE /meetings/{meetingId}/recordings, 404 code 3301: "There is no
    recording for this meeting." (trashed in Zoom's portal already, or a resent DELETE)."""
    zoom = next(iter(account(sandbox).recordings.values()))
    recording = CloudRecording.objects.get(tenant=tenant, zoom_id=zoom["uuid"])
    account(sandbox).remove_recording(zoom["id"])
    response = action_post(
        admin_client, RECORDINGS_URL, "delete_recordings", [recording], post="yes"
    )
    assert response.status_code == 302
    item = BulkJobItem.objects.get()
    assert (item.status, item.message) == ("succeeded", "Zoom no longer had it: marked deleted.")
    recording.refresh_from_db()
    assert recording.deleted_at is not None
    assert not recording.files.filter(deleted_at=None).exists()


# --- requests as Zoom publishes them ---------------------------------------------------------


def test_webinar_alternative_hosts_are_sent_comma_separated(admin_client, tenant, sandbox):
    """Webinar: "Alternative host emails or IDs. Multiple values separated by comma."; meeting:
    "A semicolon-separated list of the meeting's alternative hosts' email addresses or IDs"."""
    host = stored_user(hosts(sandbox, licensed=True, add_on=True)[0]["id"])
    others = [u for u in hosts(sandbox, licensed=True) if u["id"] != host.zoom_id][:2]
    emails = [u["email"] for u in others]
    for url, kind, separator in ((ADD_WEBINAR_URL, "5", ","), (ADD_MEETING_URL, "2", ";")):
        topic = f"Alternates {kind}"
        form = add_form(host, topic=topic, type=kind, alternative_hosts="; ".join(emails))
        response = admin_client.post(url, form)
        assert response.status_code == 302, errors_of(response)
        write = ZoomWrite.objects.filter(action="create").latest("created")
        sent = write.asked["body"]["settings"]["alternative_hosts"]
        assert sent == separator.join(emails)


def test_the_host_s_start_link_is_kept_out_of_the_audit(admin_client, tenant, sandbox):
    host = stored_user(hosts(sandbox, licensed=True)[0]["id"])
    response = admin_client.post(ADD_MEETING_URL, add_form(host, topic="Start link"))
    assert response.status_code == 302, errors_of(response)
    zoom = new_meeting(sandbox, "Start link")
    assert zoom.get("start_url")  # Zoom answered it
    write = ZoomWrite.objects.get()
    assert write.answer["start_url"] == MASK
    assert zoom["start_url"] not in str(write.answer)


def test_a_host_key_stays_out_of_the_mirror_when_reading_the_user_back_fails(
    admin_client, tenant, sandbox
):
    zoom = next(u for u in hosts(sandbox, licensed=True) if u["role_id"] not in ("0", "1"))
    user = stored_user(zoom["id"])
    refuse_reads(sandbox, "/v2/users/")
    url = reverse("admin:users_zoomuser_change", args=[user.pk])
    response = admin_client.post(url, user_change_form(user, host_key="493817", dept="Keys"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.dept == account(sandbox).users[zoom["id"]]["dept"] == "Keys"
    assert "host_key" not in user.zoom_data and "493817" not in str(user.zoom_data)


def test_zoom_s_error_on_recurrence_type_lands_on_the_recurrence_field(
    admin_client, tenant, sandbox
):
    host = stored_user(hosts(sandbox, licensed=True)[0]["id"])
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            status=400,
            code=300,
            message="Validation Failed.",
            method="POST",
            errors=({"field": "recurrence.type", "message": "Invalid field."},),
        )
    )
    form = add_form(
        host,
        type="8",
        recurrence_type="1",
        repeat_interval="1",
        end_times="3",
    )
    response = admin_client.post(ADD_MEETING_URL, form)
    errors = response.context["form"].errors
    assert errors["recurrence_type"] == ["Invalid field."]
    assert "type" not in errors


# --- the forms take what Zoom takes ----------------------------------------------------------


def test_a_new_passcode_may_hold_any_visible_character_and_hosts_be_user_ids(
    admin_client, tenant, sandbox
):
    """Create: "may contain alphanumeric characters as well as special characters such as !,
    @, #, etc."; alternative hosts: "email addresses or IDs"."""
    host = stored_user(hosts(sandbox, licensed=True)[0]["id"])
    other = next(u for u in hosts(sandbox, licensed=True) if u["id"] != host.zoom_id)
    form = add_form(host, topic="Hash pass", password="a#1!b", alternative_hosts=other["id"])
    response = admin_client.post(ADD_MEETING_URL, form)
    assert response.status_code == 302, errors_of(response)
    zoom = new_meeting(sandbox, "Hash pass")
    assert zoom["password"] == "a#1!b"


def test_a_meeting_series_may_have_no_end_but_a_webinar_series_must(
    admin_client, tenant, sandbox, zoom_requests
):
    """Meeting recurrence.end_times: "If `end_times` is set to 0, it means there is no end
    time"; the webinar's description has no such value."""
    host = stored_user(hosts(sandbox, licensed=True, add_on=True)[0]["id"])
    series = dict(recurrence_type="1", repeat_interval="1", end_times="0")
    response = admin_client.post(
        ADD_MEETING_URL, add_form(host, topic="Endless", type="8", **series)
    )
    assert response.status_code == 302, errors_of(response)
    write = ZoomWrite.objects.get()
    assert write.asked["body"]["recurrence"]["end_times"] == 0
    before = zoom_requests()
    response = admin_client.post(ADD_WEBINAR_URL, add_form(host, type="9", **series))
    assert "end_times" in response.context["form"].errors
    assert zoom_requests() == before


# --- and refuse, with no request, what Zoom refuses by rule -----------------------------------


def test_a_personal_meeting_id_is_not_sent_to_zoom_to_delete(
    admin_client, tenant, sandbox, zoom_requests
):
    """DELETE /meetings/{meetingId}, 400 code 3018: "Not allowed to delete PMI.\""""
    meeting = Meeting.objects.filter(tenant=tenant, deleted_at=None).first()
    Meeting.objects.filter(pk=meeting.pk).update(type=Meeting.Type.PMI)
    before = zoom_requests()
    action_post(admin_client, MEETINGS_URL, "delete_meetings", [meeting], post="yes")
    assert zoom_requests() == before
    item = BulkJobItem.objects.get()
    assert item.status == "failed" and "personal meeting ID" in item.message


def test_an_admin_is_not_sent_to_zoom_to_disassociate(admin_client, tenant, sandbox, zoom_requests):
    """DELETE /users/{userId}, 400 code 1117: "You can not disassociate an Admin user.\""""
    admin = ZoomUser.objects.filter(tenant=tenant, role_id__in=("0", "1")).first()
    assert admin is not None
    before = zoom_requests()
    action_post(
        admin_client,
        reverse("admin:users_zoomuser_changelist"),
        "offboard_users",
        [admin],
        post="yes",
        mode="disassociate",
    )
    assert zoom_requests() == before
    item = BulkJobItem.objects.get()
    assert item.status == "failed" and "owner or admins" in item.message
    assert account(sandbox).users[admin.zoom_id]


def test_no_pmi_for_a_user_without_a_meetings_license(admin_client, tenant, sandbox, zoom_requests):
    """PATCH /users/{userId}, 400 code 200: "You cannot change PMI information for a "No
    Meetings License" user.\""""
    user = ZoomUser.objects.filter(tenant=tenant, status="active").exclude(role_id__in=("0", "1"))[
        0
    ]
    before = zoom_requests()
    url = reverse("admin:users_zoomuser_change", args=[user.pk])
    response = admin_client.post(url, user_change_form(user, type="4", pmi="5551234567"))
    assert "pmi" in response.context["form"].errors
    assert zoom_requests() == before
