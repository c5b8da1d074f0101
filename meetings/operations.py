"""The writes a bulk job can make on meetings' data, and the offboarding of users, which
reaches into it (``zoomadmin.jobs.operations``)."""

from __future__ import annotations

from typing import Any

from meetings.services import user_offboard
from users.models import ZoomUser
from zoomadmin.jobs.operations import operation


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
