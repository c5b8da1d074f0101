"""Writing Zoom users into the local mirror (used by the sync, webhooks and admin actions).

``users_upsert`` takes user objects as Zoom returns them (``GET /users`` items, ``GET
/users/{userId}``, a webhook's ``object``) and writes only what changed; ``users_mark_deleted``
marks the users a complete ``GET /users`` walk (every status) did not list.

The remote-first writes (``user_create``, ``user_update``, ``user_status_set``,
``user_delete``, ``user_refresh``) ask Zoom first, through ``zoomadmin.tenants.audit`` so that
each request is audited, and change the mirror only from what Zoom then shows: Zoom answers
most writes with 204, so the user is fetched again (``GET /users/{userId}``, a Light request).
A refusal raises the ``ZoomError`` and leaves the stored user as it was. None of them may run
inside a transaction (a token refresh during the call must commit).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import suppress
from datetime import datetime
from typing import Any

from django.utils import timezone

from users.mapping import PENDING_PREFIX, pending_key, user_key, zoom_user_to_fields
from users.models import ZoomUser
from zoomadmin.records.upsert import UpsertResult, bulk_upsert, mark_deleted, select_batches
from zoomadmin.tenants.audit import ReadBackFailed, is_secret, zoom_write
from zoomadmin.tenants.models import Tenant
from zoomadmin.zoom.client import ZoomClient, encode_user_id
from zoomadmin.zoom.errors import ZoomBadRequest, ZoomError, ZoomNotFound, ZoomUnavailable


def users_upsert(
    *,
    tenant: Tenant,
    items: Iterable[dict[str, Any]],
    synced_at: datetime,
    partial: bool = False,
    observed_at: Mapping[str, datetime] | None = None,
) -> UpsertResult:
    """Insert or update ``tenant``'s users from Zoom user objects.

    ``partial=True`` when the payloads may lack fields that are stored (a list item after a
    "get", a webhook's changed fields): what they do not carry is kept. ``observed_at``: when
    each item was observed, by its key (``user_key``), where one call carries items of
    different times (webhook events); the others are as of ``synced_at``.
    """
    rows = [zoom_user_to_fields(item) for item in items]
    for row in rows:
        if observed_at and row["zoom_id"] in observed_at:
            row["synced_at"] = observed_at[row["zoom_id"]]
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


# --- remote-first writes ------------------------------------------------------------------

CREATE_ACTIONS = ("create", "autoCreate", "custCreate", "ssoCreate")
# What an administrator edits of a user (Users OpenAPI, PATCH /users/{userId}): Zoom's names.
EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "type",
    "dept",
    "job_title",
    "company",
    "location",
    "timezone",
    "language",
    "manager",
    "pmi",
    "use_pmi",
    "host_key",
)


def _user_write(call: Callable[[], Any], *, user: ZoomUser, **request: Any) -> Any:
    """``zoom_write`` of one request about ``user``, audited under the user's key."""
    return zoom_write(call, kind="user", zoom_id=user.zoom_id, label=str(user), **request)


def user_ref(user: ZoomUser) -> str:
    """What names ``user`` in a Zoom path: its id, or for a pending user (stored without one
    until Zoom lists it with one) its email, which Zoom's user paths accept as well."""
    if user.zoom_id.startswith(PENDING_PREFIX):
        return user.email or user.zoom_id.removeprefix(PENDING_PREFIX)
    return user.zoom_id


def _as_listed(data: dict[str, Any]) -> dict[str, Any]:
    """A user object keyed as the sync's listing keys it: Zoom lists pending users without an
    id (so does the mirror, by email, until they accept), so a pending user's detail is
    stored without its id, or the next sync would store the user twice."""
    if data.get("status") == ZoomUser.Status.PENDING:
        return {name: value for name, value in data.items() if name != "id"}
    return data


def _store(tenant: Tenant, data: dict[str, Any]) -> ZoomUser:
    item = _as_listed(data)
    users_upsert(tenant=tenant, items=[item], synced_at=timezone.now())
    return ZoomUser.objects.get(tenant=tenant, zoom_id=user_key(item))


# Users OpenAPI, GET /users/{userId}: 400 code 1120, "the user did not accept the invitation on
# time and the invitation expired - thus making the userId invalid": the pending user is gone.
INVITATION_EXPIRED = 1120


def _gone(error: ZoomError) -> bool:
    return isinstance(error, ZoomNotFound) or (
        isinstance(error, ZoomBadRequest) and error.code == INVITATION_EXPIRED
    )


def user_refresh(*, tenant: Tenant, client: ZoomClient, user: ZoomUser) -> ZoomUser | None:
    """Fetch ``user`` from Zoom and store what Zoom holds; None (and marked deleted) when Zoom
    says the user is gone (404, or an invitation that expired)."""
    try:
        data = client.get_user(user_ref(user))
    except ZoomError as error:
        if not _gone(error):
            raise
        user_mark_deleted(tenant=tenant, zoom_id=user.zoom_id)
        return None
    return _store(tenant, data)


class UserCreatedIncompletely(Exception):
    """Zoom created the user (stored as ``user``) but refused the fields sent after it."""

    def __init__(self, user: ZoomUser, error: Exception) -> None:
        super().__init__(f"{user} was created, but Zoom refused the other fields: {error}")
        self.user = user
        self.error = error


def _write_then_refresh(
    tenant: Tenant,
    client: ZoomClient,
    user: ZoomUser,
    write: Callable[[], Any],
    *,
    asked: dict[str, Any],
) -> ZoomUser:
    """Make ``write`` (Zoom answers it with no body), then store the user as Zoom holds it.

    No answer (a timeout, a 5xx) does not mean Zoom did nothing: the user is read back where
    Zoom answers that, so the mirror follows Zoom either way, and the error is raised. When
    Zoom accepted the write but the read-back fails, what Zoom accepted (``asked``: the
    user's fields as the write set them) is stored and :class:`ReadBackFailed` raised."""
    try:
        write()
    except ZoomUnavailable:
        with suppress(ZoomError):
            user_refresh(tenant=tenant, client=client, user=user)
        raise
    try:
        return user_refresh(tenant=tenant, client=client, user=user) or user
    except ZoomError as error:
        # Secrets asked for (a host key, a password) are not Zoom's content to show.
        shown = {name: value for name, value in asked.items() if not is_secret(name)}
        item = {**_key_fields(user), **shown}
        users_upsert(tenant=tenant, items=[item], synced_at=timezone.now(), partial=True)
        raise ReadBackFailed(user, error) from error


def _key_fields(user: ZoomUser) -> dict[str, Any]:
    """What keys ``user`` in a payload, as the mirror keys it."""
    if user.zoom_id.startswith(PENDING_PREFIX):
        return {"email": user.email}
    return {"id": user.zoom_id}


def user_create(
    *,
    tenant: Tenant,
    client: ZoomClient,
    actor: Any,
    action: str,
    user_info: dict[str, Any],
    changes: dict[str, Any] | None = None,
) -> ZoomUser:
    """Create a user in Zoom (``POST /users``) and store it. ``create`` sends an invitation
    and the user stays pending until accepted; the other actions make an active user.

    ``changes`` are fields that Zoom's create does not take (``dept``, ``job_title``): they
    are sent right after (``PATCH``). Zoom refusing them keeps the created user and raises
    :class:`UserCreatedIncompletely`."""
    if action not in CREATE_ACTIONS:
        raise ValueError(f"unknown create action {action!r}")
    body = {"action": action, "user_info": user_info}
    email = user_info["email"]
    created = zoom_write(
        lambda: client.create_user(action=action, user_info=user_info),
        tenant=tenant,
        actor=actor,
        kind="user",
        zoom_id="",
        label=email,
        action=f"create ({action})",
        method="POST",
        path="/users",
        body=body,
        # As the mirror will key it: a pending (invited) user by e-mail, as Zoom lists it.
        zoom_id_of_answer=lambda answer: (
            pending_key(email) if action == "create" else str(answer.get("id") or "")
        ),
    )
    data = {**created, "status": "pending" if action == "create" else "active"}
    try:
        data = {**data, **client.get_user(str(created.get("id") or email))}
    except ZoomError:
        pass  # not readable yet (or not now): what POST answered is stored; a sync completes it
    user = _store(tenant, data)
    if changes:
        try:
            user = user_update(
                tenant=tenant, client=client, actor=actor, user=user, changes=changes
            )
        except ZoomError as error:
            raise UserCreatedIncompletely(user, error) from error
    return user


def user_update(
    *, tenant: Tenant, client: ZoomClient, actor: Any, user: ZoomUser, changes: dict[str, Any]
) -> ZoomUser:
    """Send the fields of ``changes`` that differ from the stored user (``PATCH
    /users/{userId}``), then store what Zoom shows. Nothing differs: no request."""
    stored = user.zoom_data
    body = {name: value for name, value in changes.items() if stored.get(name) != value}
    if not body:
        return user
    ref = user_ref(user)
    return _write_then_refresh(
        tenant,
        client,
        user,
        lambda: _user_write(
            lambda: client.update_user(ref, body),
            tenant=tenant,
            actor=actor,
            user=user,
            action="change license type" if set(body) == {"type"} else "update",
            method="PATCH",
            path=f"/users/{encode_user_id(ref)}",
            body=body,
        ),
        asked=body,
    )


def user_status_set(
    *, tenant: Tenant, client: ZoomClient, actor: Any, user: ZoomUser, action: str
) -> ZoomUser:
    """Activate or deactivate ``user`` (``PUT /users/{userId}/status``); a user already in
    that state is not asked for."""
    if action not in ("activate", "deactivate"):
        raise ValueError(f"unknown status action {action!r}")
    wanted = ZoomUser.Status.ACTIVE if action == "activate" else ZoomUser.Status.INACTIVE
    if user.status == wanted:
        return user
    ref = user_ref(user)
    return _write_then_refresh(
        tenant,
        client,
        user,
        lambda: _user_write(
            lambda: client.update_user_status(ref, action),
            tenant=tenant,
            actor=actor,
            user=user,
            action=action,
            method="PUT",
            path=f"/users/{encode_user_id(ref)}/status",
            body={"action": action},
        ),
        asked={"status": wanted.value},
    )


def user_delete(
    *,
    tenant: Tenant,
    client: ZoomClient,
    actor: Any,
    user: ZoomUser,
    action: str,
    transfer_to: ZoomUser | None = None,
    transfer_meeting: bool = False,
    transfer_webinar: bool = False,
    transfer_recording: bool = False,
) -> None:
    """Disassociate ``user`` from the account or delete it (``DELETE /users/{userId}``),
    handing its upcoming meetings, webinars and cloud recordings to ``transfer_to`` as asked,
    then mark it deleted; returns a note ("" when Zoom simply accepted). What it owned and
    did not hand over Zoom deletes with it; the caller brings those records in line
    (``meetings.services.host_removed``)."""
    if action not in ("disassociate", "delete"):
        raise ValueError(f"unknown delete action {action!r}")
    ref = user_ref(user)
    query: dict[str, Any] = {"action": action}
    if transfer_to is not None:
        query.update(
            transfer_email=transfer_to.email,
            transfer_meeting=transfer_meeting,
            transfer_webinar=transfer_webinar,
            transfer_recording=transfer_recording,
        )
    try:
        _user_write(
            lambda: client.delete_user(ref, **query),
            tenant=tenant,
            actor=actor,
            user=user,
            action=action,
            method="DELETE",
            path=f"/users/{encode_user_id(ref)}",
            query=query,
        )
    except (ZoomNotFound, ZoomBadRequest, ZoomUnavailable) as error:
        # A DELETE whose answer was lost is sent again and answered 404: Zoom may have deleted
        # the user already. Only Zoom can say: if it no longer has the user, it is gone here too.
        if isinstance(error, ZoomBadRequest) and error.code != INVITATION_EXPIRED:
            raise
        try:
            client.get_user(ref)
        except ZoomError as check:
            if not _gone(check):
                raise error from None
        else:
            raise
        user_mark_deleted(tenant=tenant, zoom_id=user.zoom_id)
        return "Zoom no longer had this user (an earlier request may have removed it)."
    user_mark_deleted(tenant=tenant, zoom_id=user.zoom_id)
    return ""
