"""The sync on django-q2's Redis broker, run by a real ``manage.py qcluster`` with several workers.

Run with Redis at hand:  REDIS_URL=redis://127.0.0.1:6379/15 scripts/test -m qcluster
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Task

from tests.sync.conftest import snapshot, subprocess_env
from zoomadmin.sandbox import seed_account
from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.tasks import enqueue_tenant_sync, sync_all_tenants
from zoomadmin.tenants.services import tenant_delete_synced_data

pytestmark = [
    pytest.mark.qcluster,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a Redis server)"),
]

WORKERS = 3


@pytest.fixture
def qcluster(sandbox, monkeypatch):
    """A qcluster of WORKERS processes on this test's database, Redis and sandbox."""
    from django_q.brokers import get_broker

    monkeypatch.setattr(Conf, "SYNC", False)  # enqueue for real, as production does
    broker = get_broker()
    broker.purge_queue()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=django_settings.BASE_DIR,
        env=subprocess_env(sandbox, ZOOMADMIN_Q_WORKERS=str(WORKERS)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    yield process
    # Its work is checked; a graceful stop would only wait for idle workers' polls.
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    broker.purge_queue()


def _wait(condition, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the cluster did not finish in {timeout} s")
        time.sleep(0.2)


def test_the_cluster_syncs_every_tenant_on_redis_and_keeps_one_sync_per_tenant(
    connect, sandbox, sync, qcluster
):
    tenants = [connect()] + [
        connect(seed_account(sandbox.state, users=8, seed=seed).id) for seed in (2, 3)
    ]
    # A tenant that a worker elsewhere is syncing right now (its heartbeat is fresh).
    held = connect(seed_account(sandbox.state, users=2, seed=4).id)
    now = timezone.now()
    SyncRun.objects.create(tenant=held, started_at=now, heartbeat_at=now + timedelta(minutes=5))
    sandbox.config.update(latency_seconds=0.01)

    sync_all_tenants()
    enqueue_tenant_sync(tenants[0].pk)  # a second sync of a tenant, at the same time

    def finished() -> bool:
        done = SyncRun.objects.filter(tenant__in=tenants).exclude(status=SyncRun.Status.RUNNING)
        busy = [t.result for t in Task.objects.filter(name=f"zoom-sync-tenant-{held.pk}")]
        return {run.tenant_id for run in done} == {t.pk for t in tenants} and bool(busy)

    _wait(finished)
    _wait(lambda: not SyncRun.objects.filter(tenant__in=tenants, status="running").exists())
    for tenant in tenants:
        runs = list(SyncRun.objects.filter(tenant=tenant))
        assert 1 <= len(runs) <= 2
        assert all(run.status == SyncRun.Status.SUCCEEDED for run in runs), runs[0].message
    # The held tenant was left to its worker: the task said so and started nothing.
    assert Task.objects.get(name=f"zoom-sync-tenant-{held.pk}").result == {
        "tenant": held.pk,
        "status": "busy",
    }
    assert SyncRun.objects.filter(tenant=held).count() == 1

    # What the workers wrote is what a sync in this process writes.
    sandbox.config.update(latency_seconds=0)
    for tenant in tenants:
        by_cluster = snapshot(tenant)
        tenant_delete_synced_data(tenant=tenant)
        assert sync(tenant).status == SyncRun.Status.SUCCEEDED
        assert snapshot(tenant) == by_cluster
