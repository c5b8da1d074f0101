"""The user writes a bulk job can make (``zoomadmin.jobs.operations``): each is one user's
write through ``users.services``, parameters as plain JSON values."""

from __future__ import annotations

from typing import Any

from users.models import ZoomUser
from users.services import user_refresh, user_status_set, user_update
from zoomadmin.jobs.operations import operation


@operation("users.activate", model=ZoomUser, verb="Activate", done="Activated")
def activate(*, tenant: Any, client: Any, actor: Any, record: ZoomUser) -> None:
    user_status_set(tenant=tenant, client=client, actor=actor, user=record, action="activate")


@operation("users.deactivate", model=ZoomUser, verb="Deactivate", done="Deactivated")
def deactivate(*, tenant: Any, client: Any, actor: Any, record: ZoomUser) -> None:
    user_status_set(tenant=tenant, client=client, actor=actor, user=record, action="deactivate")


@operation(
    "users.change_type",
    model=ZoomUser,
    verb="Change the license type of",
    done="Changed the license type of",
)
def change_type(*, tenant: Any, client: Any, actor: Any, record: ZoomUser, type: int) -> str:
    if record.type == type:
        return "Already of that type: Zoom was not asked."
    user_update(tenant=tenant, client=client, actor=actor, user=record, changes={"type": type})
    return ""


@operation("users.resync", model=ZoomUser, verb="Re-sync", done="Re-synced")
def resync(*, tenant: Any, client: Any, actor: Any, record: ZoomUser) -> str:
    stored = user_refresh(tenant=tenant, client=client, user=record)
    return "" if stored is not None else "Zoom no longer has this user: marked deleted."
