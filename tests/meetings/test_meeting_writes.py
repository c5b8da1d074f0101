"""Meeting and webinar writes from the admin: Zoom first, then the mirror; bad input costs no
request; a refusal shows Zoom's words and changes nothing; every write is audited.

Expected values come from the sandbox's data (what Zoom holds after the write) or from the
published description quoted beside them, never from the functions under test.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse

from meetings.models import Meeting, MeetingRegistrant, Webinar
from tests.admin_helpers import action_post, messages_of, rows_of, signed_in_member
from users.models import ZoomUser
from zoomadmin.jobs.models import BulkJob, BulkJobItem
from zoomadmin.sandbox.config import ScriptedFault
from zoomadmin.sandbox.state import utc_day
from zoomadmin.tenants.audit import MASK
from zoomadmin.tenants.models import ZoomWrite

pytestmark = pytest.mark.django_db(transaction=True)

MEETINGS_URL = reverse("admin:meetings_meeting_changelist")
WEBINARS_URL = reverse("admin:meetings_webinar_changelist")
ADD_MEETING_URL = reverse("admin:meetings_meeting_add")
ADD_WEBINAR_URL = reverse("admin:meetings_webinar_add")
LOCAL = "%Y-%m-%dT%H:%M:%S"


def change_url(record: Meeting | Webinar) -> str:
    name = "meeting" if isinstance(record, Meeting) else "webinar"
    return reverse(f"admin:meetings_{name}_change", args=[record.pk])


def account(sandbox):
    return sandbox.state.default_account


def hosts(sandbox, *, licensed: bool, add_on: bool | None = None) -> list[dict]:
    """Active sandbox users, licensed (type 2) or Basic, with or without the webinar add-on."""
    state = account(sandbox)
    return [
        user
        for user in state.users.values()
        if user["status"] == "active"
        and (user["type"] == 2) == licensed
        and (add_on is None or (user["id"] in state.webinar_users) == add_on)
    ]


def zoom_meetings(sandbox, *types: int, future: bool = True) -> list[dict]:
    """Sandbox meetings of ``types`` whose host is active, scheduled ahead (or not)."""
    state = account(sandbox)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        m
        for m in state.meetings.values()
        if m["type"] in types
        and state.users[m["host_id"]]["status"] == "active"
        and (m.get("start_time", "") > now) == future
    ]


def stored_user(zoom_id: str) -> ZoomUser:
    return ZoomUser.objects.get(zoom_id=zoom_id)


def mirror() -> list[list[dict[str, Any]]]:
    """Every stored meeting, webinar and meeting registrant, every column."""
    return rows_of(Meeting, Webinar, MeetingRegistrant)


def errors_of(response) -> str:
    form = response.context["form"]
    return " ".join([*form.non_field_errors(), *(e for f in form.errors.values() for e in f)])


def future_local(days: int = 200, hour: int = 9, minute: int = 30) -> dt.datetime:
    day = dt.date.today() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute))


def as_utc(local: dt.datetime, zone: str) -> str:
    return (
        local.replace(tzinfo=zoneinfo.ZoneInfo(zone))
        .astimezone(dt.UTC)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def add_form(host: ZoomUser, /, **fields: Any) -> dict[str, Any]:
    data = {
        "host": host.pk,
        "topic": "Quarterly review",
        "type": "2",
        "start_time": future_local().strftime(LOCAL),
        "timezone": "America/New_York",
        "duration": "45",
        "approval_type": "2",
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def change_form(record: Meeting | Webinar, **changes: Any) -> dict[str, Any]:
    """What the change page posts when nothing is edited, then ``changes``."""
    from meetings.forms import MeetingForm, WebinarForm

    form_class = MeetingForm if isinstance(record, Meeting) else WebinarForm
    data: dict[str, Any] = {}
    for name, value in form_class.initial_for(record).items():
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, dt.datetime):
            data[name] = value.strftime(LOCAL)
        else:
            data[name] = value
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def new_meeting(sandbox, topic: str) -> dict:
    found = [m for m in account(sandbox).meetings.values() if m["topic"] == topic]
    assert len(found) == 1, found
    return found[0]


# --- add ---------------------------------------------------------------------------------


def test_add_creates_the_meeting_at_the_local_time_of_its_time_zone(admin_client, tenant, sandbox):
    host = stored_user(hosts(sandbox, licensed=True)[0]["id"])
    start = future_local(days=120, hour=9, minute=30)
    response = admin_client.post(
        ADD_MEETING_URL,
        add_form(
            host,
            start_time=start.strftime(LOCAL),
            timezone="America/New_York",
            agenda="Numbers and plans",
            password="q3@Rev-_*",
            waiting_room="on",
            alternative_hosts="a@example.com, b@example.com",
        ),
    )
    assert response.status_code == 302, errors_of(response)
    in_zoom = new_meeting(sandbox, "Quarterly review")
    # "To set a meeting's start time using a specific timezone, use the `yyyy-MM-ddTHH:mm:ss`
    # date-time format and specify the timezone ID in the `timezone` field."
    assert in_zoom["start_time"] == as_utc(start, "America/New_York")
    assert (in_zoom["timezone"], in_zoom["duration"], in_zoom["host_id"]) == (
        "America/New_York",
        45,
        host.zoom_id,
    )
    assert in_zoom["settings"]["waiting_room"] is True
    assert in_zoom["settings"]["alternative_hosts"] == "a@example.com;b@example.com"
    meeting = Meeting.objects.get(zoom_id=in_zoom["id"])
    assert response["Location"] == change_url(meeting)
    assert meeting.start_time.strftime("%Y-%m-%dT%H:%M:%SZ") == in_zoom["start_time"]
    assert (meeting.topic, meeting.timezone, meeting.host, meeting.tenant) == (
        in_zoom["topic"],
        in_zoom["timezone"],
        host,
        tenant,
    )
    assert "start_url" not in meeting.zoom_data
    write = ZoomWrite.objects.get()
    assert (write.kind, write.method, write.outcome) == ("meeting", "POST", "succeeded")
    # Sent as the host's clock shows it, with its zone: never shifted to UTC by us.
    assert write.asked["body"]["start_time"] == start.strftime(LOCAL)
    assert write.asked["body"]["timezone"] == "America/New_York"
    assert write.asked["body"]["password"] == MASK
    assert write.answer["password"] == MASK
    assert all(write.answer[key] == MASK for key in write.answer if "password" in key)


def test_add_a_recurring_meeting_with_a_fixed_time_sends_zoom_s_recurrence(
    admin_client, tenant, sandbox
):
    host = stored_user(hosts(sandbox, licensed=True)[0]["id"])
    response = admin_client.post(
        ADD_MEETING_URL,
        add_form(
            host,
            topic="Weekly sync",
            type="8",
            recurrence_type="2",
            repeat_interval="1",
            weekly_days=["2", "4"],
            end_times="6",
        ),
    )
    assert response.status_code == 302, errors_of(response)
    in_zoom = new_meeting(sandbox, "Weekly sync")
    assert in_zoom["type"] == 8
    assert in_zoom["recurrence"]["weekly_days"] == "2,4"
    assert in_zoom["recurrence"]["end_times"] == 6
    meeting = Meeting.objects.get(zoom_id=in_zoom["id"])
    assert meeting.type == 8
    assert meeting.zoom_data["recurrence"] == in_zoom["recurrence"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"topic": "x" * 201}, "topic"),
        ({"type": "4"}, "type"),  # a PMI meeting is not created
        ({"type": "5"}, "type"),  # a webinar's type
        ({"type": "7"}, "type"),
        ({"start_time": ""}, "start_time"),  # a scheduled meeting needs one
        ({"start_time": "2020-01-01T10:00:00"}, "start_time"),  # passed
        ({"start_time": "in a week"}, "start_time"),
        ({"start_time": "2031-03-10T09:30:00+02:00"}, "start_time"),  # an offset: whose clock?
        ({"timezone": ""}, "timezone"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"duration": "0"}, "duration"),
        ({"duration": "1441"}, "duration"),
        ({"duration": "an hour"}, "duration"),
        ({"agenda": "x" * 2001}, "agenda"),
        ({"password": "12345678901"}, "password"),  # 11 characters
        ({"password": "pass word"}, "password"),
        ({"password": "pässwort"}, "password"),
        ({"approval_type": "3"}, "approval_type"),
        ({"alternative_hosts": "a@example.com;not@an@email"}, "alternative_hosts"),
        ({"waiting_room": "on", "join_before_host": "on"}, "join_before_host"),
        ({"host": ""}, "host"),
        ({"host": "999999"}, "host"),
        ({"type": "8"}, "recurrence_type"),  # a fixed-time series needs a recurrence
        ({"type": "8", "recurrence_type": "4", "end_times": "3"}, "recurrence_type"),
        (
            {"type": "8", "recurrence_type": "1", "repeat_interval": "100", "end_times": "3"},
            "repeat_interval",
        ),
        (
            {
                "type": "8",
                "recurrence_type": "2",
                "repeat_interval": "51",
                "weekly_days": ["2"],
                "end_times": "3",
            },
            "repeat_interval",
        ),
        (
            {
                "type": "8",
                "recurrence_type": "3",
                "repeat_interval": "11",
                "monthly_day": "5",
                "end_times": "3",
            },
            "repeat_interval",
        ),
        ({"type": "8", "recurrence_type": "2", "end_times": "3"}, "weekly_days"),
        (
            {"type": "8", "recurrence_type": "2", "weekly_days": ["8"], "end_times": "3"},
            "weekly_days",
        ),
        ({"type": "8", "recurrence_type": "3", "end_times": "3"}, "monthly_day"),
        (
            {"type": "8", "recurrence_type": "3", "monthly_day": "32", "end_times": "3"},
            "monthly_day",
        ),
        ({"type": "8", "recurrence_type": "1"}, "end_times"),  # no end
        ({"type": "8", "recurrence_type": "1", "end_times": "61"}, "end_times"),
        (
            {
                "type": "8",
                "recurrence_type": "1",
                "end_times": "3",
                "end_date_time": future_local(days=300).strftime(LOCAL),
            },
            "end_date_time",
        ),  # "Cannot be used with `end_times`."
        (
            {
                "type": "8",
                "recurrence_type": "1",
                "end_date_time": future_local(days=10).strftime(LOCAL),
            },
            "end_date_time",
        ),  # ends before it starts
    ],
)
def test_an_invalid_add_form_costs_no_request(
    admin_client, tenant, sandbox, zoom_requests, fields, field
):
    host = stored_user(hosts(sandbox, licensed=True)[0]["id"])
    before, rows = zoom_requests(), mirror()
    response = admin_client.post(ADD_MEETING_URL, add_form(host, **fields))
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert zoom_requests() == before
    assert mirror() == rows
    assert not ZoomWrite.objects.exists()


def test_registration_for_a_basic_host_is_refused_without_a_request(
    admin_client, tenant, sandbox, zoom_requests
):
    basic = stored_user(hosts(sandbox, licensed=False)[0]["id"])
    before = zoom_requests()
    response = admin_client.post(ADD_MEETING_URL, add_form(basic, approval_type="0"))
    assert response.status_code == 200
    # settings.approval_type: "Registration cannot be enabled for a basic user."
    assert "basic user" in " ".join(response.context["form"].errors["approval_type"])
    assert zoom_requests() == before


def test_an_inactive_host_s_meeting_is_refused_with_zoom_s_words(admin_client, tenant, sandbox):
    # Only active users are offered as hosts; the form refuses the others before Zoom does.
    inactive = next(u for u in account(sandbox).users.values() if u["status"] == "inactive")
    response = admin_client.post(ADD_MEETING_URL, add_form(stored_user(inactive["id"])))
    assert response.status_code == 200
    assert "host" in response.context["form"].errors


def test_the_per_host_daily_cap_is_said_in_words_and_stores_nothing(admin_client, tenant, sandbox):
    target = hosts(sandbox, licensed=True)[0]
    host = stored_user(target["id"])
    # FACTS §5: "100 requests per day (UTC) per user" of meeting creates and updates.
    sandbox.state.meeting_writes[(target["id"], utc_day(sandbox.state.now()))] = 100
    rows = mirror()
    response = admin_client.post(ADD_MEETING_URL, add_form(host))
    assert response.status_code == 200
    words = errors_of(response)
    assert "100 meeting and webinar creates and updates per host per day" in words
    assert "after 00:00 UTC" in words
    assert "You have exceeded the daily rate limit (100)" in words  # Zoom's own words too
    assert mirror() == rows
    assert ZoomWrite.objects.get().outcome == ZoomWrite.Outcome.FAILED


# --- change ------------------------------------------------------------------------------


def test_change_sends_only_what_changed_and_stores_what_zoom_then_holds(
    admin_client, tenant, sandbox
):
    target = zoom_meetings(sandbox, 2)[0]
    meeting = Meeting.objects.get(zoom_id=target["id"])
    response = admin_client.post(
        change_url(meeting), change_form(meeting, topic="Renamed", duration="90")
    )
    assert response.status_code == 302, errors_of(response)
    in_zoom = account(sandbox).meetings[target["id"]]
    assert (in_zoom["topic"], in_zoom["duration"]) == ("Renamed", 90)
    meeting.refresh_from_db()
    assert (meeting.topic, meeting.duration) == (in_zoom["topic"], in_zoom["duration"])
    write = ZoomWrite.objects.get()
    assert (write.method, write.path) == ("PATCH", f"/meetings/{target['id']}")
    assert write.asked["body"] == {"topic": "Renamed", "duration": 90}


def test_a_new_start_time_is_sent_on_the_meeting_s_own_clock(admin_client, tenant, sandbox):
    target = zoom_meetings(sandbox, 2)[0]
    meeting = Meeting.objects.get(zoom_id=target["id"])
    start = future_local(days=250, hour=17, minute=15)
    response = admin_client.post(
        change_url(meeting),
        change_form(meeting, start_time=start.strftime(LOCAL), timezone="Asia/Tokyo"),
    )
    assert response.status_code == 302, errors_of(response)
    in_zoom = account(sandbox).meetings[target["id"]]
    assert in_zoom["start_time"] == as_utc(start, "Asia/Tokyo")
    assert in_zoom["timezone"] == "Asia/Tokyo"
    meeting.refresh_from_db()
    assert meeting.start_time.strftime("%Y-%m-%dT%H:%M:%SZ") == in_zoom["start_time"]
    assert ZoomWrite.objects.get().asked["body"] == {
        "start_time": start.strftime(LOCAL),
        "timezone": "Asia/Tokyo",
    }


def test_the_change_page_shows_the_start_time_on_the_meeting_s_clock(admin_client, tenant, sandbox):
    target = zoom_meetings(sandbox, 2)[0]
    meeting = Meeting.objects.get(zoom_id=target["id"])
    page = admin_client.get(change_url(meeting))
    assert page.status_code == 200
    instant = dt.datetime.strptime(target["start_time"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.UTC
    )
    local = instant.astimezone(zoneinfo.ZoneInfo(target["timezone"])).strftime(LOCAL)
    assert f'value="{local}"' in page.content.decode()


def test_an_unchanged_form_asks_zoom_nothing(admin_client, tenant, sandbox, zoom_requests):
    meeting = Meeting.objects.get(zoom_id=zoom_meetings(sandbox, 2, 8)[0]["id"])
    before = zoom_requests()
    response = admin_client.post(change_url(meeting), change_form(meeting))
    assert response.status_code == 302, errors_of(response)
    assert zoom_requests() == before
    assert not ZoomWrite.objects.exists()


def test_a_past_meeting_can_be_renamed_without_moving_its_time(admin_client, tenant, sandbox):
    target = zoom_meetings(sandbox, 2)[0]
    target["start_time"] = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    meeting = Meeting.objects.get(zoom_id=target["id"])
    action_post(admin_client, MEETINGS_URL, "resync_meetings", [meeting])
    meeting.refresh_from_db()
    assert meeting.start_time < dt.datetime.now(dt.UTC)
    response = admin_client.post(change_url(meeting), change_form(meeting, topic="Looked back"))
    assert response.status_code == 302, errors_of(response)
    assert account(sandbox).meetings[target["id"]]["topic"] == "Looked back"
    assert ZoomWrite.objects.get().asked["body"] == {"topic": "Looked back"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"topic": "x" * 201}, "topic"),
        ({"start_time": "2020-01-01T10:00:00"}, "start_time"),
        ({"duration": "0"}, "duration"),
        ({"agenda": "x" * 2001}, "agenda"),
        ({"password": "too-long-passcode"}, "password"),
        ({"password": "semi;colon"}, "password"),
        ({"timezone": "Atlantis/Capital"}, "timezone"),
        ({"type": "10"}, "type"),
        ({"alternative_hosts": "no/body"}, "alternative_hosts"),
    ],
)
def test_an_invalid_change_form_costs_no_request(
    admin_client, tenant, sandbox, zoom_requests, fields, field
):
    meeting = Meeting.objects.get(zoom_id=zoom_meetings(sandbox, 2)[0]["id"])
    before, rows = zoom_requests(), mirror()
    response = admin_client.post(change_url(meeting), change_form(meeting, **fields))
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert zoom_requests() == before
    assert mirror() == rows


REFUSALS = [
    pytest.param(
        ScriptedFault(
            "refuse",
            status=400,
            code=300,
            message="Validation Failed.",
            errors=({"field": "topic", "message": "Contains an invalid word."},),
            method="PATCH",
        ),
        "Contains an invalid word.",
        id="400-field-errors",
    ),
    pytest.param(
        ScriptedFault(
            "refuse",
            status=400,
            code=3161,
            message="Your user account is not allowed meeting hosting and scheduling capabilities.",
            method="PATCH",
        ),
        "not allowed meeting hosting",
        id="400-code-3161",
    ),
    pytest.param(
        ScriptedFault("refuse", status=404, code=3001, message="Meeting does not exist: 1."),
        "Meeting does not exist",
        id="404",
    ),
    pytest.param(ScriptedFault("429", retry_after=600, method="PATCH"), "429", id="429"),
    pytest.param(ScriptedFault("503", count=5, method="PATCH"), "503", id="5xx"),
    pytest.param(
        ScriptedFault("stall", count=3, stall_seconds=1.5, method="PATCH"),
        "could not be reached",
        id="timeout",
    ),
]


@pytest.mark.parametrize(("fault", "words"), REFUSALS)
def test_a_refused_change_shows_zoom_s_message_and_changes_nothing(
    admin_client, tenant, sandbox, settings, fault, words
):
    settings.ZOOM_HTTP_TIMEOUT_SECONDS = 0.5
    target = zoom_meetings(sandbox, 2)[0]
    meeting = Meeting.objects.get(zoom_id=target["id"])
    rows = mirror()
    fault.path_prefix = "/v2/meetings/"
    sandbox.config.script_fault(fault)
    response = admin_client.post(change_url(meeting), change_form(meeting, topic="Boss"))
    sandbox.config.clear_faults()
    assert response.status_code == 200
    form = response.context["form"]
    assert words in errors_of(response)
    if fault.errors:
        assert form.errors["topic"] == ["Contains an invalid word."]
    in_zoom = account(sandbox).meetings[target["id"]]["topic"]
    meeting.refresh_from_db()
    assert meeting.topic == in_zoom  # the mirror never diverges from Zoom
    if fault.action == "stall":
        # Zoom applied it and answered too late: read back.
        assert in_zoom == "Boss"
        assert "may have made the change" in errors_of(response)
    else:
        assert in_zoom != "Boss"
        assert mirror() == rows
    write = ZoomWrite.objects.get()
    assert write.outcome in (ZoomWrite.Outcome.REFUSED, ZoomWrite.Outcome.FAILED)


def test_a_deleted_meeting_has_no_write_form(admin_client, tenant, sandbox):
    meeting = Meeting.objects.get(zoom_id=zoom_meetings(sandbox, 2)[0]["id"])
    Meeting.objects.filter(pk=meeting.pk).update(deleted_at=dt.datetime.now(dt.UTC))
    page = admin_client.get(change_url(meeting))
    assert page.status_code == 200
    assert b"Save in Zoom" not in page.content


# --- actions -----------------------------------------------------------------------------


def test_delete_asks_whom_to_notify_then_deletes_in_zoom_with_the_registrants(
    admin_client, tenant, sandbox
):
    state = account(sandbox)
    target = next(m for m in zoom_meetings(sandbox, 2, 8) if state.registrants.get(m["id"]))
    meeting = Meeting.objects.get(zoom_id=target["id"])
    assert meeting.registrants.filter(deleted_at=None).exists()
    page = action_post(admin_client, MEETINGS_URL, "delete_meetings", [meeting])
    assert page.status_code == 200
    assert 'name="post" value="yes"' in page.content.decode()
    assert "cancel_meeting_reminder" in page.content.decode()
    response = action_post(
        admin_client,
        MEETINGS_URL,
        "delete_meetings",
        [meeting],
        post="yes",
        cancel_meeting_reminder="on",
    )
    assert response.status_code == 302
    assert "Deleted 1 meeting." in messages_of(response)
    assert target["id"] not in state.meetings
    meeting.refresh_from_db()
    assert meeting.deleted_at is not None
    assert not meeting.registrants.filter(deleted_at=None).exists()
    write = ZoomWrite.objects.get()
    assert (write.method, write.action) == ("DELETE", "delete")
    assert write.asked["query"] == {"schedule_for_reminder": False, "cancel_meeting_reminder": True}


def test_a_refused_delete_reports_zoom_s_reason_and_keeps_the_meeting(
    admin_client, tenant, sandbox
):
    target = zoom_meetings(sandbox, 2)[0]
    meeting = Meeting.objects.get(zoom_id=target["id"])
    rows = mirror()
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            status=400,
            code=3018,
            message="Not allowed to delete PMI.",
            method="DELETE",
            path_prefix="/v2/meetings/",
        )
    )
    response = action_post(admin_client, MEETINGS_URL, "delete_meetings", [meeting], post="yes")
    assert response.status_code == 302
    assert any(
        str(meeting) in w and "Not allowed to delete PMI." in w for w in messages_of(response)
    )
    assert target["id"] in account(sandbox).meetings
    assert mirror() == rows


def test_a_delete_zoom_answers_not_found_is_done_and_marked_deleted(admin_client, tenant, sandbox):
    """Meetings OpenAPI, DELETE /meetings/{meetingId}, 404 code 3001: "Meeting does not exist":
    deleted in Zoom already (another admin, or a DELETE resent), so what was asked holds."""
    target = zoom_meetings(sandbox, 2)[0]
    meeting = Meeting.objects.get(zoom_id=target["id"])
    del account(sandbox).meetings[target["id"]]
    response = action_post(admin_client, MEETINGS_URL, "delete_meetings", [meeting], post="yes")
    assert response.status_code == 302
    assert "Deleted 1 meeting." in messages_of(response)
    item = BulkJobItem.objects.get()
    assert (item.status, item.message) == ("succeeded", "Zoom no longer had it: marked deleted.")
    meeting.refresh_from_db()
    assert meeting.deleted_at is not None
    write = ZoomWrite.objects.get()
    assert (write.method, write.outcome, write.status, write.code) == (
        "DELETE",
        "refused",
        404,
        3001,
    )


def test_end_ends_a_live_meeting_in_zoom(admin_client, tenant, sandbox):
    target = zoom_meetings(sandbox, 2)[0]
    target["status"] = "started"
    meeting = Meeting.objects.get(zoom_id=target["id"])
    response = action_post(admin_client, MEETINGS_URL, "end_meetings", [meeting])
    assert response.status_code == 302
    assert "Ended 1 meeting." in messages_of(response)
    assert account(sandbox).meetings[target["id"]]["status"] == "waiting"
    meeting.refresh_from_db()
    assert meeting.status == account(sandbox).meetings[target["id"]]["status"]
    write = ZoomWrite.objects.get()
    assert (write.method, write.path, write.asked["body"]) == (
        "PUT",
        f"/meetings/{target['id']}/status",
        {"action": "end"},
    )


def test_resync_stores_what_zoom_holds_and_marks_only_what_cannot_have_expired(
    admin_client, tenant, sandbox
):
    state = account(sandbox)
    changed, gone, old = zoom_meetings(sandbox, 2)[:3]
    changed["topic"] = "Changed in Zoom"
    # Stored as held 40 days ago: it may have expired since.
    Meeting.objects.filter(zoom_id=old["id"]).update(
        start_time=dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    )
    state.remove_meeting(gone["id"])
    state.remove_meeting(old["id"])
    records = list(Meeting.objects.filter(zoom_id__in=[changed["id"], gone["id"], old["id"]]))
    response = action_post(admin_client, MEETINGS_URL, "resync_meetings", records)
    assert response.status_code == 302
    assert "Re-synced 3 meetings." in messages_of(response)
    stored = {m.zoom_id: m for m in Meeting.objects.filter(pk__in=[r.pk for r in records])}
    assert stored[changed["id"]].topic == "Changed in Zoom"
    assert stored[gone["id"]].deleted_at is not None  # scheduled ahead: it cannot have expired
    # A one-off meeting's ID expires 30 days after its time: Zoom's 404 may mean that.
    assert stored[old["id"]].deleted_at is None and stored[old["id"]].expired
    assert not ZoomWrite.objects.exists()  # reads are not writes


def test_a_bulk_delete_of_more_than_ten_runs_as_a_job_and_reports_per_record(
    admin_client, tenant, sandbox
):
    state = account(sandbox)
    chosen = list(Meeting.objects.filter(tenant=tenant, deleted_at=None).order_by("pk")[:12])
    assert len(chosen) == 12
    refused = chosen[0]
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            status=400,
            code=3018,
            message="Not allowed to delete PMI.",
            method="DELETE",
            path_prefix=f"/v2/meetings/{refused.zoom_id}",
        )
    )
    response = action_post(admin_client, MEETINGS_URL, "delete_meetings", chosen, post="yes")
    assert response.status_code == 302
    job = BulkJob.objects.get()
    assert response["Location"] == reverse("admin:jobs_bulkjob_change", args=[job.pk])
    assert (job.operation, job.status, job.total) == ("meetings.delete", BulkJob.Status.DONE, 12)
    items = {item.object_pk: item for item in job.items.all()}
    assert items[refused.pk].status == BulkJobItem.Status.FAILED
    assert "Not allowed to delete PMI." in items[refused.pk].message
    for meeting in chosen[1:]:
        assert items[meeting.pk].status == BulkJobItem.Status.SUCCEEDED
        assert meeting.zoom_id not in state.meetings
        meeting.refresh_from_db()
        assert meeting.deleted_at is not None
    assert refused.zoom_id in state.meetings
    refused.refresh_from_db()
    assert refused.deleted_at is None
    page = admin_client.get(response["Location"])
    assert page.status_code == 200 and b"Not allowed to delete PMI." in page.content


# --- tenants -----------------------------------------------------------------------------


def test_another_tenant_s_meeting_answers_404_and_reaches_no_zoom(
    client, django_user_model, tenant, sandbox, other_customer, zoom_requests
):
    other_tenant = other_customer()
    other = sandbox.state.accounts[other_tenant.account_id]
    signed_in_member(
        client, tenant, "view_meeting", "change_meeting", "add_meeting", "delete_meeting"
    )
    foreign = Meeting.objects.filter(tenant=other_tenant, deleted_at=None).first()
    assert foreign is not None
    before = zoom_requests()
    assert client.get(change_url(foreign)).status_code == 404
    assert client.post(change_url(foreign), change_form(foreign, topic="X")).status_code == 404
    delete_url = reverse("admin:meetings_meeting_delete", args=[foreign.pk])
    assert client.get(delete_url).status_code == 404
    assert client.post(delete_url, {"post": "yes"}).status_code == 404
    for action in ("delete_meetings", "end_meetings", "resync_meetings"):
        action_post(client, MEETINGS_URL, action, [foreign], post="yes")
    assert zoom_requests() == before
    assert foreign.zoom_id in other.meetings
    assert not ZoomWrite.objects.exists()
    foreign_host = ZoomUser.objects.filter(tenant=other_tenant, status="active").first()
    add = client.post(ADD_MEETING_URL, add_form(foreign_host))
    assert "host" in add.context["form"].errors
    assert zoom_requests() == before


# --- webinars ----------------------------------------------------------------------------


def test_add_a_webinar_for_a_host_with_the_webinar_add_on(admin_client, tenant, sandbox):
    host = stored_user(hosts(sandbox, licensed=True, add_on=True)[0]["id"])
    start = future_local(days=90, hour=15, minute=0)
    response = admin_client.post(
        ADD_WEBINAR_URL,
        add_form(
            host,
            topic="Product launch",
            type="5",
            start_time=start.strftime(LOCAL),
            timezone="Europe/Berlin",
            password="Launch!1",
            approval_type="0",
        ),
    )
    assert response.status_code == 302, errors_of(response)
    in_zoom = new_meeting(sandbox, "Product launch")
    assert in_zoom["type"] == 5
    assert in_zoom["start_time"] == as_utc(start, "Europe/Berlin")
    assert in_zoom["settings"]["approval_type"] == 0
    webinar = Webinar.objects.get(zoom_id=in_zoom["id"])
    assert (webinar.topic, webinar.approval_type, webinar.host) == ("Product launch", 0, host)
    assert ZoomWrite.objects.get().kind == "webinar"


def test_a_host_without_the_webinar_add_on_is_refused_in_zoom_s_words(
    admin_client, tenant, sandbox
):
    host = stored_user(hosts(sandbox, licensed=True, add_on=False)[0]["id"])
    rows = mirror()
    response = admin_client.post(ADD_WEBINAR_URL, add_form(host, topic="No plan", type="5"))
    assert response.status_code == 200
    # Meetings OpenAPI, "Create a webinar", 400 code 200: "Webinar plan is missing. You must
    # subscribe to the webinar plan and enable webinars for user {userID} …"
    words = errors_of(response)
    assert "400" in words and "code 200" in words and "Webinar plan is missing" in words
    assert mirror() == rows


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"type": "2"}, "type"),  # a meeting's type
        ({"password": "pass word"}, "password"),
        (
            {"type": "9", "recurrence_type": "1", "repeat_interval": "91", "end_times": "2"},
            "repeat_interval",
        ),
        (
            {
                "type": "9",
                "recurrence_type": "2",
                "repeat_interval": "13",
                "weekly_days": ["2"],
                "end_times": "2",
            },
            "repeat_interval",
        ),
        (
            {
                "type": "9",
                "recurrence_type": "3",
                "repeat_interval": "4",
                "monthly_day": "1",
                "end_times": "2",
            },
            "repeat_interval",
        ),
    ],
)
def test_an_invalid_webinar_form_costs_no_request(
    admin_client, tenant, sandbox, zoom_requests, fields, field
):
    host = stored_user(hosts(sandbox, licensed=True, add_on=True)[0]["id"])
    before = zoom_requests()
    response = admin_client.post(ADD_WEBINAR_URL, add_form(host, **{"type": "5", **fields}))
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert zoom_requests() == before


def test_a_basic_host_is_refused_a_webinar_without_a_request(
    admin_client, tenant, sandbox, zoom_requests
):
    basic = stored_user(hosts(sandbox, licensed=False)[0]["id"])
    before = zoom_requests()
    response = admin_client.post(ADD_WEBINAR_URL, add_form(basic, type="5"))
    assert response.status_code == 200
    assert "host" in response.context["form"].errors
    assert zoom_requests() == before


def test_webinars_are_changed_deleted_and_resynced_in_zoom(admin_client, tenant, sandbox):
    state = account(sandbox)
    webinars = [
        m
        for m in zoom_meetings(sandbox, 5, 9)
        if state.users[m["host_id"]]["id"] in state.webinar_users
    ]
    first = Webinar.objects.get(zoom_id=webinars[0]["id"])
    response = admin_client.post(change_url(first), change_form(first, agenda="New agenda"))
    assert response.status_code == 302, errors_of(response)
    assert state.meetings[first.zoom_id]["agenda"] == "New agenda"
    first.refresh_from_db()
    assert first.zoom_data["agenda"] == "New agenda"

    state.meetings[first.zoom_id]["topic"] = "Renamed in Zoom"
    response = action_post(admin_client, WEBINARS_URL, "resync_webinars", [first])
    assert "Re-synced 1 webinar." in messages_of(response)
    first.refresh_from_db()
    assert first.topic == "Renamed in Zoom"

    page = action_post(admin_client, WEBINARS_URL, "delete_webinars", [first])
    assert "cancel_webinar_reminder" in page.content.decode()
    response = action_post(admin_client, WEBINARS_URL, "delete_webinars", [first], post="yes")
    assert "Deleted 1 webinar." in messages_of(response)
    assert first.zoom_id not in state.meetings
    first.refresh_from_db()
    assert first.deleted_at is not None
    delete = ZoomWrite.objects.get(method="DELETE")
    assert delete.path == f"/webinars/{first.zoom_id}"
    assert delete.asked["query"] == {"cancel_webinar_reminder": False}
