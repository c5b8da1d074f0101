"""Zoom's pagination (FACTS §4) and error bodies (FACTS §6), as the sandbox answers them."""

from __future__ import annotations

from urllib.parse import quote

from tests.sandbox.conftest import Api
from zoomadmin.sandbox import seed_account


def test_1001_users_at_page_size_300_take_four_pages_and_yield_each_user_once(sandbox) -> None:
    account = seed_account(
        sandbox.state,
        users=1001,
        meetings_per_user=0,
        webinars_per_licensed_user=0,
        inactive_ratio=0,
        pending_ratio=0,
        seed=3,
    )
    api = Api(sandbox, sandbox.state.issue_tokens(account_id=account.id)["access_token"])

    pages, seen, token = [], [], None
    while token != "":
        body = api.get("/users", page_size=300, next_page_token=token or "").json()
        pages.append(body)
        seen.extend(user["id"] for user in body["users"])
        token = body["next_page_token"]

    assert len(pages) == 4
    assert [len(p["users"]) for p in pages] == [300, 300, 300, 101]
    assert {p["total_records"] for p in pages} == {1001}
    assert {p["page_size"] for p in pages} == {300}
    assert len(seen) == len(set(seen)) == 1001
    assert set(seen) == set(account.users)


def test_page_size_is_clamped_to_the_endpoints_published_maximum(api: Api, account) -> None:
    host = account.owner_id

    assert api.get("/users", page_size=5000).json()["page_size"] == 2000
    assert api.get(f"/users/{host}/meetings", page_size=1000).json()["page_size"] == 300
    assert api.get(f"/chat/users/{host}/channels", page_size=5000).json()["page_size"] == 1000
    assert api.get(f"/users/{host}/meetings").json()["page_size"] == 30
    assert api.get(f"/chat/users/{host}/channels").json()["page_size"] == 10


def test_a_bogus_page_token_answers_400_code_300(api: Api) -> None:
    response = api.get("/users", next_page_token="not-a-token")

    assert response.status_code == 400
    assert response.json() == {"code": 300, "message": "The next page token is invalid or expired."}


def test_an_expired_page_token_answers_400_code_300(sandbox, api: Api) -> None:
    sandbox.config.update(page_token_ttl_seconds=-1)
    token = api.get("/users", page_size=1).json()["next_page_token"]
    assert token

    response = api.get("/users", page_size=1, next_page_token=token)

    assert response.status_code == 400
    assert response.json()["code"] == 300


def test_a_page_token_is_only_good_for_its_own_listing(api: Api) -> None:
    token = api.get("/users", page_size=1).json()["next_page_token"]

    response = api.get("/users", page_size=1, status="inactive", next_page_token=token)

    assert response.status_code == 400


def test_unknown_user_answers_404_code_1001(api: Api) -> None:
    response = api.get("/users/nobody@example.com")

    assert response.status_code == 404
    assert response.json() == {"code": 1001, "message": "User does not exist: nobody@example.com."}


def test_users_are_found_by_id_email_and_me(api: Api, account) -> None:
    owner = account.users[account.owner_id]

    assert api.get(f"/users/{owner['id']}").json()["email"] == owner["email"]
    assert api.get(f"/users/{owner['email'].upper()}").json()["id"] == owner["id"]
    assert api.get("/users/me").json()["id"] == owner["id"]


def test_another_accounts_data_does_not_exist(sandbox, api: Api) -> None:
    other = seed_account(sandbox.state, users=2, meetings_per_user=1, seed=9)
    meeting_id = next(iter(other.meetings))

    assert api.get(f"/users/{other.owner_id}").json()["code"] == 1001
    assert api.get(f"/meetings/{meeting_id}").json()["code"] == 3001


def test_unknown_meeting_and_webinar_answer_404_code_3001(api: Api) -> None:
    meeting = api.get("/meetings/123")
    webinar = api.get("/webinars/123")

    assert (meeting.status_code, meeting.json()) == (
        404,
        {"code": 3001, "message": "Meeting does not exist: 123."},
    )
    assert (webinar.status_code, webinar.json()) == (
        404,
        {"code": 3001, "message": "Webinar does not exist: 123."},
    )


def test_meeting_without_recording_answers_404_code_3301(api: Api, account) -> None:
    meeting_id = next(m for m in account.meetings if m not in account.recordings)

    response = api.get(f"/meetings/{meeting_id}/recordings")

    assert response.status_code == 404
    assert response.json()["code"] == 3301


def test_recordings_are_found_by_double_encoded_uuid(api: Api, account) -> None:
    recording = next(iter(account.recordings.values()))
    account.recordings_by_uuid.pop(recording["uuid"])
    # A UUID of the kind Zoom says must be double-encoded.
    recording["uuid"] = "/ab//cd+ef=="
    account.recordings_by_uuid[recording["uuid"]] = recording["id"]

    response = api.get(f"/meetings/{quote(quote(recording['uuid'], safe=''), safe='')}/recordings")

    assert response.status_code == 200
    assert response.json()["id"] == recording["id"]


def test_invalid_body_answers_400_code_300_with_the_fields(api: Api) -> None:
    response = api.post("/users", {"action": "create", "user_info": {"email": "bad", "type": 7}})

    assert response.status_code == 400
    assert response.json() == {
        "code": 300,
        "message": "Validation Failed.",
        "errors": [{"field": "user_info.email", "message": "Invalid field."}],
    }


def test_a_body_that_is_not_json_answers_code_300(api: Api) -> None:
    response = api.request(
        "POST", "/users", data=b"{oops", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == 300


def test_unknown_endpoint_answers_404_code_2300(api: Api) -> None:
    response = api.get("/no/such/thing")

    assert response.status_code == 404
    assert response.json()["code"] == 2300


def test_user_recordings_cover_at_most_one_month(api: Api, account) -> None:
    body = api.get(
        f"/users/{account.owner_id}/recordings", **{"from": "2026-01-31", "to": "2026-06-30"}
    ).json()

    assert (body["from"], body["to"]) == ("2026-01-31", "2026-02-28")


def test_chat_messages_need_a_contact_or_a_channel(api: Api, account) -> None:
    response = api.get(f"/chat/users/{account.owner_id}/messages")

    assert response.status_code == 400
    assert response.json() == {
        "code": 300,
        "message": "Must provide either contact or channel parameter.",
    }
