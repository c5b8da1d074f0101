"""Reading values out of Zoom's JSON, for the pure ``<app>/mapping.py`` modules.

Zoom's responses are uneven: a list item carries fewer fields than a "get" of the same object,
a webhook's ``updated`` event only the fields that changed, and values may be ``null``. So a
reader returns ``ABSENT`` when the key is not in the payload at all, and ``present(...)`` drops
those fields: a mapped dict says what the payload says and nothing more, which lets an upsert
tell "Zoom did not send it" (keep the stored value, when partial) from "Zoom sent it empty".

Timestamps are ISO 8601 (``2022-03-25T07:29:29Z``, fractions allowed); one without an offset
is read as UTC, the time zone Zoom's API documents for ``start_time`` and friends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from django.utils.dateparse import parse_datetime


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent()


def present(**fields: Any) -> dict[str, Any]:
    """The fields whose value was in the payload."""
    return {name: value for name, value in fields.items() if value is not ABSENT}


def lookup(data: dict[str, Any], *path: str) -> Any:
    """``data[path[0]][path[1]]…``, or ``ABSENT`` when a step is missing or not an object."""
    value: Any = data
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return ABSENT
        value = value[key]
    return value


def text(data: dict[str, Any], *path: str) -> str | _Absent:
    value = lookup(data, *path)
    if value is ABSENT:
        return ABSENT
    return "" if value is None else str(value)


def integer(data: dict[str, Any], *path: str) -> int | None | _Absent:
    value = lookup(data, *path)
    if value is ABSENT or value is None:
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def boolean(data: dict[str, Any], *path: str) -> bool | None | _Absent:
    value = lookup(data, *path)
    if value is ABSENT or value is None:
        return value
    return bool(value)


def timestamp(data: dict[str, Any], *path: str) -> datetime | None | _Absent:
    value = lookup(data, *path)
    if value is ABSENT:
        return ABSENT
    return parse_timestamp(value)


def parse_timestamp(value: Any) -> datetime | None:
    """An aware datetime from Zoom's ISO 8601 text; None when empty or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def first(*values: Any) -> Any:
    """The first value that is in the payload (``ABSENT`` when none is)."""
    for value in values:
        if value is not ABSENT:
            return value
    return ABSENT


def without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``data`` minus top-level ``keys`` (volatile credentials that must not be stored)."""
    return {key: value for key, value in data.items() if key not in keys}
