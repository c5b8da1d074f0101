"""How meetings, webinars, registrants, recordings and their files read in the admin's lists
and pages: start times on the meeting's own clock and labelled with its time zone, sizes in
MB/GB, Zoom's codes by name, join and play links (``zoomadmin.records.display``). Mixins of
the admins and inlines in ``meetings.admin``; each display names the stored column it shows,
which the list sorts by and the CSV export holds."""

from __future__ import annotations

from typing import Any

from meetings.models import CloudRecording, RecordingFile
from zoomadmin.records.display import (
    file_type_name,
    link,
    local_time,
    recording_meeting_type_name,
    recording_type_name,
    shows,
    size,
)


class ScheduledDisplays:
    """Meetings and webinars."""

    @shows("start_time", description="start time (its time zone)")
    def start(self, obj: Any) -> str:
        return local_time(obj.start_time, obj.timezone)

    @shows("join_url", description="join", sortable=False)
    def join(self, obj: Any) -> str:
        return link(obj.join_url, "Join")


class RegistrantDisplays:
    @shows("join_url", description="join URL", sortable=False)
    def join(self, obj: Any) -> str:
        return link(obj.join_url, obj.join_url)


class RecordingDisplays:
    @shows("type", description="type")
    def kind(self, recording: CloudRecording) -> str:
        return recording_meeting_type_name(recording.type)

    @shows("total_size", description="total size")
    def total_size_readable(self, recording: CloudRecording) -> str:
        return size(recording.total_size)

    @shows("share_url", description="share", sortable=False)
    def share(self, recording: CloudRecording) -> str:
        return link(recording.share_url, "Play in Zoom")


class RecordingFileDisplays:
    @shows("recording_type", description="recording type")
    def recording_type_readable(self, recording_file: RecordingFile) -> str:
        return recording_type_name(recording_file.recording_type)

    @shows("file_type", description="file type")
    def file_type_readable(self, recording_file: RecordingFile) -> str:
        return file_type_name(recording_file.file_type)

    @shows("file_size", description="size")
    def file_size_readable(self, recording_file: RecordingFile) -> str:
        return size(recording_file.file_size)

    @shows("play_url", description="play", sortable=False)
    def play(self, recording_file: RecordingFile) -> str:
        return link(recording_file.play_url, "Play")
