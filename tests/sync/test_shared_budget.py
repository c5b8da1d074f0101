"""Two ``qcluster`` processes (as on two hosts) working for one tenant at the same time share its
one request budget through Redis (SPEC §8: "one pacing budget per tenant shared by all worker
processes"; README "Running in production").

Zoom counts requests per account and per category each second, whoever sends them (Zoom's rate
limits page, FACTS.md §5; ``zoomadmin.zoom.limits``): the sandbox, set to the tenant's budget,
answers 429 to anything beyond it, and the requests it saw are timed here.

Run with Redis at hand:  REDIS_URL=redis://127.0.0.1:6379/15 scripts/test tests/sync -m qcluster
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict

import pytest
from django.conf import settings as django_settings
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.status import Stat

from tests.sync.conftest import subprocess_env
from users.models import ZoomUser
from zoomadmin.jobs.models import BulkJob
from zoomadmin.jobs.runner import jobs_create
from zoomadmin.jobs.tasks import enqueue_job
from zoomadmin.sandbox import seed_account
from zoomadmin.zoom.client import request_category
from zoomadmin.zoom.limits import LIGHT, PLAN_RATES

pytestmark = [
    pytest.mark.qcluster,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a Redis server)"),
]

# The tenant (Zoom Pro: 30 Light requests a second) may use a sixth of it: 5 a second.
SHARE = 1 / 6
BUDGET = PLAN_RATES["pro"][LIGHT] * SHARE
USERS_PER_JOB = 12


@pytest.fixture
def two_clusters(sandbox, monkeypatch):
    """Two qcluster processes of one worker each, on this test's database, Redis and sandbox."""
    monkeypatch.setattr(Conf, "SYNC", False)  # enqueue for real, as production does
    broker = get_broker()
    broker.purge_queue()
    env = subprocess_env(sandbox, ZOOMADMIN_Q_WORKERS="1", ZOOM_RATE_SHARE=repr(SHARE))
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    # Both up and waiting on the queue before anything is queued (else the first takes all).
    deadline = time.monotonic() + 20
    while not {p.pid for p in processes} <= {
        stat.pid for stat in Stat.get_all(broker) if stat.status == Conf.IDLE
    }:
        assert time.monotonic() < deadline, "the clusters did not start"
        time.sleep(0.2)
    time.sleep(0.5)  # their pushers reach the queue
    yield processes
    for process in processes:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    broker.purge_queue()


@pytest.fixture
def arrivals(sandbox, monkeypatch) -> dict[str, list[float]]:
    """When each API request reached the sandbox, by Zoom's rate-limit category."""
    seen: dict[str, list[float]] = defaultdict(list)
    handle = sandbox.handle

    def timed(request):
        if request.path.startswith("/v2/"):
            path = request.path.removeprefix("/v2")
            seen[request_category(request.method, path)].append(time.monotonic())
        return handle(request)

    monkeypatch.setattr(sandbox, "handle", timed)
    return seen


def most_in_a_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    start, most = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_two_clusters_working_for_one_tenant_stay_within_its_one_budget(
    connect, sync, sandbox, django_user_model, two_clusters, arrivals
):
    account = seed_account(sandbox.state, users=40, meetings_per_user=0, seed=6)
    tenant = connect(account.id)
    assert sync(tenant).status == "succeeded"  # the users to work on, unpaced
    users = list(ZoomUser.objects.filter(tenant=tenant, status="active").exclude(zoom_id=""))
    assert len(users) >= USERS_PER_JOB
    sandbox.config.update(rate_limits={"Light": BUDGET, "Medium": BUDGET, "Heavy": BUDGET})
    sandbox.state.stats.rate_limited = 0
    arrivals.clear()
    actor = django_user_model.objects.create_user(username="budget")

    # Two jobs of one tenant, queued together: each cluster takes one (one worker each).
    jobs = [
        job
        for chosen in (users[:USERS_PER_JOB], users[-USERS_PER_JOB:])
        for job in jobs_create(
            actor=actor, operation="users.resync", records=chosen, title="Re-sync users"
        )
    ]
    started = time.monotonic()
    for job in jobs:
        enqueue_job(job.pk)
    deadline = started + 25
    while BulkJob.objects.filter(pk__in=[j.pk for j in jobs], status="done").count() < 2:
        assert time.monotonic() < deadline, list(BulkJob.objects.values("status", "message"))
        time.sleep(0.1)

    first, second = BulkJob.objects.filter(pk__in=[j.pk for j in jobs]).order_by("started_at")
    # They ran at the same time, so in the two processes (a cluster of one worker runs one).
    assert second.started_at < first.finished_at
    assert first.succeeded == second.succeeded == USERS_PER_JOB
    light = arrivals[LIGHT]
    assert len(light) >= 2 * USERS_PER_JOB
    # Zoom's count: the sandbox answered no request with 429.
    assert sandbox.state.stats.rate_limited == 0
    # The budget's evenly spaced slots, as the sandbox saw them: never more in a second than the
    # budget (one more where a second's window catches the slots at both of its ends), and over
    # the whole run no faster than the budget, although each process alone could have been.
    assert most_in_a_window(light, 1.0) <= BUDGET + 1
    assert most_in_a_window(light, 3.0) <= 3 * BUDGET + 1
    assert (len(light) - 1) / (max(light) - min(light)) <= BUDGET * 1.05
