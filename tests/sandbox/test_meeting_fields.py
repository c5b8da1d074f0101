"""Meeting writes: the sandbox reads start times, passcodes and durations as Zoom publishes."""

from __future__ import annotations

from tests.sandbox.conftest import Api


def active_host(account) -> dict:
    return next(u for u in account.users.values() if u["status"] == "active" and u["type"] == 2)


def test_a_start_time_without_z_is_read_in_the_meeting_s_timezone(api: Api, account) -> None:
    # Meetings OpenAPI, POST /users/{userId}/meetings, start_time: "To set a meeting's start
    # time using a specific timezone, use the `yyyy-MM-ddTHH:mm:ss` date-time format and
    # specify the timezone ID in the `timezone` field."
    host = active_host(account)
    body = {
        "topic": "Local",
        "type": 2,
        "start_time": "2031-07-01T09:00:00",
        "timezone": "America/New_York",
    }
    created = api.post(f"/users/{host['id']}/meetings", body).json()
    assert created["start_time"] == "2031-07-01T13:00:00Z"  # EDT is UTC-4 in July
    # "To set a meeting's start time in GMT, use the `yyyy-MM-ddTHH:mm:ssZ` date-time format"
    api.patch(f"/meetings/{created['id']}", {"start_time": "2031-07-02T09:00:00Z"})
    assert api.get(f"/meetings/{created['id']}").json()["start_time"] == "2031-07-02T09:00:00Z"
    # Without `timezone` in the update, the meeting's own time zone.
    api.patch(f"/meetings/{created['id']}", {"start_time": "2031-12-02T09:00:00"})
    assert api.get(f"/meetings/{created['id']}").json()["start_time"] == "2031-12-02T14:00:00Z"


def test_an_update_refuses_a_passcode_outside_zoom_s_alphabet(api: Api, account) -> None:
    # PATCH /meetings/{meetingId}, password: "only contain alphanumeric characters and the
    # `@`, `-`, `_`, and `*` characters"; maximum length 10.
    meeting = next(m for m in account.meetings.values() if m["type"] == 2)
    assert api.patch(f"/meetings/{meeting['id']}", {"password": "ab#1"}).status_code == 400
    assert api.patch(f"/meetings/{meeting['id']}", {"password": "a@b-c_d*9"}).status_code == 204


def test_a_duration_below_one_minute_is_refused(api: Api, account) -> None:
    # duration: "The value must be between 1 and 1440 minutes".
    meeting = next(m for m in account.meetings.values() if m["type"] == 2)
    assert api.patch(f"/meetings/{meeting['id']}", {"duration": 0}).status_code == 400
    assert api.patch(f"/meetings/{meeting['id']}", {"duration": 1441}).status_code == 400
