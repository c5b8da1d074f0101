"""Registrants from the admin: added in Zoom (the join URL Zoom answered is shown), approved,
denied and cancelled 30 at a time per meeting, re-synced; bad input costs no request; a refusal
shows Zoom's words and changes nothing; another tenant's registrant is a 404.

Expected values come from the sandbox's data (what Zoom holds after the write), never from the
functions under test. Meetings OpenAPI, PUT /meetings/{meetingId}/registrants/status:
"registrants": {"maximum": 30}.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from meetings.models import CloudRecording, Meeting, MeetingRegistrant, Webinar, WebinarRegistrant
from tests.admin_helpers import action_post, messages_of, rows_of, signed_in_member
from zoomadmin.jobs.models import BulkJob, BulkJobItem
from zoomadmin.sandbox import records
from zoomadmin.sandbox.api import registrants as registrants_api
from zoomadmin.sandbox.api.meetings import is_expired
from zoomadmin.sandbox.config import ScriptedFault
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.tenants.models import ZoomWrite
from zoomadmin.zoom.client import ZoomClient

pytestmark = pytest.mark.django_db(transaction=True)

ADD_URL = reverse("admin:meetings_meetingregistrant_add")
LIST_URL = reverse("admin:meetings_meetingregistrant_changelist")
WEBINAR_ADD_URL = reverse("admin:meetings_webinarregistrant_add")
WEBINAR_LIST_URL = reverse("admin:meetings_webinarregistrant_changelist")
STATUS_ROUTE = "PUT /v2/meetings/{meetingId}/registrants/status"
LIST_ROUTE = "GET /v2/meetings/{meetingId}/registrants"
GET_ROUTE = "GET /v2/meetings/{meetingId}/registrants/{registrantId}"


def account(sandbox):
    return sandbox.state.default_account


def mirror() -> list[list[dict[str, Any]]]:
    """Every stored registrant, every column: compared before and after a refused write."""
    return rows_of(MeetingRegistrant, WebinarRegistrant)


def registration_meetings(sandbox, approval_type: int = 1, webinar: bool = False) -> list[dict]:
    """The sandbox's scheduled meetings (or webinars) of active hosts with registration on."""
    state = account(sandbox)
    kinds = (5, 9) if webinar else (2, 8)
    return [
        m
        for m in state.meetings.values()
        if m["type"] in kinds
        and m["settings"].get("approval_type") == approval_type
        and state.users.get(m["host_id"], {}).get("status") == "active"
        and not is_expired(m, sandbox.state.now())  # listed, so synced
    ]


def seed_registrants(sandbox, meeting: dict, count: int, status: str = "pending") -> list[dict]:
    """``count`` registrants of ``meeting`` in Zoom (before the tenant's sync stores them)."""
    state, zoom = sandbox.state, account(sandbox)
    made = []
    for number in range(count):
        registrant = records.make_registrant(
            registrant_id=state.new_id(),
            meeting=meeting,
            email=f"guest.{meeting['id']}.{number}@example.org",
            first_name=f"Guest{number}",
            last_name="Bulk",
            status=status,
            create_time=state.now(),
            pin_code=100_000 + number,
        )
        zoom.registrants.setdefault(meeting["id"], {})[registrant["id"]] = registrant
        made.append(registrant)
    return made


def in_zoom(sandbox, meeting_id: int, registrant_id: str) -> dict:
    return account(sandbox).registrants[meeting_id][registrant_id]


def post_action(client, action: str, registrants: list[Any], url: str = LIST_URL, **extra: Any):
    return action_post(client, url, action, registrants, **extra)


# --- add ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("approval_type", "status"), [(1, "pending"), (0, "approved")])
def test_add_shows_the_join_url_and_stores_what_zoom_holds(
    admin_client, tenant, sandbox, approval_type, status
):
    target = registration_meetings(sandbox, approval_type)[0]
    meeting = Meeting.objects.get(tenant=tenant, zoom_id=target["id"])
    response = admin_client.post(
        ADD_URL,
        {
            "meeting": meeting.pk,
            "email": "ada.lovelace@example.org",
            "first_name": "Ada",
            "last_name": "Lovelace",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    zoom = next(
        r
        for r in account(sandbox).registrants[target["id"]].values()
        if r["email"] == "ada.lovelace@example.org"
    )
    # Meetings OpenAPI, settings.approval_type: "0 - Automatically approve", "1 - Manually
    # approve".
    assert zoom["status"] == status
    stored = MeetingRegistrant.objects.get(meeting=meeting, zoom_id=zoom["id"])
    assert response["Location"] == reverse(
        "admin:meetings_meetingregistrant_change", args=[stored.pk]
    )
    assert any(zoom["join_url"] in text for text in messages_of(response))
    assert (stored.email, stored.first_name, stored.last_name, stored.status, stored.join_url) == (
        zoom["email"],
        zoom["first_name"],
        zoom["last_name"],
        zoom["status"],
        zoom["join_url"],
    )
    assert stored.zoom_data == zoom
    write = ZoomWrite.objects.get()
    assert (write.kind, write.method, write.outcome) == ("registrant", "POST", "succeeded")

    # What a sync stores is what was stored: nothing changes, no second row.
    before = model_to_dict(stored), stored.updated
    assert tenant_sync(tenant=tenant, trigger="test", full=True).status == "succeeded"
    stored.refresh_from_db()
    assert (model_to_dict(stored), stored.updated) == before
    assert MeetingRegistrant.objects.filter(email="ada.lovelace@example.org").count() == 1


@pytest.fixture
def open_webinar(sandbox) -> dict:
    """A webinar of an active host with manual approval and 3 pending registrants (in Zoom
    before the sync: request it before ``tenant``)."""
    webinar = next(
        w
        for approval_type in (1, 0, 2)
        for w in registration_meetings(sandbox, approval_type, webinar=True)
    )
    webinar["settings"]["approval_type"] = 1
    seed_registrants(sandbox, webinar, 3)
    return webinar


def test_add_a_webinar_registrant(open_webinar, admin_client, tenant, sandbox):
    target = open_webinar
    webinar = Webinar.objects.get(tenant=tenant, zoom_id=target["id"])
    response = admin_client.post(
        WEBINAR_ADD_URL,
        {"webinar": webinar.pk, "email": "grace@example.org", "first_name": "Grace"},
    )
    assert response.status_code == 302, response.context["form"].errors
    zoom = next(
        r
        for r in account(sandbox).registrants[target["id"]].values()
        if r["email"] == "grace@example.org"
    )
    stored = WebinarRegistrant.objects.get(webinar=webinar, zoom_id=zoom["id"])
    assert stored.zoom_data == zoom
    assert any(zoom["join_url"] in text for text in messages_of(response))


def test_an_answer_that_names_no_registrant_is_found_by_its_email(
    admin_client, tenant, sandbox, monkeypatch
):
    """Meetings OpenAPI, POST /meetings/{meetingId}/registrants, 201: ``registrant_id`` is not
    marked required, and the answer's ``id`` is "The meeting ID.", never the registrant's.
    Zoom's real answer is kept and only ``registrant_id`` dropped from it."""
    answered = ZoomClient.add_meeting_registrant

    def without_registrant_id(self, *args, **kwargs):
        answer = answered(self, *args, **kwargs)
        answer.pop("registrant_id")
        return answer

    monkeypatch.setattr(ZoomClient, "add_meeting_registrant", without_registrant_id)
    target = registration_meetings(sandbox, 0)[0]
    meeting = Meeting.objects.get(tenant=tenant, zoom_id=target["id"])
    form = {"meeting": meeting.pk, "email": "noid@example.org", "first_name": "No"}
    response = admin_client.post(ADD_URL, form)
    assert response.status_code == 302
    zoom = next(
        r
        for r in account(sandbox).registrants[target["id"]].values()
        if r["email"] == form["email"]
    )
    stored = MeetingRegistrant.objects.get(meeting=meeting, email=form["email"])
    assert (stored.zoom_id, stored.status) == (zoom["id"], zoom["status"])
    assert response["Location"] == reverse(
        "admin:meetings_meetingregistrant_change", args=[stored.pk]
    )


def test_the_add_page_offers_the_meeting_it_was_opened_from(admin_client, tenant, sandbox):
    meeting = Meeting.objects.get(tenant=tenant, zoom_id=registration_meetings(sandbox)[0]["id"])
    page = admin_client.get(ADD_URL, {"meeting": meeting.pk})
    assert page.status_code == 200
    assert page.context["form"]["meeting"].value() == str(meeting.pk)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "x" * 120 + "@example.org"}, "email"),
        ({"email": ""}, "email"),
        ({"first_name": ""}, "first_name"),
        ({"first_name": "x" * 65}, "first_name"),
        ({"last_name": "x" * 65}, "last_name"),
        ({"meeting": ""}, "meeting"),
        ({"meeting": "999999999"}, "meeting"),
        ({"meeting": "no registration"}, "meeting"),
    ],
)
def test_an_invalid_add_form_costs_no_request(
    admin_client, tenant, sandbox, zoom_requests, fields, field
):
    meeting = Meeting.objects.get(tenant=tenant, zoom_id=registration_meetings(sandbox)[0]["id"])
    if fields.get("meeting") == "no registration":
        # "2 - No registration required": Zoom answers 400, code 3000.
        closed = registration_meetings(sandbox, approval_type=2)[0]
        fields = {"meeting": Meeting.objects.get(tenant=tenant, zoom_id=closed["id"]).pk}
    data = {"meeting": meeting.pk, "email": "ok@example.org", "first_name": "Ok", **fields}
    before, rows = zoom_requests(), mirror()
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert zoom_requests() == before
    assert mirror() == rows


ADD_REFUSALS = [
    pytest.param(
        ScriptedFault(
            "refuse",
            status=400,
            code=300,
            message="Validation Failed.",
            errors=({"field": "email", "message": "Invalid field."},),
            method="POST",
        ),
        "Validation Failed.",
        id="400-field-errors",
    ),
    pytest.param(
        # Meetings OpenAPI, POST /meetings/{meetingId}/registrants, 404 code 1001.
        ScriptedFault(
            "refuse", status=404, code=1001, message="Meeting does not exist: 1.", method="POST"
        ),
        "Meeting does not exist",
        id="404",
    ),
    pytest.param(
        # The same, 400 code 3043.
        ScriptedFault(
            "refuse",
            status=400,
            code=3043,
            message="Meeting has reached maximum attendee capacity.",
            method="POST",
        ),
        "maximum attendee capacity",
        id="400-capacity",
    ),
    pytest.param(ScriptedFault("429", retry_after=600, method="POST"), "429", id="429"),
    pytest.param(ScriptedFault("503", count=10, method="POST"), "503", id="5xx"),
    pytest.param(
        ScriptedFault("stall", count=3, stall_seconds=1.5, method="POST"),
        "could not be reached",
        id="timeout",
    ),
]


@pytest.mark.parametrize(("fault", "words"), ADD_REFUSALS)
def test_a_refused_add_shows_zoom_s_message_and_stores_nothing_zoom_does_not_hold(
    admin_client, tenant, sandbox, settings, fault, words
):
    settings.ZOOM_HTTP_TIMEOUT_SECONDS = 0.5
    target = registration_meetings(sandbox)[0]
    meeting = Meeting.objects.get(tenant=tenant, zoom_id=target["id"])
    rows = mirror()
    fault.path_prefix = f"/v2/meetings/{target['id']}/registrants"
    sandbox.config.script_fault(fault)
    response = admin_client.post(
        ADD_URL, {"meeting": meeting.pk, "email": "late@example.org", "first_name": "Late"}
    )
    sandbox.config.clear_faults()
    assert response.status_code == 200
    form = response.context["form"]
    assert words in " ".join(form.non_field_errors())
    if fault.errors:
        assert form.errors["email"] == ["Invalid field."]
    zoom = [
        r
        for r in account(sandbox).registrants.get(target["id"], {}).values()
        if r["email"] == "late@example.org"
    ]
    stored = MeetingRegistrant.objects.filter(email="late@example.org")
    if fault.action == "stall":
        # Zoom registers them, its answer too late; what the read-back found is what Zoom
        # holds (Zoom may still be working on it then: a re-sync finds it).
        time.sleep(fault.stall_seconds)
        zoom = [
            r
            for r in account(sandbox).registrants.get(target["id"], {}).values()
            if r["email"] == "late@example.org"
        ]
        assert zoom and all(r.zoom_data in zoom for r in stored)
        assert "may have made the change" in " ".join(form.non_field_errors())
    else:
        assert not zoom
        assert mirror() == rows
    assert ZoomWrite.objects.get().outcome in ("refused", "failed")


# --- approve, deny, cancel ---------------------------------------------------------------


@pytest.fixture
def crowded(sandbox) -> dict[str, Any]:
    """65 pending registrants of one meeting, in Zoom before the sync (``tenant`` after this)."""
    meeting = registration_meetings(sandbox)[0]
    return {"meeting": meeting, "registrants": seed_registrants(sandbox, meeting, 65)}


def stored_of(tenant, zoom_registrants: list[dict]) -> list[MeetingRegistrant]:
    ids = [r["id"] for r in zoom_registrants]
    return list(MeetingRegistrant.objects.filter(tenant=tenant, zoom_id__in=ids))


@pytest.mark.parametrize(
    ("action", "start", "expected"),
    [
        ("approve", "pending", "approved"),
        ("deny", "pending", "denied"),
        ("cancel", "approved", "denied"),
    ],
)
def test_65_registrants_of_one_meeting_take_3_status_calls(
    sandbox, crowded, tenant, admin_client, action, start, expected
):
    for registrant in crowded["registrants"]:
        registrant["status"] = start
    tenant_sync(tenant=tenant, trigger="test", full=True)
    chosen = stored_of(tenant, crowded["registrants"])
    assert len(chosen) == 65 and {r.status for r in chosen} == {start}
    stats = sandbox.state.stats.requests_by_route
    calls, listings, reads = stats[STATUS_ROUTE], stats[LIST_ROUTE], stats[GET_ROUTE]
    response = post_action(admin_client, f"{action}_registrants", chosen)
    assert response.status_code == 302
    assert stats[STATUS_ROUTE] - calls == 3  # 30 + 30 + 5
    if action == "cancel":
        # "cancel - Cancel previously approved registrant's registration": which status a
        # cancelled registration is listed under is not published, so each is read on its own.
        assert (stats[LIST_ROUTE] - listings, stats[GET_ROUTE] - reads) == (0, 65)
    else:
        assert stats[LIST_ROUTE] - listings == 3  # one re-read of the new status per call
        assert stats[GET_ROUTE] - reads == 0
    meeting_id = crowded["meeting"]["id"]
    for registrant in chosen:
        registrant.refresh_from_db()
        zoom = in_zoom(sandbox, meeting_id, registrant.zoom_id)
        assert zoom["status"] == expected
        assert registrant.status == zoom["status"]
    job = BulkJob.objects.get()
    assert (job.status, job.succeeded, job.failed) == ("done", 65, 0)


def test_status_calls_are_grouped_per_meeting(sandbox, tenant, admin_client):
    first, second, third = registration_meetings(sandbox)[:3]
    seeded = [
        *seed_registrants(sandbox, first, 31),
        *seed_registrants(sandbox, second, 4),
        *seed_registrants(sandbox, third, 2),
    ]
    tenant_sync(tenant=tenant, trigger="test", full=True)
    chosen = stored_of(tenant, seeded)
    stats = sandbox.state.stats.requests_by_route
    calls = stats[STATUS_ROUTE]
    response = post_action(admin_client, "approve_registrants", chosen)
    assert response.status_code == 302
    assert stats[STATUS_ROUTE] - calls == 4  # 30 + 1, 4, 2
    for registrant in seeded:
        assert registrant["status"] == "approved"
    assert set(
        MeetingRegistrant.objects.filter(pk__in=[r.pk for r in chosen]).values_list(
            "status", flat=True
        )
    ) == {"approved"}


def test_a_refused_batch_fails_every_record_of_it_and_the_others_succeed(
    sandbox, tenant, admin_client
):
    first, second = registration_meetings(sandbox)[:2]
    ok = seed_registrants(sandbox, first, 35)
    refused = seed_registrants(sandbox, second, 5)
    tenant_sync(tenant=tenant, trigger="test", full=True)
    rows = {r.pk: model_to_dict(r) for r in stored_of(tenant, refused)}
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            status=400,
            code=3000,
            # Meetings OpenAPI, PUT /meetings/{meetingId}/registrants/status, 400 code 3000.
            message="Cannot access webinar information.",
            method="PUT",
            path_prefix=f"/v2/meetings/{second['id']}/registrants/status",
        )
    )
    response = post_action(admin_client, "approve_registrants", stored_of(tenant, ok + refused))
    assert response.status_code == 302
    items = BulkJobItem.objects.all()
    failed = items.filter(status="failed")
    assert sorted(failed.values_list("object_pk", flat=True)) == sorted(rows)
    assert all("Cannot access webinar information." in item.message for item in failed)
    assert items.filter(status="succeeded").count() == 35
    assert {r["status"] for r in refused} == {"pending"}
    assert {r["status"] for r in ok} == {"approved"}
    assert {r.pk: model_to_dict(r) for r in stored_of(tenant, refused)} == rows


STATUS_REFUSALS = [
    pytest.param(
        ScriptedFault(
            "refuse", status=400, code=3000, message="Cannot access webinar information."
        ),
        "Cannot access webinar information.",
        id="400",
    ),
    pytest.param(
        ScriptedFault("refuse", status=404, code=3001, message="Meeting does not exist: 1."),
        "Meeting does not exist",
        id="404",
    ),
    pytest.param(ScriptedFault("429", retry_after=600), "429", id="429"),
    pytest.param(ScriptedFault("503", count=10), "503", id="5xx"),
    pytest.param(
        ScriptedFault("stall", count=10, stall_seconds=1.5), "could not be reached", id="timeout"
    ),
]


@pytest.mark.parametrize(("fault", "words"), STATUS_REFUSALS)
def test_a_refused_status_change_shows_zoom_s_message_and_changes_nothing(
    sandbox, tenant, admin_client, settings, fault, words
):
    settings.ZOOM_HTTP_TIMEOUT_SECONDS = 0.5
    meeting = registration_meetings(sandbox)[0]
    seeded = seed_registrants(sandbox, meeting, 3)
    tenant_sync(tenant=tenant, trigger="test", full=True)
    chosen = stored_of(tenant, seeded)
    rows = mirror()
    fault.method = "PUT"
    fault.path_prefix = f"/v2/meetings/{meeting['id']}/registrants/status"
    sandbox.config.script_fault(fault)
    response = post_action(admin_client, "approve_registrants", chosen)
    sandbox.config.clear_faults()
    assert response.status_code == 302
    words_shown = messages_of(response)
    if fault.action == "429":
        # Zoom's rate limit is the account's: the job pauses, every record still to do.
        assert any(words in text and "resumes" in text for text in words_shown)
        assert BulkJob.objects.get().status == "paused"
    for registrant in chosen:
        if fault.action != "429":
            assert any(str(registrant) in text and words in text for text in words_shown)
        registrant.refresh_from_db()
        # The mirror never diverges from Zoom (a timeout: Zoom did it; it was read back).
        assert registrant.status == in_zoom(sandbox, meeting["id"], registrant.zoom_id)["status"]
    if fault.action != "stall":
        assert {r["status"] for r in seeded} == {"pending"}
        assert mirror() == rows
    assert ZoomWrite.objects.get().outcome in ("refused", "failed")


def test_a_status_zoom_does_not_apply_is_reported_and_not_asked_twice(
    sandbox, tenant, admin_client, zoom_requests
):
    meeting = registration_meetings(sandbox)[0]
    pending = seed_registrants(sandbox, meeting, 2)
    tenant_sync(tenant=tenant, trigger="test", full=True)
    chosen = stored_of(tenant, pending)
    before = zoom_requests()
    # "cancel - Cancel previously approved registrant's registration": these were never
    # approved, so Zoom is not asked (a registrant's status changes are limited per day).
    response = post_action(admin_client, "cancel_registrants", chosen)
    assert zoom_requests() == before
    assert response.status_code == 302
    notes = BulkJobItem.objects.values_list("message", flat=True)
    assert len(notes) == 2 and all("never approved" in note for note in notes)
    assert {r["status"] for r in pending} == {"pending"}


def test_a_cancel_reads_each_registrant_back_and_stores_what_zoom_shows(
    sandbox, tenant, admin_client, monkeypatch
):
    """Which status Zoom lists a cancelled registration under is not published ("cancel -
    Cancel previously approved registrant's registration"): each is read back and stored as
    Zoom then shows it, whether moved, gone, or left approved."""
    meeting = registration_meetings(sandbox)[0]
    approved = seed_registrants(sandbox, meeting, 3, status="approved")
    tenant_sync(tenant=tenant, trigger="test", full=True)
    moved, gone, kept = (stored_of(tenant, [r])[0] for r in approved)
    del account(sandbox).registrants[meeting["id"]][gone.zoom_id]  # deleted in Zoom since

    post_action(admin_client, "cancel_registrants", [moved, gone])
    moved.refresh_from_db()
    gone.refresh_from_db()
    zoom = in_zoom(sandbox, meeting["id"], moved.zoom_id)
    assert zoom["status"] != "approved"
    assert (moved.status, moved.deleted_at) == (zoom["status"], None)
    assert gone.deleted_at is not None

    # Zoom leaving one approved (the sandbox made to apply no cancel) is said, not hidden.
    monkeypatch.setitem(registrants_api.TRANSITIONS, "cancel", ((), "denied", "none"))
    post_action(admin_client, "cancel_registrants", [kept])
    kept.refresh_from_db()
    assert kept.status == "approved"
    assert BulkJobItem.objects.filter(object_pk=kept.pk).get().message == "Zoom left it approved."


def test_webinar_registrants_are_approved_in_zoom(open_webinar, sandbox, tenant, admin_client):
    webinar = open_webinar
    pending = list(account(sandbox).registrants[webinar["id"]].values())
    chosen = list(
        WebinarRegistrant.objects.filter(tenant=tenant, zoom_id__in=[r["id"] for r in pending])
    )
    assert chosen
    response = post_action(admin_client, "approve_registrants", chosen, url=WEBINAR_LIST_URL)
    assert response.status_code == 302
    for registrant in chosen:
        registrant.refresh_from_db()
        assert registrant.status == in_zoom(sandbox, webinar["id"], registrant.zoom_id)["status"]
        assert registrant.status == "approved"


# --- re-sync -------------------------------------------------------------------------------


def test_resync_stores_what_zoom_holds_and_marks_the_gone(sandbox, tenant, admin_client):
    meeting = registration_meetings(sandbox)[0]
    changed, gone = seed_registrants(sandbox, meeting, 2)
    tenant_sync(tenant=tenant, trigger="test", full=True)
    chosen = stored_of(tenant, [changed, gone])
    changed["status"] = "approved"  # a change no webhook told
    del account(sandbox).registrants[meeting["id"]][gone["id"]]
    response = post_action(admin_client, "resync_registrants", chosen)
    assert response.status_code == 302
    by_id = {r.zoom_id: r for r in stored_of(tenant, [changed, gone])}
    assert by_id[changed["id"]].status == "approved"
    assert by_id[changed["id"]].deleted_at is None
    assert by_id[gone["id"]].deleted_at is not None
    assert not ZoomWrite.objects.exists()  # reads are not writes


# --- tenants -------------------------------------------------------------------------------


def test_another_tenant_s_registrant_answers_404_and_reaches_no_zoom(
    client, django_user_model, tenant, sandbox, other_customer, zoom_requests
):
    other_tenant = other_customer(meetings_per_user=4, registrant_ratio=1.0)
    signed_in_member(
        client,
        tenant,
        "view_meetingregistrant",
        "change_meetingregistrant",
        "add_meetingregistrant",
    )
    foreign = MeetingRegistrant.objects.filter(tenant=other_tenant).first()
    assert foreign is not None
    before, rows = zoom_requests(), mirror()
    change = reverse("admin:meetings_meetingregistrant_change", args=[foreign.pk])
    assert client.get(change).status_code == 404
    for action in ("approve_registrants", "deny_registrants", "resync_registrants"):
        post_action(client, action, [foreign])
    add = client.post(
        ADD_URL, {"meeting": foreign.meeting_id, "email": "a@example.org", "first_name": "A"}
    )
    assert "meeting" in add.context["form"].errors
    assert zoom_requests() == before
    assert mirror() == rows
    assert not ZoomWrite.objects.exists()


# --- cloud recordings ----------------------------------------------------------------------

RECORDINGS_URL = reverse("admin:meetings_cloudrecording_changelist")
FILES_URL = reverse("admin:meetings_recordingfile_changelist")


def stored_recording(sandbox, tenant) -> tuple[dict, CloudRecording]:
    """A recording Zoom holds with several files, and its stored copy."""
    zoom = next(r for r in account(sandbox).recordings.values() if len(r["recording_files"]) > 1)
    return zoom, CloudRecording.objects.get(tenant=tenant, zoom_id=zoom["uuid"])


def test_deleting_a_recording_asks_first_then_moves_it_to_zoom_s_trash(
    sandbox, tenant, admin_client
):
    zoom, recording = stored_recording(sandbox, tenant)
    page = post_action(admin_client, "delete_recordings", [recording], url=RECORDINGS_URL)
    assert page.status_code == 200
    assert 'name="post" value="yes"' in page.content.decode()
    assert zoom["uuid"] in account(sandbox).recordings_by_uuid  # nothing asked yet
    response = post_action(
        admin_client, "delete_recordings", [recording], url=RECORDINGS_URL, post="yes"
    )
    assert response.status_code == 302
    # Meetings OpenAPI, DELETE /meetings/{meetingId}/recordings, action "trash - Move
    # recording to trash" (the default).
    assert zoom["uuid"] not in account(sandbox).recordings_by_uuid
    assert zoom["id"] in account(sandbox).trashed_recordings
    recording.refresh_from_db()
    assert recording.deleted_at is not None and recording.in_trash
    assert not recording.files.filter(deleted_at=None).exists()
    assert all(f.in_trash for f in recording.files.all())
    write = ZoomWrite.objects.get()
    assert (write.kind, write.method, write.asked["query"]) == (
        "recording",
        "DELETE",
        {"action": "trash"},
    )
    assert "Deleted 1 cloud recording." in messages_of(response)


def test_a_refused_recording_delete_leaves_it(sandbox, tenant, admin_client):
    zoom, recording = stored_recording(sandbox, tenant)
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            status=400,
            code=3310,
            # Meetings OpenAPI, DELETE /meetings/{meetingId}/recordings, 400 code 3310.
            message="This recording was selected for a simulive webinar. You cannot delete or "
            "trash it.",
            method="DELETE",
        )
    )
    response = post_action(
        admin_client, "delete_recordings", [recording], url=RECORDINGS_URL, post="yes"
    )
    assert any("simulive" in text and str(recording) in text for text in messages_of(response))
    assert zoom["uuid"] in account(sandbox).recordings_by_uuid
    recording.refresh_from_db()
    assert recording.deleted_at is None
    assert not recording.files.exclude(deleted_at=None).exists()


def test_deleting_one_file_leaves_the_others(sandbox, tenant, admin_client):
    zoom, recording = stored_recording(sandbox, tenant)
    target = recording.files.get(zoom_id=zoom["recording_files"][0]["id"])
    page = post_action(admin_client, "delete_recording_files", [target], url=FILES_URL)
    assert 'name="post" value="yes"' in page.content.decode()
    response = post_action(
        admin_client, "delete_recording_files", [target], url=FILES_URL, post="yes"
    )
    assert response.status_code == 302
    left = {f["id"] for f in zoom["recording_files"]}
    assert target.zoom_id not in left and left
    target.refresh_from_db()
    assert target.deleted_at is not None and target.in_trash
    others = recording.files.exclude(pk=target.pk)
    assert set(others.filter(deleted_at=None).values_list("zoom_id", flat=True)) == left
    recording.refresh_from_db()
    assert recording.deleted_at is None


def test_a_refused_file_delete_leaves_it(sandbox, tenant, admin_client):
    zoom, recording = stored_recording(sandbox, tenant)
    target = recording.files.get(zoom_id=zoom["recording_files"][0]["id"])
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            status=400,
            code=3303,
            # Meetings OpenAPI, DELETE /meetings/{meetingId}/recordings/{recordingId}.
            message="You can not delete an uncompleted meeting.",
            method="DELETE",
        )
    )
    response = post_action(
        admin_client, "delete_recording_files", [target], url=FILES_URL, post="yes"
    )
    assert any("uncompleted meeting" in text for text in messages_of(response))
    assert target.zoom_id in {f["id"] for f in zoom["recording_files"]}
    target.refresh_from_db()
    assert target.deleted_at is None


def test_another_tenant_s_recording_answers_404_and_reaches_no_zoom(
    client, django_user_model, tenant, sandbox, other_customer, zoom_requests
):
    other_tenant = other_customer(meetings_per_user=4, recording_ratio=1.0)
    other = sandbox.state.accounts[other_tenant.account_id]
    signed_in_member(
        client,
        tenant,
        "view_cloudrecording",
        "delete_cloudrecording",
        "view_recordingfile",
        "delete_recordingfile",
    )
    foreign = CloudRecording.objects.filter(tenant=other_tenant).first()
    assert foreign is not None
    before = zoom_requests()
    change = reverse("admin:meetings_cloudrecording_change", args=[foreign.pk])
    assert client.get(change).status_code == 404
    post_action(client, "delete_recordings", [foreign], url=RECORDINGS_URL, post="yes")
    post_action(
        client, "delete_recording_files", list(foreign.files.all()), url=FILES_URL, post="yes"
    )
    assert zoom_requests() == before
    assert foreign.zoom_id in other.recordings_by_uuid
    foreign.refresh_from_db()
    assert foreign.deleted_at is None
    assert not ZoomWrite.objects.exists()
