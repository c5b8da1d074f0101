"""django-q2 schedules of the sync: every connected tenant every ZOOM_SYNC_INTERVAL_MINUTES,
and a one-off resume of a tenant paused by Zoom's daily limit, just after the limit resets.

Both are keyed by name and written with ``update_or_create``, so creating them again (every
``migrate``, every pause) changes nothing but what the settings changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django_q.models import Schedule

SYNC_ALL_SCHEDULE = "zoom-sync-all-tenants"
SYNC_ALL_FUNC = "zoomadmin.sync.tasks.sync_all_tenants"
RESUME_FUNC = "zoomadmin.sync.tasks.sync_tenant"
# Zoom's reset moment is a whole hour or midnight UTC; leave it a little room.
RESUME_DELAY = timedelta(minutes=1)


def ensure_schedule(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> Schedule | None:
    """Create or update the periodic sync of every tenant (a ``post_migrate`` receiver)."""
    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return None  # django_q is not migrated (yet) on this database
    minutes = max(1, settings.ZOOM_SYNC_INTERVAL_MINUTES)
    schedule, created = Schedule.objects.using(using).get_or_create(
        name=SYNC_ALL_SCHEDULE,
        defaults={
            "func": SYNC_ALL_FUNC,
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
            "next_run": timezone.now() + timedelta(minutes=minutes),
        },
    )
    if not created and (schedule.minutes != minutes or schedule.func != SYNC_ALL_FUNC):
        schedule.func = SYNC_ALL_FUNC
        schedule.schedule_type = Schedule.MINUTES
        schedule.minutes = minutes
        schedule.repeats = -1
        schedule.save(using=using)
    return schedule


def resume_schedule_name(tenant_id: int) -> str:
    return f"zoom-sync-resume-{tenant_id}"


def schedule_resume(*, tenant_id: int, at: datetime | None) -> Schedule:
    """Sync ``tenant_id`` once more just after ``at`` (Zoom's daily-limit reset)."""
    when = (at or timezone.now()) + RESUME_DELAY
    schedule, _ = Schedule.objects.update_or_create(
        name=resume_schedule_name(tenant_id),
        defaults={
            "func": RESUME_FUNC,
            "args": repr(tenant_id),
            "kwargs": repr({"trigger": "resume"}),
            "schedule_type": Schedule.ONCE,
            "repeats": -1,
            "next_run": when,
        },
    )
    return schedule
