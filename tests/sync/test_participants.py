"""Past webinar participants in the sync, against the sandbox over loopback HTTP: who attended
each ended instance is fetched once, an upcoming webinar costs nothing, a refusal means none.

The account is built here (a host with the webinar add-on and webinars of each kind), so that
every expected participant and every expected request comes from the sandbox's own data.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from meetings.models import Webinar, WebinarParticipant
from tests.writes import count_rows_written
from zoomadmin.sandbox import Account, SandboxServer, ScriptedFault, seed_account
from zoomadmin.sandbox.records import iso, make_meeting, make_participant
from zoomadmin.sync.models import SyncRun
from zoomadmin.tenants.models import Tenant

pytestmark = pytest.mark.django_db

DAY, HOUR = 86_400, 3_600
INSTANCES = "GET /v2/past_webinars/{webinarId}/instances"
PARTICIPANTS = "GET /v2/past_webinars/{webinarId}/participants"


class Webinars:
    """A sandbox account whose only webinars are those a test adds, each held as it says."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.account: Account = seed_account(
            sandbox.state, users=4, meetings_per_user=0, webinars_per_licensed_user=0, seed=21
        )
        self.host = self.account.users[self.account.owner_id]
        self.host["type"] = 2
        self.account.webinar_users.add(self.host["id"])
        self._serial = 0

    def add(self, *, start: float, kind: int = 5, weeks: int = 1, minutes: int = 60) -> dict:
        webinar = make_meeting(
            meeting_id=self.sandbox.state.new_meeting_id(),
            uuid=self._uuid(),
            host=self.host,
            topic=f"Webinar {len(self.account.meetings) + 1}",
            meeting_type=kind,
            start_time=start,
            duration=minutes,
            timezone="UTC",
            created_at=start - 30 * DAY,
            password="abc123",
            occurrences=weeks,
        )
        self.account.add_meeting(webinar)
        return webinar

    def hold(self, webinar: dict, start: float, people: int = 3, uuid: str = "") -> dict:
        """An instance of ``webinar`` that began at ``start`` and is over."""
        participants = [
            make_participant(
                participant_id=f"{webinar['id']}-{int(start)}-{n}",
                name=f"Guest {n}",
                email=f"guest{n}@example.org",
                join=start + 60 * n,
                minutes=20,
            )
            for n in range(people)
        ]
        return self.account.add_webinar_instance(
            webinar["id"],
            uuid=uuid or self._uuid(),
            start_time=iso(start),
            participants=participants,
        )

    def attended(self) -> set[tuple[int, str, str]]:
        """(webinar, participant, join time) of every instance the sandbox holds."""
        return {
            (webinar_id, p["id"], p["join_time"])
            for webinar_id, held in self.account.webinar_instances.items()
            for instance in held
            for p in instance["participants"]
        }

    def requests(self) -> dict[str, int]:
        routes = self.sandbox.state.stats.requests_by_route
        return {"instances": routes[INSTANCES], "participants": routes[PARTICIPANTS]}

    def _uuid(self) -> str:
        self._serial += 1
        return base64.b64encode(f"instance-{self._serial:08d}".encode()).decode()


def stored(tenant: Tenant) -> set[tuple[int, str, str]]:
    rows = WebinarParticipant.objects.filter(tenant=tenant, deleted_at__isnull=True)
    return {
        (zoom_id, participant_id, join.strftime("%Y-%m-%dT%H:%M:%SZ"))
        for zoom_id, participant_id, join in rows.values_list(
            "webinar__zoom_id", "participant_id", "join_time"
        )
    }


def since(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {route: after[route] - before[route] for route in after}


@pytest.fixture
def webinars(sandbox: SandboxServer) -> Webinars:
    return Webinars(sandbox)


@pytest.fixture
def held(webinars: Webinars, connect: Callable[..., Tenant]) -> tuple[Tenant, dict[str, dict]]:
    """A tenant of an account with: a one-off held three days ago; a weekly webinar whose three
    past occurrences were held (one instance's UUID must be double-encoded); one next week;
    one two days ago that nobody started."""
    now = time.time()
    one_off = webinars.add(start=now - 3 * DAY)
    webinars.hold(one_off, now - 3 * DAY)
    weekly = webinars.add(start=now - 15 * DAY, kind=9, weeks=4)
    for week, uuid in ((0, ""), (1, "/ab//weekly=="), (2, "")):
        webinars.hold(weekly, now - 15 * DAY + week * 7 * DAY, people=2 + week, uuid=uuid)
    upcoming = webinars.add(start=now + 7 * DAY)
    never = webinars.add(start=now - 2 * DAY)
    tenant = connect(account_id=webinars.account.id)
    return tenant, {"one_off": one_off, "weekly": weekly, "upcoming": upcoming, "never": never}


def test_a_full_sync_stores_who_attended_each_ended_instance(held, webinars, sync):
    tenant, made = held

    run = sync(tenant, full=True)

    assert run.status == SyncRun.Status.SUCCEEDED, (run.message, run.errors)
    assert stored(tenant) == webinars.attended()
    instances = webinars.account.webinar_instances
    assert len(instances[made["weekly"]["id"]]) == 3
    # Each webinar whose time has passed is asked for its instances (the upcoming one is not),
    # then each ended instance for its participants: one page each.
    past = [made["one_off"], made["weekly"], made["never"]]
    assert webinars.requests() == {
        "instances": len(past),
        "participants": sum(len(instances.get(w["id"], ())) for w in past),
    }
    assert not WebinarParticipant.objects.filter(webinar__zoom_id=made["upcoming"]["id"]).exists()
    assert run.counts["webinar participants"]["created"] == len(webinars.attended())


def test_a_reconcile_and_a_full_sync_ask_again_for_no_instance_already_stored(held, webinars, sync):
    tenant, made = held
    sync(tenant, full=True)
    first = webinars.requests()

    with count_rows_written() as written:
        reconcile = sync(tenant, full=False)
    after_reconcile = webinars.requests()
    with count_rows_written() as written_again:
        full = sync(tenant, full=True)

    assert (reconcile.status, full.status) == (SyncRun.Status.SUCCEEDED,) * 2
    assert since(first, after_reconcile) == {"instances": 0, "participants": 0}
    # A full sync looks for instances of the recurring webinar that its schedule no longer
    # shows (one Light listing), and asks about none of those it holds.
    assert since(after_reconcile, webinars.requests()) == {"instances": 1, "participants": 0}
    assert written.total == written_again.total == 0, (dict(written), dict(written_again))
    assert stored(tenant) == webinars.attended()


def test_an_instance_held_since_the_last_sync_is_the_only_one_asked_for(held, webinars, sync):
    tenant, made = held
    sync(tenant, full=True)
    # The host started the weekly webinar again today, outside its schedule; and created and
    # held a new webinar.
    webinars.hold(made["weekly"], time.time() - 3 * HOUR, people=4)
    newer = webinars.add(start=time.time() - 5 * HOUR, minutes=30)
    webinars.hold(newer, time.time() - 5 * HOUR, people=2)
    before = webinars.requests()

    reconcile = sync(tenant, full=False)
    after_reconcile = webinars.requests()
    full = sync(tenant, full=True)

    assert (reconcile.status, full.status) == (SyncRun.Status.SUCCEEDED,) * 2
    # The reconcile: the new webinar is over; the full sync: the weekly one's new instance.
    assert since(before, after_reconcile) == {"instances": 1, "participants": 1}
    assert since(after_reconcile, webinars.requests()) == {"instances": 1, "participants": 1}
    assert stored(tenant) == webinars.attended()


def test_a_reconcile_asks_about_a_recurring_webinar_once_an_occurrence_is_over(
    held, webinars, sync
):
    tenant, made = held
    sync(tenant, full=True)
    # As the mirror stood before yesterday's occurrence: stored up to the one a week earlier.
    weekly = Webinar.objects.get(tenant=tenant, zoom_id=made["weekly"]["id"])
    last = webinars.account.webinar_instances[weekly.zoom_id][-1]
    last_ids = [p["id"] for p in last["participants"]]
    WebinarParticipant.objects.filter(webinar=weekly, participant_id__in=last_ids).delete()
    Webinar.objects.filter(pk=weekly.pk).update(
        participants_synced_at=WebinarParticipant.objects.filter(webinar=weekly)
        .order_by("-join_time")
        .values_list("join_time", flat=True)
        .first()
    )
    before = webinars.requests()

    reconcile = sync(tenant, full=False)

    assert reconcile.status == SyncRun.Status.SUCCEEDED
    # Its stored schedule (Zoom's "occurrences") says one is over: only that instance is asked.
    assert since(before, webinars.requests()) == {"instances": 1, "participants": 1}
    assert stored(tenant) == webinars.attended()


def test_zoom_s_refusals_mean_no_participants_and_fail_nothing(held, webinars, sandbox, sync):
    tenant, made = held
    weekly = webinars.account.webinar_instances[made["weekly"]["id"]]
    # Meetings OpenAPI, GET /past_webinars/{webinarId}/participants, 400: "**Error Code:**
    # `200` Only available for Paid or ZMP account: {accountId}."; 404: "**Error Code:**
    # `3001` Webinar does not exist."
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            path_prefix=f"/v2/past_webinars/{made['one_off']['id']}/instances",
            status=400,
            code=200,
            message=f"Only available for Paid or ZMP account: {webinars.account.id}.",
        )
    )
    gone = weekly[0]["uuid"]
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            path_prefix=f"/v2/past_webinars/{quote(gone, safe='')}/participants",
            status=404,
            code=3001,
            message="Webinar does not exist.",
        )
    )

    run = sync(tenant, full=True)
    again = sync(tenant, full=False)

    assert run.status == SyncRun.Status.SUCCEEDED and run.error_count == 0, run.errors
    expected = {
        row
        for row in webinars.attended()
        if row[0] != made["one_off"]["id"]
        and row[1] not in {p["id"] for p in weekly[0]["participants"]}
    }
    assert stored(tenant) == expected
    assert sandbox.state.stats.faults_injected["refuse"] == 2
    # "None" is remembered: the reconcile asks about neither again.
    assert again.status == SyncRun.Status.SUCCEEDED
    assert "webinar participants" not in again.counts


def test_a_listing_that_failed_is_asked_for_again_by_the_next_sync(held, webinars, sandbox, sync):
    tenant, made = held
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            path_prefix=f"/v2/past_webinars/{made['one_off']['id']}/instances",
            status=400,
            code=300,
            message="Invalid webinar ID.",
        )
    )

    failed = sync(tenant, full=True)
    missing = webinars.attended() - stored(tenant)
    retried = sync(tenant, full=False)

    assert failed.status == SyncRun.Status.PARTIAL
    assert [e["kind"] for e in failed.errors] == ["webinar participants"]
    assert missing and {row[0] for row in missing} == {made["one_off"]["id"]}
    assert retried.status == SyncRun.Status.SUCCEEDED
    assert stored(tenant) == webinars.attended()


def test_a_sync_out_of_time_leaves_the_participants_to_the_next_task(held, webinars, sync):
    tenant, _ = held
    runs = [sync(tenant, full=True, deadline_seconds=1e-6)]
    while runs[-1].status == SyncRun.Status.CONTINUED and len(runs) < 20:
        runs.append(sync(tenant, deadline_seconds=1e-6))

    assert runs[0].status == SyncRun.Status.CONTINUED
    assert runs[-1].status == SyncRun.Status.SUCCEEDED
    assert stored(tenant) == webinars.attended()
    assert webinars.requests()["participants"] == sum(
        len(held) for held in webinars.account.webinar_instances.values()
    )


def test_what_each_webinar_stored_up_to_is_kept_apart_from_zoom_s_content(held, sync):
    tenant, made = held
    sync(tenant, full=True)
    covered: dict[str, Any] = dict(
        Webinar.objects.filter(tenant=tenant).values_list("zoom_id", "participants_synced_at")
    )

    sync(tenant, full=True)

    assert covered[made["upcoming"]["id"]] is None
    assert all(covered[made[name]["id"]] is not None for name in ("one_off", "weekly", "never"))
    assert (
        dict(Webinar.objects.filter(tenant=tenant).values_list("zoom_id", "participants_synced_at"))
        == covered
    )
