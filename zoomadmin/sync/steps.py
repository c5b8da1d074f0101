"""What a full sync lists, in Zoom's terms: the table of steps the generic engine walks.

    users (GET /users, status active, inactive, pending)
    └── per user who can host (not pending):
        ├── detail     (GET /users/{id}: the fields a list item lacks, e.g. role and job title)
        ├── meetings   (GET /users/{id}/meetings, then GET /meetings/{id} each)
        │   └── registrants, where registration is on
        │                (GET /meetings/{id}/registrants, status approved, pending, denied)
        ├── webinars   (licensed users only: GET /users/{id}/webinars, then GET /webinars/{id})
        │   └── registrants, where registration is on (GET /webinars/{id}/registrants, …)
        └── recordings (GET /users/{id}/recordings, one call per one-month window over the
                        last ZOOM_SYNC_RECORDINGS_MONTHS months), unless Zoom lets the app
                        list them for the whole account after the walk (GET
                        /accounts/me/recordings, one call per window; see ``walk_plan``)
    after the walk, per stored webinar with instances due (``meetings.participants``):
        participants (GET /past_webinars/{id}/instances, then GET
                      /past_webinars/{uuid}/participants of each ended instance not yet asked)

Why these calls and no others (each is one request per page of up to 300 items):

- Zoom's list items carry no ``settings``, so only "Get a meeting/webinar" tells whether
  registration is on (``settings.approval_type`` 0 or 1; 2 is none). Each meeting and webinar
  is therefore fetched once, and the full object (settings, occurrences, registration URL) is
  what is stored (``meetings.mapping`` leaves out its ``start_url``).
- Zoom lists only unexpired meetings and webinars. A stored one that its host's complete
  listing lacks is asked for once ("Get a meeting"): gone (404), it is marked deleted; still
  there, it expired and is kept, marked ``expired``, and no listing judges it any more.
- Pending users have not accepted their invitation and cannot host; webinars need a licensed
  host (type 2) with the webinar add-on. Zoom answers any other user's webinar listing 400 code
  200 "Webinar plan is missing": that means "no webinars", is no error, and is remembered, so
  the user is asked again only a week later. A skipped or refused listing marks nothing deleted.
- Registrants are listed per status, since a list shows one status at a time; not "pending"
  where Zoom approves automatically (none can be).
- Recordings are listed per host and per month (Zoom's maximum range); a user's recordings
  older than the window are left as they are (not listed, so not judged). Basic users are
  listed too: one who was licensed keeps the cloud recordings made then.
- Past webinar participants are asked for per ended instance, once: who attended an instance
  that is over does not change, so nothing is judged and each webinar remembers up to when its
  instances are stored. A reconcile asks about webinars whose scheduled time is over; a full
  sync also about recurring ones (Zoom's webinar leaves out past occurrences). A webinar Zoom
  holds no participants of (never held: 404 code 3001; not allowed: 400 code 200) has none.

Deletion scopes: users of the tenant; meetings/webinars of one host; registrants of one
meeting/webinar (every status); recordings of one host that started inside the window. At the
end of each run, what belongs to a deleted parent is marked deleted too. The scopes are the
records' own services (``users.services``, ``meetings.services``); this table only says which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.utils import timezone

from meetings import participants
from meetings import services as meetings
from meetings.mapping import participant_key
from users import services as users
from users.mapping import PENDING_PREFIX, user_key
from zoomadmin.sync.engine import Counts, Entry, Item, Listing, Step
from zoomadmin.tenants.models import Tenant
from zoomadmin.zoom.client import RecordingsWindow, ZoomClient, month_windows
from zoomadmin.zoom.errors import ZoomBadRequest, ZoomError, ZoomNotFound

USER_STATUSES = ("active", "inactive", "pending")
REGISTRANT_STATUSES = ("approved", "pending", "denied")
LICENSED = 2
AUTOMATIC_APPROVAL, NO_REGISTRATION = 0, 2
# Zoom's answer to the webinars of a user without the webinar add-on: 400, code 200 "Webinar
# plan is missing". Such a user is asked again only this long after the last refusal.
WEBINAR_PLAN_MISSING = 200
WEBINAR_PLAN_RECHECK = timedelta(days=7)
INVITATION_EXPIRED = 1120


# --- who can have what -------------------------------------------------------------------


def can_host(user: Mapping[str, Any]) -> bool:
    return user.get("status") != "pending"


def can_host_webinars(user: Mapping[str, Any]) -> bool:
    return can_host(user) and user.get("type") == LICENSED


def has_registration(meeting: Mapping[str, Any]) -> bool:
    settings_ = meeting.get("settings") or {}
    return settings_.get("approval_type", NO_REGISTRATION) != NO_REGISTRATION


# --- recording windows ---------------------------------------------------------------------


def _windows(as_of: datetime) -> list[tuple[date, date]]:
    # From the run's start, not the clock: a run that crosses midnight lists and judges the
    # same days.
    return month_windows(as_of.astimezone(UTC).date(), settings.ZOOM_SYNC_RECORDINGS_MONTHS)


# --- listings (threads; HTTP only) ---------------------------------------------------------


def list_users(client: ZoomClient, parent: None, as_of: datetime) -> Iterator[Item]:
    for status in USER_STATUSES:
        yield from client.list_users(status=status)


def get_user_detail(client: ZoomClient, user: Item, as_of: datetime) -> Iterator[Item]:
    # A listing's user lacks fields that "Get a user" has (role_name, job_title, language,
    # …); the listed fields come first so that the stored object is a superset of both.
    try:
        yield {**user, **client.get_user(user["id"])}
    except ZoomNotFound:
        return  # deleted since it was listed


def list_meetings(client: ZoomClient, user: Item, as_of: datetime) -> Iterator[Item]:
    return client.list_meetings(user["id"])


def list_webinars(client: ZoomClient, user: Item, as_of: datetime) -> Iterator[Item]:
    return client.list_webinars(user["id"])


def list_meeting_registrants(client: ZoomClient, meeting: Item, as_of: datetime) -> Iterator[Item]:
    for status in registrant_statuses(meeting):
        yield from client.list_meeting_registrants(meeting["id"], status=status)


def list_webinar_registrants(client: ZoomClient, webinar: Item, as_of: datetime) -> Iterator[Item]:
    for status in registrant_statuses(webinar):
        yield from client.list_webinar_registrants(webinar["id"], status=status)


def registrant_statuses(meeting: Mapping[str, Any]) -> tuple[str, ...]:
    """The statuses to list: one listing shows one status. Where Zoom approves registrants
    automatically (``approval_type`` 0) none is ever pending, so that listing is not asked."""
    if (meeting.get("settings") or {}).get("approval_type") == AUTOMATIC_APPROVAL:
        return tuple(status for status in REGISTRANT_STATUSES if status != "pending")
    return REGISTRANT_STATUSES


def list_recordings(client: ZoomClient, user: Item, as_of: datetime) -> Iterator[Item]:
    for start, end in _windows(as_of):
        yield from recordings_covering(client, user["id"], start, end)


def list_account_recordings(client: ZoomClient, parent: None, as_of: datetime) -> Iterator[Item]:
    for start, end in _windows(as_of):
        yield from _covering(client.list_account_recordings_window, start, end)


def recordings_covering(client: ZoomClient, user_id: str, start: date, end: date) -> Iterator[Item]:
    """Every recording of one user of ``start..end`` (both included)."""
    return _covering(partial(client.list_user_recordings_window, user_id), start, end)


def _covering(fetch: Callable[..., RecordingsWindow], start: date, end: date) -> Iterator[Item]:
    """Every recording ``fetch`` lists in ``start..end``. Zoom's answer says which days it
    covered (``from``/``to``: it cuts a range to one month by its own count); the days it left
    out are asked for next, so that the whole range, and only it, can be judged."""
    while start <= end:
        window = fetch(from_=start, to=end)
        if window.from_ > start or window.to < start:
            raise ZoomError(
                f"Zoom covered {window.from_}..{window.to} when asked for {start}..{end}"
            )
        yield from window.items
        start = window.to + timedelta(days=1)


def _confirm(get: Any, zoom_id: int | str) -> Item | None:
    """Zoom's object when it still exists; None when Zoom says it is gone (404)."""
    try:
        return get(zoom_id)
    except ZoomNotFound:
        return None


def _confirm_user(client: ZoomClient, key: str) -> Item | None:
    """A user missing from every status listing: Zoom's user, or None when it is gone. Users
    OpenAPI, GET /users/{userId}: 404 code 1001 "User does not exist", and 400 code 1120 for
    an invitation that expired (the pending user is gone as well)."""
    try:
        return _confirm(client.get_user, key.removeprefix(PENDING_PREFIX))
    except ZoomBadRequest as error:
        if error.code == INVITATION_EXPIRED:
            return None
        raise


# --- writes (the engine's writing thread) --------------------------------------------------


def _items(entries: Sequence[Entry]) -> list[Item]:
    return [item for _, item in entries]


# Meetings OpenAPI, "List meetings" and "List webinars": a list item's ``agenda`` is cut to
# 250 characters. Kept list items (a reconcile's unchanged ones) must not cut the stored one.
CUT_IN_LISTS = ("agenda",)


def _listed(entries: Sequence[Entry]) -> list[Item]:
    return [{k: v for k, v in item.items() if k not in CUT_IN_LISTS} for _, item in entries]


def _children(entries: Sequence[Entry]) -> list[tuple[int, Item]]:
    return [(parent["id"], item) for parent, item in entries]


def upsert_recordings(tenant: Tenant, entries: Sequence[Entry], at: datetime) -> dict[str, Any]:
    result = meetings.recordings_upsert(tenant=tenant, items=_items(entries), synced_at=at)
    files = result.files
    return {
        "recordings": result,
        "recording files": Counts(
            files.created, files.updated, files.unchanged, result.files_deleted
        ),
    }


def _union(listings: Sequence[Listing]) -> set[str]:
    return set().union(*(seen for _, seen in listings))


def _ids(items: Sequence[Item]) -> list[str]:
    return [item["id"] for item in items]


def _parent_ids(listings: Sequence[Listing]) -> list[str]:
    return [parent["id"] for parent, _ in listings]


def _by_parent(listings: Sequence[Listing]) -> dict[str, set[str]]:
    return {parent["id"]: seen for parent, seen in listings}


def mark_deleted_recordings(tenant: Tenant, listings: Sequence[Listing], at: datetime) -> int:
    # Only the listed days are judged; older recordings were not listed. An account-wide
    # listing (no parent) judges every host's.
    hosts = None if any(parent is None for parent, _ in listings) else _parent_ids(listings)
    return meetings.recordings_mark_deleted(
        tenant=tenant,
        seen_uuids=_union(listings),
        host_zoom_ids=hosts,
        started_from=datetime.combine(_windows(at)[0][0], time.min, tzinfo=UTC),
        deleted_at=at,
    )


def _key(item: Item) -> str:
    return str(item["id"])


MEETING_REGISTRANTS = Step(
    name="meeting registrants",
    kind="meeting registrants",
    applies=has_registration,
    listing=list_meeting_registrants,
    key=_key,
    upsert=lambda tenant, entries, at: meetings.meeting_registrants_upsert(
        tenant=tenant, entries=_children(entries), synced_at=at
    ),
    mark_deleted=lambda tenant, listings, at: meetings.meeting_registrants_mark_deleted(
        tenant=tenant, listings=_by_parent(listings), deleted_at=at
    ),
)
WEBINAR_REGISTRANTS = Step(
    name="webinar registrants",
    kind="webinar registrants",
    applies=has_registration,
    listing=list_webinar_registrants,
    key=_key,
    upsert=lambda tenant, entries, at: meetings.webinar_registrants_upsert(
        tenant=tenant, entries=_children(entries), synced_at=at
    ),
    mark_deleted=lambda tenant, listings, at: meetings.webinar_registrants_mark_deleted(
        tenant=tenant, listings=_by_parent(listings), deleted_at=at
    ),
)


def _hosted(
    *,
    kind: str,
    applies: Any,
    listing: Any,
    upsert: Any,
    get: Any,
    changed: Any,
    known: Any,
    mark_deleted: Any,
    children: tuple[Step, ...],
    **more: Any,
) -> Step:
    """A step of what a user hosts (meetings, webinars): listed per host; list items carry no
    settings (so no registration), so a full walk gets each object, a reconcile only the new
    ones and those whose listed fields changed; one its host's listing lacks is asked for
    (expired, handed over, or deleted). ``get(client)`` is the client's "Get" of the kind."""
    return Step(
        name=kind,
        kind=kind,
        applies=applies,
        listing=listing,
        key=_key,
        upsert=lambda tenant, entries, at, partial=False: upsert(
            tenant=tenant,
            items=_listed(entries) if partial else _items(entries),
            synced_at=at,
            partial=partial,
            expired=False,
        ),
        detail=lambda client, item: _confirm(get(client), item["id"]),
        changed=changed,
        known=lambda tenant, hosts: known(tenant=tenant, host_zoom_ids=_ids(hosts)),
        confirm=lambda client, zoom_id: _confirm(get(client), zoom_id),
        belongs=lambda user, item: item.get("host_id") == user["id"],
        upsert_unlisted=lambda tenant, entries, at: upsert(
            tenant=tenant, items=_items(entries), synced_at=at, expired=True
        ),
        mark_deleted=lambda tenant, listings, at: mark_deleted(
            tenant=tenant,
            seen_ids=_union(listings),
            host_zoom_ids=_parent_ids(listings),
            deleted_at=at,
        ),
        children=children,
        **more,
    )


MEETINGS = _hosted(
    kind="meetings",
    applies=can_host,
    listing=list_meetings,
    upsert=meetings.meetings_upsert,
    get=lambda client: client.get_meeting,
    changed=meetings.meeting_listed_changed,
    known=meetings.meetings_known,
    mark_deleted=meetings.meetings_mark_deleted,
    children=(MEETING_REGISTRANTS,),
)
WEBINARS = _hosted(
    kind="webinars",
    applies=can_host_webinars,
    listing=list_webinars,
    upsert=meetings.webinars_upsert,
    get=lambda client: client.get_webinar,
    changed=meetings.webinar_listed_changed,
    known=meetings.webinars_known,
    mark_deleted=meetings.webinars_mark_deleted,
    children=(WEBINAR_REGISTRANTS,),
    # A user without the webinar add-on: Zoom refuses; "none", asked again a week later.
    refused=lambda error: (
        isinstance(error, ZoomBadRequest)
        and error.code == WEBINAR_PLAN_MISSING
        and "webinar plan" in error.message.lower()
    ),
    remember_refusals=lambda tenant, refused, answered, at: users.users_webinars_refused(
        tenant=tenant, refused=refused, listed=answered, at=at
    ),
    skipped=lambda tenant, hosts: users.users_webinars_refused_since(
        tenant=tenant, zoom_ids=_ids(hosts), since=timezone.now() - WEBINAR_PLAN_RECHECK
    ),
)
RECORDINGS = Step(
    name="recordings",
    kind="recordings",
    applies=can_host,
    listing=list_recordings,
    key=lambda item: str(item["uuid"]),
    upsert=upsert_recordings,
    mark_deleted=mark_deleted_recordings,
)
USER_DETAILS = Step(
    name="user details",
    kind="users",
    applies=can_host,  # every user with an id
    listing=get_user_detail,
    key=user_key,
    upsert=lambda tenant, entries, at: users.users_upsert(
        tenant=tenant, items=_items(entries), synced_at=at
    ),
    mark_deleted=lambda tenant, listings, at: 0,  # the users listing judges users
)
USERS = Step(
    name="users",
    kind="users",
    listing=list_users,
    # Pending users are listed without an id: keyed by their email until they have one.
    key=user_key,
    # A list item carries fewer fields than the stored detail: it erases none of the others.
    upsert=lambda tenant, entries, at: users.users_upsert(
        tenant=tenant, items=_items(entries), synced_at=at, partial=True
    ),
    mark_deleted=lambda tenant, listings, at: users.users_mark_deleted(
        tenant=tenant, seen_ids=_union(listings), deleted_at=at
    ),
    # A user whose status changes between the active, inactive and pending listings is in
    # none of them: each stored user they all lack is asked for (404 code 1001: deleted).
    known=lambda tenant, _: {"": dict.fromkeys(users.users_stored_keys(tenant=tenant))},
    confirm=_confirm_user,
    upsert_unlisted=lambda tenant, entries, at: users.users_upsert(
        tenant=tenant, items=_items(entries), synced_at=at
    ),
    children=(USER_DETAILS, MEETINGS, WEBINARS, RECORDINGS),
    mark_orphans=lambda tenant, at: meetings.meetings_mark_orphans(tenant=tenant, deleted_at=at),
)
ACCOUNT_RECORDINGS = Step(
    name="account recordings",
    kind="recordings",
    listing=list_account_recordings,
    key=lambda item: str(item["uuid"]),
    upsert=upsert_recordings,
    mark_deleted=mark_deleted_recordings,
)
#: What a sync walks: the users' tree, and cloud recordings either per host under it or,
#: where Zoom allows "List recordings of an account", once for the whole account (one listing
#: per month instead of one per host and month). A reconcile asks no detail of users whose
#: listed fields are as stored, and of meetings and webinars likewise (``Step.changed``).
ROOT = USERS
USER_DETAILS_OF_CHANGED = replace(
    USER_DETAILS,
    skipped=lambda tenant, listed: users.users_unchanged(tenant=tenant, items=listed),
)


def list_webinar_participants(client: ZoomClient, webinar: Item, as_of: datetime) -> Iterator[Item]:
    return participants.past_participants(client, webinar["id"], since=webinar["since"])


def _participants_step(*, full: bool) -> Step:
    return Step(
        name="webinar participants",
        kind="webinar participants",
        parents=lambda tenant, at: participants.webinars_participants_due(
            tenant=tenant, as_of=at, full=full
        ),
        listing=list_webinar_participants,
        key=participant_key,
        upsert=lambda tenant, entries, at: meetings.webinar_participants_upsert(
            tenant=tenant, entries=_children(entries), synced_at=at
        ),
        # Who attended an instance that is over does not change: no listing judges them.
        mark_deleted=lambda tenant, listings, at: 0,
        refused=participants.participants_refused,
        # Listed completely, or "none": the instances asked about are not asked about again.
        remember_refusals=lambda tenant, refused, listed, at: (
            participants.webinars_participants_covered(
                tenant=tenant, zoom_ids=refused | listed, as_of=at
            )
        ),
    )


WEBINAR_PARTICIPANTS = _participants_step(full=True)
WEBINAR_PARTICIPANTS_OF_DUE = _participants_step(full=False)


def walk_plan(*, account_recordings: bool, full: bool = True) -> tuple[Step, tuple[Step, ...]]:
    """The root step and the account-wide steps of a sync."""
    details = USER_DETAILS if full else USER_DETAILS_OF_CHANGED
    hosted = (MEETINGS, WEBINARS) if account_recordings else (MEETINGS, WEBINARS, RECORDINGS)
    root = replace(USERS, children=(details, *hosted))
    past = WEBINAR_PARTICIPANTS if full else WEBINAR_PARTICIPANTS_OF_DUE
    return root, (ACCOUNT_RECORDINGS, past) if account_recordings else (past,)
