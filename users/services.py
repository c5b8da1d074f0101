"""Writing Zoom users into the local mirror (used by the sync, webhooks and admin actions).

``users_upsert`` takes user objects as Zoom returns them (``GET /users`` items, ``GET
/users/{userId}``, a webhook's ``object``) and writes only what changed; ``users_mark_deleted``
marks the users a complete ``GET /users`` walk (every status) did not list.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from users.mapping import PENDING_PREFIX, pending_key, user_key, zoom_user_to_fields
from users.models import ZoomUser
from zoomadmin.records.upsert import UpsertResult, bulk_upsert, mark_deleted, select_batches
from zoomadmin.tenants.models import Tenant


def users_upsert(
    *,
    tenant: Tenant,
    items: Iterable[dict[str, Any]],
    synced_at: datetime,
    partial: bool = False,
) -> UpsertResult:
    """Insert or update ``tenant``'s users from Zoom user objects.

    ``partial=True`` when the payloads may lack fields that are stored (a list item after a
    "get", a webhook's changed fields): what they do not carry is kept.
    """
    rows = [zoom_user_to_fields(item) for item in items]
    _move_accepted_invitations(tenant, rows)
    return bulk_upsert(ZoomUser, tenant=tenant, rows=rows, synced_at=synced_at, partial=partial)


def _move_accepted_invitations(tenant: Tenant, rows: list[dict[str, Any]]) -> int:
    """Move each pending user stored under ``email:<address>`` whose payload now carries an id
    (the invitation was accepted) to that id: the same row, with its history, is updated by the
    upsert, instead of a second row beside one that the next listing would mark deleted."""
    ids_by_key = {
        pending_key(row["email"]): row["zoom_id"]
        for row in rows
        if row.get("email") and not row["zoom_id"].startswith(PENDING_PREFIX)
    }
    if not ids_by_key:
        return 0
    users = ZoomUser.objects.filter(tenant=tenant)
    waiting: dict[str, int] = {}
    for chunk in select_batches(ids_by_key):
        waiting.update(users.filter(zoom_id__in=chunk).values_list("zoom_id", "pk"))
    moved = 0
    for key, pk in waiting.items():
        # Both rows exist (the id arrived before): the complete listing marks the old one.
        if not users.filter(zoom_id=ids_by_key[key]).exists():
            moved += users.filter(pk=pk).update(zoom_id=ids_by_key[key])
    return moved


def users_stored_keys(*, tenant: Tenant) -> set[str]:
    """The keys of the users stored as present: what a complete listing of every status
    must show again (a missing one is asked for before it is judged)."""
    present = ZoomUser.objects.filter(tenant=tenant, deleted_at__isnull=True)
    return set(present.values_list("zoom_id", flat=True))


# What "Get a user" carries and a list item does not: a stored user without it was never
# detailed, so a reconcile asks for its detail whatever its list item says.
DETAIL_ONLY_FIELD = "role_name"
# Users OpenAPI, GET /users: ``last_login_time`` "has a three-day buffer period"; the detail's
# has none, so the two differ for any recent login and the field says nothing of a change.
UNCOMPARED_FIELDS = frozenset({"last_login_time"})


def users_unchanged(*, tenant: Tenant, items: Iterable[dict[str, Any]]) -> set[str]:
    """The keys of the listed users stored with their detail and whose every listed field is
    what is stored: a reconcile asks Zoom for no detail of theirs."""
    listed = {user_key(item): item for item in items}
    unchanged: set[str] = set()
    for chunk in select_batches(listed):
        stored = ZoomUser.objects.filter(
            tenant=tenant, zoom_id__in=chunk, deleted_at__isnull=True
        ).values_list("zoom_id", "zoom_data")
        for key, data in stored:
            if DETAIL_ONLY_FIELD in data and all(
                data.get(name) == value
                for name, value in listed[key].items()
                if name not in UNCOMPARED_FIELDS
            ):
                unchanged.add(key)
    return unchanged


def users_mark_deleted(
    *, tenant: Tenant, seen_ids: Collection[str], deleted_at: datetime | None = None
) -> int:
    """Mark ``tenant``'s users that a complete listing (``seen_ids``) did not contain.

    ``deleted_at`` is when the listing began (default now); users stored after it are kept.
    """
    return mark_deleted(
        ZoomUser,
        tenant=tenant,
        scope={},
        seen_keys=seen_ids,
        deleted_at=deleted_at or timezone.now(),
    )


def user_mark_deleted(*, tenant: Tenant, zoom_id: str, deleted_at: datetime | None = None) -> int:
    """Mark one user deleted (Zoom deleted or disassociated it)."""
    return mark_deleted(
        ZoomUser,
        tenant=tenant,
        scope={"zoom_id": zoom_id},
        seen_keys=(),
        deleted_at=deleted_at or timezone.now(),
    )


def users_webinars_refused(
    *,
    tenant: Tenant,
    refused: Collection[str],
    listed: Collection[str] = (),
    at: datetime,
) -> None:
    """Remember which users Zoom refused a webinar listing (no webinar add-on), and forget it
    for those whose listing Zoom answered."""
    users = ZoomUser.objects.filter(tenant=tenant)
    for chunk in select_batches(refused):
        users.filter(zoom_id__in=chunk).update(webinars_refused_at=at)
    for chunk in select_batches(listed):
        users.filter(zoom_id__in=chunk, webinars_refused_at__isnull=False).update(
            webinars_refused_at=None
        )


def users_webinars_refused_since(
    *, tenant: Tenant, zoom_ids: Collection[str], since: datetime
) -> set[str]:
    """Those of ``zoom_ids`` whose webinar listing Zoom refused after ``since``."""
    found: set[str] = set()
    for chunk in select_batches(zoom_ids):
        found.update(
            ZoomUser.objects.filter(
                tenant=tenant, zoom_id__in=chunk, webinars_refused_at__gt=since
            ).values_list("zoom_id", flat=True)
        )
    return found
