"""Benchmark of the webhook receiver and its processing, as in production; prints figures.

    .venv/bin/python bench/webhooks.py                    # PostgreSQL database zoomadmin_bench_webhooks
    .venv/bin/python bench/webhooks.py --events 1000 --objects 100   # a quick look
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/webhooks.py   # the Redis broker

The app runs as in production (README "Running in production"): gunicorn with ``--workers``
(2) of ``--threads`` (8) on PostgreSQL (its own database, ``--database``, created if missing
and migrated), with ``DJANGO_DEBUG=0``, and one ``qcluster`` (django-q2 on the ORM broker, or on Redis when
``REDIS_URL`` is set). The sandbox Zoom runs in a child process, seeded with one account that
the bench connects as a tenant and syncs in full.

The events are the sandbox's own: the bench makes ``--events`` minus the duplicates changes
"in Zoom" through the sandbox's API (users' fields and status, meetings' topic, agenda and
duration, registrants approved and denied), over ``--objects`` objects (40% users, 40%
meetings, 20% registrants), with the sandbox's webhook sending off, and takes the event
notifications the sandbox announced for them, in Zoom's envelope. They are delivered as Zoom
delivers them: signed (``x-zm-signature``, webhooks/signature.py), ``--duplicates`` (5%) of the
deliveries repeat an earlier event (a retry), ``--out-of-order`` (5%) of the events arrive after
one that happened later, from another process on loopback with ``--concurrency`` (32) requests
in flight (asyncio, keep-alive connections), as fast as the app answers, or at ``--rate``
events a second.

It prints the throughput, the receive latency (p50/p95/p99: the request sent to its answer
read), the events stored (each once) and lost, the events processed, the time from receipt
to the record's change (p50/p95: the event's ``received_at`` to its ``processed_at``, which is
set once its change is in the record), and whether the final records equal the sandbox's
state, field by field. Targets: at least 1,000 events/s received, p99 at most 20 ms, none
lost, the final state exact, receipt-to-record p95 at most 2 s.

Two readings of the throughput and latency targets: as fast as answered (the default, a closed
loop: with ``--concurrency`` requests always in flight, the mean latency is concurrency ÷
throughput, so p99 ≤ 20 ms at 32 in flight needs well over 1,600 events/s), and at a paced
``--rate 1000`` (an open loop, at most ``--concurrency`` in flight: the latency of each event
at the rate Zoom would send; the throughput target is then whether the app kept up). The
machine's load average is printed before and after (other work on it shows in the figures), and
the CPU time each part (the app, the cluster, PostgreSQL, the sender) spent per delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-webhook-secret"
SECRET_KEY = "bench-webhooks-" + "k" * 50
KINDS = (("users", 0.4), ("meetings", 0.4), ("registrants", 0.2))
SEED_ARGS = {
    "users": 400,
    "meetings_per_user": 3,
    "webinars_per_licensed_user": 0,
    "registrant_ratio": 0.6,
    "recording_ratio": 0.0,
    "inactive_ratio": 0.0,
    "pending_ratio": 0.0,
}


# --- the sandbox, in a child process ------------------------------------------------------


def _serve_sandbox(conn) -> None:  # pragma: no cover - child
    """The sandbox, and what it announced, handed to the parent when asked."""
    from zoomadmin.sandbox import SandboxServer, seed_account
    from zoomadmin.sandbox.webhooks import envelope

    server = SandboxServer()
    server.config.update(meeting_writes_per_user_per_day=10**9)
    account = seed_account(server.state, seed=11, **SEED_ARGS)
    announced: list[dict] = []
    # The sandbox's own change announcements, in Zoom's envelope (as its sender would post).
    server.state.listeners.append(
        lambda event, account_id, payload: announced.append(
            envelope(event, payload, server.state.now())
        )
    )
    server.start()
    conn.send({"url": server.url, "api": server.api_base_url, "account": account.id})
    while True:
        command, argument = conn.recv()
        if command == "take":
            conn.send(announced[:])
            announced.clear()
        elif command == "state":
            conn.send(_sandbox_state(server.state.accounts[account.id], argument))
        elif command == "stop":
            return


def _sandbox_state(account, chosen: dict) -> dict:  # pragma: no cover - child
    users = {uid: dict(account.users[uid]) for uid in chosen["users"]}
    meetings = {mid: dict(account.meetings[mid]) for mid in chosen["meetings"]}
    registrants = {
        f"{mid}/{rid}": dict(account.registrants[mid][rid]) for mid, rid, _ in chosen["registrants"]
    }
    return {"users": users, "meetings": meetings, "registrants": registrants}


# --- set-up --------------------------------------------------------------------------------


def _environment(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "zoomadmin.settings"
    os.environ["DJANGO_SECRET_KEY"] = SECRET_KEY
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_DEBUG"] = "0"  # as in production
    os.environ["ZOOM_WEBHOOK_SECRET_TOKEN"] = SECRET
    os.environ["ZOOM_RATE_SHARE"] = "100000"  # the sandbox sets no limit: no pacing to speak of


def _create_database(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [args.database]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{args.database}"')
            print(f"created database {args.database}")


def _connect_and_sync(info: dict):
    from django.contrib.auth import get_user_model

    from webhooks.models import WebhookEvent
    from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from zoomadmin.sync.runs import tenant_sync
    from zoomadmin.tenants.models import Tenant
    from zoomadmin.tenants.services import tenant_connect_server_to_server

    # A fresh start: earlier runs' tenants (each run's sandbox is a new account).
    Tenant.objects.all().delete()
    WebhookEvent.objects.all().delete()
    admin, _ = get_user_model().objects.get_or_create(username="bench")
    tenant = tenant_connect_server_to_server(
        account_id=info["account"],
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=admin,
    )
    started = time.perf_counter()
    run = tenant_sync(tenant=tenant, trigger="bench", full=True)
    print(
        f"  synced the tenant: {run.status}, {run.requests:,} requests, "
        f"{time.perf_counter() - started:.1f} s"
    )
    return tenant


def _choose(tenant, objects: int, rng: random.Random) -> dict:
    """The objects the events are about, from what the sync stored."""
    from meetings.models import Meeting, MeetingRegistrant
    from users.models import ZoomUser

    want = {kind: round(objects * share) for kind, share in KINDS}
    users = list(
        ZoomUser.objects.filter(tenant=tenant, status="active")
        .exclude(zoom_id="")
        .exclude(role_id__in=["0", "1"])  # Zoom refuses to deactivate owners and admins
        .values_list("zoom_id", flat=True)
    )
    meetings = list(
        Meeting.objects.filter(tenant=tenant, type=2, deleted_at=None).values_list(
            "zoom_id", flat=True
        )
    )
    registrants = list(
        MeetingRegistrant.objects.filter(tenant=tenant, meeting__approval_type=1).values_list(
            "meeting__zoom_id", "zoom_id", "status"
        )
    )
    return {
        "users": rng.sample(users, want["users"]),
        "meetings": rng.sample(meetings, want["meetings"]),
        "registrants": rng.sample(registrants, want["registrants"]),
    }


def _make_changes(tenant, chosen: dict, changes: int, rng: random.Random) -> int:
    """``changes`` changes "in Zoom" through the sandbox's API, each announced by one event."""
    from zoomadmin.tenants.tokens import client_for_tenant

    client = client_for_tenant(tenant)
    status = {uid: "active" for uid in chosen["users"]}
    registrant_status = {rid: status for _, rid, status in chosen["registrants"]}
    weights = [share for _, share in KINDS]
    for number in range(changes):
        kind = rng.choices([k for k, _ in KINDS], weights)[0]
        if kind == "users":
            user_id = rng.choice(chosen["users"])
            if rng.random() < 0.2:
                action = "deactivate" if status[user_id] == "active" else "activate"
                client.update_user_status(user_id, action)
                status[user_id] = "inactive" if action == "deactivate" else "active"
            else:
                field = rng.choice(["dept", "job_title", "location"])
                client.update_user(user_id, {field: f"{field} {number}"})
        elif kind == "meetings":
            meeting_id = rng.choice(chosen["meetings"])
            field = rng.choice(["topic", "agenda", "duration"])
            value = 1 + number % 1440 if field == "duration" else f"{field} {number}"
            client.update_meeting(meeting_id, {field: value})
        else:
            meeting_id, registrant_id, _ = rng.choice(chosen["registrants"])
            action = "deny" if registrant_status[registrant_id] == "approved" else "approve"
            client.update_meeting_registrant_status(meeting_id, action, [{"id": registrant_id}])
            registrant_status[registrant_id] = "denied" if action == "deny" else "approved"
    return client.request_count


def _deliveries(announced: list[dict], args: argparse.Namespace, rng: random.Random) -> list[bytes]:
    """The bodies in the order they are sent: some events after a later one, some twice."""
    bodies = [json.dumps(e, separators=(",", ":")).encode() for e in announced]
    order = list(range(len(bodies)))
    for _ in range(round(len(order) * args.out_of_order)):
        # A delivery overtaken by up to 20 later ones (a slow attempt, a retry).
        at = rng.randrange(len(order) - 1)
        to = min(len(order) - 1, at + rng.randint(1, 20))
        order.insert(to, order.pop(at))
    sent = [bodies[i] for i in order]
    for _ in range(args.events - len(sent)):
        # Zoom delivers again what it thinks went unanswered, a little later.
        at = rng.randrange(len(sent))
        sent.insert(min(len(sent), at + rng.randint(1, 200)), sent[at])
    return sent


# --- the app's processes ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_app(args: argparse.Namespace, info: dict, log_dir: Path) -> tuple[list, int]:
    env = {
        **os.environ,
        "ZOOM_API_BASE_URL": info["api"],
        "ZOOM_OAUTH_BASE_URL": info["url"],
        # Plain HTTP on loopback: no proxy in front of it to speak HTTPS.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
    }
    port = args.port or _free_port()
    gunicorn = [
        str(Path(sys.executable).with_name("gunicorn")),
        "zoomadmin.wsgi",
        "--workers",
        str(args.workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "1024",
    ]
    if args.threads > 1:
        gunicorn += ["--threads", str(args.threads)]
    # The cluster refuses the sandbox's loopback URLs in its start-up checks with DJANGO_DEBUG=0
    # (zoomadmin.E004, as it should for a deployment): the bench knows where its Zoom is.
    qcluster = [sys.executable, "manage.py", "qcluster", "--skip-checks"]
    if args.cluster_nice:
        # The receiver first: the cluster takes what CPU the answers leave (README).
        qcluster = ["nice", "-n", str(args.cluster_nice), *qcluster]
    processes = []
    for name, command in (("gunicorn", gunicorn), ("qcluster", qcluster)):
        log = (log_dir / f"{name}.log").open("w")
        processes.append(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise SystemExit(f"the app did not start: see {log_dir}") from None
            time.sleep(0.2)
    return processes, port


def _stop(processes: list) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# --- the sender, in another process -----------------------------------------------------------


def _send_all(port: int, bodies: list[bytes], concurrency: int, rate: float, conn) -> None:
    sent = asyncio.run(_sender(port, bodies, concurrency, rate))
    conn.send({**sent, "cpu": time.process_time()})


async def _sender(port: int, bodies: list[bytes], concurrency: int, rate: float) -> dict:
    from webhooks.signature import sign

    queue: asyncio.Queue = asyncio.Queue()
    for index, body in enumerate(bodies):
        queue.put_nowait((index, body))
    latencies = [0.0] * len(bodies)
    statuses: dict[int, int] = {}
    started = time.perf_counter()

    async def one_connection() -> None:
        reader = writer = None
        while not queue.empty():
            index, body = queue.get_nowait()
            if rate:
                # Open loop: event i is due at i / rate, whatever the answers' pace.
                delay = started + index / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            timestamp = str(int(time.time()))
            head = (
                f"POST /webhooks/zoom/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/json; charset=utf-8\r\n"
                "User-Agent: Zoom Marketplace/1.0a\r\n"
                f"x-zm-request-timestamp: {timestamp}\r\n"
                f"x-zm-signature: {sign(SECRET, timestamp, body)}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            sent_at = time.perf_counter()
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head + body)
            status, close = await _read_response(reader)
            latencies[index] = time.perf_counter() - sent_at
            statuses[status] = statuses.get(status, 0) + 1
            if close:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(one_connection() for _ in range(concurrency)))
    return {
        "seconds": time.perf_counter() - started,
        "latencies": latencies,
        "statuses": statuses,
    }


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length, close = 0, status_line.startswith(b"HTTP/1.0")
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    if length:
        await reader.readexactly(length)
    return status, close


# --- the figures ------------------------------------------------------------------------------


def _wait_processed(tenant, stored_expected: int, timeout: float) -> float:
    from webhooks.models import WebhookEvent

    started = time.perf_counter()
    events = WebhookEvent.objects.filter(account_id=tenant.account_id)
    stored, still = 0, started
    while time.perf_counter() - started < timeout:
        if stored != (stored := events.count()):
            still = time.perf_counter()
        if not events.filter(status="received").exists():
            # All stored, or nothing more arriving (what is missing is lost).
            if stored >= stored_expected or time.perf_counter() - still > 5:
                break
        time.sleep(0.1)
    return time.perf_counter() - started


def _cpu_seconds() -> dict[tuple[str, int], float]:
    """CPU seconds (user and system) of every process of the machine so far, by its name
    and session (the app and the cluster each run in a session of their own)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[tuple[str, int], float] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        key = (name, int(fields[3]))
        found[key] = found.get(key, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return found


def _cpu_per_event(before: dict, after: dict, processes: list, sender: float, events: int) -> str:
    """Each part's CPU time per event between ``before`` and ``after`` (processes that ended
    meanwhile are not counted: none should)."""
    spent = {name: 0.0 for name in ("app", "cluster", "PostgreSQL")}
    app, cluster = (process.pid for process in processes)
    for key, seconds in after.items():
        name, session = key
        part = {app: "app", cluster: "cluster"}.get(session)
        if part is None and name == "postgres":
            part = "PostgreSQL"
        if part is not None:
            spent[part] += seconds - before.get(key, 0.0)
    spent["sender"] = sender
    parts = ", ".join(f"{name} {1000 * value / events:.2f} ms" for name, value in spent.items())
    total = 1000 * sum(spent.values()) / events
    return f"{parts}; {total:.2f} ms in all, on {os.cpu_count()} cores"


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _compare(tenant, expected: dict) -> list[str]:
    """Where the records differ from the sandbox's state (what the events describe)."""
    from meetings.models import Meeting, MeetingRegistrant
    from users.models import ZoomUser

    differences = []
    users = {
        u.zoom_id: u for u in ZoomUser.objects.filter(tenant=tenant, zoom_id__in=expected["users"])
    }
    for user_id, zoom in expected["users"].items():
        stored = users.get(user_id)
        for name in ("dept", "job_title", "status"):
            if stored is None or getattr(stored, name) != zoom.get(name, ""):
                differences.append(f"user {user_id} {name}")
        if stored is None or stored.zoom_data.get("location", "") != zoom.get("location", ""):
            differences.append(f"user {user_id} location")
    meetings = {
        m.zoom_id: m
        for m in Meeting.objects.filter(tenant=tenant, zoom_id__in=expected["meetings"])
    }
    for meeting_id, zoom in expected["meetings"].items():
        stored = meetings.get(int(meeting_id))
        for name in ("topic", "duration"):
            if stored is None or getattr(stored, name) != zoom.get(name):
                differences.append(f"meeting {meeting_id} {name}")
        if stored is None or stored.zoom_data.get("agenda", "") != zoom.get("agenda", ""):
            differences.append(f"meeting {meeting_id} agenda")
    registrants = {
        f"{r.meeting.zoom_id}/{r.zoom_id}": r
        for r in MeetingRegistrant.objects.filter(tenant=tenant).select_related("meeting")
    }
    for key, zoom in expected["registrants"].items():
        stored = registrants.get(key)
        if stored is None or stored.status != zoom["status"]:
            differences.append(f"registrant {key} status")
    return differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000, help="deliveries in all")
    parser.add_argument("--objects", type=int, default=500)
    parser.add_argument("--duplicates", type=float, default=0.05)
    parser.add_argument("--out-of-order", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=0, help="events/s (0: as fast as answered)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--threads", type=int, default=8, help="gunicorn threads per worker (production: 8)"
    )
    parser.add_argument(
        "--cluster-nice", type=int, default=0, help="run the qcluster at this nice level"
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="zoomadmin_bench_webhooks")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    load_before = _load()  # others' work, before the bench's own
    rng = random.Random(args.seed)

    _environment(args)
    _create_database(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from webhooks.models import WebhookEvent

    call_command("migrate", verbosity=0, skip_checks=True)
    parent, child = multiprocessing.Pipe()
    sandbox = multiprocessing.get_context("fork").Process(
        target=_serve_sandbox, args=(child,), daemon=True
    )
    sandbox.start()
    info = parent.recv()
    from django.conf import settings

    settings.ZOOM_API_BASE_URL = info["api"]
    settings.ZOOM_OAUTH_BASE_URL = info["url"]
    broker = "Redis" if settings.REDIS_URL else "ORM"
    print(
        f"zoomadmin webhooks benchmark: {connection.vendor} ({args.database}), gunicorn "
        f"{args.workers} workers × {args.threads} threads, qcluster "
        f"{settings.Q_CLUSTER['workers']} workers on the {broker} broker"
        + (f", at nice {args.cluster_nice}" if args.cluster_nice else "")
    )
    processes: list = []
    log_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"zoomadmin-bench-webhooks-{os.getpid()}"
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        tenant = _connect_and_sync(info)
        chosen = _choose(tenant, args.objects, rng)
        unique = round(args.events / (1 + args.duplicates))
        parent.send(("take", None))
        parent.recv()  # nothing of the set-up
        started = time.perf_counter()
        requests = _make_changes(tenant, chosen, unique, rng)
        parent.send(("take", None))
        announced = parent.recv()
        print(
            f"  made {unique:,} changes in the sandbox ({requests:,} API requests, "
            f"{time.perf_counter() - started:.1f} s): {len(announced):,} events announced, "
            f"about {sum(len(v) for v in chosen.values())} objects"
        )
        bodies = _deliveries(announced, args, rng)
        parent.send(("state", chosen))
        expected = parent.recv()

        processes, port = _start_app(args, info, log_dir)
        time.sleep(2)  # the cluster's workers up
        receiver, sender_end = multiprocessing.Pipe()
        sender = multiprocessing.get_context("fork").Process(
            target=_send_all, args=(port, bodies, args.concurrency, args.rate, sender_end)
        )
        cpu_before = _cpu_seconds()
        sent_at = time.perf_counter()
        sender.start()
        sent = receiver.recv()
        sender.join()
        drained = _wait_processed(tenant, len(announced), timeout=600)
        since_sent = time.perf_counter() - sent_at
        cpu = _cpu_per_event(cpu_before, _cpu_seconds(), processes, sent["cpu"], len(bodies))

        events = WebhookEvent.objects.filter(account_id=tenant.account_id)
        by_status = dict(events.values_list("status").annotate(n=Count("id")))
        to_record = [
            (processed - received).total_seconds()
            for received, processed in events.filter(status="processed").values_list(
                "received_at", "processed_at"
            )
        ]
        deliveries = sum(events.values_list("deliveries", flat=True))
        latencies = sent["latencies"]
        throughput = len(bodies) / sent["seconds"]
        differences = _compare(tenant, expected)
        stored = events.count()
        print(
            f"\n[receive] {len(bodies):,} deliveries ({len(bodies) - len(announced):,} duplicates, "
            f"{round(len(announced) * args.out_of_order):,} overtaken), concurrency "
            f"{args.concurrency}{f', at {args.rate:,.0f}/s' if args.rate else ''}: "
            f"{sent['seconds']:.2f} s, {throughput:,.0f} events/s; answers {sent['statuses']}"
        )
        print(
            "  latency p50 {:.1f} ms, p95 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms".format(
                *(1000 * _percentile(latencies, p) for p in (0.5, 0.95, 0.99)),
                1000 * max(latencies),
            )
        )
        print(
            f"[store] {stored:,} events stored of {len(announced):,} sent "
            f"({len(announced) - stored:,} lost), {deliveries:,} deliveries counted"
        )
        print(
            f"[process] {by_status}; all done {since_sent:.1f} s after the first was sent "
            f"({drained:.1f} s after the last)"
        )
        print(
            "  receipt to record p50 {:.2f} s, p95 {:.2f} s, max {:.2f} s".format(
                _percentile(to_record, 0.5),
                _percentile(to_record, 0.95),
                max(to_record or [float("nan")]),
            )
        )
        print(
            f"[final state] {'exact' if not differences else 'DIFFERENT'}: "
            f"{len(differences)} fields differ from the sandbox"
            + (f" (e.g. {', '.join(differences[:5])})" if differences else "")
        )
        print(f"[CPU] per delivery, from the first sent to the last processed: {cpu}")
        if args.rate:
            # Paced: the rate is the bench's; whether the app answered at that pace is the app's.
            pace = (
                f"≥ 1,000 events/s (paced at {args.rate:,.0f}/s, kept up)",
                args.rate >= 1000 and throughput >= 0.98 * args.rate,
            )
        else:
            pace = ("≥ 1,000 events/s", throughput >= 1000)
        targets = [
            pace,
            ("p99 ≤ 20 ms", _percentile(latencies, 0.99) <= 0.020),
            ("0 lost", stored == len(announced)),
            ("final state exact", not differences),
            ("receipt-to-record p95 ≤ 2 s", _percentile(to_record, 0.95) <= 2.0),
        ]
        print(
            "[targets] " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in targets)
        )
        print(f"  logs: {log_dir}; load average at the start {load_before}, at the end {_load()}")
    finally:
        _stop(processes)
        parent.send(("stop", None))
        sandbox.join(timeout=5)


if __name__ == "__main__":
    main()
