"""Benchmark of the full sync against the sandbox Zoom; prints figures (not a timed test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zoomadmin_bench .venv/bin/python bench/sync.py
    .venv/bin/python bench/sync.py                      # SQLite (a fresh file in a temp dir)
    .venv/bin/python bench/sync.py --users 200 --skip-paced   # a quick look

The sandbox runs in a child process (its HTTP server would otherwise share this process's
CPU), seeded with ``--users`` users (10 meetings each, a webinar per licensed user,
registration on 20% of meetings and webinars, recordings on 10% of meetings), plus a second
account of ``--users // 4`` users to show that memory does not grow with the account. It prints:

1. API requests made vs. the minimum that Zoom's API shape needs for the data;
2. the paced run (the sandbox answers after 150 ms and enforces Zoom's Pro limits per category,
   30 Light / 20 Medium / 10 Heavy per second, with ``ZOOM_RATE_SHARE=1``): wall time vs. the
   per-category bound (the largest of each category's requests ÷ its rate);
3. the unpaced run (no latency, no limit): records per second, end to end;
4. requests and rows written by an immediate second full sync, and by a reconcile;
5. peak memory (Python allocations, tracemalloc) of a sync of each account;

and, for each run of 1-4, the requests about past webinar participants (instance listings,
Light; participant pages, Medium): a second sync asks only for recurring webinars' instances.

The database named by DATABASE_URL is migrated, and the bench tenants' synced data is deleted
before each run: point it at a database made for the bench.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE = 300
SEED_ARGS = {
    "meetings_per_user": 10,
    "webinars_per_licensed_user": 1,
    "registrant_ratio": 0.2,
    "recording_ratio": 0.1,
}
PACED_LATENCY = 0.150
UNPACED_SHARE = 100_000.0  # of Pro's limits: no pacing to speak of


# --- the sandbox, in a child process ------------------------------------------------------


def _serve_sandbox(sizes: list[int], months: int, conn) -> None:  # pragma: no cover - child
    from zoomadmin.sandbox import SandboxServer, seed_account

    server = SandboxServer()
    accounts = []
    for index, users in enumerate(sizes):
        account = seed_account(server.state, users=users, seed=index + 1, **SEED_ARGS)
        accounts.append(
            {
                "id": account.id,
                "users": users,
                "minimum": api_minimum(account, months),
            }
        )
    conn.send({"url": server.url, "api": server.api_base_url, "accounts": accounts})
    server.serve_forever()


def api_minimum(account, months: int) -> dict[str, int]:
    """Requests Zoom's API shape needs for a first full sync of ``account``, per listing kind,
    from the sandbox's data and rules (the sync's own functions are not asked).

    Every listing costs ``max(1, ceil(n / 300))`` pages (an empty listing still costs a call).
    Each user with an id costs one "Get a user" (list items lack role, job title, …). Zoom does
    not say in a list which meetings have registration (list items carry no ``settings``), so
    knowing that costs one Get per listed meeting and webinar; then each of the three registrant
    statuses is one listing. Pending users host nothing; Zoom lists only unexpired meetings and
    webinars; a licensed user without the webinar add-on costs one refused listing; recordings
    are listed for the whole account in one-month windows. Each listed webinar whose scheduled
    time is over (a recurring one: that has begun) costs one listing of its ended instances, and
    each instance one participant listing.
    """
    from zoomadmin.sandbox.api.meetings import is_expired
    from zoomadmin.zoom.client import month_windows

    def pages(n: int) -> int:
        return max(1, -(-n // PAGE))

    now = time.time()
    windows = month_windows(datetime.now(UTC).date(), months)
    need: Counter = Counter()
    users = list(account.users.values())
    for status in ("active", "inactive", "pending"):
        need["users"] += max(1, -(-sum(1 for u in users if u["status"] == status) // 2000))
    for user in users:
        if user["status"] == "pending":
            continue
        need["user details"] += 1
        hosted = [account.meetings[m] for m in account.meetings_by_host.get(user["id"], {})]
        hosted = [m for m in hosted if not is_expired(m, now)]
        meetings = [m for m in hosted if m["type"] not in (1, 5, 6, 9)]
        webinars = [m for m in hosted if m["type"] in (5, 6, 9)]
        need["meetings"] += pages(len(meetings))
        parents = list(meetings)
        if user["type"] == 2:
            if user["id"] in account.webinar_users:
                need["webinars"] += pages(len(webinars))
                parents += webinars
            else:
                need["webinars"] += 1  # refused: "Webinar plan is missing"
        need["details"] += len(parents)
        if user["id"] in account.webinar_users and user["type"] == 2:
            for webinar in webinars:
                if _over(webinar, now):
                    need["participant instances"] += 1
                    held = account.webinar_instances.get(webinar["id"], ())
                    need["participants"] += sum(pages(len(i["participants"])) for i in held)
        for parent in parents:
            if parent["settings"]["approval_type"] not in (0, 1):
                continue
            registrants = account.registrants.get(parent["id"], {}).values()
            manual = parent["settings"]["approval_type"] == 1
            for status in ("approved", "pending", "denied") if manual else ("approved", "denied"):
                need["registrants"] += pages(sum(1 for r in registrants if r["status"] == status))
    # Recordings for the whole account, one listing per window (and a probe that Zoom allows it).
    need["recordings"] = 1
    for start, end in windows:
        low, high = start.isoformat(), end.isoformat()
        listed = sum(1 for r in account.recordings.values() if low <= r["start_time"][:10] <= high)
        need["recordings"] += pages(listed)
    need["total"] = sum(need.values())
    return dict(need)


def _over(webinar: dict, now: float) -> bool:
    """Whether a webinar's scheduled time is over (a recurring one's first occurrence)."""
    if "start_time" not in webinar:
        return True  # recurring without a fixed time: it may have been held any time
    start = datetime.strptime(webinar["start_time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return start.timestamp() + 60 * webinar.get("duration", 0) < now


PARTICIPANT_ROUTES = {
    "instances": "GET /v2/past_webinars/{webinarId}/instances",
    "participants": "GET /v2/past_webinars/{webinarId}/participants",
}


def _participant_requests(before: dict, after: dict) -> str:
    """The participant requests between two ``requests_by_route`` of the sandbox's stats."""
    got = {k: after.get(r, 0) - before.get(r, 0) for k, r in PARTICIPANT_ROUTES.items()}
    return (
        f"participant requests: {got['instances']:,} instance listings (Light), "
        f"{got['participants']:,} participant pages (Medium)"
    )


def _control(base: str, path: str, body: dict | None = None) -> dict:
    """GET a control resource, or PATCH it with ``body`` (the sandbox's /_sandbox/ API)."""
    request = urllib.request.Request(
        f"{base}/_sandbox/{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method="PATCH" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


# --- the runs -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--paced-users", type=int, default=None, help="default: --users")
    parser.add_argument("--skip-paced", action="store_true", help="skip the 30/s, 150 ms run")
    parser.add_argument("--paced-only", action="store_true", help="only the 30/s, 150 ms run")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument(
        "--task-seconds",
        type=float,
        default=None,
        help="only the tasks run: --users users at Pro limits, no latency, each task cut "
        "after this many seconds (e.g. 240 for a 300 s task timeout) until the sync completes",
    )
    args = parser.parse_args()
    if args.task_seconds:
        args.paced_only, args.skip_paced = True, True

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zoomadmin.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_DEBUG", "0")  # DEBUG keeps every SQL statement in memory

    import django

    django.setup()
    from django.conf import settings

    months = settings.ZOOM_SYNC_RECORDINGS_MONTHS
    paced_users = args.paced_users or args.users
    sizes = [] if args.paced_only else [args.users, max(1, args.users // 4)]
    if args.task_seconds:
        sizes = [args.users]
    if not args.skip_paced and paced_users not in sizes:
        sizes.append(paced_users)
    parent, child = multiprocessing.Pipe()
    sandbox = multiprocessing.get_context("fork").Process(
        target=_serve_sandbox, args=(sizes, months, child), daemon=True
    )
    sandbox.start()
    info = parent.recv()
    try:
        _run(args, info, sizes, paced_users)
    finally:
        sandbox.terminate()


def _run(args, info: dict, sizes: list[int], paced_users: int) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from zoomadmin.sync.runs import tenant_sync
    from zoomadmin.tenants.services import (
        tenant_connect_server_to_server,
        tenant_delete_synced_data,
    )

    settings.ZOOM_API_BASE_URL = info["api"]
    settings.ZOOM_OAUTH_BASE_URL = info["url"]
    concurrency = args.concurrency or settings.ZOOM_SYNC_CONCURRENCY or None  # None: the budget's
    # The sandbox is on loopback, which the production check refuses with DEBUG off (on here so
    # that Django keeps no SQL log in memory): the bench knows where its Zoom is.
    call_command("migrate", verbosity=0, skip_checks=True)
    admin, _ = get_user_model().objects.get_or_create(username="bench")
    tenants = {}
    for account in info["accounts"]:
        tenants[account["users"]] = (
            tenant_connect_server_to_server(
                account_id=account["id"],
                client_id=DEFAULT_CLIENT_ID,
                client_secret=DEFAULT_CLIENT_SECRET,
                user=admin,
            ),
            account,
        )

    def sync(
        users: int, *, share: float, fresh: bool = True, trace: bool = False, full: bool = True
    ):
        tenant, _ = tenants[users]
        settings.ZOOM_RATE_SHARE = share  # of the tenant's plan (Pro) limits
        if fresh:
            tenant_delete_synced_data(tenant=tenant)
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        run = tenant_sync(tenant=tenant, trigger="bench", concurrency=concurrency, full=full)
        seconds = time.perf_counter() - started
        if trace:
            run.peak_memory = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        return run, seconds

    vendor = connection.vendor
    print(
        f"zoomadmin sync benchmark: {vendor}, concurrency {concurrency or 'auto'}, {args.users} users"
    )

    if args.task_seconds:
        _tasks(info, tenants[args.users][0], args.users, args.task_seconds)
    if not args.paced_only:
        _unpaced(args, info, sizes, tenants, sync)
    if not args.skip_paced:
        _paced(info, paced_users, sync)


def _tasks(info: dict, tenant, users: int, task_seconds: float) -> None:
    """A sync split into tasks of bounded time, at Pro limits, until it completes."""
    from django.conf import settings

    from zoomadmin.sync.models import SyncRun, WalkedSubtree
    from zoomadmin.sync.runs import tenant_sync
    from zoomadmin.zoom.limits import PLAN_RATES

    _control(
        info["url"],
        "config",
        {"latency_seconds": 0, "rate_limits": {c.title(): r for c, r in PLAN_RATES["pro"].items()}},
    )
    settings.ZOOM_RATE_SHARE = 1.0
    started = time.perf_counter()
    runs = []
    while True:
        run = tenant_sync(
            tenant=tenant,
            trigger="bench",
            full=True if not runs else None,
            deadline_seconds=task_seconds,
        )
        runs.append(run)
        print(
            f"  task {len(runs)}: {run.status}, {run.users_done:,}/{run.users_seen:,} users, "
            f"{run.requests:,} requests, {(run.finished_at - run.started_at).total_seconds():.0f} s",
            flush=True,
        )
        if run.status != SyncRun.Status.CONTINUED or len(runs) > 200:
            break
    walked = WalkedSubtree.objects.filter(tenant=tenant, pass_started_at=runs[-1].pass_started_at)
    print(
        f"\n[tasks: {users:,} users, Pro limits, no latency, tasks cut at {task_seconds:.0f} s] "
        f"{runs[-1].status} after {len(runs)} tasks ({len(runs) - 1} task boundaries crossed), "
        f"{time.perf_counter() - started:.0f} s, {sum(r.requests for r in runs):,} requests, "
        f"{walked.count():,} users walked completely, longest task "
        f"{max((r.finished_at - r.started_at).total_seconds() for r in runs):.0f} s"
    )


def _unpaced(args, info: dict, sizes: list[int], tenants: dict, sync) -> None:
    from tests.writes import count_rows_written

    def routes() -> dict:
        return _control(info["url"], "stats")["requests_by_route"]

    # 1 + 3: unpaced, fresh (the sandbox starts with no latency and no limit).
    before = routes()
    run, seconds = sync(args.users, share=UNPACED_SHARE)
    minimum = tenants[args.users][1]["minimum"]
    records = sum(c["created"] + c["updated"] + c["unchanged"] for c in run.counts.values())
    print(f"\n[unpaced] status {run.status}, {seconds:.1f} s, {records:,} records")
    print(f"  records per second, end to end: {records / seconds:,.0f}")
    print(f"  API requests: {run.requests:,} made vs. {minimum['total']:,} minimum")
    print("  minimum by kind: " + ", ".join(f"{k} {v:,}" for k, v in minimum.items()))
    print(f"  counts: {json.dumps(run.counts)}")
    after_sync = routes()
    print(f"  {_participant_requests(before, after_sync)}")

    # 4: immediate second syncs, nothing changed in Zoom: a full one and a reconcile.
    full_requests = run.requests
    with count_rows_written() as written:
        run, seconds = sync(args.users, share=UNPACED_SHARE, fresh=False)
    print(f"\n[full re-sync] status {run.status}, {seconds:.1f} s, {run.requests:,} requests")
    print(f"  rows written to synced tables: {written.total}")
    re_synced = routes()
    print(f"  {_participant_requests(after_sync, re_synced)}")
    with count_rows_written() as written:
        run, seconds = sync(args.users, share=UNPACED_SHARE, fresh=False, full=False)
    print(
        f"\n[reconcile] status {run.status}, {seconds:.1f} s, {run.requests:,} requests "
        f"({run.requests / full_requests:.3f}× the first full sync)"
    )
    print(f"  rows written to synced tables: {written.total}")
    print(f"  {_participant_requests(re_synced, routes())}")

    # 5: peak memory, two account sizes.
    print("\n[memory] peak of Python allocations during a fresh sync (tracemalloc)")
    for users in sizes[:2]:
        run, seconds = sync(users, share=UNPACED_SHARE, trace=True)
        peak = run.peak_memory
        records = sum(c["created"] + c["updated"] + c["unchanged"] for c in run.counts.values())
        print(f"  {users:>6} users, {records:>7,} records: peak {peak / 2**20:6.1f} MiB")


def _paced(info: dict, paced_users: int, sync) -> None:
    from zoomadmin.zoom.client import request_category
    from zoomadmin.zoom.limits import PLAN_RATES

    # 2: paced at Zoom's Pro limits per category, the app using all of them.
    _control(
        info["url"],
        "config",
        {
            "latency_seconds": PACED_LATENCY,
            "rate_limits": {c.title(): r for c, r in PLAN_RATES["pro"].items()},
        },
    )
    before = _control(info["url"], "stats")["requests_by_route"]
    run, seconds = sync(paced_users, share=1.0)
    stats = _control(info["url"], "stats")
    by_category: Counter = Counter()
    for route, count in stats["requests_by_route"].items():
        method, template = route.split(" ", 1)
        path = template.removeprefix("/v2")
        by_category[request_category(method, path)] += count - before.get(route, 0)
    bound = max(count / PLAN_RATES["pro"][c] for c, count in by_category.items() if count)
    print(
        f"\n[paced: {PACED_LATENCY * 1000:.0f} ms latency, Pro limits per category] "
        f"{paced_users} users, status {run.status}"
    )
    print(
        f"  wall {seconds:.1f} s vs. bound {bound:.1f} s (largest of each category's requests "
        f"÷ its rate): {seconds / bound:.3f}×; {run.requests:,} requests "
        f"({', '.join(f'{c} {n:,}' for c, n in sorted(by_category.items()))}), "
        f"429s from the sandbox: {stats.get('rate_limited', '?')}"
    )
    print(f"  {_participant_requests(before, stats['requests_by_route'])}")


if __name__ == "__main__":
    main()
