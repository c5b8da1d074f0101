"""The sync as tasks and as a command: a killed worker, several tenants, ``manage.py zoom_sync``."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.sync.conftest import snapshot, subprocess_env
from zoomadmin.sandbox import seed_account
from zoomadmin.sync import engine
from zoomadmin.sync.models import SyncRun, WalkedSubtree
from zoomadmin.sync.tasks import sync_all_tenants, sync_tenant
from zoomadmin.tenants.models import ServerToServerCredential, Tenant
from zoomadmin.tenants.services import synced_data_models, tenant_delete_synced_data

pytestmark = pytest.mark.django_db


def _rows(tenant: Tenant) -> int:
    return sum(m._default_manager.filter(tenant=tenant).count() for m in synced_data_models())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rows_before_the_kill", [1, 20])
def test_a_sync_killed_mid_way_converges_when_run_again(
    tenant, sandbox, sync, settings, rows_before_the_kill
):
    reference = snapshot(sync(tenant) and tenant)
    tenant_delete_synced_data(tenant=tenant)
    sandbox.config.update(latency_seconds=0.05)  # long enough to be caught in the middle

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "zoom_sync", "--tenant", tenant.account_id],
        cwd=django_settings.BASE_DIR,
        # Two requests in flight: the walk takes seconds, and its first batches land mid-way.
        env=subprocess_env(sandbox, ZOOM_SYNC_CONCURRENCY="2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while (
            _rows(tenant) < rows_before_the_kill
            and worker.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)
        assert worker.poll() is None, worker.stderr.read().decode()
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        worker.stderr.close()
    killed = SyncRun.objects.get(tenant=tenant, status=SyncRun.Status.RUNNING)
    assert 0 < _rows(tenant)

    sandbox.config.update(latency_seconds=0)
    settings.ZOOM_SYNC_STALE_SECONDS = 0  # the killed worker no longer heartbeats
    run = sync(tenant)

    killed.refresh_from_db()
    assert killed.status == SyncRun.Status.INTERRUPTED
    assert run.status == SyncRun.Status.SUCCEEDED
    assert snapshot(tenant) == reference


def test_one_tenant_failing_does_not_stop_another(
    connect, sandbox, django_capture_on_commit_callbacks
):
    healthy = connect()
    broken_account = seed_account(sandbox.state, users=3, seed=2)
    broken = connect(broken_account.id)
    # Its stored token is gone and Zoom refuses its credentials.
    credential = ServerToServerCredential.objects.get(tenant=broken)
    credential.access_token, credential.expires_at = "", None
    credential.client_secret = "revoked"
    credential.save()
    later = connect(seed_account(sandbox.state, users=3, seed=3).id)

    with django_capture_on_commit_callbacks(execute=True):
        enqueued = sync_all_tenants()

    assert set(enqueued) == {healthy.pk, broken.pk, later.pk}
    status = dict(SyncRun.objects.values_list("tenant_id", "status"))
    assert status == {
        healthy.pk: SyncRun.Status.SUCCEEDED,
        broken.pk: SyncRun.Status.FAILED,
        later.pk: SyncRun.Status.SUCCEEDED,
    }
    broken.refresh_from_db()
    assert broken.status == Tenant.Status.REAUTHORIZATION_REQUIRED


def test_the_schedule_skips_a_tenant_paused_until_its_reset(
    tenant, django_capture_on_commit_callbacks
):
    now = timezone.now()
    SyncRun.objects.create(
        tenant=tenant,
        status=SyncRun.Status.PAUSED,
        started_at=now,
        heartbeat_at=now,
        resets_at=now + timezone.timedelta(hours=2),
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert sync_all_tenants() == []

    assert callbacks == []


def test_the_task_is_safe_to_run_twice(tenant):
    first = sync_tenant(tenant.pk)
    second = sync_tenant(tenant.pk)

    assert first["status"] == second["status"] == SyncRun.Status.SUCCEEDED
    assert all(c["created"] == 0 for c in second["counts"].values())
    assert sync_tenant(10**9) == {"tenant": 10**9, "status": "missing"}


def test_the_task_returns_busy_while_another_sync_runs(tenant):
    now = timezone.now()
    SyncRun.objects.create(tenant=tenant, started_at=now, heartbeat_at=now)

    assert sync_tenant(tenant.pk) == {"tenant": tenant.pk, "status": "busy"}


def test_the_command_syncs_in_the_foreground_and_prints_a_summary(tenant):
    out = StringIO()

    call_command("zoom_sync", "--tenant", str(tenant.pk), stdout=out)

    text = out.getvalue()
    assert "Succeeded" in text and "requests to Zoom" in text
    for kind in ("users", "meetings", "registrants", "recordings"):
        assert kind in text
    assert SyncRun.objects.get(tenant=tenant).trigger == "command"


def test_the_command_enqueues_with_async(tenant, django_capture_on_commit_callbacks):
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("zoom_sync", "--all", "--async", stdout=out)

    assert "Enqueued" in out.getvalue()
    # Tasks run inline in the tests (Q_CLUSTER sync), so the run is there already.
    assert SyncRun.objects.get(tenant=tenant).status == SyncRun.Status.SUCCEEDED


def test_the_command_refuses_an_unknown_tenant(tenant):
    with pytest.raises(CommandError, match="No tenant"):
        call_command("zoom_sync", "--tenant", "no-such-account", stdout=StringIO())


def test_a_sync_out_of_time_continues_in_new_tasks_to_the_state_of_one_run(
    tenant, sandbox, sync, settings, django_capture_on_commit_callbacks
):
    reference = snapshot(sync(tenant, full=True) and tenant)
    uninterrupted = sandbox.state.stats.requests_by_account[tenant.account_id]
    tenant_delete_synced_data(tenant=tenant)
    settings.ZOOM_SYNC_TASK_SECONDS = 0.001  # a user's subtree or so per task

    # The first task runs out of time and queues the next, which queues the next, …
    with django_capture_on_commit_callbacks(execute=True):
        sync_tenant(tenant.pk, trigger="test", full=True)

    runs = list(SyncRun.objects.filter(tenant=tenant).order_by("started_at", "pk"))[1:]
    assert len(runs) > 2
    assert {run.status for run in runs[:-1]} == {SyncRun.Status.CONTINUED}
    assert runs[-1].status == SyncRun.Status.SUCCEEDED, runs[-1].message
    assert len({run.pass_started_at for run in runs}) == 1  # one sync, in several tasks
    assert snapshot(tenant) == reference
    # No user's subtree was walked twice: what the tasks asked adds up to about one run's.
    continued = sandbox.state.stats.requests_by_account[tenant.account_id] - uninterrupted
    assert continued <= uninterrupted * 1.5


def test_the_users_walked_least_recently_go_first(tenant, sandbox, sync, settings):
    sync(tenant)
    account = sandbox.state.default_account
    hosts = [u["id"] for u in account.users.values() if u["status"] != "pending"]
    oldest = hosts[-1]  # listed last: only its walk time can bring it first
    now = timezone.now()
    WalkedSubtree.objects.filter(tenant=tenant).update(walked_at=now - timedelta(hours=1))
    WalkedSubtree.objects.filter(tenant=tenant, key=engine.subtree_key(oldest)).update(
        walked_at=now - timedelta(hours=2)
    )
    settings.ZOOM_SYNC_CONCURRENCY = 1

    run = sync(tenant, full=True, deadline_seconds=0.000001)  # one user's walk, out of time

    assert run.status == SyncRun.Status.CONTINUED, run.message
    walked_now = WalkedSubtree.objects.filter(tenant=tenant, walked_at=run.started_at)
    assert list(walked_now.values_list("key", flat=True)) == [engine.subtree_key(oldest)]
