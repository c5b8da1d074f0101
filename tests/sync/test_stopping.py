"""A sync in a worker that is stopping, and the runs of workers that are gone
(``zoomadmin.sync.workers``).

- A worker asked to stop (its cluster stops, or a signal reaches it) stops its sync after the
  requests in flight: the run ends *interrupted*, what was listed is written, and the next sync
  continues where it stopped; its continuation, like a sync handed to the worker too late, is
  left in the broker for the next start, not lost.
- A run whose heartbeat stopped (its worker was killed) is recognized when a worker starts,
  not ``ZOOM_SYNC_STALE_SECONDS`` later, and its continuation queued.
- ``qcluster`` itself, stopped with SIGTERM during a sync, stops within seconds (it used to wait
  for the sync to end, however long).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage

from tests.sync.conftest import snapshot, subprocess_env
from zoomadmin.sandbox import seed_account
from zoomadmin.sync import runs, workers
from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.tasks import continue_runs_of_gone_workers, enqueue_tenant_sync, sync_tenant
from zoomadmin.tenants.services import tenant_delete_synced_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_stop_left_behind():
    workers.clear_stop()
    yield
    workers.clear_stop()


@pytest.fixture
def broker():
    """django-q2's broker, empty before and after (the tasks left for the next start)."""
    queue = get_broker()
    queue.purge_queue()
    yield queue
    queue.purge_queue()


def queued(broker) -> list[dict]:
    tasks = []
    while (package := broker.dequeue()) is not None:
        for task_id, payload in package:
            tasks.append(SignedPackage.loads(payload))
            broker.acknowledge(task_id)
    return tasks


def stop_after(calls: int):
    """A ``should_stop`` that asks the worker's stop at its ``calls``-th question."""
    asked = 0

    def should_stop() -> bool:
        nonlocal asked
        asked += 1
        if asked == calls:
            workers.request_stop()
        return workers.stop_requested()

    return should_stop


def test_a_stop_ends_the_walk_interrupted_and_the_next_sync_continues_it(tenant, sync, monkeypatch):
    monkeypatch.setattr(runs, "stop_requested", stop_after(12))

    stopped = sync(tenant)

    assert stopped.status == SyncRun.Status.INTERRUPTED
    assert stopped.message.startswith("Stopped with its worker (")
    assert stopped.users_done < stopped.users_seen
    assert stopped.finished_at is not None

    workers.clear_stop()
    continued = sync(tenant)

    assert continued.status == SyncRun.Status.SUCCEEDED
    assert continued.pass_started_at == stopped.pass_started_at  # the same sync, continued
    # What the two runs wrote is what one uninterrupted sync writes.
    both = snapshot(tenant)
    tenant_delete_synced_data(tenant=tenant)
    assert sync(tenant, full=True).status == SyncRun.Status.SUCCEEDED
    assert snapshot(tenant) == both


def test_the_stopped_task_leaves_its_continuation_in_the_broker(tenant, monkeypatch, broker):
    monkeypatch.setattr(runs, "stop_requested", stop_after(12))

    summary = sync_tenant(tenant.pk, trigger="admin")

    assert summary["status"] == SyncRun.Status.INTERRUPTED
    # Into the broker, not run here (tasks run inline under test, as in no worker).
    (task,) = queued(broker)
    assert task["args"] == (tenant.pk,)
    assert task["kwargs"]["trigger"] == "continue"
    assert task["name"] == f"zoom-sync-tenant-{tenant.pk}"


def test_a_sync_handed_to_a_stopping_worker_waits_in_the_broker(tenant, broker):
    workers.request_stop()

    summary = sync_tenant(tenant.pk, trigger="schedule", full=True)

    assert summary == {"tenant": tenant.pk, "status": "requeued"}
    assert not SyncRun.objects.filter(tenant=tenant).exists()
    (task,) = queued(broker)
    assert task["args"] == (tenant.pk,) and task["kwargs"]["full"] is True
    assert task["kwargs"]["trigger"] == "schedule"


def _running(tenant, *, started_ago: float, beat_ago: float) -> SyncRun:
    now = timezone.now()
    started = now - timedelta(seconds=started_ago)
    return SyncRun.objects.create(
        tenant=tenant,
        started_at=started,
        pass_started_at=started,
        heartbeat_at=now - timedelta(seconds=beat_ago),
    )


def test_a_starting_worker_marks_the_runs_of_gone_workers_and_queues_their_continuation(
    tenant, connect, sandbox, django_capture_on_commit_callbacks
):

    gone = _running(tenant, started_ago=60, beat_ago=40)  # beat, then silent for 40 s
    alive_tenant = connect(seed_account(sandbox.state, users=2, seed=2).id)
    alive = _running(alive_tenant, started_ago=60, beat_ago=1)
    waited = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        # Meanwhile the live worker beats; the gone one does not.
        SyncRun.objects.filter(pk=alive.pk).update(heartbeat_at=timezone.now())

    with django_capture_on_commit_callbacks() as queued_syncs:
        continued = continue_runs_of_gone_workers(window=15, sleep=sleep)

    assert continued == [tenant.pk]
    assert len(queued_syncs) == 1
    gone.refresh_from_db()
    alive.refresh_from_db()
    assert gone.status == SyncRun.Status.INTERRUPTED
    assert gone.message.startswith("Its worker is gone (its heartbeat stopped 40 s")
    assert alive.status == SyncRun.Status.RUNNING
    assert waited == [15]  # one window, only for the runs that beat lately


def test_a_worker_starting_leaves_runs_that_never_beat_or_beat_ahead_to_the_stale_rule(
    tenant, connect, sandbox
):

    # Still asking Zoom before its walk (a token, a slow answer): its heartbeat never moved.
    before_walk = _running(tenant, started_ago=40, beat_ago=40)
    # A worker elsewhere whose clock runs ahead.
    other = connect(seed_account(sandbox.state, users=2, seed=2).id)
    ahead = _running(other, started_ago=60, beat_ago=-300)

    assert workers.interrupted_runs_recognize(window=15, sleep=lambda s: None) == []

    for run in (before_walk, ahead):
        run.refresh_from_db()
        assert run.status == SyncRun.Status.RUNNING


@pytest.mark.qcluster
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["SIGTERM to qcluster", "SIGINT to its process group"])
def test_qcluster_stopped_during_a_sync_stops_within_seconds(
    tenant, sandbox, monkeypatch, broker, how
):

    monkeypatch.setattr(Conf, "SYNC", False)  # a real queue, as production has
    sandbox.config.update(latency_seconds=0.1)  # a sync of many seconds
    env = subprocess_env(sandbox, ZOOMADMIN_Q_WORKERS="1", ZOOM_SYNC_CONCURRENCY="2")
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        enqueue_tenant_sync(tenant.pk, trigger="admin")
        deadline = time.monotonic() + 60
        while not SyncRun.objects.filter(tenant=tenant, users_done__gte=1).exists():
            assert time.monotonic() < deadline, "the sync did not start"
            assert cluster.poll() is None, "qcluster died"
            time.sleep(0.1)

        asked = time.monotonic()
        if how == "SIGTERM to qcluster":
            cluster.send_signal(signal.SIGTERM)
        else:
            os.killpg(cluster.pid, signal.SIGINT)
        cluster.wait(timeout=15)
        took = time.monotonic() - asked
    finally:
        if cluster.poll() is None:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()

    assert took < 10
    run = SyncRun.objects.get(tenant=tenant)
    assert run.status == SyncRun.Status.INTERRUPTED, run.message
    assert run.users_done < run.users_seen
    # Its continuation waits for the next start of the cluster.
    (task,) = queued(broker)
    assert task["args"] == (tenant.pk,) and task["kwargs"]["trigger"] == "continue"


@pytest.mark.qcluster
@pytest.mark.django_db(transaction=True)
def test_a_worker_starting_takes_over_the_run_of_a_killed_worker_at_once(
    tenant, sandbox, monkeypatch, broker
):
    monkeypatch.setattr(Conf, "SYNC", False)
    # Left running by a worker killed a minute ago, long before ZOOM_SYNC_STALE_SECONDS.
    killed = _running(tenant, started_ago=90, beat_ago=60)
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=django_settings.BASE_DIR,
        env=subprocess_env(sandbox, ZOOMADMIN_Q_WORKERS="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not SyncRun.objects.filter(tenant=tenant, status=SyncRun.Status.SUCCEEDED).exists():
            assert time.monotonic() < deadline, "no continuation ran"
            assert cluster.poll() is None, "qcluster died"
            time.sleep(0.2)
    finally:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait()

    killed.refresh_from_db()
    assert killed.status == SyncRun.Status.INTERRUPTED
    assert killed.message.startswith("Its worker is gone")
    continued = SyncRun.objects.get(tenant=tenant, status=SyncRun.Status.SUCCEEDED)
    assert continued.trigger == "continue"
    assert continued.pass_started_at == killed.pass_started_at  # the same sync, continued


def test_a_task_run_inline_changes_nothing_of_its_process(
    tenant, django_capture_on_commit_callbacks
):
    # Q_CLUSTER "sync" runs django-q2's worker function in this process, post_spawn included.
    handler = signal.getsignal(signal.SIGINT)

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_tenant_sync(tenant.pk, trigger="test")

    assert SyncRun.objects.get(tenant=tenant).status == SyncRun.Status.SUCCEEDED
    assert signal.getsignal(signal.SIGINT) is handler
    assert not [t for t in threading.enumerate() if t.name.startswith("zoom-sync-gone")]
    assert not workers.stop_requested()
