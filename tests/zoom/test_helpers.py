"""Pure helpers of the Zoom client: path encoding, Retry-After, recording windows, error text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from zoomadmin.zoom.client import _parse_retry_after, date_windows, encode_meeting_id
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


def test_date_windows_cover_the_range_in_steps_of_at_most_thirty_days():
    windows = list(date_windows(date(2026, 1, 1), date(2026, 3, 15)))
    assert windows[0] == (date(2026, 1, 1), date(2026, 1, 30))
    assert windows[-1][1] == date(2026, 3, 15)
    for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
        assert start == end + timedelta(days=1)
    assert all((end - start).days < 30 for start, end in windows)


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
