"""Past webinars as the sandbox answers them: the ended instances of a webinar and who attended
each. Each test quotes the published description (``../shared/zoom-api/meetings/Meetings.json``)
it reproduces; the sync's participant step rests on these."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import quote

from tests.sandbox.conftest import Api
from zoomadmin.sandbox import SandboxState, seed_account
from zoomadmin.sandbox.records import iso, make_participant

DAY = 86400
ANCHOR = dt.datetime(2026, 3, 1, tzinfo=dt.UTC).timestamp()


def _held(account) -> dict:
    """A webinar of the account that took place."""
    return next(account.meetings[w] for w, held in account.webinar_instances.items() if held)


def _people(count: int, start: float) -> list[dict]:
    return [
        make_participant(
            participant_id=f"p{n:04d}", name=f"Guest {n}", email="", join=start + n, minutes=5
        )
        for n in range(count)
    ]


def test_each_ended_occurrence_of_a_recurring_webinar_is_an_instance_of_its_own() -> None:
    # GET /past_webinars/{webinarId}/instances: "webinars": "List of ended webinar instances";
    # GET /report/webinars/{webinarId}, uuid: "Each webinar instance will generate its own
    # UUID (i.e., after a meeting ends, a new UUID will be generated when the next instance
    # of the webinar starts)".
    account = seed_account(
        SandboxState(), users=60, webinars_per_licensed_user=4, seed=3, anchor=ANCHOR
    )
    recurring = [
        w
        for w in account.meetings.values()
        if w["type"] == 9 and len(account.webinar_instances.get(w["id"], ())) > 1
    ]
    assert recurring
    for webinar in recurring:
        held = account.webinar_instances[webinar["id"]]
        ended = [
            o["start_time"]
            for o in webinar["occurrences"]
            if o["start_time"] < iso(ANCHOR - 60 * o["duration"])
        ]
        assert [i["start_time"] for i in held] == ended
        assert len({i["uuid"] for i in held}) == len(held)
        assert all(i["participants"] for i in held)
    upcoming = [
        w for w in account.meetings.values() if w["type"] == 5 and w["start_time"] > iso(ANCHOR)
    ]
    assert upcoming and not any(account.webinar_instances.get(w["id"]) for w in upcoming)


def test_the_instances_listing_shows_each_ended_instance_once(api: Api, account) -> None:
    # "List past webinar instances": {"webinars": [{"start_time", "uuid"}]}, "List of ended
    # webinar instances"; no paging parameters.
    webinar = _held(account)
    later = time.time() - 2 * DAY
    account.add_webinar_instance(
        webinar["id"],
        uuid="later+instance==",
        start_time=iso(later),
        participants=_people(2, later),
    )

    answer = api.get(f"/past_webinars/{webinar['id']}/instances").json()

    held = account.webinar_instances[webinar["id"]]
    assert answer == {
        "webinars": [{"start_time": i["start_time"], "uuid": i["uuid"]} for i in held]
    }
    assert answer["webinars"][-1]["uuid"] == "later+instance=="


def test_a_webinar_that_never_took_place_has_no_instance_and_no_participants(
    api: Api, account
) -> None:
    # GET /past_webinars/{webinarId}/participants, 404: "**Error Code:** `3001` Webinar does
    # not exist."
    webinar = next(
        w
        for w in account.meetings.values()
        if w["type"] == 5 and w["id"] not in account.webinar_instances
    )

    instances = api.get(f"/past_webinars/{webinar['id']}/instances")
    participants = api.get(f"/past_webinars/{webinar['id']}/participants")

    assert (instances.status_code, instances.json()) == (200, {"webinars": []})
    assert (participants.status_code, participants.json()) == (
        404,
        {"code": 3001, "message": "Webinar does not exist."},
    )
    unknown = api.get("/past_webinars/123/instances")
    assert (unknown.status_code, unknown.json()["code"]) == (404, 3001)
    assert api.get("/past_webinars/not-a-number/instances").json()["code"] == 300


def test_participants_are_those_of_the_latest_instance_or_of_the_uuid_given(
    api: Api, account
) -> None:
    # webinarId: "The webinar's ID or universally unique ID (UUID). If you provide a webinar
    # ID, the API returns a response for the latest webinar instance. If you provide a webinar
    # UUID that begins with a `/` character or contains the `//` characters, you **must**
    # double encode the webinar UUID".
    webinar = _held(account)
    first = account.webinar_instances[webinar["id"]][0]
    later = time.time() - DAY
    account.add_webinar_instance(
        webinar["id"], uuid="/la//ter==", start_time=iso(later), participants=_people(3, later)
    )

    by_id = api.get(f"/past_webinars/{webinar['id']}/participants").json()["participants"]
    by_uuid = api.get(f"/past_webinars/{quote(first['uuid'], safe='')}/participants")
    latest = api.get(f"/past_webinars/{quote(quote('/la//ter==', safe=''), safe='')}/participants")

    assert [p["id"] for p in by_id] == ["p0000", "p0001", "p0002"]
    assert latest.json()["participants"] == by_id
    assert [p["id"] for p in by_uuid.json()["participants"]] == [
        p["id"] for p in first["participants"]
    ][:30]


def test_the_registrant_id_is_sent_only_when_asked_for(api: Api, account) -> None:
    # participants[].registrant_id: "This field only returns if you pass the `registrant_id`
    # value for the `include_fields` query parameter."
    webinar = _held(account)
    account.webinar_instances[webinar["id"]][-1]["participants"][0]["registrant_id"] = "r-1"
    path = f"/past_webinars/{webinar['id']}/participants"

    plain = api.get(path).json()["participants"]
    asked = api.get(path, include_fields="registrant_id").json()["participants"]

    assert not any("registrant_id" in p for p in plain)
    assert asked[0]["registrant_id"] == "r-1"


def test_participants_come_300_a_page_with_a_token_for_the_rest(api: Api, account) -> None:
    # page_size: "maximum": 300, "default": 30; next_page_token: "returned whenever the set of
    # available results exceeds the current page size".
    webinar = _held(account)
    start = time.time() - DAY
    account.add_webinar_instance(
        webinar["id"],
        uuid="big+instance==",
        start_time=iso(start),
        participants=_people(301, start),
    )
    path = f"/past_webinars/{webinar['id']}/participants"

    default = api.get(path).json()
    first = api.get(path, page_size=1000).json()
    rest = api.get(path, page_size=1000, next_page_token=first["next_page_token"]).json()

    assert len(default["participants"]) == 30
    assert (first["page_size"], len(first["participants"]), first["total_records"]) == (
        300,
        300,
        301,
    )
    assert first["next_page_token"] and rest["next_page_token"] == ""
    assert [p["id"] for p in rest["participants"]] == ["p0300"]
