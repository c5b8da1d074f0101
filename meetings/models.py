"""Meetings, webinars, their registrants, cloud recordings and past webinar participants.

Mirrored from Zoom's Meetings API (``GET /meetings/{meetingId}``, ``GET /webinars/{webinarId}``,
``GET /meetings|webinars/{id}/registrants``, ``GET /users/{userId}/recordings``,
``GET /past_webinars/{webinarId}/participants``). Keys, per tenant:

- meeting and webinar: Zoom's numeric id (64-bit: "Meeting IDs can be more than 10 digits");
  the ``uuid`` of the instance Zoom last showed is kept beside it;
- registrant: Zoom's registrant id within its meeting or webinar;
- cloud recording: the UUID of the recorded instance (one meeting id has many instances);
- recording file: Zoom's file id within its recording;
- webinar participant: Zoom lists one entry per join, so a person who rejoined appears
  several times: the key is the join's participant id and join time (see
  ``meetings.mapping.participant_key``).

The host is kept as Zoom's user id (``host_zoom_id``) and, when that user is mirrored too, as a
foreign key (resolved by the services; a meeting may arrive before its host).
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from zoomadmin.records.models import ZoomRecord

# The text columns each list searches (the admins' search_fields), which the indexes in the
# lists' order hold.
SCHEDULED_SEARCHED = ["topic", "host_email", "host_zoom_id"]
REGISTRANT_SEARCHED = ["first_name", "last_name", "zoom_id"]
RECORDING_SEARCHED = ["topic", "meeting_zoom_id", "zoom_id"]


class ApprovalType(models.IntegerChoices):
    AUTOMATIC = 0, "Registration, approved automatically"
    MANUAL = 1, "Registration, approved manually"
    NONE = 2, "No registration"


class BaseMeeting(ZoomRecord):
    """What meetings and webinars share."""

    zoom_id = models.BigIntegerField("Zoom ID", editable=False)
    uuid = models.CharField("UUID", max_length=200, blank=True)
    host_zoom_id = models.CharField("host's Zoom user ID", max_length=200, blank=True)
    host_email = models.CharField(max_length=254, blank=True)
    topic = models.TextField(blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField("duration (minutes)", null=True, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    join_url = models.TextField("join URL", blank=True)
    # settings.approval_type: only "Get a meeting/webinar" carries settings.
    approval_type = models.PositiveSmallIntegerField(
        "registration", choices=ApprovalType.choices, null=True, blank=True
    )
    zoom_created_at = models.DateTimeField("created in Zoom", null=True, blank=True)
    # Zoom lists only unexpired meetings and webinars (30 days after a one-off's time, 365 days
    # after a recurring one last started); one that left the listing but still answers "Get a
    # meeting" expired, and is kept. Its listing no longer judges it.
    expired = models.BooleanField(
        default=False, help_text="Zoom no longer lists it: it expired, and still exists in Zoom."
    )

    class Meta:
        abstract = True
        ordering = ["-start_time", "-zoom_id"]

    def __str__(self) -> str:
        return f"{self.topic or 'Untitled'} ({self.zoom_id})"

    @property
    def has_registration(self) -> bool:
        return self.approval_type in (ApprovalType.AUTOMATIC, ApprovalType.MANUAL)


class Meeting(BaseMeeting):
    class Type(models.IntegerChoices):
        INSTANT = 1, "Instant"
        SCHEDULED = 2, "Scheduled"
        RECURRING_NO_FIXED_TIME = 3, "Recurring, no fixed time"
        PMI = 4, "Personal meeting ID"
        RECURRING_FIXED_TIME = 8, "Recurring, fixed time"
        SCREEN_SHARE_ONLY = 10, "Screen share only"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        STARTED = "started", "Started"

    host = models.ForeignKey(
        "users.ZoomUser",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hosted_meetings",
    )
    type = models.PositiveSmallIntegerField(choices=Type.choices, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, blank=True)

    class Meta(BaseMeeting.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "zoom_id"], name="meetings_meeting_unique_key"
            )
        ]
        indexes = [
            # The list's order (start time, Zoom id, then Django's "-pk" tie-break), with and
            # without the tenant first, holding the searched columns: a page, a count and a
            # search read the index alone (on PostgreSQL; SQLite has no INCLUDE, W040).
            # Zoom's id alone for a superuser's search by id.
            models.Index(
                fields=["tenant", "-start_time", "-zoom_id", "-id"],
                name="meeting_tenant_list",
                include=SCHEDULED_SEARCHED,
            ),
            models.Index(
                fields=["-start_time", "-zoom_id", "-id"],
                name="meeting_list",
                include=["tenant", *SCHEDULED_SEARCHED],
            ),
            models.Index(fields=["zoom_id"], name="meeting_zoom_id"),
            models.Index(fields=["tenant", "host_zoom_id"], name="meeting_tenant_host"),
            models.Index(fields=["tenant", "type"], name="meeting_tenant_type"),
            models.Index(fields=["tenant", "status"], name="meeting_tenant_status"),
        ]


class Webinar(BaseMeeting):
    class Type(models.IntegerChoices):
        WEBINAR = 5, "Webinar"
        RECURRING_NO_FIXED_TIME = 6, "Recurring, no fixed time"
        RECURRING_FIXED_TIME = 9, "Recurring, fixed time"

    sync_fields: ClassVar[tuple[str, ...]] = ("participants_synced_at",)

    host = models.ForeignKey(
        "users.ZoomUser",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hosted_webinars",
    )
    type = models.PositiveSmallIntegerField(choices=Type.choices, null=True, blank=True)
    #: The participants of every instance of this webinar that started up to this time are
    #: stored (``meetings.participants``): a past instance's participants do not change, so
    #: the sync does not ask for them again. Null: none asked for yet.
    participants_synced_at = models.DateTimeField(
        "participants stored up to", null=True, blank=True, editable=False
    )

    class Meta(BaseMeeting.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "zoom_id"], name="meetings_webinar_unique_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["tenant", "-start_time", "-zoom_id", "-id"],
                name="webinar_tenant_list",
                include=SCHEDULED_SEARCHED,
            ),
            models.Index(
                fields=["-start_time", "-zoom_id", "-id"],
                name="webinar_list",
                include=["tenant", *SCHEDULED_SEARCHED],
            ),
            models.Index(fields=["zoom_id"], name="webinar_zoom_id"),
            models.Index(fields=["tenant", "host_zoom_id"], name="webinar_tenant_host"),
            models.Index(fields=["tenant", "type"], name="webinar_tenant_type"),
        ]


class BaseRegistrant(ZoomRecord):
    class Status(models.TextChoices):
        APPROVED = "approved", "Approved"
        PENDING = "pending", "Pending"
        DENIED = "denied", "Denied"

    zoom_id = models.CharField("registrant ID", max_length=200, editable=False)
    email = models.CharField(max_length=254, blank=True)
    first_name = models.TextField(blank=True)
    last_name = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    join_url = models.TextField("join URL", blank=True)

    class Meta:
        abstract = True
        ordering = ["-registered_at", "email"]

    def __str__(self) -> str:
        name = " ".join(filter(None, [self.first_name, self.last_name]))
        return f"{name} <{self.email}>" if name else self.email or self.zoom_id


class MeetingRegistrant(BaseRegistrant):
    zoom_key: ClassVar[tuple[str, ...]] = ("meeting", "zoom_id")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="registrants", editable=False
    )

    class Meta(BaseRegistrant.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "meeting", "zoom_id"], name="meetings_mregistrant_unique_key"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "status"], name="mregistrant_tenant_status"),
            models.Index(
                fields=["tenant", "-registered_at", "email", "-id"],
                name="mregistrant_tenant_list",
                include=REGISTRANT_SEARCHED,
            ),
            models.Index(
                fields=["-registered_at", "email", "-id"],
                name="mregistrant_list",
                include=["tenant", *REGISTRANT_SEARCHED],
            ),
            models.Index(fields=["tenant", "email"], name="mregistrant_tenant_email"),
            # The search's "=zoom_id", of one tenant or of all (the unique key leads with the
            # meeting, not the id).
            models.Index(fields=["zoom_id"], name="mregistrant_zoom_id"),
        ]


class WebinarRegistrant(BaseRegistrant):
    zoom_key: ClassVar[tuple[str, ...]] = ("webinar", "zoom_id")

    webinar = models.ForeignKey(
        Webinar, on_delete=models.CASCADE, related_name="registrants", editable=False
    )

    class Meta(BaseRegistrant.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "webinar", "zoom_id"], name="meetings_wregistrant_unique_key"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "status"], name="wregistrant_tenant_status"),
            models.Index(
                fields=["tenant", "-registered_at", "email", "-id"],
                name="wregistrant_tenant_list",
                include=REGISTRANT_SEARCHED,
            ),
            models.Index(
                fields=["-registered_at", "email", "-id"],
                name="wregistrant_list",
                include=["tenant", *REGISTRANT_SEARCHED],
            ),
            models.Index(fields=["tenant", "email"], name="wregistrant_tenant_email"),
            # The search's "=zoom_id", of one tenant or of all (the unique key leads with the
            # meeting, not the id).
            models.Index(fields=["zoom_id"], name="wregistrant_zoom_id"),
        ]


def _in_trash(record: CloudRecording | RecordingFile) -> bool:
    deleted, trashed = record.deleted_at, record.trashed_at
    return deleted is not None and trashed is not None and trashed >= deleted


class CloudRecording(ZoomRecord):
    """The cloud recording of one meeting or webinar instance."""

    sync_fields: ClassVar[tuple[str, ...]] = ("trashed_at",)

    zoom_id = models.CharField("instance UUID", max_length=200, editable=False)
    meeting_zoom_id = models.BigIntegerField("meeting or webinar ID", null=True, blank=True)
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recordings",
    )
    webinar = models.ForeignKey(
        Webinar,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recordings",
    )
    host_zoom_id = models.CharField("host's Zoom user ID", max_length=200, blank=True)
    host = models.ForeignKey(
        "users.ZoomUser",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cloud_recordings",
    )
    topic = models.TextField(blank=True)
    # Zoom's meeting/webinar type of the recorded instance, as Zoom writes it here: "1" … "99".
    type = models.CharField(max_length=8, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField("duration (minutes)", null=True, blank=True)
    total_size = models.BigIntegerField("total size (bytes)", null=True, blank=True)
    recording_count = models.PositiveIntegerField("files", null=True, blank=True)
    share_url = models.TextField("share URL", blank=True)
    #: When it was moved to Zoom's trash (``recording.trashed``, or a delete with
    #: ``action=trash`` from here), recoverable for 30 days; cleared by a permanent delete.
    #: Zoom listing it again clears ``deleted_at`` (recovered); a later deletion sets a newer
    #: ``deleted_at``, so ``in_trash`` holds only while the trashing is the latest deletion.
    trashed_at = models.DateTimeField("moved to Zoom's trash", null=True, blank=True)

    @property
    def in_trash(self) -> bool:
        return _in_trash(self)

    class Meta:
        ordering = ["-start_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "zoom_id"], name="meetings_recording_unique_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["tenant", "-start_time", "-id"],
                name="recording_tenant_list",
                include=RECORDING_SEARCHED,
            ),
            models.Index(
                fields=["-start_time", "-id"],
                name="recording_list",
                include=["tenant", *RECORDING_SEARCHED],
            ),
            models.Index(fields=["meeting_zoom_id"], name="recording_meeting_zoom_id"),
            models.Index(fields=["tenant", "host_zoom_id"], name="recording_tenant_host"),
            models.Index(fields=["tenant", "meeting_zoom_id"], name="recording_tenant_meeting"),
            # The search's "=zoom_id" (of recordings, and of files by their recording's).
            models.Index(fields=["zoom_id"], name="recording_zoom_id"),
        ]

    def __str__(self) -> str:
        return f"{self.topic or 'Untitled'} ({self.start_time or self.zoom_id})"


class RecordingFile(ZoomRecord):
    zoom_key: ClassVar[tuple[str, ...]] = ("recording", "zoom_id")
    sync_fields: ClassVar[tuple[str, ...]] = (
        "trashed_at",
        "archive_name",
        "archive_size",
        "archived_at",
    )

    recording = models.ForeignKey(
        CloudRecording, on_delete=models.CASCADE, related_name="files", editable=False
    )
    zoom_id = models.CharField("file ID", max_length=200, editable=False)
    recording_type = models.CharField(max_length=64, blank=True)
    file_type = models.CharField(max_length=32, blank=True)
    file_extension = models.CharField(max_length=16, blank=True)
    file_name = models.TextField(blank=True)
    file_size = models.BigIntegerField("size (bytes)", null=True, blank=True)
    status = models.CharField(max_length=32, blank=True)
    recording_start = models.DateTimeField(null=True, blank=True)
    recording_end = models.DateTimeField(null=True, blank=True)
    play_url = models.TextField("play URL", blank=True)
    download_url = models.TextField("download URL", blank=True)
    #: As ``CloudRecording.trashed_at``, for one file.
    trashed_at = models.DateTimeField("moved to Zoom's trash", null=True, blank=True)
    #: Where the file was archived to the configured Django storage (its name there), its size
    #: as stored, and when; blank until archived.
    archive_name = models.CharField("archived as", max_length=500, blank=True)
    archive_size = models.BigIntegerField("archived size (bytes)", null=True, blank=True)
    archived_at = models.DateTimeField("archived", null=True, blank=True)

    @property
    def in_trash(self) -> bool:
        return _in_trash(self)

    class Meta:
        ordering = ["recording_start", "file_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "recording", "zoom_id"], name="meetings_recfile_unique_key"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "file_type"], name="recfile_tenant_type"),
            models.Index(
                fields=["tenant", "recording_start", "file_type", "-id"], name="recfile_tenant_list"
            ),
            models.Index(
                fields=["recording_start", "file_type", "-id"],
                name="recfile_list",
                include=["tenant"],
            ),
            models.Index(fields=["zoom_id"], name="recfile_zoom_id"),  # the search's "=zoom_id"
        ]

    def __str__(self) -> str:
        return f"{self.recording_type or self.file_type} ({self.file_extension or self.zoom_id})"


class WebinarParticipant(ZoomRecord):
    """One join of a past webinar (``GET /past_webinars/{webinarId}/participants``)."""

    zoom_key: ClassVar[tuple[str, ...]] = ("webinar", "zoom_id")

    webinar = models.ForeignKey(
        Webinar, on_delete=models.CASCADE, related_name="participants", editable=False
    )
    zoom_id = models.CharField("join key", max_length=300, editable=False)
    participant_id = models.CharField("participant's Zoom ID", max_length=200, blank=True)
    name = models.TextField(blank=True)
    email = models.CharField(max_length=254, blank=True)
    join_time = models.DateTimeField(null=True, blank=True)
    leave_time = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField("duration (seconds)", null=True, blank=True)
    status = models.CharField(max_length=32, blank=True)
    internal_user = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["join_time", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "webinar", "zoom_id"], name="meetings_participant_unique_key"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "email"], name="participant_tenant_email"),
            models.Index(
                fields=["tenant", "join_time", "name", "-id"],
                name="participant_tenant_list",
                include=["email"],
            ),
            models.Index(
                fields=["join_time", "name", "-id"],
                name="participant_list",
                include=["tenant", "email"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.email or self.participant_id} ({self.join_time})"
