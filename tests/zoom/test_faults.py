"""Errors, rate limits and faults, against the sandbox: what is retried, what raises, and how."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from zoomadmin.sandbox import ScriptedFault
from zoomadmin.zoom.errors import (
    ZoomBadRequest,
    ZoomConflict,
    ZoomDailyLimit,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomUnavailable,
)

MEETING = {"topic": "Quarterly review", "type": 2, "start_time": "2030-01-15T10:00:00Z"}


def next_utc_midnight() -> datetime:
    today = datetime.now(UTC).date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)


def test_a_429_with_retry_after_is_waited_out_and_retried(sandbox, client):
    sandbox.config.script_fault(ScriptedFault("429", retry_after=1))

    assert client.get_me()["id"] == sandbox.state.default_account.owner_id
    assert client.request_count == 2


def test_per_second_429s_beyond_the_retry_bound_raise_rate_limited(sandbox, client):
    sandbox.config.script_fault(ScriptedFault("429", count=10, retry_after=0))

    with pytest.raises(ZoomRateLimited) as caught:
        client.get_me()

    assert not isinstance(caught.value, ZoomDailyLimit)
    assert caught.value.status == 429
    assert client.request_count == 4  # the first attempt and max_retries=3


def test_a_retry_after_longer_than_the_cap_raises_at_once(sandbox, make_client):
    client = make_client(max_retry_after=5.0)
    sandbox.config.script_fault(ScriptedFault("429", retry_after=60))

    with pytest.raises(ZoomRateLimited) as caught:
        client.get_me()

    assert caught.value.retry_after == 60
    assert client.request_count == 1


def test_the_accounts_daily_limit_raises_at_once_with_the_reset_time(sandbox, client):
    sandbox.config.update(daily_limit=1)
    client.get_me()

    with pytest.raises(ZoomDailyLimit) as caught:
        client.get_me()

    assert caught.value.resets_at == next_utc_midnight()
    assert client.request_count == 2
    assert "resumes at" in str(caught.value)


def test_the_per_user_meeting_write_cap_raises_daily_limit_at_once(sandbox, client):
    sandbox.config.update(meeting_writes_per_user_per_day=1)
    client.create_meeting("me", MEETING)

    with pytest.raises(ZoomDailyLimit) as caught:
        client.create_meeting("me", MEETING)

    assert "daily rate limit (1)" in str(caught.value)
    assert caught.value.resets_at == next_utc_midnight()
    assert client.request_count == 2


def test_502_and_503_are_retried_until_zoom_answers(sandbox, client):
    sandbox.config.script_fault(ScriptedFault("502"))
    sandbox.config.script_fault(ScriptedFault("503"))

    assert client.get_me()["id"]
    assert client.request_count == 3


def test_server_errors_beyond_the_retry_bound_raise_unavailable(sandbox, client):
    sandbox.config.script_fault(ScriptedFault("503", count=10))

    with pytest.raises(ZoomUnavailable) as caught:
        client.get_user("me")

    assert client.request_count == 4
    assert str(caught.value) == (
        "Zoom was unavailable after 4 attempts, last answer 503: Service Unavailable"
        " [GET /users/me]"
    )


def test_a_dropped_connection_is_retried(sandbox, client):
    sandbox.config.script_fault(ScriptedFault("drop"))

    assert client.get_me()["id"]
    assert client.request_count == 2


def test_connections_dropped_beyond_the_retry_bound_raise_unavailable(sandbox, client):
    sandbox.config.script_fault(ScriptedFault("drop", count=10))

    with pytest.raises(ZoomUnavailable) as caught:
        client.get_me()

    assert client.request_count == 4
    assert caught.value.status is None
    assert str(caught.value) == (
        "Zoom could not be reached after 4 attempts: the connection was dropped [GET /users/me]"
    )


def test_a_post_whose_connection_dropped_is_not_sent_twice(sandbox, client):
    sandbox.config.script_fault(ScriptedFault("drop", method="POST"))
    meetings_before = len(sandbox.state.default_account.meetings)

    with pytest.raises(ZoomUnavailable) as caught:
        client.create_meeting("me", MEETING)

    assert client.request_count == 1
    assert "may have acted" in str(caught.value)
    assert len(sandbox.state.default_account.meetings) == meetings_before


def test_a_post_refused_with_503_is_retried(sandbox, client):
    sandbox.config.script_fault(ScriptedFault("503", method="POST"))

    created = client.create_meeting("me", MEETING)

    assert created["topic"] == MEETING["topic"]
    assert client.request_count == 2


def test_a_post_answered_500_is_not_retried(sandbox, client):
    sandbox.config.script_fault(ScriptedFault("500", method="POST"))

    with pytest.raises(ZoomUnavailable):
        client.create_meeting("me", MEETING)

    assert client.request_count == 1


def test_an_unknown_meeting_raises_not_found_with_zooms_code(client):
    with pytest.raises(ZoomNotFound) as caught:
        client.get_meeting(12345678901)

    error = caught.value
    assert (error.status, error.code) == (404, 3001)
    assert str(error) == (
        f"Zoom answered 404 (code 3001): {error.message} [GET /meetings/12345678901]"
    )
    assert "12345678901" in error.message


def test_a_duplicate_email_raises_conflict(sandbox, client):
    owner = sandbox.state.default_account.users[sandbox.state.default_account.owner_id]

    with pytest.raises(ZoomConflict) as caught:
        client.create_user(action="create", user_info={"email": owner["email"], "type": 1})

    assert caught.value.code == 1005


def test_a_validation_failure_keeps_zooms_field_errors(client):
    with pytest.raises(ZoomBadRequest) as caught:
        client.create_user(action="create", user_info={"email": "not an email", "type": 1})

    assert caught.value.code == 300
    assert caught.value.errors
    assert caught.value.errors[0]["field"] in str(caught.value)


def test_raw_request_returns_zooms_answer_without_raising(client):
    answer = client.raw_request("GET", "/meetings/12345678901")

    assert answer.status == 404
    assert answer.body["code"] == 3001
    assert answer.headers["Content-Type"].startswith("application/json")
    assert not answer.ok


def test_raw_request_does_not_retry(sandbox, client):
    sandbox.config.script_fault(ScriptedFault("503"))

    answer = client.raw_request("GET", "/users/me")

    assert answer.status == 503
    assert client.request_count == 1
