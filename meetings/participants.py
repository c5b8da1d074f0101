"""Past webinar participants: which webinars have instances to ask about, who attended each,
and what the mirror remembers so that Zoom is never asked twice about one instance.

What Zoom publishes (Meetings OpenAPI, ``../shared/zoom-api/meetings/Meetings.json``):

- ``GET /past_webinars/{webinarId}/instances``, "List past webinar instances" (Light, granular
  scope ``webinar:read:list_past_instances:admin``): ``webinars``, the "List of ended webinar
  instances", each its ``uuid`` and ``start_time``, in one answer.
- ``GET /past_webinars/{webinarId}/participants``, "List webinar participants" (Medium, scope
  ``webinar:read:list_past_participants:admin``, ``page_size`` at most 300): "all the
  participants who attended a webinar hosted in the past". Its ``webinarId`` is "The webinar's
  ID or universally unique ID (UUID). If you provide a webinar ID, the API returns a response
  for the latest webinar instance", so each instance is asked for by its own UUID ("Each
  webinar instance will generate its own UUID", ``GET /report/webinars/{webinarId}``).
- Both: "A Pro or higher plan with a webinar add-on". Refusals that mean "none here": 404 code
  3001 "Webinar does not exist." (never held, or gone), and 400 code 200 "No permission." or
  "Only available for Paid or ZMP account: {accountId}."
- The report, ``GET /report/webinars/{webinarId}/participants``, is not used: it has the same
  prerequisite ("A Pro or a higher plan with Webinar add-on enabled", so no plan that the past
  webinar listing refuses is served by it), is Heavy (Pro's Heavy and Resource-intensive
  requests share 30,000 a day), needs another scope (``report:read:admin``), reaches back only
  "for the last 6 months", and adds only fields the mirror does not keep (``customer_key``,
  ``participant_user_id``, ``bo_mtg_id``).
- "After meetings with hundreds of participants, the attendance data takes some time to be
  generated": a scheduled occurrence is asked about ``SETTLE`` after its scheduled end.

When the sync asks (``webinars_participants_due``): once a webinar's scheduled start (its
``start_time``, or an occurrence's) is ``SETTLE`` past its scheduled end and newer than what is
stored (``Webinar.participants_synced_at``). Zoom's "Get a webinar" leaves out past occurrences
unless asked (``show_previous_occurrences``), so a full sync also asks about every recurring
webinar that has begun and has not expired, for instances the schedule no longer shows (one
Light request each). Asking costs the instance listing plus one listing per new instance.

What is remembered (``webinars_participants_covered``): ``participants_synced_at``, the time up
to which every instance that started has its participants stored: the newest scheduled start
that was due, or the newest join time stored, whichever is later. Instances of one webinar do
not overlap, and a participant joins an instance after it started and before it ended; so an
instance still running when its webinar was asked about (not yet "ended", not listed) started
after every join stored, and is asked about next time, while each listed instance started
before its participants joined, and is not asked about again. The one instance this can miss
began by its schedule and was still running ``SETTLE`` after its scheduled end when asked
about; *Re-sync participants* (``webinar_participants_refresh``) asks about every instance.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from meetings.models import Webinar, WebinarParticipant
from meetings.services import webinar_participants_upsert
from zoomadmin.records.payloads import parse_timestamp
from zoomadmin.records.upsert import select_batches
from zoomadmin.tenants.models import Tenant
from zoomadmin.zoom.client import ZoomClient
from zoomadmin.zoom.errors import ZoomBadRequest, ZoomError, ZoomNotFound, ZoomPageTokenExpired

# How long after a scheduled end an occurrence is asked about (Zoom's attendance data "takes
# some time to be generated"; what is fetched once is not fetched again).
SETTLE = timedelta(hours=1)
RECURRING = (Webinar.Type.RECURRING_NO_FIXED_TIME, Webinar.Type.RECURRING_FIXED_TIME)
# 400 code 200: "No permission." / "Only available for Paid or ZMP account: {accountId}."
NO_PERMISSION = 200
WRITE_BATCH = 1000

Parent = dict[str, Any]


# --- what Zoom holds (HTTP only: the sync's listing threads and the admin's re-sync) -------


def past_participants(
    client: ZoomClient, webinar_id: int, *, since: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Everyone who attended the ended instances of the webinar that started after ``since``
    (every one when None), oldest instance first. An instance Zoom holds no participants of
    (404 code 3001) has none; any other refusal is raised."""
    instances = client.list_past_webinar_instances(webinar_id)
    for instance in sorted(instances, key=lambda i: str(i.get("start_time") or "")):
        started = parse_timestamp(instance.get("start_time"))
        if not instance.get("uuid") or (since and started and started <= since):
            continue
        try:
            yield from client.list_past_webinar_participants(instance["uuid"])
        except ZoomNotFound:
            continue


def participants_refused(error: ZoomError) -> bool:
    """Whether Zoom's answer about a webinar means "no participants to list": it never took
    place or is gone (404), or the account may not list them (400 code 200)."""
    if isinstance(error, ZoomNotFound):
        return True
    return (
        isinstance(error, ZoomBadRequest)
        and not isinstance(error, ZoomPageTokenExpired)
        and error.code == NO_PERMISSION
    )


# --- when to ask, and what was asked (the database) ----------------------------------------


def scheduled_starts(webinar: Mapping[str, Any]) -> list[tuple[datetime, int]]:
    """(start, minutes) of each scheduled time the webinar's stored fields show: its
    ``start_time`` and every occurrence Zoom has not deleted."""
    found = []
    if webinar.get("start_time") is not None:
        found.append((webinar["start_time"], webinar.get("duration") or 0))
    for occurrence in webinar.get("occurrences") or ():
        start = parse_timestamp(occurrence.get("start_time"))
        if start is not None and occurrence.get("status") != "deleted":
            found.append((start, occurrence.get("duration") or webinar.get("duration") or 0))
    return found


def participants_due_until(webinar: Mapping[str, Any], as_of: datetime) -> datetime | None:
    """The newest scheduled start of the webinar whose scheduled end is ``SETTLE`` before
    ``as_of`` (None: none is)."""
    due = [
        start
        for start, minutes in scheduled_starts(webinar)
        if start + timedelta(minutes=minutes) + SETTLE <= as_of
    ]
    return max(due, default=None)


def webinars_participants_due(*, tenant: Tenant, as_of: datetime, full: bool) -> list[Parent]:
    """The webinars of ``tenant`` whose ended instances may hold participants not stored yet,
    as ``{"id": Zoom id, "since": participants_synced_at}`` (see the module docstring)."""
    new_one_off = Q(start_time__lte=as_of - SETTLE) & (
        Q(participants_synced_at__isnull=True) | Q(start_time__gt=F("participants_synced_at"))
    )
    candidates = Webinar.objects.filter(tenant=tenant, deleted_at__isnull=True).filter(
        Q(type__in=RECURRING) | new_one_off
    )
    due = []
    for webinar in _schedules(candidates).iterator(chunk_size=2000):
        since = webinar["participants_synced_at"]
        until = participants_due_until(webinar, as_of)
        if (until is not None and (since is None or until > since)) or (
            full and _recurring_and_running(webinar, as_of)
        ):
            due.append({"id": webinar["zoom_id"], "since": since})
    return due


def _schedules(webinars: QuerySet[Webinar]) -> QuerySet[Webinar, dict[str, Any]]:
    """What tells when a webinar is due, as dicts (its Zoom data's occurrences, not the rest)."""
    return webinars.values(
        "pk",
        "zoom_id",
        "type",
        "start_time",
        "duration",
        "expired",
        "participants_synced_at",
        occurrences=F("zoom_data__occurrences"),
    )


def _recurring_and_running(webinar: Mapping[str, Any], as_of: datetime) -> bool:
    """A recurring webinar that Zoom still lists and that may have held an instance: one
    without a fixed time, or one whose first scheduled start has passed."""
    if webinar["type"] not in RECURRING or webinar["expired"]:
        return False
    starts = scheduled_starts(webinar)
    return webinar["type"] == Webinar.Type.RECURRING_NO_FIXED_TIME or any(
        start <= as_of for start, _ in starts
    )


def webinars_participants_covered(
    *, tenant: Tenant, zoom_ids: Collection[int | str], as_of: datetime
) -> int:
    """Remember, after these webinars' ended instances were listed completely (or Zoom said
    there is none to list), up to when their participants are stored: the later of the newest
    scheduled start due at ``as_of`` and the newest join time stored (never earlier than
    what is stored). Writes only what changes; returns how many webinars changed."""
    changed = []
    for chunk in select_batches(sorted({int(zoom_id) for zoom_id in zoom_ids})):
        webinars = Webinar.objects.filter(tenant=tenant, zoom_id__in=chunk)
        joined = dict(
            WebinarParticipant.objects.filter(
                tenant=tenant, webinar__in=webinars, deleted_at__isnull=True
            )
            .values("webinar_id")
            .annotate(newest=Max("join_time"))
            .values_list("webinar_id", "newest")
        )
        for webinar in _schedules(webinars):
            stored = webinar["participants_synced_at"]
            known = [stored, participants_due_until(webinar, as_of), joined.get(webinar["pk"])]
            covered = max((when for when in known if when is not None), default=None)
            if covered != stored:
                changed.append(Webinar(pk=webinar["pk"], participants_synced_at=covered))
    Webinar.objects.bulk_update(changed, ["participants_synced_at"], batch_size=WRITE_BATCH)
    return len(changed)


# --- an administrator's re-sync --------------------------------------------------------------


def webinar_participants_refresh(*, tenant: Tenant, client: ZoomClient, webinar: Webinar) -> str:
    """Ask Zoom again who attended every ended instance of ``webinar`` (the admin's "Re-sync
    participants"): stored, and remembered as the sync does. Returns a note for the admin."""
    at = timezone.now()
    listed = created = 0
    try:
        participants = past_participants(client, webinar.zoom_id)
        while batch := list(islice(participants, WRITE_BATCH)):
            entries = [(webinar.zoom_id, participant) for participant in batch]
            created += webinar_participants_upsert(
                tenant=tenant, entries=entries, synced_at=at
            ).created
            listed += len(batch)
    except ZoomError as error:
        if not participants_refused(error):
            raise
        webinars_participants_covered(tenant=tenant, zoom_ids=[webinar.zoom_id], as_of=at)
        return f"Zoom lists no participants of it: {error.message}"
    webinars_participants_covered(tenant=tenant, zoom_ids=[webinar.zoom_id], as_of=at)
    return f"{listed} participants listed by Zoom, {created} new here."
