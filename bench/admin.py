"""Benchmark of the admin's lists and pages on a large tenant; prints figures (not a timed test).

    .venv/bin/python bench/admin.py                    # PostgreSQL database zoomadmin_bench_admin
    .venv/bin/python bench/admin.py --database mydb --reload
    .venv/bin/python bench/admin.py --meetings 10000 --users 2000 --registrants 20000  # a look

On PostgreSQL (its own database, ``--database``, created if missing and migrated), one tenant
is bulk-inserted once and kept for later runs (``--reload`` inserts it again; it is vacuumed
and analyzed after it is inserted and after a migration, so that index-only scans are possible
and the planner knows the trigram indexes' expressions): ``--users``
Zoom users (default 20,000), ``--meetings`` meetings (100,000; one of them with
``--big-meeting`` registrants, 1,000), ``--registrants`` meeting registrants in all (200,000),
and webinars, their registrants and participants, cloud recordings and their files. Records
are built the way the sync stores them: the sandbox's Zoom objects (``zoomadmin.sandbox.records``)
through the project's mappers, so ``zoom_data`` has Zoom's size.

For every changelist (page 1, the middle page and the last), searches (on the largest lists a
word of many rows, one of a few, two words), a filtered list and a change page, as a superuser and as a tenant's staff member (a member of the tenant with every
permission of its records), it prints the SQL queries of one request and the server time per
request (the median of ``--repeat`` requests, 20, through Django's test client, in process),
and the page's size. Then the CSV export of all meetings, run in a child process per size, prints the
peak RSS (VmHWM) at 10,000 and at all rows: flat memory means the export streams.
Targets: at most 10 queries and 100 ms per request.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACCOUNT = "bench-admin-account"
BATCH = 5000
TIMEZONES = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "UTC", "America/Los_Angeles"]
DEPARTMENTS = [f"Department {n}" for n in range(300)]


def _environment(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = f"{args.server}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zoomadmin.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_DEBUG"] = "0"  # DEBUG keeps every SQL statement in memory
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"


def _create_database(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [args.database]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{args.database}"')
            print(f"created database {args.database}")


# --- the data ------------------------------------------------------------------------------


def _load(args: argparse.Namespace):
    """The bench tenant, inserted now unless it is there with the asked sizes."""
    from django.db import connection

    from meetings.models import Meeting, MeetingRegistrant
    from users.models import ZoomUser
    from zoomadmin.tenants.models import Tenant

    tenant = Tenant.objects.filter(account_id=ACCOUNT).first()
    if tenant is not None and not args.reload:
        sizes = (
            ZoomUser.objects.filter(tenant=tenant).count(),
            Meeting.objects.filter(tenant=tenant).count(),
            MeetingRegistrant.objects.filter(tenant=tenant).count(),
        )
        if sizes == (args.users, args.meetings, args.registrants):
            return tenant
    if tenant is not None:
        tenant.delete()
    tenant = Tenant.objects.create(
        account_id=ACCOUNT, name="Bench account", connection=Tenant.Connection.SERVER_TO_SERVER
    )
    started = time.perf_counter()
    _insert(args, tenant)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"inserted the bench tenant in {time.perf_counter() - started:.0f} s")
    return tenant


def _bulk(model, rows) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)


def _insert(args: argparse.Namespace, tenant) -> None:
    from meetings.mapping import (
        zoom_meeting_to_fields,
        zoom_participant_to_fields,
        zoom_recording_file_to_fields,
        zoom_recording_to_fields,
        zoom_registrant_to_fields,
        zoom_webinar_to_fields,
    )
    from meetings.models import (
        CloudRecording,
        Meeting,
        MeetingRegistrant,
        RecordingFile,
        Webinar,
        WebinarParticipant,
        WebinarRegistrant,
    )
    from users.mapping import zoom_user_to_fields
    from users.models import ZoomUser
    from zoomadmin.sandbox import records

    class Account:
        id, number, name = ACCOUNT, 1, "Bench account"

    rng = random.Random(7)
    now = time.time()
    synced = datetime.now(UTC)
    day = 86400

    payloads = []
    for n in range(args.users):
        payloads.append(
            records.make_user(
                account=Account,
                user_id=f"benchUser{n:013d}",
                email=f"user{n:05d}@bench.example",
                first_name=rng.choice(["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken"]),
                last_name=f"Tester{n}",
                user_type=2 if n % 3 == 0 else 1,
                status="active" if n % 20 else "inactive",
                created_at=now - rng.randint(30, 900) * day,
                pmi=5_000_000_000 + n,
                role_id="0" if n == 0 else ("1" if n % 500 == 0 else "2"),
                dept=rng.choice(DEPARTMENTS),
                job_title="Engineer",
                timezone=rng.choice(TIMEZONES),
                last_login_time=now - rng.randint(0, 60) * day,
            )
        )
    _bulk(
        ZoomUser,
        (ZoomUser(tenant=tenant, synced_at=synced, **zoom_user_to_fields(p)) for p in payloads),
    )
    users = list(ZoomUser.objects.filter(tenant=tenant).order_by("pk"))
    by_zoom_id = {user.zoom_id: user for user in users}
    licensed = [p for p in payloads if p["type"] == 2]
    print(f"  {len(users):,} users")

    def scheduled(n: int, host: dict, meeting_type: int, registration: bool) -> dict:
        return records.make_meeting(
            meeting_id=80_000_000_000 + n if meeting_type < 5 or meeting_type == 8 else n,
            uuid=f"benchUuid{n:012d}==",
            host=host,
            topic=f"{rng.choice(['Weekly', 'Quarterly', 'Team', 'Customer'])} sync {n}",
            meeting_type=meeting_type,
            start_time=now + rng.randint(-700, 300) * day + rng.randint(0, 86399),
            duration=rng.choice([30, 45, 60, 90]),
            timezone=host["timezone"],
            created_at=now - 800 * day,
            password="abc123",
            agenda="Agenda: " + "discussion " * 20,
            approval_type=0 if registration else 2,
        )

    meetings = []
    for n in range(args.meetings):
        host = payloads[n % len(payloads)]
        meetings.append(scheduled(n, host, 8 if n % 10 == 0 else 2, n == 0 or n % 5 == 0))

    def meeting_row(data: dict, model, to_fields) -> object:
        host = by_zoom_id[data["host_id"]]
        return model(tenant=tenant, synced_at=synced, host=host, **to_fields(data))

    _bulk(Meeting, (meeting_row(m, Meeting, zoom_meeting_to_fields) for m in meetings))
    meeting_pks = dict(Meeting.objects.filter(tenant=tenant).values_list("zoom_id", "pk"))
    print(f"  {len(meeting_pks):,} meetings")

    def registrants(parents: list[dict], total: int, big: int, model, parent_field, pks):
        with_registration = [p for p in parents if p["settings"]["approval_type"] != 2]
        counts = {with_registration[0]["id"]: big}
        rest = total - big
        others = with_registration[1:]
        for index, parent in enumerate(others):
            counts[parent["id"]] = rest // len(others) + (1 if index < rest % len(others) else 0)
        for parent in with_registration:
            for k in range(counts.get(parent["id"], 0)):
                data = records.make_registrant(
                    registrant_id=f"r{parent['id']}x{k}",
                    meeting=parent,
                    email=f"guest{k}.{parent['id']}@example.org",
                    first_name="Guest",
                    last_name=f"Number {k}",
                    status=rng.choice(["approved", "approved", "pending", "denied"]),
                    create_time=now - rng.randint(0, 200) * day,
                    pin_code=100_000 + k,
                )
                yield model(
                    tenant=tenant,
                    synced_at=synced,
                    **{f"{parent_field}_id": pks[parent["id"]]},
                    **zoom_registrant_to_fields(data),
                )

    _bulk(
        MeetingRegistrant,
        registrants(
            meetings, args.registrants, args.big_meeting, MeetingRegistrant, "meeting", meeting_pks
        ),
    )
    print(f"  {MeetingRegistrant.objects.filter(tenant=tenant).count():,} meeting registrants")

    webinars = [
        scheduled(900_000_000 + n, licensed[n % len(licensed)], 5, n % 2 == 0)
        for n in range(args.webinars)
    ]
    _bulk(Webinar, (meeting_row(w, Webinar, zoom_webinar_to_fields) for w in webinars))
    webinar_pks = dict(Webinar.objects.filter(tenant=tenant).values_list("zoom_id", "pk"))
    _bulk(
        WebinarRegistrant,
        registrants(
            webinars,
            args.webinars * 5,
            min(1000, args.webinars * 5),
            WebinarRegistrant,
            "webinar",
            webinar_pks,
        ),
    )

    def participants():
        for n in range(args.webinars * 5):
            webinar = webinars[(n * 7) % len(webinars)]
            data = records.make_participant(
                participant_id=f"p{n:09d}",
                name=f"Attendee {n}",
                email=f"attendee{n}@example.org",
                join=now - rng.randint(1, 300) * day,
                minutes=rng.randint(5, 60),
            )
            yield WebinarParticipant(
                tenant=tenant,
                synced_at=synced,
                webinar_id=webinar_pks[webinar["id"]],
                **zoom_participant_to_fields(data),
            )

    _bulk(WebinarParticipant, participants())
    print(f"  {len(webinar_pks):,} webinars with registrants and participants")

    recordings, files = [], []
    for n in range(args.recordings):
        meeting = meetings[(n * 13) % len(meetings)]
        start = now - rng.randint(1, 180) * day
        minutes = rng.randint(10, 90)
        instance = f"benchRecording{n:010d}=="
        recording_files = [
            records.make_recording_file(
                file_id=f"f{n:08d}{kind}",
                instance_uuid=instance,
                start=start,
                minutes=minutes,
                kind=kind,
            )
            for kind in range(4)
        ]
        recordings.append(
            records.make_recording(
                account_id=ACCOUNT,
                meeting=meeting,
                instance_uuid=instance,
                start=start,
                files=recording_files,
            )
        )
        files.append(recording_files)
    _bulk(
        CloudRecording,
        (
            CloudRecording(
                tenant=tenant,
                synced_at=synced,
                meeting_id=meeting_pks[r["id"]],
                host=by_zoom_id[r["host_id"]],
                **zoom_recording_to_fields(r),
            )
            for r in recordings
        ),
    )
    recording_pks = dict(CloudRecording.objects.filter(tenant=tenant).values_list("zoom_id", "pk"))
    _bulk(
        RecordingFile,
        (
            RecordingFile(
                tenant=tenant,
                synced_at=synced,
                recording_id=recording_pks[r["uuid"]],
                **zoom_recording_file_to_fields(f),
            )
            for r, recording_files in zip(recordings, files, strict=True)
            for f in recording_files
        ),
    )
    print(f"  {len(recording_pks):,} cloud recordings with {len(recording_pks) * 4:,} files")


# --- the requests --------------------------------------------------------------------------


def _signed_in(tenant):
    """A test client of a superuser and one of a staff member of ``tenant`` with every
    permission on its records, and the view of tenants, of their members and of their audit
    (the inlines of a tenant's page)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.test import Client

    from zoomadmin.tenants.models import TenantMembership

    users = get_user_model()
    root, _ = users.objects.get_or_create(
        username="bench-root", defaults={"is_superuser": True, "is_staff": True}
    )
    staff, _ = users.objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["users", "meetings"])
        | Permission.objects.filter(
            codename__in=["view_tenant", "view_tenantmembership", "view_tenantauditentry"]
        )
    )
    TenantMembership.objects.get_or_create(tenant=tenant, user=staff)
    clients = {}
    for name, user in (("superuser", root), ("staff", staff)):
        client = Client()
        client.force_login(user)
        clients[name] = client
    return clients


def _pages(tenant) -> list[tuple[str, str]]:
    """(what, URL) of every page measured."""
    from django.urls import reverse
    from django.utils.http import urlencode

    from meetings.models import (
        CloudRecording,
        Meeting,
        MeetingRegistrant,
        RecordingFile,
        Webinar,
        WebinarParticipant,
        WebinarRegistrant,
    )
    from users.models import ZoomUser

    big = Meeting.objects.filter(tenant=tenant).order_by("pk").first()
    webinar = Webinar.objects.filter(tenant=tenant).order_by("pk").first()
    recording = CloudRecording.objects.filter(tenant=tenant).order_by("pk").first()
    registrant = MeetingRegistrant.objects.filter(meeting=big).order_by("pk").first()
    host = big.host
    rare = MeetingRegistrant.objects.filter(tenant=tenant).order_by("pk")[12_345]
    kinds = [
        # model, searches, a filter (query string), the record of the change page
        (ZoomUser, ["user00042", "Tester1234", "Grace"], "status__exact=inactive", host),
        (Meeting, [str(big.zoom_id), host.email], f"host__id__exact={host.pk}", big),
        (Meeting, ["Customer"], "type__exact=8", None),
        (Webinar, ["Quarterly"], f"host__id__exact={webinar.host_id}", webinar),
        (
            MeetingRegistrant,
            # a tenth of them, one of them, two words (one in every row, one in few), and one
            # registrant's Zoom id
            ["guest7.", rare.email.split("@")[0], "Number 999", rare.zoom_id],
            f"meeting__id__exact={big.pk}",
            registrant,
        ),
        (
            WebinarRegistrant,
            ["guest3."],
            f"webinar__id__exact={webinar.pk}",
            WebinarRegistrant.objects.filter(tenant=tenant).order_by("pk").first(),
        ),
        (CloudRecording, ["Team"], f"host__id__exact={recording.host_id}", recording),
        (
            RecordingFile,
            ["Weekly"],
            "file_type__exact=MP4",
            RecordingFile.objects.filter(recording=recording).first(),
        ),
        (
            WebinarParticipant,
            ["attendee12"],
            f"webinar__id__exact={webinar.pk}",
            WebinarParticipant.objects.filter(tenant=tenant).order_by("pk").first(),
        ),
    ]
    pages = []
    for model, terms, filtered, record in kinds:
        name = model._meta.model_name
        changelist = reverse(f"admin:{model._meta.app_label}_{name}_changelist")
        if (model, terms) != (Meeting, ["Customer"]):
            last = -(-model.objects.filter(tenant=tenant).count() // 50)
            middle = max(1, last // 2)  # the farthest from both ends
            pages += [
                (f"{name} list", changelist),
                (f"{name} list, page {middle}", f"{changelist}?p={middle}"),
                (f"{name} list, page {last}", f"{changelist}?p={last}"),
            ]
        pages += [
            *(
                (f"{name} search {term!r}", f"{changelist}?{urlencode({'q': term})}")
                for term in terms
            ),
            (f"{name} filtered {filtered.split('=')[0]}", f"{changelist}?{filtered}"),
        ]
        if record is not None:
            label = "1,000 registrants" if record == big else "change"
            change = reverse(f"admin:{model._meta.app_label}_{name}_change", args=[record.pk])
            pages.append((f"{name} page ({label})" if record == big else f"{name} page", change))
    tenants = reverse("admin:tenants_tenant_changelist")
    pages += [
        ("tenant list", tenants),
        ("tenant page", reverse("admin:tenants_tenant_change", args=[tenant.pk])),
    ]
    return pages


def _measure(client, url: str, repeat: int) -> tuple[int, int, float, int]:
    """(status, queries of one request, median ms, bytes)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, secure=True)
    queries = len(captured)  # before the next request clears the log
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url, secure=True)
        times.append((time.perf_counter() - started) * 1000)
    return response.status_code, queries, statistics.median(times), len(response.content)


def _explain(client, url: str) -> None:
    """Each query of one request of ``url``, with the plan PostgreSQL ran and its time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, secure=True)
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = [row[0] for row in cursor.fetchall()]
        print(f"\n  {sql[:300]}{'…' if len(sql) > 300 else ''}")
        for line in plan:
            print(f"    {line}")


# --- the CSV export (a child process per size) ---------------------------------------------


def _export_child(rows: int) -> None:  # pragma: no cover - child process
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from meetings.models import Meeting
    from zoomadmin.tenants.models import Tenant

    tenant = Tenant.objects.get(account_id=ACCOUNT)
    pks = Meeting.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True)
    last = pks[rows - 1]
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-root"))
    before = _peak_rss_kib()
    started = time.perf_counter()
    response = client.get(
        reverse("admin:meetings_meeting_export"),
        {"tenant__id__exact": tenant.pk, "id__lte": last},
        secure=True,
    )
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    peak = _peak_rss_kib()
    print(f"{lines - 1} {before} {peak} {seconds:.2f}")


def _peak_rss_kib() -> int:
    """This process's own peak RSS, in KiB: Linux's VmHWM (``ru_maxrss`` keeps the parent's
    peak across fork and exec, which would hide the export's under the bench's own)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _export(args: argparse.Namespace, meetings: int) -> None:
    print("\nCSV export of meetings (a child process per size; peak RSS, KiB)")
    print(f"{'rows':>9}  {'RSS before':>11}  {'peak RSS':>9}  {'growth':>8}  {'seconds':>7}")
    for rows in sorted({min(10_000, meetings), meetings}):
        out = subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], "--export-child", str(rows)],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ,
        ).stdout.split()
        lines, before, peak, seconds = int(out[0]), int(out[1]), int(out[2]), out[3]
        print(f"{lines:>9,}  {before:>11,}  {peak:>9,}  {peak - before:>8,}  {seconds:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="zoomadmin_bench_admin")
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--meetings", type=int, default=100_000)
    parser.add_argument("--registrants", type=int, default=200_000)
    parser.add_argument("--big-meeting", type=int, default=1000, help="registrants of one")
    parser.add_argument("--webinars", type=int, default=5000)
    parser.add_argument("--recordings", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reload", action="store_true", help="insert the tenant again")
    parser.add_argument("--only", default="", help="only pages whose name contains this")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument(
        "--explain", action="store_true", help="print the plan of every query of the pages"
    )
    parser.add_argument("--export-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    _environment(args)
    if args.export_child:
        _export_child(args.export_child)
        return
    _create_database(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    call_command("migrate", verbosity=0, skip_checks=True)
    if pending:
        # New indexes on the kept tenant: their visibility map and statistics (of the
        # expressions of the trigram indexes too), or the planner guesses.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    tenant = _load(args)
    clients = _signed_in(tenant)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(
        f"zoomadmin admin benchmark: PostgreSQL {version}, {args.users:,} users, "
        f"{args.meetings:,} meetings, {args.registrants:,} meeting registrants; "
        f"median of {args.repeat} requests"
    )
    print(f"{'page':<44} {'role':<9} {'status':>6} {'queries':>7} {'ms':>7} {'KB':>7}")
    worst = {"queries": 0, "ms": 0.0}
    for what, url in _pages(tenant):
        if args.only and args.only not in what:
            continue
        for role, client in clients.items():
            if args.explain:
                print(f"\n{what}, {role}: {url}")
                _explain(client, url)
                continue
            status, queries, ms, size = _measure(client, url, args.repeat)
            flag = " !" if queries > 10 or ms > 100 or status != 200 else ""
            worst["queries"] = max(worst["queries"], queries)
            worst["ms"] = max(worst["ms"], ms)
            print(
                f"{what:<44} {role:<9} {status:>6} {queries:>7} {ms:>7.1f} "
                f"{size / 1024:>7.0f}{flag}"
            )
    print(f"worst: {worst['queries']} queries, {worst['ms']:.1f} ms (targets: 10, 100 ms)")
    if not args.skip_export:
        _export(args, args.meetings)


if __name__ == "__main__":
    main()
