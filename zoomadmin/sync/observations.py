"""When the sync last observed a part of a tenant's data, for judging late webhook events.

A record's ``synced_at`` moves only when its content changes, so a sync that saw a record
unchanged leaves no trace on it; an event older than that sync must still not overwrite what
the sync saw. The sync's own bookkeeping says when it observed what, without a write per row:

- the users listing: the start of the latest run whose users listing completed;
- one user's meetings, webinars, registrants and recordings: when the sync that last walked that
  user's subtree completely began (``WalkedSubtree``).

Both are the start of the observing run, a bound that errs towards applying an event: an event
between the start and the listing is applied again, which the next event or sync corrects.

What a run saw of each record depends on its kind (``users_observed``, ``subtrees_observed``,
judged field by field): a full sync asks for every object's detail, so it saw every field; a
reconcile asks only for the details of what is new or whose listed fields changed (those it
writes, which dates them), so of the others it saw only what its listings carry
(``USER_LISTED_KEYS``, ``HOSTED_LISTED_KEYS``), and of registrants nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from zoomadmin.sync.engine import subtree_key
from zoomadmin.sync.models import SyncRun, WalkedSubtree
from zoomadmin.tenants.models import Tenant

# Runs whose users listing completed: the walk lists every user before it ends any way but a
# failure (a continued run still completes the root listing; see zoomadmin.sync.engine).
LISTED_USERS = (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL, SyncRun.Status.CONTINUED)


def users_observed_at(tenant: Tenant) -> datetime | None:
    run = (
        SyncRun.objects.filter(tenant=tenant, status__in=LISTED_USERS)
        .order_by("-started_at")
        .only("started_at")
        .first()
    )
    return run.started_at if run is not None else None


def subtree_observed_at(tenant: Tenant, user_key: str) -> datetime | None:
    """When the sync last walked the meetings, webinars and recordings of the user keyed
    ``user_key`` (Zoom's user id) completely."""
    walked = WalkedSubtree.objects.filter(tenant=tenant, key=subtree_key(user_key)).first()
    return walked.walked_at if walked is not None else None


# Users OpenAPI, "List users" (GET /users), the properties of an item of ``users``.
USER_LISTED_KEYS = frozenset(
    {
        "created_at",
        "custom_attributes",
        "dept",
        "display_name",
        "division_ids",
        "email",
        "employee_unique_id",
        "first_name",
        "group_ids",
        "host_key",
        "id",
        "im_group_ids",
        "last_client_version",
        "last_login_time",
        "last_name",
        "license_info_list",
        "plan_united_type",
        "pmi",
        "role_id",
        "status",
        "timezone",
        "type",
        "user_created_at",
        "verified",
    }
)
# Meetings OpenAPI, "List meetings" and "List webinars" (GET /users/{userId}/meetings,
# .../webinars), an item's properties; not ``agenda``, which a list item cuts to 250
# characters (``zoomadmin.sync.steps.CUT_IN_LISTS``).
HOSTED_LISTED_KEYS = frozenset(
    {
        "created_at",
        "duration",
        "host_id",
        "id",
        "is_simulive",
        "join_url",
        "pmi",
        "start_time",
        "timezone",
        "topic",
        "type",
        "uuid",
    }
)


@dataclass(frozen=True)
class Observed:
    """When the sync last saw a record: the fields its listing carries (``listed_at``), and
    every field (``every_field_at``)."""

    listed_at: datetime | None = None
    every_field_at: datetime | None = None

    def at(self, *, listed: bool) -> datetime | None:
        """When the sync last saw a field (``listed``: one that the listing carries)."""
        times = [self.every_field_at, self.listed_at if listed else None]
        return max((t for t in times if t is not None), default=None)


def users_observed(tenant: Tenant, user_keys: Collection[str]) -> dict[str, Observed]:
    """Of each user (by Zoom's user id): when a users listing last saw it, and when a full
    walk of its subtree (its detail included) did."""
    listed = users_observed_at(tenant)
    walked = _walked(tenant, user_keys)
    found = {}
    for key in user_keys:
        walked_at, full = walked.get(key, (None, False))
        found[key] = Observed(listed_at=listed, every_field_at=walked_at if full else None)
    return found


def subtrees_observed(tenant: Tenant, user_keys: Collection[str]) -> dict[str, Observed]:
    """Of the meetings and webinars of each host (by Zoom's user id): when a sync last walked
    them (``listed_at``), and when a full one did (``every_field_at``; their registrants too)."""
    found = {}
    for key, (walked_at, full) in _walked(tenant, user_keys).items():
        found[key] = Observed(listed_at=walked_at, every_field_at=walked_at if full else None)
    return found


def _walked(tenant: Tenant, user_keys: Collection[str]) -> dict[str, tuple[datetime, bool]]:
    """When each subtree was last walked, and whether by a full walk: a full run's, or a
    continuation's (which walks in full what its predecessor left)."""
    by_hash = {subtree_key(key): key for key in user_keys if key}
    walked = dict(
        WalkedSubtree.objects.filter(tenant=tenant, key__in=list(by_hash)).values_list(
            "key", "walked_at"
        )
    )
    runs = SyncRun.objects.filter(tenant=tenant, started_at__in=set(walked.values()))
    full = {
        started: kind == SyncRun.Kind.FULL or (begun is not None and begun != started)
        for started, kind, begun in runs.values_list("started_at", "kind", "pass_started_at")
    }
    # A run no longer kept is taken for a full one, as before runs had kinds.
    return {by_hash[h]: (at, full.get(at, True)) for h, at in walked.items()}
