"""Which lists a record's page links to: a user's meetings, webinars, cloud recordings and
registrations; a meeting's registrants and recordings; a webinar's registrants, participants
and recordings. Each is the changelist of the related kind filtered by the record (its
filters' own parameters), counted by the query that reads the record
(``zoomadmin.records.display``).

Registrants are people who registered with an e-mail address, not Zoom users: a user's
registrations are the registrants of the user's tenant with the user's address (matched
exactly, which the tenant's e-mail index serves).
"""

from __future__ import annotations

from meetings.models import (
    CloudRecording,
    Meeting,
    MeetingRegistrant,
    RecordingFile,
    Webinar,
    WebinarParticipant,
    WebinarRegistrant,
)
from zoomadmin.records.display import RelatedList


def _of(relation: str) -> dict[str, str]:
    return {"tenant__id__exact": "tenant_id", f"{relation}__id__exact": "pk"}


_BY_EMAIL = {"tenant__id__exact": "tenant_id", "email__exact": "email"}

USER_RELATED = [
    RelatedList("meetings", Meeting, _of("host")),
    RelatedList("webinars", Webinar, _of("host")),
    RelatedList("cloud recordings", CloudRecording, _of("host")),
    RelatedList("meeting registrations", MeetingRegistrant, _BY_EMAIL),
    RelatedList("webinar registrations", WebinarRegistrant, _BY_EMAIL),
]
MEETING_RELATED = [
    RelatedList("registrants", MeetingRegistrant, _of("meeting")),
    RelatedList("cloud recordings", CloudRecording, _of("meeting")),
]
WEBINAR_RELATED = [
    RelatedList("registrants", WebinarRegistrant, _of("webinar")),
    RelatedList("participants", WebinarParticipant, _of("webinar")),
    RelatedList("cloud recordings", CloudRecording, _of("webinar")),
]
RECORDING_RELATED = [RelatedList("files", RecordingFile, _of("recording"))]
