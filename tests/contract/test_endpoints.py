"""Every SPEC §7 endpoint, called through ZoomClient's typed methods against the sandbox.

Each test only drives the client; the ``zoom`` fixture records the HTTP exchanges and fails the
test if any request the client sent or any response the sandbox gave departs from Zoom's
published description (see ``conftest.py``). The assertions here make sure the interesting
exchanges did happen (a listing returned items, an error had its status), so a conforming
run is not a vacuous one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from zoomadmin.sandbox.config import ScriptedFault
from zoomadmin.sandbox.state import Account
from zoomadmin.zoom.client import ZoomClient
from zoomadmin.zoom.errors import ZoomBadRequest, ZoomConflict, ZoomError, ZoomNotFound

UNKNOWN_MEETING_ID = 11_111_111_111


def _owner(account: Account) -> dict:
    return account.users[account.owner_id]


def _active_member(account: Account) -> dict:
    return next(
        u for u in account.users.values() if u["status"] == "active" and u["id"] != account.owner_id
    )


def _with_registrants(account: Account, *, webinar: bool) -> dict:
    """A meeting (or webinar) with manual approval and registrants in every status."""
    kinds = {5, 9} if webinar else {2, 8}
    candidates = [
        account.meetings[meeting_id]
        for meeting_id, registrants in account.registrants.items()
        if account.meetings.get(meeting_id, {}).get("type") in kinds and registrants
    ]
    manual = [m for m in candidates if m["settings"]["approval_type"] == 1]
    return (manual or candidates)[0]


def _in_future(days: int) -> str:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- users ---------------------------------------------------------------------------------


def test_user_reads_match_the_description(zoom: ZoomClient, account: Account) -> None:
    listed = {status: list(zoom.list_users(status=status)) for status in ("active", "inactive")}
    listed["pending"] = list(zoom.list_users(status="pending"))
    me = zoom.get_me()
    member = _active_member(account)
    by_id = zoom.get_user(member["id"])
    by_email = zoom.get_user(member["email"])

    assert listed["active"]
    assert me["id"] == account.owner_id
    assert by_id["id"] == by_email["id"] == member["id"]


def test_user_writes_match_the_description(zoom: ZoomClient, account: Account) -> None:
    created = zoom.create_user(
        action="create",
        user_info={
            "email": f"grace.hopper@{account.domain}",
            "type": 1,
            "first_name": "Grace",
            "last_name": "Hopper",
            "display_name": "Grace Hopper",
        },
    )
    zoom.update_user(created["id"], {"dept": "Research", "job_title": "Rear Admiral"})
    member = _active_member(account)
    zoom.update_user(member["id"], {"type": 2, "timezone": "Europe/Berlin", "dept": "Research"})
    zoom.update_user_status(member["id"], "deactivate")
    zoom.update_user_status(member["id"], "activate")
    zoom.delete_user(
        member["id"],
        action="disassociate",
        transfer_email=_owner(account)["email"],
        transfer_meeting=True,
        transfer_webinar=True,
        transfer_recording=True,
    )
    zoom.delete_user(created["id"], action="delete")

    with pytest.raises(ZoomNotFound):
        zoom.get_user(created["id"])


def test_an_auto_created_user_matches_the_description(zoom: ZoomClient, account: Account) -> None:
    created = zoom.create_user(
        action="autoCreate",
        user_info={
            "email": f"alan.turing@{account.domain}",
            "type": 1,
            "first_name": "Alan",
            "last_name": "Turing",
            "password": "if42a8Vb!xQ",
        },
    )

    assert zoom.get_user(created["id"])["email"] == f"alan.turing@{account.domain}"


# --- meetings ------------------------------------------------------------------------------


def test_meeting_listings_match_the_description(zoom: ZoomClient, account: Account) -> None:
    host = _owner(account)
    listed = {
        kind: list(zoom.list_meetings(host["id"], type=kind))
        for kind in ("scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings")
    }

    assert listed["scheduled"]


def test_meeting_lifecycle_matches_the_description(zoom: ZoomClient, account: Account) -> None:
    host = _owner(account)
    created = zoom.create_meeting(
        host["id"],
        {
            "topic": "Contract review",
            "type": 2,
            "start_time": _in_future(3),
            "duration": 45,
            "timezone": "Europe/Berlin",
            "agenda": "Walk through the OpenAPI description.",
            "settings": {
                "host_video": True,
                "join_before_host": False,
                "approval_type": 1,
                "registration_type": 1,
                "waiting_room": True,
            },
        },
    )
    meeting_id = created["id"]
    fetched = zoom.get_meeting(meeting_id)
    zoom.update_meeting(meeting_id, {"topic": "Contract review (moved)", "duration": 60})
    invitation = zoom.get_meeting_invitation(meeting_id)
    zoom.delete_meeting(meeting_id)
    zoom.update_meeting_status(meeting_id, "recover")
    zoom.delete_meeting(meeting_id, cancel_meeting_reminder=True)

    assert fetched["topic"] == "Contract review"
    assert invitation["invitation"]


def test_recurring_meeting_occurrences_match_the_description(
    zoom: ZoomClient, account: Account
) -> None:
    host = _owner(account)
    created = zoom.create_meeting(
        host["id"],
        {
            "topic": "Stand-up",
            "type": 8,
            "start_time": _in_future(1),
            "duration": 15,
            "timezone": "UTC",
            "recurrence": {"type": 1, "repeat_interval": 1, "end_times": 5},
        },
    )
    occurrence_id = created["occurrences"][1]["occurrence_id"]
    zoom.get_meeting(created["id"], occurrence_id=occurrence_id)
    zoom.update_meeting(created["id"], {"duration": 20}, occurrence_id=occurrence_id)
    zoom.delete_meeting(created["id"], occurrence_id=occurrence_id)

    assert len(created["occurrences"]) == 5


def test_ending_a_live_meeting_matches_the_description(zoom: ZoomClient, account: Account) -> None:
    host = _owner(account)
    created = zoom.create_meeting(host["id"], {"topic": "Ad hoc", "type": 1})
    account.meetings[created["id"]]["status"] = "started"  # as if the host had joined

    zoom.update_meeting_status(created["id"], "end")

    assert zoom.get_meeting(created["id"])["status"] == "waiting"


# --- webinars ------------------------------------------------------------------------------


def test_webinar_lifecycle_matches_the_description(zoom: ZoomClient, account: Account) -> None:
    host = _owner(account)
    listed = list(zoom.list_webinars(host["id"])) + list(
        zoom.list_webinars(host["id"], type="upcoming")
    )
    created = zoom.create_webinar(
        host["id"],
        {
            "topic": "Release preview",
            "type": 5,
            "start_time": _in_future(10),
            "duration": 60,
            "timezone": "America/New_York",
            "agenda": "What ships next quarter.",
            "settings": {"approval_type": 0, "registration_type": 1, "panelists_video": True},
        },
    )
    fetched = zoom.get_webinar(created["id"])
    zoom.update_webinar(created["id"], {"topic": "Release preview (final)"})
    zoom.delete_webinar(created["id"], cancel_webinar_reminder=True)

    assert listed
    assert fetched["topic"] == "Release preview"


# --- registrants ---------------------------------------------------------------------------


@pytest.mark.parametrize("webinar", [False, True], ids=["meeting", "webinar"])
def test_registrant_endpoints_match_the_description(
    zoom: ZoomClient, account: Account, webinar: bool
) -> None:
    event = _with_registrants(account, webinar=webinar)
    kind = "webinar" if webinar else "meeting"
    list_registrants = getattr(zoom, f"list_{kind}_registrants")
    add_registrant = getattr(zoom, f"add_{kind}_registrant")
    update_status = getattr(zoom, f"update_{kind}_registrant_status")

    listed = {s: list(list_registrants(event["id"], status=s)) for s in ("approved", "pending")}
    listed["denied"] = list(list_registrants(event["id"], status="denied"))
    added = add_registrant(
        event["id"],
        {
            "email": f"registrant.{kind}@example.org",
            "first_name": "Katherine",
            "last_name": "Johnson",
            "org": "NASA",
            "country": "US",
        },
    )
    who = [{"id": added["registrant_id"], "email": f"registrant.{kind}@example.org"}]
    for action in ("approve", "cancel", "approve", "deny"):
        update_status(event["id"], action, who)
    fetched = getattr(zoom, f"get_{kind}_registrant")(event["id"], added["registrant_id"])
    with pytest.raises(ZoomBadRequest if webinar else ZoomNotFound):
        getattr(zoom, f"get_{kind}_registrant")(event["id"], "unknownRegistrant0000")

    assert any(listed.values())
    assert added["registrant_id"]
    assert (fetched["id"], fetched["status"]) == (added["registrant_id"], "denied")


# --- recordings, participants, phone, chat -------------------------------------------------


def test_cloud_recording_endpoints_match_the_description(
    zoom: ZoomClient, account: Account
) -> None:
    recording = next(iter(account.recordings.values()))
    start = date.fromisoformat(recording["start_time"][:10])
    listed = list(
        zoom.list_user_recordings(
            recording["host_id"], from_=start - timedelta(days=1), to=start + timedelta(days=1)
        )
    )
    by_id = zoom.get_meeting_recordings(recording["id"])
    by_uuid = zoom.get_meeting_recordings(recording["uuid"])
    one_file = by_uuid["recording_files"][-1]["id"]
    zoom.delete_recording_file(recording["uuid"], one_file, action="trash")
    with pytest.raises(ZoomNotFound):
        zoom.delete_recording_file(recording["uuid"], one_file)
    zoom.delete_meeting_recordings(recording["id"], action="trash")
    trashed = list(
        zoom.list_user_recordings(
            recording["host_id"],
            from_=start - timedelta(days=1),
            to=start + timedelta(days=1),
            trash=True,
        )
    )

    assert recording["uuid"] in {m["uuid"] for m in listed}
    assert by_id["recording_files"] and by_uuid["uuid"] == recording["uuid"]
    assert recording["uuid"] in {m["uuid"] for m in trashed}


@pytest.mark.parametrize("uuid", ["aB+c/dEfGhIjKlMnOpQ==", "/ab//cdEfGhIjKlMnOpQ=="])
def test_recordings_are_found_by_uuids_holding_slashes(
    zoom: ZoomClient, account: Account, uuid: str
) -> None:
    # Once-encoded for an inner "/", double-encoded for a leading "/" or "//", as Zoom asks.
    recording = next(iter(account.recordings.values()))
    account.recordings_by_uuid.pop(recording["uuid"])
    recording["uuid"] = uuid
    account.recordings_by_uuid[uuid] = recording["id"]

    assert zoom.get_meeting_recordings(uuid)["id"] == recording["id"]


def test_past_webinar_participants_match_the_description(
    zoom: ZoomClient, account: Account
) -> None:
    webinar_id = next(w for w, held in account.webinar_instances.items() if held)

    instances = zoom.list_past_webinar_instances(webinar_id)
    latest = list(zoom.list_past_webinar_participants(webinar_id))
    by_uuid = list(zoom.list_past_webinar_participants(instances[0]["uuid"]))
    with pytest.raises(ZoomNotFound):
        zoom.list_past_webinar_instances(UNKNOWN_MEETING_ID)

    assert instances and latest and by_uuid


def test_phone_recordings_match_the_description(zoom: ZoomClient, account: Account) -> None:
    user_id = next(u for u, calls in account.phone_recordings.items() if calls)
    today = datetime.now(UTC).date()

    recordings = list(
        zoom.list_phone_recordings(user_id, from_=today - timedelta(days=30), to=today)
    ) + list(zoom.list_phone_recordings(user_id))

    assert recordings


def test_chat_channels_and_messages_match_the_description(
    zoom: ZoomClient, account: Account
) -> None:
    user_id, channel_ids = next(iter(account.user_channels.items()))
    first, second = next(tuple(pair) for pair, msgs in account.direct_messages.items() if msgs)
    contact = account.users[second]
    today = datetime.now(UTC).date()

    channels = list(zoom.list_user_channels(user_id))
    in_channel = list(zoom.list_user_chat_messages(user_id, to_channel=channel_ids[0]))
    with_contact = list(
        zoom.list_user_chat_messages(first, to_contact=contact["email"], date=today)
    )
    in_window = list(
        zoom.list_user_chat_messages(
            user_id,
            to_channel=channel_ids[0],
            from_=datetime.now(UTC) - timedelta(days=7),
            to=datetime.now(UTC),
        )
    )

    assert channels and in_channel and in_window and with_contact


# --- errors --------------------------------------------------------------------------------


def test_listings_spanning_several_pages_match_the_description(zoom: ZoomClient) -> None:
    users = list(zoom.paginate("/users", items_key="users", page_size=3))

    assert len(users) > 3  # so at least one request carried a next_page_token


def test_unknown_users_answer_404_code_1001(zoom: ZoomClient, account: Account) -> None:
    nobody = "nobody@example.invalid"
    for call in (
        lambda: zoom.get_user(nobody),
        lambda: zoom.update_user(nobody, {"dept": "x"}),
        lambda: zoom.update_user_status(nobody, "activate"),
        lambda: zoom.delete_user(nobody),
        lambda: list(zoom.list_meetings(nobody)),
        lambda: zoom.create_meeting(nobody, {"topic": "x", "type": 2}),
        lambda: list(zoom.list_webinars(nobody)),
        lambda: zoom.create_webinar(nobody, {"topic": "x", "type": 5}),
        lambda: list(zoom.list_user_recordings(nobody)),
        lambda: list(zoom.list_phone_recordings(nobody)),
        lambda: list(zoom.list_user_chat_messages(account.owner_id, to_contact=nobody)),
        # Zoom documents 1001 "Meeting does not exist" for this one.
        lambda: zoom.add_meeting_registrant(
            UNKNOWN_MEETING_ID, {"email": "a@example.org", "first_name": "A"}
        ),
    ):
        with pytest.raises(ZoomNotFound) as raised:
            call()
        assert raised.value.code == 1001


def test_unknown_meetings_and_webinars_answer_404_code_3001(zoom: ZoomClient) -> None:
    for call in (
        lambda: zoom.get_meeting(UNKNOWN_MEETING_ID),
        lambda: zoom.update_meeting(UNKNOWN_MEETING_ID, {"topic": "x"}),
        lambda: zoom.delete_meeting(UNKNOWN_MEETING_ID),
        lambda: zoom.update_meeting_status(UNKNOWN_MEETING_ID, "end"),
        lambda: zoom.get_meeting_invitation(UNKNOWN_MEETING_ID),
        lambda: list(zoom.list_meeting_registrants(UNKNOWN_MEETING_ID)),
        lambda: zoom.update_meeting_registrant_status(UNKNOWN_MEETING_ID, "deny", [{"id": "r"}]),
        lambda: zoom.get_webinar(UNKNOWN_MEETING_ID),
        lambda: zoom.update_webinar(UNKNOWN_MEETING_ID, {"topic": "x"}),
        lambda: zoom.delete_webinar(UNKNOWN_MEETING_ID),
        lambda: list(zoom.list_webinar_registrants(UNKNOWN_MEETING_ID)),
        lambda: zoom.add_webinar_registrant(
            UNKNOWN_MEETING_ID, {"email": "a@example.org", "first_name": "A"}
        ),
        lambda: zoom.update_webinar_registrant_status(UNKNOWN_MEETING_ID, "deny", [{"id": "r"}]),
        lambda: list(zoom.list_past_webinar_participants(UNKNOWN_MEETING_ID)),
    ):
        with pytest.raises(ZoomNotFound) as raised:
            call()
        assert raised.value.code == 3001


def test_meeting_endpoints_given_a_webinar_answer_as_documented(
    zoom: ZoomClient, account: Account
) -> None:
    webinar_id = next(m for m, v in account.meetings.items() if v["type"] in {5, 9})
    answers = {}
    for name, call in {
        "get": lambda: zoom.get_meeting(webinar_id),
        "update": lambda: zoom.update_meeting(webinar_id, {"topic": "x"}),
        "delete": lambda: zoom.delete_meeting(webinar_id),
        "end": lambda: zoom.update_meeting_status(webinar_id, "end"),
        "invitation": lambda: zoom.get_meeting_invitation(webinar_id),
        "registrants": lambda: list(zoom.list_meeting_registrants(webinar_id)),
        "register": lambda: zoom.add_meeting_registrant(
            webinar_id, {"email": "a@example.org", "first_name": "A"}
        ),
        "approve": lambda: zoom.update_meeting_registrant_status(
            webinar_id, "approve", [{"id": "r"}]
        ),
    }.items():
        with pytest.raises(ZoomError) as raised:
            call()
        answers[name] = (raised.value.status, raised.value.code)

    assert answers == {
        "get": (400, 3000),
        "update": (400, 3000),
        "delete": (400, 3000),
        "end": (400, 3000),
        "invitation": (404, 3001),
        "registrants": (400, 300),
        "register": (400, 3000),
        "approve": (400, 3000),
    }


def test_registering_where_registration_is_off_answers_400_code_3000(
    zoom: ZoomClient, account: Account
) -> None:
    meeting = next(
        m
        for m in account.meetings.values()
        if m["type"] == 2 and m["settings"]["approval_type"] == 2
    )

    with pytest.raises(ZoomBadRequest) as raised:
        zoom.add_meeting_registrant(meeting["id"], {"email": "a@example.org", "first_name": "A"})

    assert raised.value.code == 3000


def test_a_meeting_without_recordings_answers_404_code_3301(
    zoom: ZoomClient, account: Account
) -> None:
    meeting_id = next(m for m in account.meetings if m not in account.recordings)

    with pytest.raises(ZoomNotFound) as raised:
        zoom.get_meeting_recordings(meeting_id)

    assert raised.value.code == 3301


def test_a_bogus_page_token_answers_400_code_300(zoom: ZoomClient) -> None:
    with pytest.raises(ZoomBadRequest) as raised:
        zoom.request("GET", "/users", params={"page_size": 30, "next_page_token": "bogus"})

    assert raised.value.code == 300


def test_an_email_in_use_answers_409_code_1005(zoom: ZoomClient, account: Account) -> None:
    taken = _owner(account)["email"]

    with pytest.raises(ZoomConflict) as raised:
        zoom.create_user(
            action="create", user_info={"email": taken, "type": 1, "first_name": "Dup"}
        )

    assert raised.value.code == 1005


def test_a_throttled_request_answers_429(zoom: ZoomClient, sandbox: Any) -> None:
    sandbox.config.script_fault(ScriptedFault("429", path_prefix="/v2/users"))

    answer = zoom.raw_request("GET", "/users", params={"page_size": 30})

    assert answer.status == 429
    assert answer.body["code"] == 429


def test_a_meeting_write_over_the_daily_cap_answers_429(
    zoom: ZoomClient, sandbox: Any, account: Account
) -> None:
    sandbox.config.update(meeting_writes_per_user_per_day=1)
    host = _owner(account)
    zoom.create_meeting(host["id"], {"topic": "First", "type": 2, "start_time": _in_future(2)})

    with pytest.raises(ZoomError) as raised:
        zoom.create_meeting(host["id"], {"topic": "Second", "type": 2, "start_time": _in_future(2)})

    assert raised.value.status == 429
