"""The user writes a bulk job can make (``zoomadmin.jobs.operations``): each is one user's
write through ``users.services``, parameters as plain JSON values; creating the users of a CSV
import works on the file's rows."""

from __future__ import annotations

from typing import Any

from users.models import ZoomUser
from users.services import (
    UserCreatedIncompletely,
    user_create,
    user_refresh,
    user_status_set,
    user_update,
)
from zoomadmin.jobs.operations import OperationRefused, operation
from zoomadmin.tenants.crypto import decrypt

# Zoom's roles "Owner" and "Admin" (role ids 0 and 1, or named so).
PRIVILEGED_ROLE_IDS = ("0", "1")
PRIVILEGED_ROLE_NAMES = ("Owner", "Admin")


def _refuse_pending(user: ZoomUser, what: str) -> None:
    if user.status == ZoomUser.Status.PENDING:
        raise OperationRefused(
            f"A pending user (invited, not yet joined) cannot be {what}: Zoom was not asked."
        )


def is_privileged(user: ZoomUser) -> bool:
    """The account's owner or an admin (Zoom refuses them some changes)."""
    return user.role_id in PRIVILEGED_ROLE_IDS or user.role_name in PRIVILEGED_ROLE_NAMES


def _set_status(tenant: Any, client: Any, actor: Any, user: ZoomUser, action: str) -> str:
    _refuse_pending(user, f"{action}d")
    if is_privileged(user):
        # Users OpenAPI, PUT /users/{userId}/status, 400 code 200: "Zoom Room and Admin
        # users' status cannot be activated or deactivated."
        raise OperationRefused(
            f"Zoom does not {action} the account's owner or admins: Zoom was not asked."
        )
    wanted = ZoomUser.Status.ACTIVE if action == "activate" else ZoomUser.Status.INACTIVE
    if user.status == wanted:
        return f"Already {wanted.label.lower()} here: Zoom was not asked (re-sync to check)."
    user_status_set(tenant=tenant, client=client, actor=actor, user=user, action=action)
    return ""


@operation("users.activate", model=ZoomUser, verb="Activate", done="Activated")
def activate(*, tenant: Any, client: Any, actor: Any, record: ZoomUser) -> str:
    return _set_status(tenant, client, actor, record, "activate")


@operation("users.deactivate", model=ZoomUser, verb="Deactivate", done="Deactivated")
def deactivate(*, tenant: Any, client: Any, actor: Any, record: ZoomUser) -> str:
    return _set_status(tenant, client, actor, record, "deactivate")


@operation(
    "users.change_type",
    model=ZoomUser,
    verb="Change the license type of",
    done="Changed the license type of",
)
def change_type(*, tenant: Any, client: Any, actor: Any, record: ZoomUser, type: int) -> str:
    _refuse_pending(record, "given another license type before joining")
    if record.type == type:
        return "Already of that type: Zoom was not asked."
    user_update(tenant=tenant, client=client, actor=actor, user=record, changes={"type": type})
    return ""


@operation("users.resync", model=ZoomUser, verb="Re-sync", done="Re-synced")
def resync(*, tenant: Any, client: Any, actor: Any, record: ZoomUser) -> str:
    stored = user_refresh(tenant=tenant, client=client, user=record)
    return "" if stored is not None else "Zoom no longer has this user: marked deleted."


@operation(
    "users.import_create",
    model=ZoomUser,
    rows=True,
    permission="add",
    verb="Create",
    done="Created",
)
def import_create(
    *, tenant: Any, client: Any, actor: Any, row: dict[str, Any], action: str, import_id: str
) -> str:
    """One row of a CSV import (``users.imports``): ``row`` holds what the add form would send,
    the password encrypted; ``import_id`` names the upload (a second confirmation of it finds
    its job)."""
    user_info = dict(row["user_info"])
    if user_info.get("password"):
        user_info["password"] = decrypt(user_info["password"])
    try:
        user = user_create(
            tenant=tenant,
            client=client,
            actor=actor,
            action=action,
            user_info=user_info,
            changes=row.get("changes") or None,
        )
    except UserCreatedIncompletely as incomplete:
        return str(incomplete)  # created: a retry would only be refused as a duplicate
    if user.status == ZoomUser.Status.PENDING:
        return "Invited: pending until the user accepts Zoom's e-mail."
    return ""
