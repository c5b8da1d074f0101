"""Pure helpers of the Zoom client: path encoding, Retry-After, recording windows, error text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from zoomadmin.zoom.client import _parse_retry_after, encode_meeting_id, month_windows
from zoomadmin.zoom.errors import ZoomBadRequest, ZoomNotFound


def test_meeting_uuid_with_leading_or_double_slash_is_double_encoded():
    assert encode_meeting_id("/ajXp112QmuoKj4854875==") == "%252FajXp112QmuoKj4854875%253D%253D"
    assert encode_meeting_id("ab//cd==") == "ab%252F%252Fcd%253D%253D"


def test_other_meeting_ids_are_encoded_once():
    assert encode_meeting_id("aB+c/d==") == "aB%2Bc%2Fd%3D%3D"
    assert encode_meeting_id(85746065432) == "85746065432"
    assert encode_meeting_id("85746065432") == "85746065432"


def test_retry_after_is_read_as_seconds_or_as_a_datetime():
    seconds, moment = _parse_retry_after("2")
    assert seconds == 2.0 and moment is not None
    later = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    seconds, moment = _parse_retry_after(later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert moment == later
    assert 3 * 3600 - 60 < seconds <= 3 * 3600
    assert _parse_retry_after("not a date") == (None, None)
    assert _parse_retry_after(None) == (None, None)


def test_a_retry_after_that_is_no_usable_number_gives_no_delay_instead_of_crashing():
    assert _parse_retry_after("nan") == (None, None)
    assert _parse_retry_after("inf") == (None, None)
    assert _parse_retry_after("1e400") == (None, None)
    seconds, moment = _parse_retry_after("1e15")
    assert seconds == 1e15 and moment is None


@pytest.mark.parametrize(
    "end", [date(2026, 3, 15), date(2026, 3, 31), date(2026, 12, 31), date(2028, 2, 29)]
)
def test_month_windows_are_contiguous_and_never_longer_than_one_month(end):
    # Users API, GET /users/{userId}/recordings: "The date range must be within 1 month".
    windows = month_windows(end, 6)
    assert len(windows) == 6
    assert windows[-1][1] == end
    for (_, previous_end), (start, _) in zip(windows, windows[1:], strict=False):
        assert start == previous_end + timedelta(days=1)
    for start, stop in windows:
        # Shorter than one calendar month: it ends before the same day of the next month.
        assert (stop - start).days <= 30
        assert stop.month == start.month or stop.day < start.day


def test_error_text_reads_well_for_an_admin():
    error = ZoomNotFound(
        "Meeting does not exist: 123", status=404, code=3001, method="GET", path="/meetings/123"
    )
    assert (
        str(error)
        == "Zoom answered 404 (code 3001): Meeting does not exist: 123 [GET /meetings/123]"
    )
    invalid = ZoomBadRequest(
        "Validation Failed.",
        status=400,
        code=300,
        method="POST",
        path="/users",
        errors=[{"field": "user_info.email", "message": "Invalid field."}],
    )
    assert "user_info.email: Invalid field." in str(invalid)
    assert invalid.errors == [{"field": "user_info.email", "message": "Invalid field."}]
