"""When the sync last observed a part of a tenant's data, for judging late webhook events.

A record's ``synced_at`` moves only when its content changes, so a sync that saw a record
unchanged leaves no trace on it; an event older than that sync must still not overwrite what
the sync saw. The sync's own bookkeeping says when it observed what, without a write per row:

- the users listing: the start of the latest run whose users listing completed;
- one user's meetings, webinars, registrants and recordings: when the sync that last walked that
  user's subtree completely began (``WalkedSubtree``).

Both are the start of the observing run, a bound that errs towards applying an event: an event
between the start and the listing is applied again, which the next event or sync corrects.
"""

from __future__ import annotations

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
