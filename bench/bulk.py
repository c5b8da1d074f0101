"""Benchmark of bulk jobs against the sandbox Zoom; prints figures (not a timed test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zoomadmin_bench .venv/bin/python bench/bulk.py
    .venv/bin/python bench/bulk.py --deactivate 100 --license 50 --meetings 10   # a quick look

The sandbox runs in a child process, answers after 150 ms and enforces Zoom's Pro limits per
category (30 Light / 20 Medium / 10 Heavy per second), with ``ZOOM_RATE_SHARE=1``. Three jobs
run one after the other, as a worker runs them (``zoomadmin.jobs.runner.job_run``):

1. deactivate ``--deactivate`` users (default 1,000);
2. change the license type of ``--license`` Basic users to Licensed (default 500);
3. approve ``--meetings`` × ``--per-meeting`` pending registrants (default 100 × 10: 1,000).

For each: requests made by category, wall time against the per-category bound (the largest of
each category's requests ÷ its rate), records per second, and failures. The approvals also
print how many ``PUT …/registrants/status`` calls they took (Zoom takes at most 30 registrants
per call). The database named by DATABASE_URL is migrated and the bench tenant's data replaced:
point it at a database made for the bench.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LATENCY = 0.150
STATUS_ROUTE = "PUT /v2/meetings/{meetingId}/registrants/status"


def _serve_sandbox(args: dict, conn) -> None:  # pragma: no cover - child process
    from zoomadmin.sandbox import SandboxServer, records, seed_account

    server = SandboxServer()
    users = args["deactivate"] + args["license"] + args["meetings"] + 10
    account = seed_account(
        server.state,
        users=users,
        meetings_per_user=0,
        webinars_per_licensed_user=0,
        inactive_ratio=0,
        pending_ratio=0,
        seed=11,
    )
    members = [u for u in account.users.values() if u["id"] != account.owner_id]
    # The users whose license changes start Basic.
    for user in members[args["deactivate"] : args["deactivate"] + args["license"]]:
        user["type"] = 1
    now = time.time()
    hosts = members[-args["meetings"] :]
    for index, host in enumerate(hosts):
        host["type"] = 2
        meeting = records.make_meeting(
            meeting_id=server.state.new_meeting_id(),
            uuid=f"bench-{index:04d}-uuid==",
            host=host,
            topic=f"Bench meeting {index}",
            meeting_type=2,
            start_time=now + 7 * 86400,
            duration=60,
            timezone="UTC",
            created_at=now - 86400,
            password="abc123",
            approval_type=1,  # manual: registrants wait for approval
        )
        account.add_meeting(meeting)
        account.registrants[meeting["id"]] = {}
        for n in range(args["per_meeting"]):
            registrant = records.make_registrant(
                registrant_id=f"reg{index:04d}{n:02d}",
                meeting=meeting,
                email=f"guest{index}.{n}@example.org",
                first_name="Guest",
                last_name=f"{index}-{n}",
                status="pending",
                create_time=now - 3600,
                pin_code=100_000 + n,
            )
            account.registrants[meeting["id"]][registrant["id"]] = registrant
    conn.send({"url": server.url, "api": server.api_base_url, "account": account.id})
    server.serve_forever()


def _control(base: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{base}/_sandbox/{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method="PATCH" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deactivate", type=int, default=1000)
    parser.add_argument("--license", type=int, default=500)
    parser.add_argument("--meetings", type=int, default=100)
    parser.add_argument("--per-meeting", type=int, default=10, help="pending registrants each")
    parser.add_argument("--concurrency", type=int, default=None)
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zoomadmin.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_DEBUG", "0")

    import django

    django.setup()
    parent, child = multiprocessing.Pipe()
    sandbox = multiprocessing.get_context("fork").Process(
        target=_serve_sandbox, args=(vars(args), child), daemon=True
    )
    sandbox.start()
    info = parent.recv()
    try:
        _run(args, info)
    finally:
        sandbox.terminate()


def _run(args, info: dict) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from users.models import ZoomUser
    from zoomadmin.jobs.operations import OPERATIONS
    from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from zoomadmin.sync.runs import tenant_sync
    from zoomadmin.tenants.models import Tenant
    from zoomadmin.tenants.services import tenant_connect_server_to_server, tenant_disconnect
    from zoomadmin.zoom.limits import PLAN_RATES

    settings.ZOOM_API_BASE_URL = info["api"]
    settings.ZOOM_OAUTH_BASE_URL = info["url"]
    call_command("migrate", verbosity=0, skip_checks=True)
    actor, _ = get_user_model().objects.get_or_create(username="bench", is_superuser=True)
    for old in Tenant.objects.filter(account_id=info["account"]):
        tenant_disconnect(tenant=old, by_user=actor, reason="bench")
        old.delete()
    tenant = tenant_connect_server_to_server(
        account_id=info["account"],
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=actor,
    )
    settings.ZOOM_RATE_SHARE = 100_000.0
    run = tenant_sync(tenant=tenant, trigger="bench", full=True)
    print(
        f"zoomadmin bulk benchmark: {connection.vendor}, concurrency "
        f"{args.concurrency or 'auto'}; mirror synced ({run.status}, {run.requests:,} requests)"
    )

    pro = PLAN_RATES["pro"]
    _control(
        info["url"],
        "config",
        {"latency_seconds": LATENCY, "rate_limits": {c.title(): r for c, r in pro.items()}},
    )
    settings.ZOOM_RATE_SHARE = 1.0
    members = list(
        ZoomUser.objects.filter(tenant=tenant, deleted_at=None)
        .exclude(role_name__in=("Owner", "Admin"))
        .order_by("pk")
    )
    basics = [u for u in members if u.type == 1][: args.license]
    chosen = {u.pk for u in basics}
    to_deactivate = [u for u in members if u.pk not in chosen][: args.deactivate]
    _job(args, info, tenant, actor, "users.deactivate", to_deactivate, {}, pro)
    _job(args, info, tenant, actor, "users.change_type", basics, {"type": 2}, pro)

    if "registrants.approve" not in OPERATIONS:
        print("\n[approve registrants] skipped: no registrants.approve operation yet")
        return
    model = OPERATIONS["registrants.approve"].model
    pending = list(model.objects.filter(tenant=tenant, status="pending", deleted_at=None))
    before = _control(info["url"], "stats")["requests_by_route"].get(STATUS_ROUTE, 0)
    _job(args, info, tenant, actor, "registrants.approve", pending, {}, pro)
    calls = _control(info["url"], "stats")["requests_by_route"].get(STATUS_ROUTE, 0) - before
    # Zoom takes one meeting's registrants per call, at most 30: the fewest calls possible.
    minimum = sum(-(-count // 30) for count in Counter(r.meeting_id for r in pending).values())
    print(
        f"  status calls: {calls} for {len(pending):,} registrants of "
        f"{len({r.meeting_id for r in pending})} meetings (the fewest Zoom allows: {minimum})"
    )


def _job(args, info, tenant, actor, operation: str, records: list, params: dict, rates) -> None:
    from zoomadmin.jobs.runner import job_run, jobs_create
    from zoomadmin.zoom.client import request_category

    (job,) = jobs_create(
        actor=actor, operation=operation, records=records, params=params, title=operation
    )
    before = _control(info["url"], "stats")
    started = time.perf_counter()
    job = job_run(job_id=job.pk, concurrency=args.concurrency)
    seconds = time.perf_counter() - started
    after = _control(info["url"], "stats")
    by_category: Counter = Counter()
    for route, count in after["requests_by_route"].items():
        method, template = route.split(" ", 1)
        delta = count - before["requests_by_route"].get(route, 0)
        if delta:
            by_category[request_category(method, template.removeprefix("/v2"))] += delta
    bound = max((n / rates[c] for c, n in by_category.items() if n), default=0.0)
    ratio = f"{seconds / bound:.3f}×" if bound else "-"
    print(
        f"\n[{operation}: {len(records):,} records, {LATENCY * 1000:.0f} ms latency, Pro limits] "
        f"{job.status}, {job.succeeded:,} succeeded, {job.failed:,} failed"
    )
    print(
        f"  wall {seconds:.1f} s vs. bound {bound:.1f} s: {ratio}; {sum(by_category.values()):,} "
        f"requests ({', '.join(f'{c} {n:,}' for c, n in sorted(by_category.items()))}); "
        f"{len(records) / seconds:,.1f} records/s; 429s so far: {after.get('rate_limited', '?')}"
    )
    for item in job.items.exclude(status="succeeded")[:3]:
        print(f"  e.g. {item.object_repr}: {item.status}: {item.message}")


if __name__ == "__main__":
    main()
