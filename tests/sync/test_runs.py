"""One sync per tenant, stale runs, and the django-q2 schedules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from tests.tenants.factories import make_tenant
from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.runs import run_claim
from zoomadmin.sync.schedule import (
    SYNC_ALL_SCHEDULE,
    ensure_schedule,
    resume_schedule_name,
    schedule_resume,
)

pytestmark = pytest.mark.django_db


def test_only_one_sync_per_tenant_runs_at_a_time():
    tenant, other = make_tenant("one"), make_tenant("other")

    first = run_claim(tenant=tenant)

    assert first is not None and first.status == SyncRun.Status.RUNNING
    assert run_claim(tenant=tenant) is None
    assert run_claim(tenant=other) is not None


def test_a_finished_run_does_not_block_the_next():
    tenant = make_tenant("done")
    run_claim(tenant=tenant)
    SyncRun.objects.filter(tenant=tenant).update(status=SyncRun.Status.SUCCEEDED)

    assert run_claim(tenant=tenant) is not None


def test_a_stale_run_is_interrupted_and_taken_over(settings):
    settings.ZOOM_SYNC_STALE_SECONDS = 60
    tenant = make_tenant("stale")
    dead = run_claim(tenant=tenant)
    SyncRun.objects.filter(pk=dead.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=2))

    fresh = run_claim(tenant=tenant)

    dead.refresh_from_db()
    assert fresh is not None
    assert dead.status == SyncRun.Status.INTERRUPTED and dead.finished_at is not None


def test_a_live_run_is_not_taken_over(settings):
    settings.ZOOM_SYNC_STALE_SECONDS = 60
    tenant = make_tenant("live")
    live = run_claim(tenant=tenant)
    SyncRun.objects.filter(pk=live.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=30))

    assert run_claim(tenant=tenant) is None


def test_the_periodic_schedule_exists_once_and_follows_the_setting(settings):
    # Created by post_migrate when the test database was migrated.
    assert Schedule.objects.filter(name=SYNC_ALL_SCHEDULE).count() == 1

    settings.ZOOM_SYNC_INTERVAL_MINUTES = 15
    ensure_schedule()
    ensure_schedule()

    schedule = Schedule.objects.get(name=SYNC_ALL_SCHEDULE)
    assert schedule.func == "zoomadmin.sync.tasks.sync_all_tenants"
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        Schedule.MINUTES,
        15,
        -1,
    )


def test_a_resume_is_scheduled_once_per_tenant():
    tenant = make_tenant("paused")
    reset = timezone.now() + timedelta(hours=3)

    schedule_resume(tenant_id=tenant.pk, at=reset - timedelta(hours=1))
    schedule_resume(tenant_id=tenant.pk, at=reset)

    schedule = Schedule.objects.get(name=resume_schedule_name(tenant.pk))
    assert schedule.func == "zoomadmin.sync.tasks.sync_tenant"
    assert schedule.schedule_type == Schedule.ONCE
    assert schedule.next_run > reset
    assert eval(schedule.args) == tenant.pk  # noqa: S307 - django-q2 literal_evals it too
