"""Seeded data is deterministic and looks like a real Zoom account."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from zoomadmin.sandbox import SandboxState, seed_account

ANCHOR = dt.datetime(2026, 3, 1, tzinfo=dt.UTC).timestamp()


def snapshot(seed: int) -> dict:
    state = SandboxState()
    account = seed_account(state, users=40, meetings_per_user=4, seed=seed, anchor=ANCHOR)
    return {
        "id": account.id,
        "users": account.users,
        "meetings": account.meetings,
        "registrants": account.registrants,
        "recordings": account.recordings,
        "webinar instances": account.webinar_instances,
        "phone": account.phone_recordings,
        "channels": account.channels,
        "messages": account.channel_messages,
    }


def test_the_same_seed_gives_the_same_data() -> None:
    assert snapshot(7) == snapshot(7)


def test_another_seed_gives_other_data() -> None:
    assert snapshot(7)["users"] != snapshot(8)["users"]


def test_seeded_data_has_a_realistic_mix() -> None:
    state = SandboxState()
    account = seed_account(
        state,
        users=200,
        meetings_per_user=5,
        registrant_ratio=0.2,
        recording_ratio=0.3,
        seed=1,
        anchor=ANCHOR,
    )
    users = list(account.users.values())
    owner = account.users[account.owner_id]
    assert users[0] is owner and owner["role_name"] == "Owner" and owner["status"] == "active"
    statuses = Counter(u["status"] for u in users)
    assert statuses["active"] > statuses["inactive"] > 0 and statuses["pending"] > 0
    assert {u["type"] for u in users} == {1, 2}
    assert len({u["email"] for u in users}) == 200
    assert len({u["dept"] for u in users}) > 5

    meetings = [m for m in account.meetings.values() if m["type"] not in (5, 6, 9)]
    hosts = [u for u in users if u["status"] != "pending"]
    assert len(meetings) == 5 * len(hosts)
    assert {m["type"] for m in meetings} == {2, 3, 8}
    starts = [m["start_time"] for m in meetings if "start_time" in m]
    anchor_iso = dt.datetime.fromtimestamp(ANCHOR, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert min(starts) < anchor_iso < max(starts)

    with_registration = [m for m in meetings if m["settings"]["approval_type"] != 2]
    assert 0.1 < len(with_registration) / len(meetings) < 0.3
    registrants = [r for regs in account.registrants.values() for r in regs.values()]
    assert {r["status"] for r in registrants} == {"approved", "pending", "denied"}
    assert all(1 <= len(regs) <= 10 for regs in account.registrants.values())

    six_months_ago = dt.datetime.fromtimestamp(ANCHOR - 181 * 86_400, dt.UTC).isoformat()[:10]
    for recording in account.recordings.values():
        assert 1 <= len(recording["recording_files"]) <= 4
        assert six_months_ago <= recording["start_time"][:10] <= anchor_iso[:10]
    assert account.webinar_instances and account.phone_recordings
    assert account.channels and account.channel_messages and account.direct_messages


def test_two_accounts_seeded_alike_do_not_collide() -> None:
    state = SandboxState()
    first = seed_account(state, users=20, seed=1, anchor=ANCHOR)
    second = seed_account(state, users=20, seed=1, anchor=ANCHOR)

    assert first.id != second.id
    assert not set(first.users) & set(second.users)
    assert not set(first.meetings) & set(second.meetings)
    assert not {u["email"] for u in first.users.values()} & {
        u["email"] for u in second.users.values()
    }
