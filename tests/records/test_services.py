"""The meetings services: hosts and parents resolved in bulk, children keyed within their
parent, recordings with their files, and scoped deletion marking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings.models import (
    CloudRecording,
    Meeting,
    MeetingRegistrant,
    RecordingFile,
    Webinar,
)
from meetings.services import (
    meeting_mark_deleted,
    meeting_registrants_mark_deleted,
    meeting_registrants_upsert,
    meetings_mark_deleted,
    meetings_upsert,
    recordings_mark_deleted,
    recordings_upsert,
    webinar_participants_upsert,
    webinar_registrants_upsert,
    webinars_upsert,
)
from tests.records.conftest import zoom_example
from users.services import users_upsert

pytestmark = pytest.mark.django_db

HOST = "30R7kT7bTIKSNUFEuH_Qlg"  # the host_id of Zoom's meeting example


def meeting(zoom_id: int, host: str = HOST, **changes) -> dict:
    return {**zoom_example("meeting"), "id": zoom_id, "host_id": host, **changes}


def recording(uuid: str, meeting_id: int, **changes) -> dict:
    data = zoom_example("recordingGet")
    data.update(uuid=uuid, id=meeting_id, host_id=HOST, **changes)
    return data


def no_writes(queries: CaptureQueriesContext) -> bool:
    return all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries)


def test_a_meeting_links_its_host_once_the_host_is_stored(tenant, at):
    meetings_upsert(tenant=tenant, items=[meeting(97763643886)], synced_at=at(0))
    stored = Meeting.objects.get()
    assert stored.zoom_id == 97763643886  # more than 32 bits
    assert (stored.host_zoom_id, stored.host) == (HOST, None)

    users_upsert(tenant=tenant, items=[{**zoom_example("user"), "id": HOST}], synced_at=at(1))
    result = meetings_upsert(tenant=tenant, items=[meeting(97763643886)], synced_at=at(2))

    assert result.updated == 1
    assert Meeting.objects.get().host.zoom_id == HOST


def test_an_unchanged_meeting_page_costs_two_selects(tenant, at):
    users_upsert(tenant=tenant, items=[{**zoom_example("user"), "id": HOST}], synced_at=at(0))
    items = [meeting(i) for i in range(1, 21)]
    meetings_upsert(tenant=tenant, items=items, synced_at=at(0))

    with CaptureQueriesContext(connection) as queries:
        result = meetings_upsert(tenant=tenant, items=items, synced_at=at(1))

    assert result.unchanged == 20
    assert no_writes(queries) and len(queries) == 2  # hosts, then the meetings


UPCOMING = {"start_time": "2099-01-01T10:00:00Z"}


def test_meetings_are_marked_deleted_per_host_and_seen_ids_may_be_text(tenant, at):
    items = [meeting(1, **UPCOMING), meeting(2, **UPCOMING), meeting(3, host="other-host")]
    meetings_upsert(tenant=tenant, items=items, synced_at=at(0))

    marked = meetings_mark_deleted(
        tenant=tenant, host_zoom_ids=[HOST], seen_ids={"1"}, deleted_at=at(1)
    )

    assert marked == 1
    assert set(
        Meeting.objects.filter(deleted_at__isnull=True).values_list("zoom_id", flat=True)
    ) == {1, 3}
    assert meeting_mark_deleted(tenant=tenant, zoom_id=3, deleted_at=at(2)) == 1


def test_registrants_are_keyed_within_their_meeting(tenant, at):
    meetings_upsert(tenant=tenant, items=[meeting(1), meeting(2)], synced_at=at(0))
    registrant = zoom_example("meetingRegistrants")["registrants"][0]
    entries = [(1, registrant), ("2", registrant), (1, {**registrant, "id": "r2"})]

    result = meeting_registrants_upsert(tenant=tenant, entries=entries, synced_at=at(0))
    with CaptureQueriesContext(connection) as queries:
        again = meeting_registrants_upsert(tenant=tenant, entries=entries, synced_at=at(1))

    assert result.created == 3 and again.unchanged == 3 and no_writes(queries)
    assert MeetingRegistrant.objects.filter(zoom_id=registrant["id"]).count() == 2
    assert MeetingRegistrant.objects.get(meeting__zoom_id=2).status == "approved"


def test_registrants_a_meeting_no_longer_lists_are_marked_deleted_in_that_meeting_only(tenant, at):
    meetings_upsert(tenant=tenant, items=[meeting(1), meeting(2)], synced_at=at(0))
    registrant = zoom_example("meetingRegistrants")["registrants"][0]
    entries = [(1, registrant), (1, {**registrant, "id": "r2"}), (2, registrant)]
    meeting_registrants_upsert(tenant=tenant, entries=entries, synced_at=at(0))

    marked = meeting_registrants_mark_deleted(tenant=tenant, listings={1: {"r2"}}, deleted_at=at(1))

    assert marked == 1
    gone = MeetingRegistrant.objects.get(deleted_at__isnull=False)
    assert (gone.meeting.zoom_id, gone.zoom_id) == (1, registrant["id"])


def test_a_registrant_of_a_meeting_not_stored_is_skipped(tenant, at):
    registrant = zoom_example("meetingRegistrants")["registrants"][0]

    result = meeting_registrants_upsert(tenant=tenant, entries=[(404, registrant)], synced_at=at(0))

    assert result.created == 0 and not MeetingRegistrant.objects.exists()


def test_webinars_take_registrants_and_rejoining_participants(tenant, at):
    webinar = zoom_example("webinar")
    webinars_upsert(tenant=tenant, items=[webinar], synced_at=at(0))
    registrant = zoom_example("webinarRegistrants")["registrants"][0]
    participant = zoom_example("listWebinarParticipants")["participants"][0]
    rejoin = {**participant, "user_id": "16778241", "join_time": "2019-02-01T13:00:00Z"}

    registrants = webinar_registrants_upsert(
        tenant=tenant, entries=[(webinar["id"], registrant)], synced_at=at(0)
    )
    entries = [(webinar["id"], participant), (webinar["id"], rejoin)]
    participants = webinar_participants_upsert(tenant=tenant, entries=entries, synced_at=at(0))

    stored = Webinar.objects.get()
    assert stored.type == Webinar.Type.WEBINAR and stored.has_registration
    assert registrants.created == 1 and stored.registrants.get().email == registrant["email"]
    assert participants.created == 2
    assert list(stored.participants.values_list("name", flat=True)) == ["Jill Chill"] * 2
    assert (
        webinar_participants_upsert(tenant=tenant, entries=entries, synced_at=at(1)).unchanged == 2
    )


def test_a_recording_is_stored_with_its_files_and_linked_to_its_meeting(tenant, at):
    users_upsert(tenant=tenant, items=[{**zoom_example("user"), "id": HOST}], synced_at=at(0))
    meetings_upsert(tenant=tenant, items=[meeting(6840331990)], synced_at=at(0))

    result = recordings_upsert(
        tenant=tenant, items=[recording("uuid-1", 6840331990)], synced_at=at(0)
    )

    assert result.created == 1 and result.files.created == 2
    stored = CloudRecording.objects.get()
    assert stored.meeting.zoom_id == 6840331990 and stored.webinar is None
    assert stored.host.zoom_id == HOST
    assert "download_access_token" not in stored.zoom_data
    assert sorted(stored.files.values_list("file_type", flat=True)) == ["M4A", "MP4"]


def test_a_webinar_recording_links_to_its_webinar(tenant, at):
    webinar = zoom_example("webinar")
    webinars_upsert(tenant=tenant, items=[webinar], synced_at=at(0))

    recordings_upsert(
        tenant=tenant, items=[recording("uuid-w", webinar["id"], type="5")], synced_at=at(0)
    )

    stored = CloudRecording.objects.get()
    assert stored.webinar.zoom_id == webinar["id"] and stored.meeting is None


def test_an_unchanged_recording_writes_nothing_and_a_dropped_file_is_marked_deleted(tenant, at):
    items = [recording("uuid-1", 1), recording("uuid-2", 2)]
    recordings_upsert(tenant=tenant, items=items, synced_at=at(0))

    with CaptureQueriesContext(connection) as queries:
        again = recordings_upsert(tenant=tenant, items=items, synced_at=at(1))
    items[0]["participant_audio_files"] = []
    trimmed = recordings_upsert(tenant=tenant, items=items, synced_at=at(2))

    assert again.unchanged == 2 and again.files.unchanged == 4 and no_writes(queries)
    assert trimmed.updated == 1 and trimmed.files_deleted == 1
    gone = RecordingFile.objects.get(deleted_at__isnull=False)
    assert (gone.recording.zoom_id, gone.file_type) == ("uuid-1", "M4A")
    # The same file id under two recordings is two rows (files are keyed within a recording).
    assert RecordingFile.objects.filter(deleted_at__isnull=True).count() == 3


def test_recordings_are_judged_only_inside_the_listed_window(tenant, at):
    items = [
        recording("old", 1, start_time="2026-01-15T10:00:00Z"),
        recording("in-window", 2, start_time="2026-02-15T10:00:00Z"),
        recording("kept", 3, start_time="2026-02-16T10:00:00Z"),
    ]
    recordings_upsert(tenant=tenant, items=items, synced_at=at(0))

    marked = recordings_mark_deleted(
        tenant=tenant,
        seen_uuids={"kept"},
        host_zoom_ids=[HOST],
        started_from=datetime(2026, 2, 1, tzinfo=UTC),
        deleted_at=at(1),
    )

    assert marked == 1
    assert CloudRecording.objects.get(zoom_id="in-window").deleted_at == at(1)
    assert CloudRecording.objects.get(zoom_id="old").deleted_at is None


def test_a_meeting_that_may_have_expired_is_kept_as_expired_not_deleted(tenant, at):
    # Zoom's 404 for a meeting past its expiry may mean "expired" as well as "deleted" (its
    # messages read "not found or has expired"): only one that surely had not expired is
    # marked deleted when its host's listing lacks it.
    long_ago = (at(0) - timedelta(days=40)).isoformat()
    items = [meeting(1, start_time=long_ago, type=2), meeting(2, **UPCOMING, type=2)]
    meetings_upsert(tenant=tenant, items=items, synced_at=at(0))

    marked = meetings_mark_deleted(
        tenant=tenant, host_zoom_ids=[HOST], seen_ids=(), deleted_at=at(1)
    )

    assert marked == 1
    kept = Meeting.objects.get(zoom_id=1)
    assert kept.deleted_at is None and kept.expired
    assert Meeting.objects.get(zoom_id=2).deleted_at == at(1)
