"""A meeting's live view: its invitation, as Zoom writes it, fetched when the page opens.

"Get meeting invitation" (Meetings API, ``GET /meetings/{meetingId}/invitation``, scope
``meeting:read:invitation:admin``, Light) answers ``{"invitation": <text>, "sip_links": [...]}``;
"Host user must have a Zoom Meetings Basic license or higher", else 400 code 3161. Nothing is
stored (``zoomadmin.records.live``).
"""

from __future__ import annotations

from dataclasses import dataclass

from meetings.models import Meeting
from zoomadmin.zoom.client import ZoomClient

INVITATION_SCOPE = "meeting:read:invitation:admin"
INVITATION_HINTS = {
    3001: "Zoom no longer has this meeting: re-sync it to see it marked deleted.",
    3161: "Zoom gives invitations only of meetings whose host may host meetings (a Zoom "
    "Meetings Basic licence or higher).",
}


@dataclass(frozen=True)
class Invitation:
    text: str
    sip_links: list[str]


def meeting_invitation_fetch(*, client: ZoomClient, meeting: Meeting) -> Invitation:
    answer = client.get_meeting_invitation(meeting.zoom_id) or {}
    links = answer.get("sip_links") or []
    return Invitation(text=str(answer.get("invitation") or ""), sip_links=[str(s) for s in links])
