"""Zoom's Meetings-API JSON → model fields of ``meetings.models``. Pure: no I/O, no ORM.

One function per object kind, each reading the object as "get", list and webhook payloads carry
it; a field is in the result only when its key is in the payload (``zoomadmin.records.payloads``).
Enumerations keep Zoom's values. Foreign keys (host, parent meeting/webinar/recording) are
resolved by ``meetings.services``, not here.

Not stored: ``start_url`` (starts the meeting as its host: a credential for two hours, and a
new value on every fetch) and a recording's ``download_access_token`` (a JWT, new on every
fetch).
"""

from __future__ import annotations

from typing import Any

from zoomadmin.records.payloads import boolean, integer, present, text, timestamp, without

UNSTORED_MEETING_KEYS = ("start_url",)
UNSTORED_RECORDING_KEYS = ("download_access_token",)


def zoom_meeting_to_fields(data: dict[str, Any]) -> dict[str, Any]:
    return present(**_scheduled_fields(data), status=text(data, "status"))


def zoom_webinar_to_fields(data: dict[str, Any]) -> dict[str, Any]:
    return present(**_scheduled_fields(data))


def _scheduled_fields(data: dict[str, Any]) -> dict[str, Any]:
    return dict(
        zoom_id=_required_int(data, "id"),
        uuid=text(data, "uuid"),
        host_zoom_id=text(data, "host_id"),
        host_email=text(data, "host_email"),
        topic=text(data, "topic"),
        type=integer(data, "type"),
        start_time=timestamp(data, "start_time"),
        duration=integer(data, "duration"),
        timezone=text(data, "timezone"),
        join_url=text(data, "join_url"),
        approval_type=integer(data, "settings", "approval_type"),
        zoom_created_at=timestamp(data, "created_at"),
        zoom_data=without(data, *UNSTORED_MEETING_KEYS),
    )


def zoom_registrant_to_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A meeting or webinar registrant (the parent's foreign key is the caller's)."""
    return present(
        zoom_id=_required_text(data, "id"),
        email=text(data, "email"),
        first_name=text(data, "first_name"),
        last_name=text(data, "last_name"),
        status=text(data, "status"),
        registered_at=timestamp(data, "create_time"),
        join_url=text(data, "join_url"),
        zoom_data=dict(data),
    )


def zoom_recording_to_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A recorded instance (an item of ``GET /users/{userId}/recordings`` or the body of
    ``GET /meetings/{meetingId}/recordings``); its files are mapped one by one."""
    return present(
        zoom_id=_required_text(data, "uuid"),
        meeting_zoom_id=integer(data, "id"),
        host_zoom_id=text(data, "host_id"),
        topic=text(data, "topic"),
        type=text(data, "type"),
        start_time=timestamp(data, "start_time"),
        duration=integer(data, "duration"),
        total_size=integer(data, "total_size"),
        recording_count=integer(data, "recording_count"),
        share_url=text(data, "share_url"),
        zoom_data=without(data, *UNSTORED_RECORDING_KEYS),
    )


def recording_files(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A recording's files: ``recording_files`` and, when Zoom records one audio file per
    participant, ``participant_audio_files``."""
    return [
        *(data.get("recording_files") or []),
        *(data.get("participant_audio_files") or []),
    ]


def recording_file_key(data: dict[str, Any]) -> str:
    """Zoom's file id; some files (a timeline, files of a recording still in progress) come
    without one, and are then keyed by what tells them apart within their recording."""
    if data.get("id"):
        return str(data["id"])
    parts = (data.get(name) or "" for name in ("file_type", "recording_type", "recording_start"))
    return "~" + ":".join(str(part) for part in parts)


def zoom_recording_file_to_fields(data: dict[str, Any]) -> dict[str, Any]:
    return present(
        zoom_id=recording_file_key(data),
        recording_type=text(data, "recording_type"),
        file_type=text(data, "file_type"),
        file_extension=text(data, "file_extension"),
        file_name=text(data, "file_name"),
        file_size=integer(data, "file_size"),
        status=text(data, "status"),
        recording_start=timestamp(data, "recording_start"),
        recording_end=timestamp(data, "recording_end"),
        play_url=text(data, "play_url"),
        download_url=text(data, "download_url"),
        zoom_data=dict(data),
    )


def participant_key(data: dict[str, Any]) -> str:
    """One join of a past webinar: who (the join's ``user_id``, else the participant's ``id``,
    email or name) and when (``join_time``). Zoom lists a rejoin as another entry, and an
    entry has no id of its own."""
    who = next(
        (data[name] for name in ("user_id", "id", "user_email", "name") if data.get(name)), ""
    )
    return f"{who}@{data.get('join_time') or ''}"


def zoom_participant_to_fields(data: dict[str, Any]) -> dict[str, Any]:
    return present(
        zoom_id=participant_key(data),
        participant_id=text(data, "id"),
        name=text(data, "name"),
        email=text(data, "user_email"),
        join_time=timestamp(data, "join_time"),
        leave_time=timestamp(data, "leave_time"),
        duration=integer(data, "duration"),
        status=text(data, "status"),
        internal_user=boolean(data, "internal_user"),
        zoom_data=dict(data),
    )


def _required_int(data: dict[str, Any], key: str) -> int:
    try:
        return int(data[key])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"a Zoom payload without a numeric {key!r}") from None


def _required_text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not value:
        raise ValueError(f"a Zoom payload without {key!r}")
    return str(value)
