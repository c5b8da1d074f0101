"""The pure mappings, on the example payloads Zoom publishes (tests/fixtures/zoom)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from meetings.mapping import (
    participant_key,
    recording_file_key,
    recording_files,
    zoom_meeting_to_fields,
    zoom_participant_to_fields,
    zoom_recording_file_to_fields,
    zoom_recording_to_fields,
    zoom_registrant_to_fields,
    zoom_webinar_to_fields,
)
from tests.records.conftest import zoom_example
from users.mapping import user_key, zoom_user_to_fields
from zoomadmin.records.payloads import parse_timestamp


def test_a_user_maps_to_its_typed_columns_and_keeps_the_whole_json():
    data = zoom_example("user")

    fields = zoom_user_to_fields(data)

    assert fields == {
        "zoom_id": "zJKyaiAyTNC-MWjiWC18KQ",
        "email": "jchill@example.com",
        "first_name": "Jill",
        "last_name": "Chill",
        "display_name": "Jill Chill",
        "type": 1,
        "status": "pending",
        "role_id": "0",
        "role_name": "Admin",
        "dept": "Developers",
        "job_title": "API Developer",
        "timezone": "Asia/Shanghai",
        "pmi": 3542471135,
        "last_login_time": datetime(2021, 5, 5, 20, 40, 30, tzinfo=UTC),
        "zoom_created_at": datetime(2018, 10, 31, 4, 32, 37, tzinfo=UTC),
        "zoom_data": data,
    }


def test_a_listed_user_maps_only_the_fields_the_listing_carries():
    item = zoom_example("users")["users"][0]

    fields = zoom_user_to_fields(item)

    assert fields["zoom_id"] == "KDcuGIm1QgePTO8WbOqwIQ"
    assert fields["status"] == "active" and fields["type"] == 1
    assert "role_name" not in fields  # "Get a user" has it, "List users" does not


def test_a_pending_user_listed_without_an_id_is_keyed_by_email():
    item = zoom_example("users")["users"][0]
    del item["id"]
    item["email"] = "New.Hire@Example.com"

    assert user_key(item) == "email:new.hire@example.com"
    assert zoom_user_to_fields(item)["zoom_id"] == "email:new.hire@example.com"


def test_a_meeting_maps_with_its_64_bit_id_host_and_registration_setting():
    data = zoom_example("meeting")
    data["start_url"] = "https://example.com/s/11111?zak=secret"

    fields = zoom_meeting_to_fields(data)

    assert {k: v for k, v in fields.items() if k != "zoom_data"} == {
        "zoom_id": 97763643886,
        "uuid": "aDYlohsHRtCd4ii1uC2+hA==",
        "host_zoom_id": "30R7kT7bTIKSNUFEuH_Qlg",
        "host_email": "jchill@example.com",
        "topic": "My Meeting",
        "type": 2,
        "status": "waiting",
        "start_time": datetime(2022, 3, 25, 7, 29, 29, tzinfo=UTC),
        "duration": 60,
        "timezone": "America/Los_Angeles",
        "join_url": "https://example.com/j/11111",
        "approval_type": 0,
        "zoom_created_at": datetime(2022, 3, 25, 7, 29, 29, tzinfo=UTC),
    }
    assert "start_url" not in fields["zoom_data"]  # a host credential, new on every fetch
    assert fields["zoom_data"]["settings"] == data["settings"]


def test_a_listed_meeting_lacks_status_and_settings_so_they_are_not_mapped():
    item = zoom_example("meetings")["meetings"][0]

    fields = zoom_meeting_to_fields(item)

    assert fields["zoom_id"] == item["id"]
    assert "status" not in fields and "approval_type" not in fields


def test_a_webinar_maps_like_a_meeting_without_status():
    data = zoom_example("webinar")

    fields = zoom_webinar_to_fields(data)

    assert fields["zoom_id"] == data["id"]
    assert fields["type"] == data["type"] == 5
    assert fields["approval_type"] == data["settings"]["approval_type"]
    assert fields["start_time"] == parse_timestamp(data["start_time"])
    assert "status" not in fields and "start_url" not in fields["zoom_data"]


@pytest.mark.parametrize("operation", ["meetingRegistrants", "webinarRegistrants"])
def test_a_registrant_maps_its_status_and_registration_time(operation):
    item = zoom_example(operation)["registrants"][0]

    fields = zoom_registrant_to_fields(item)

    assert fields["zoom_id"] == item["id"]
    assert fields["email"] == item["email"]
    assert (fields["first_name"], fields["last_name"]) == ("Jill", "Chill")
    assert fields["status"] == "approved"
    assert fields["registered_at"] == datetime(2022, 3, 22, 5, 59, 9, tzinfo=UTC)
    assert fields["zoom_data"] == item


def test_a_recording_is_keyed_by_its_instance_uuid_without_the_download_token():
    data = zoom_example("recordingGet")

    fields = zoom_recording_to_fields(data)

    assert fields["zoom_id"] == "BOKXuumlTAGXuqwr3bLyuQ=="
    assert fields["meeting_zoom_id"] == 6840331990
    assert fields["host_zoom_id"] == "_0ctZtY0REqWalTmwvrdIw"
    assert fields["type"] == "1"  # Zoom writes this enumeration as text here
    assert fields["start_time"] == datetime(2021, 3, 18, 5, 41, 36, tzinfo=UTC)
    assert (fields["total_size"], fields["recording_count"]) == (22, 22)
    assert "download_access_token" not in fields["zoom_data"]
    assert fields["zoom_data"]["recording_files"] == data["recording_files"]


def test_recording_files_include_participant_audio_files():
    data = zoom_example("recordingGet")

    files = [zoom_recording_file_to_fields(f) for f in recording_files(data)]

    assert [f["zoom_id"] for f in files] == [
        "72576a1f-4e66-4a77-87c4-f13f9808bd76",
        "a2f19f96-9294-4f51-8134-6f0eea108eb2",
    ]
    video, audio = files
    assert video["recording_type"] == "shared_screen_with_speaker_view"
    assert (video["file_type"], video["file_size"], video["status"]) == ("MP4", 7220, "completed")
    assert video["download_url"].startswith("https://example.com/rec/download/")
    assert video["recording_start"] == datetime(2021, 3, 18, 5, 41, 36, tzinfo=UTC)
    assert (audio["file_name"], audio["file_type"]) == ("test.json", "M4A")


def test_a_recording_file_without_an_id_gets_a_stable_key_within_its_recording():
    file = zoom_example("recordingGet")["recording_files"][0]
    del file["id"]

    assert recording_file_key(file) == recording_file_key(dict(file))
    assert recording_file_key(file) == "~MP4:shared_screen_with_speaker_view:2021-03-18T05:41:36Z"


def test_a_listed_recording_maps_like_a_fetched_one():
    item = zoom_example("recordingsList")["meetings"][0]

    fields = zoom_recording_to_fields(item)

    assert fields["zoom_id"] == item["uuid"] and fields["meeting_zoom_id"] == item["id"]


def test_a_past_participant_is_keyed_by_join_so_a_rejoin_is_another_row():
    item = zoom_example("listWebinarParticipants")["participants"][0]
    rejoin = {**item, "user_id": "ABCDEF999", "join_time": "2019-02-01T13:00:00Z"}

    fields = zoom_participant_to_fields(item)

    assert fields["zoom_id"] == "ABCDEF123456@2019-02-01T12:34:12.66Z"
    assert participant_key(rejoin) != fields["zoom_id"]
    assert fields["participant_id"] == "30R7kT7bTIKSNUFEuH_Qlg"
    assert (fields["name"], fields["email"]) == ("Jill Chill", "jchill@example.com")
    assert fields["join_time"] == datetime(2019, 2, 1, 12, 34, 12, 660000, tzinfo=UTC)
    assert (fields["duration"], fields["status"], fields["internal_user"]) == (
        20,
        "in_meeting",
        False,
    )


def test_null_values_map_to_empty_and_missing_keys_are_left_out():
    fields = zoom_meeting_to_fields({"id": "123", "topic": None, "start_time": None})

    assert fields["zoom_id"] == 123
    assert fields["topic"] == "" and fields["start_time"] is None
    assert set(fields) == {"zoom_id", "topic", "start_time", "zoom_data"}


def test_timestamps_are_aware_and_those_without_offset_read_as_utc():
    assert parse_timestamp("2022-03-25T07:29:29Z") == datetime(2022, 3, 25, 7, 29, 29, tzinfo=UTC)
    assert parse_timestamp("2022-03-25T07:29:29") == datetime(2022, 3, 25, 7, 29, 29, tzinfo=UTC)
    assert parse_timestamp("2022-03-25T09:29:29+02:00") == datetime(
        2022, 3, 25, 7, 29, 29, tzinfo=UTC
    )
    assert parse_timestamp("") is None and parse_timestamp("soon") is None


def test_a_payload_without_its_key_is_refused():
    with pytest.raises(ValueError):
        zoom_meeting_to_fields({"topic": "no id"})
    with pytest.raises(ValueError):
        zoom_recording_to_fields({"id": 1})
