"""Meetings, webinars, registrants, cloud recordings and past webinar participants of the
signed-in staff user's tenants (read-only mirror; actions come with the admin issue)."""

from __future__ import annotations

from django.contrib import admin

from meetings.models import (
    CloudRecording,
    Meeting,
    MeetingRegistrant,
    RecordingFile,
    Webinar,
    WebinarParticipant,
    WebinarRegistrant,
)
from zoomadmin.records.admin import InZoomFilter, ZoomRecordAdmin, ZoomRecordInline

SCHEDULED_FIELDS = [
    "zoom_id",
    "uuid",
    "topic",
    "type",
    "host",
    "host_zoom_id",
    "host_email",
    "start_time",
    "duration",
    "timezone",
    "approval_type",
    "join_url",
    "zoom_created_at",
]
REGISTRANT_FIELDS = ["zoom_id", "email", "first_name", "last_name", "status", "registered_at"]


class MeetingRegistrantInline(ZoomRecordInline):
    model = MeetingRegistrant
    fields = [*REGISTRANT_FIELDS, "deleted_at"]
    readonly_fields = fields


class WebinarRegistrantInline(ZoomRecordInline):
    model = WebinarRegistrant
    fields = [*REGISTRANT_FIELDS, "deleted_at"]
    readonly_fields = fields


class WebinarParticipantInline(ZoomRecordInline):
    model = WebinarParticipant
    fields = ["name", "email", "join_time", "leave_time", "duration", "status"]
    readonly_fields = fields


class RecordingFileInline(ZoomRecordInline):
    model = RecordingFile
    fields = [
        "recording_type",
        "file_type",
        "file_extension",
        "file_size",
        "recording_start",
        "recording_end",
        "play_url",
        "download_url",
        "deleted_at",
    ]
    readonly_fields = fields


@admin.register(Meeting)
class MeetingAdmin(ZoomRecordAdmin):
    list_display = [
        "topic",
        "zoom_id",
        "host_email",
        "type",
        "status",
        "start_time",
        "duration",
        "tenant",
        "in_zoom",
    ]
    list_filter = ["tenant", "type", "status", "host", "start_time", InZoomFilter]
    search_fields = ["topic", "=zoom_id", "host_email", "host_zoom_id"]
    date_hierarchy = "start_time"
    fields = [*SCHEDULED_FIELDS, "status"]
    inlines = [MeetingRegistrantInline]


@admin.register(Webinar)
class WebinarAdmin(ZoomRecordAdmin):
    list_display = [
        "topic",
        "zoom_id",
        "host_email",
        "type",
        "start_time",
        "duration",
        "tenant",
        "in_zoom",
    ]
    list_filter = ["tenant", "type", "host", "start_time", InZoomFilter]
    search_fields = ["topic", "=zoom_id", "host_email", "host_zoom_id"]
    date_hierarchy = "start_time"
    fields = SCHEDULED_FIELDS
    inlines = [WebinarRegistrantInline, WebinarParticipantInline]


class RegistrantAdmin(ZoomRecordAdmin):
    list_filter = ["tenant", "status", InZoomFilter]
    search_fields = ["email", "first_name", "last_name", "=zoom_id"]


@admin.register(MeetingRegistrant)
class MeetingRegistrantAdmin(RegistrantAdmin):
    list_display = ["email", "first_name", "last_name", "status", "meeting", "tenant", "in_zoom"]
    list_select_related = ["tenant", "meeting"]
    fields = ["meeting", *REGISTRANT_FIELDS, "join_url"]


@admin.register(WebinarRegistrant)
class WebinarRegistrantAdmin(RegistrantAdmin):
    list_display = ["email", "first_name", "last_name", "status", "webinar", "tenant", "in_zoom"]
    list_select_related = ["tenant", "webinar"]
    fields = ["webinar", *REGISTRANT_FIELDS, "join_url"]


@admin.register(CloudRecording)
class CloudRecordingAdmin(ZoomRecordAdmin):
    list_display = [
        "topic",
        "meeting_zoom_id",
        "start_time",
        "duration",
        "total_size",
        "recording_count",
        "host",
        "tenant",
        "in_zoom",
    ]
    list_select_related = ["tenant", "host"]
    list_filter = ["tenant", "host", "start_time", InZoomFilter]
    search_fields = ["topic", "=meeting_zoom_id", "=zoom_id"]
    date_hierarchy = "start_time"
    fields = [
        "zoom_id",
        "meeting_zoom_id",
        "meeting",
        "webinar",
        "topic",
        "type",
        "host",
        "host_zoom_id",
        "start_time",
        "duration",
        "total_size",
        "recording_count",
        "share_url",
    ]
    inlines = [RecordingFileInline]


@admin.register(WebinarParticipant)
class WebinarParticipantAdmin(ZoomRecordAdmin):
    list_display = ["name", "email", "webinar", "join_time", "leave_time", "duration", "tenant"]
    list_select_related = ["tenant", "webinar"]
    list_filter = ["tenant", "status", InZoomFilter]
    search_fields = ["name", "email"]
    fields = [
        "webinar",
        "zoom_id",
        "participant_id",
        "name",
        "email",
        "join_time",
        "leave_time",
        "duration",
        "status",
        "internal_user",
    ]
