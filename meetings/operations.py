"""The writes a bulk job can make on meetings' data, and the offboarding of users, which
reaches into it (``zoomadmin.jobs.operations``); and the archiving of recording files, a copy
out of Zoom that writes nothing there (``meetings.archive``)."""

from __future__ import annotations

from typing import Any

from meetings.archive import ArchiveFailed, archive_storage, recording_file_archive
from meetings.models import (
    CloudRecording,
    Meeting,
    MeetingRegistrant,
    RecordingFile,
    Webinar,
    WebinarRegistrant,
)
from meetings.participants import webinar_participants_refresh
from meetings.services import (
    meeting_delete,
    meeting_end,
    meeting_refresh,
    recording_delete,
    recording_file_delete,
    registrant_refresh,
    registrants_set_status,
    user_offboard,
    webinar_delete,
    webinar_refresh,
)
from users.models import ZoomUser
from users.operations import is_privileged
from zoomadmin.jobs.operations import OperationRefused, operation
from zoomadmin.zoom.client import REGISTRANT_STATUS_BATCH

# Recording files copied to the archive at once by one job.
ARCHIVE_CONCURRENCY = 4


@operation(
    "users.offboard", model=ZoomUser, verb="Disassociate or delete", done="Disassociated or deleted"
)
def offboard(
    *,
    tenant: Any,
    client: Any,
    actor: Any,
    record: ZoomUser,
    mode: str,
    transfer_to: int | None = None,
    transfer_meeting: bool = False,
    transfer_webinar: bool = False,
    transfer_recording: bool = False,
) -> str:
    if mode == "disassociate" and is_privileged(record):
        # Users OpenAPI, DELETE /users/{userId}, 400 code 1117: "You can not disassociate an
        # Admin user."
        raise OperationRefused(
            "Zoom does not disassociate the account's owner or admins: Zoom was not asked."
        )
    successor = None
    if transfer_to is not None:
        successor = ZoomUser.objects.get(tenant=tenant, pk=transfer_to, deleted_at=None)
    note, marked = user_offboard(
        tenant=tenant,
        client=client,
        actor=actor,
        user=record,
        action=mode,
        transfer_to=successor,
        transfer_meeting=transfer_meeting,
        transfer_webinar=transfer_webinar,
        transfer_recording=transfer_recording,
    )
    gone = ", ".join(f"{count} {kind}" for kind, count in marked.items() if count)
    handed = f"handed over to {successor}" if successor is not None else ""
    gone = f"deleted with the user: {gone}" if gone else ""
    return "; ".join(part for part in (note, handed, gone) if part)


# --- registrants and recordings ------------------------------------------------------------

# Statuses in which a status action is not asked of Zoom (a day's registrant status changes
# are limited: FACTS.md §5, "registrant status: 10/day same registrant"): the registrant is
# there already, or, for cancel ("Cancel previously approved registrant's registration"), it
# was never approved.
NOT_ASKED = {
    "approve": {"approved": "Already approved: Zoom was not asked."},
    "deny": {"denied": "Already denied: Zoom was not asked."},
    "cancel": {
        "denied": "Already denied or cancelled: Zoom was not asked.",
        "pending": "Pending, never approved: Zoom cancels approved registrations only (deny "
        "it instead). Zoom was not asked.",
    },
}


def _set_status(
    action: str, *, tenant: Any, client: Any, actor: Any, records: list[Any]
) -> dict[int, str]:
    notes = {r.pk: NOT_ASKED[action][r.status] for r in records if r.status in NOT_ASKED[action]}
    asked = [r for r in records if r.pk not in notes]
    notes.update(
        registrants_set_status(
            tenant=tenant, client=client, actor=actor, registrants=asked, action=action
        )
    )
    return notes


def _declare_status_operations(
    prefix: str, model: type[Any], parent: str, verbs: dict[str, tuple[str, str]]
) -> None:
    """One batched operation per status action: up to 30 registrants of one meeting (or
    webinar) in one ``PUT …/registrants/status``."""
    for action, (verb, done) in verbs.items():

        def run(*, action: str = action, **kwargs: Any) -> dict[int, str]:
            return _set_status(action, **kwargs)

        operation(
            f"{prefix}.{action}",
            model=model,
            verb=verb,
            done=done,
            batch_size=REGISTRANT_STATUS_BATCH,
            batch_key=lambda record, parent=parent: getattr(record, f"{parent}_id"),
            select_related=(parent,),
        )(run)


STATUS_VERBS = {
    "approve": ("Approve", "Approved"),
    "deny": ("Deny", "Denied"),
    "cancel": ("Cancel", "Cancelled"),
}
_declare_status_operations("registrants", MeetingRegistrant, "meeting", STATUS_VERBS)
_declare_status_operations("webinar_registrants", WebinarRegistrant, "webinar", STATUS_VERBS)


def _resync(*, tenant: Any, client: Any, actor: Any, record: Any) -> str:
    stored = registrant_refresh(tenant=tenant, client=client, registrant=record)
    return "" if stored is not None else "Zoom no longer has this registrant: marked deleted."


operation(
    "registrants.resync",
    model=MeetingRegistrant,
    verb="Re-sync",
    done="Re-synced",
    select_related=("meeting",),
)(_resync)
operation(
    "webinar_registrants.resync",
    model=WebinarRegistrant,
    verb="Re-sync",
    done="Re-synced",
    select_related=("webinar",),
)(_resync)

# The webhook description of recording.trashed: "Users can recover recordings from the trash
# up to 30 days after deletion."
IN_TRASH = "In Zoom's trash, where it can be recovered for 30 days."


@operation("recordings.delete", model=CloudRecording, verb="Delete", done="Deleted")
def delete_recording(
    *, tenant: Any, client: Any, actor: Any, record: CloudRecording, action: str = "trash"
) -> str:
    note = recording_delete(
        tenant=tenant, client=client, actor=actor, recording=record, action=action
    )
    return note or (IN_TRASH if action == "trash" else "")


@operation(
    "recording_files.delete",
    model=RecordingFile,
    verb="Delete",
    done="Deleted",
    select_related=("recording",),
)
def delete_recording_file(
    *, tenant: Any, client: Any, actor: Any, record: RecordingFile, action: str = "trash"
) -> str:
    note = recording_file_delete(
        tenant=tenant, client=client, actor=actor, recording_file=record, action=action
    )
    return note or (IN_TRASH if action == "trash" else "")


@operation(
    "recording_files.archive",
    model=RecordingFile,
    verb="Archive",
    done="Archived",
    select_related=("recording",),
    # A copy out of Zoom changes nothing there: one a dead worker left half-done is redone.
    repeatable=True,
    # Each holds a download open for as long as its bytes take.
    concurrency=ARCHIVE_CONCURRENCY,
)
def archive_recording_file(*, tenant: Any, client: Any, actor: Any, record: RecordingFile) -> str:
    try:
        return recording_file_archive(
            tenant=tenant, client=client, recording_file=record, storage=archive_storage()
        )
    except ArchiveFailed as failed:
        raise OperationRefused(str(failed)) from None


# --- meetings and webinars ------------------------------------------------------------------


@operation("meetings.delete", model=Meeting, verb="Delete", done="Deleted")
def delete_meeting(
    *,
    tenant: Any,
    client: Any,
    actor: Any,
    record: Meeting,
    schedule_for_reminder: bool = False,
    cancel_meeting_reminder: bool = False,
) -> str:
    if record.type == Meeting.Type.PMI:
        # Meetings OpenAPI, DELETE /meetings/{meetingId}, 400 code 3018: "Not allowed to delete
        # PMI."
        raise OperationRefused("Zoom does not delete a personal meeting ID: Zoom was not asked.")
    return meeting_delete(
        tenant=tenant,
        client=client,
        actor=actor,
        meeting=record,
        schedule_for_reminder=schedule_for_reminder,
        cancel_meeting_reminder=cancel_meeting_reminder,
    )


@operation("meetings.end", model=Meeting, verb="End", done="Ended")
def end_meeting(*, tenant: Any, client: Any, actor: Any, record: Meeting) -> str:
    stored = meeting_end(tenant=tenant, client=client, actor=actor, meeting=record)
    return "" if stored.status != Meeting.Status.STARTED else "Zoom still shows it as started."


@operation("meetings.resync", model=Meeting, verb="Re-sync", done="Re-synced")
def resync_meeting(*, tenant: Any, client: Any, actor: Any, record: Meeting) -> str:
    return _resynced(meeting_refresh(tenant=tenant, client=client, meeting=record))


@operation("webinars.delete", model=Webinar, verb="Delete", done="Deleted")
def delete_webinar(
    *,
    tenant: Any,
    client: Any,
    actor: Any,
    record: Webinar,
    cancel_webinar_reminder: bool = False,
) -> str:
    return webinar_delete(
        tenant=tenant,
        client=client,
        actor=actor,
        webinar=record,
        cancel_webinar_reminder=cancel_webinar_reminder,
    )


@operation("webinars.resync", model=Webinar, verb="Re-sync", done="Re-synced")
def resync_webinar(*, tenant: Any, client: Any, actor: Any, record: Webinar) -> str:
    return _resynced(webinar_refresh(tenant=tenant, client=client, webinar=record))


@operation(
    "webinars.resync_participants",
    model=Webinar,
    verb="Re-sync participants of",
    done="Re-synced participants of",
)
def resync_webinar_participants(*, tenant: Any, client: Any, actor: Any, record: Webinar) -> str:
    # A read: who attended each ended instance, asked again (nothing is written in Zoom).
    return webinar_participants_refresh(tenant=tenant, client=client, webinar=record)


def _resynced(stored: Meeting | Webinar | None) -> str:
    if stored is None:
        return "Zoom no longer has it: marked deleted."
    if stored.expired:
        return "Zoom no longer lists it: it expired, and is kept."
    return ""
