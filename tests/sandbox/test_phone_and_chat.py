"""Zoom Phone recordings, Team Chat messages and the meeting invitation as the sandbox answers
them, each rule beside the words of Zoom's published description it comes from
(tests/contract/zoom-api/, copied from ../shared/zoom-api/)."""

from __future__ import annotations

import datetime as dt

from tests.sandbox.conftest import Api


def _phone_user(account) -> str:
    return next(u for u in account.phone_users if account.phone_recordings.get(u))


def test_only_zoom_phone_users_have_phone_recordings(api: Api, account) -> None:
    # Phone API, "Get user's recordings": "Prerequisites * A Business or Enterprise account
    # * A Zoom Phone license"; 404: "Error Code: 1001 User does not exist: {userId}."
    without = next(
        u["id"]
        for u in account.users.values()
        if u["status"] == "active" and u["id"] not in account.phone_users
    )

    refused = api.get(f"/phone/users/{without}/recordings")
    listed = api.get(f"/phone/users/{_phone_user(account)}/recordings")

    assert refused.status_code == 404
    assert refused.json() == {"code": 1001, "message": f"User does not exist: {without}."}
    assert listed.status_code == 200 and "recordings" in listed.json()


def test_phone_recordings_need_to_with_from(api: Api, account) -> None:
    # "to": "**Required** only when the `from` parameter is specified."
    user = _phone_user(account)
    today = dt.datetime.now(dt.UTC).date()

    refused = api.get(f"/phone/users/{user}/recordings", **{"from": today.isoformat()})
    to_alone = api.get(f"/phone/users/{user}/recordings", to=today.isoformat())

    assert refused.status_code == 400 and refused.json()["code"] == 300
    assert refused.json()["errors"][0]["field"] == "to"
    assert to_alone.status_code == 200


def test_phone_recordings_default_to_the_past_30_days(api: Api, account) -> None:
    # "from": "If unspecified, returns data from the past 30 days."
    today = dt.datetime.now(dt.UTC).date()

    body = api.get(f"/phone/users/{_phone_user(account)}/recordings").json()

    assert (body["from"], body["to"]) == (
        (today - dt.timedelta(days=30)).isoformat(),
        today.isoformat(),
    )


def test_chat_messages_echo_from_and_to_only_when_asked(api: Api, account) -> None:
    # "from": "The API only returns this value if you call the `from` query parameter."
    # "to": "The API only returns this value if you call the `to` query parameter."
    # "date": "If you do not provide the `date` or `from` query parameters, the API defaults
    # to the `date` query parameter."
    user, channels = next(iter(account.user_channels.items()))
    path = f"/chat/users/{user}/messages"
    week_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")

    only_from = api.get(path, to_channel=channels[0], **{"from": week_ago}).json()
    both = api.get(path, to_channel=channels[0], **{"from": week_ago, "to": week_ago}).json()
    neither = api.get(path, to_channel=channels[0]).json()

    assert only_from["from"] == week_ago and "to" not in only_from
    assert (both["from"], both["to"]) == (week_ago, week_ago)
    assert "from" not in neither and "to" not in neither
    assert neither["date"] == dt.datetime.now(dt.UTC).date().isoformat()


def test_the_invitation_ends_its_lines_as_zoom_s_example_does(api: Api, account) -> None:
    # Meetings API, "Get meeting invitation", 200 example: "Jill Chill is inviting you to a
    # scheduled Zoom meeting.\r\n\r\nTopic: My Meeting\r\n…"
    meeting = next(m for m in account.meetings.values() if m["type"] in (2, 8))

    text = api.get(f"/meetings/{meeting['id']}/invitation").json()["invitation"]

    assert "is inviting you to a scheduled Zoom meeting.\r\n\r\nTopic: " in text
    assert "\n" not in text.replace("\r\n", "")
