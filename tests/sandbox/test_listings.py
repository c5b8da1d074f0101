"""What Zoom's listings leave out, as the sandbox answers them. Each test quotes the published
description (``../shared/zoom-api/``) it reproduces; the sync's deletion rules rest on these."""

from __future__ import annotations

import time

from tests.sandbox.conftest import Api
from zoomadmin.sandbox import seed_account
from zoomadmin.sandbox.records import iso

DAY = 86400


def test_pending_users_are_listed_without_an_id(sandbox) -> None:
    # Users OpenAPI, GET /users, users[].id: "The API does **not** return this value for users
    # with the `pending` status."
    account = seed_account(sandbox.state, users=40, pending_ratio=0.5, meetings_per_user=0, seed=5)
    api = Api(sandbox, sandbox.state.issue_tokens(account_id=account.id)["access_token"])

    pending = api.get("/users", status="pending", page_size=300).json()["users"]
    active = api.get("/users", status="active", page_size=300).json()["users"]

    assert pending and all("id" not in user and user["email"] for user in pending)
    assert active and all(user["id"] for user in active)


def test_an_expired_meeting_leaves_the_listing_and_still_answers_get(api: Api, account) -> None:
    # Meetings OpenAPI, GET /users/{userId}/meetings: "This API only returns a user's unexpired
    # meetings", and type=scheduled is "All valid previous (unexpired) meetings, live meetings,
    # and upcoming scheduled meetings". A non-recurring meeting expires 30 days after its time.
    host = account.owner_id
    listed = {m["id"] for m in api.get(f"/users/{host}/meetings", page_size=300).json()["meetings"]}
    meeting = next(m for m in account.meetings_of(host) if m["type"] == 2 and m["id"] in listed)
    meeting["start_time"] = iso(time.time() - 40 * DAY)

    after = {m["id"] for m in api.get(f"/users/{host}/meetings", page_size=300).json()["meetings"]}

    assert meeting["id"] not in after
    # type=previous_meetings: "All valid previous meetings…": an expired one is not valid.
    previous = api.get(f"/users/{host}/meetings", type="previous_meetings", page_size=300)
    assert meeting["id"] not in {m["id"] for m in previous.json()["meetings"]}
    assert api.get(f"/meetings/{meeting['id']}").status_code == 200
    meeting["start_time"] = iso(time.time() - 20 * DAY)
    listed_again = api.get(f"/users/{host}/meetings", page_size=300).json()["meetings"]
    assert meeting["id"] in {m["id"] for m in listed_again}


def test_an_expired_webinar_leaves_the_listing(api: Api, account) -> None:
    # Meetings OpenAPI, GET /users/{userId}/webinars: "This API only returns a user's
    # unexpired webinars."
    webinar = next(m for m in account.meetings.values() if m["type"] == 5)
    host = webinar["host_id"]
    webinar["start_time"] = iso(time.time() - 40 * DAY)

    listed = api.get(f"/users/{host}/webinars", page_size=300).json()["webinars"]

    assert webinar["id"] not in {w["id"] for w in listed}
    assert api.get(f"/webinars/{webinar['id']}").status_code == 200


def test_a_licensed_user_without_the_webinar_add_on_is_refused_with_code_200(
    api: Api, account
) -> None:
    # Meetings OpenAPI, GET /users/{userId}/webinars, "Prerequisites: A Pro or higher plan with
    # the webinar add-on"; Zoom answers 400 {"code": 200, "message": "Webinar plan is missing…"}.
    user = next(
        u
        for u in account.users.values()
        if u["type"] == 2 and u["status"] == "active" and u["id"] not in account.webinar_users
    )
    webinar = next(m for m in account.meetings.values() if m["type"] in (5, 9))

    listing = api.get(f"/users/{user['id']}/webinars")
    account.webinar_users.discard(webinar["host_id"])  # the host loses the add-on
    detail = api.get(f"/webinars/{webinar['id']}")

    for response in (listing, detail):
        assert response.status_code == 400
        assert response.json()["code"] == 200
        assert response.json()["message"].startswith("Webinar plan is missing")


def test_the_account_recordings_listing_covers_every_host_for_one_month(api: Api, account):
    # "List recordings of an account" (FACTS.md §7; Zoom API reference, not in our copy of
    # Meetings.json): GET /accounts/me/recordings, the user listing's from/to one-month rule
    # and answer shape, every host's recordings.
    body = api.get("/accounts/me/recordings", **{"from": "2020-01-01", "to": "2099-01-01"}).json()
    everything = set()
    start = time.time() - 200 * DAY
    while start < time.time() + DAY:
        window = api.get(
            "/accounts/me/recordings",
            **{"from": iso(start)[:10], "to": iso(start + 27 * DAY)[:10], "page_size": 300},
        ).json()
        everything |= {r["uuid"] for r in window["meetings"]}
        start += 28 * DAY

    assert (body["from"], body["to"]) == ("2020-01-01", "2020-02-01")  # cut to one month
    hosts = {r["host_id"] for r in account.recordings.values()}
    assert len(hosts) > 1
    recent = {
        r["uuid"]
        for r in account.recordings.values()
        if r["start_time"] >= iso(time.time() - 200 * DAY)
    }
    assert recent <= everything


def test_an_app_without_the_scope_is_refused_the_account_recordings(sandbox, api: Api):
    sandbox.config.update(account_recordings_scope=False)

    refused = api.get("/accounts/me/recordings")

    assert refused.status_code == 400 and refused.json()["code"] == 4711
