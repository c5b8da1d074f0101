"""Paging through Zoom listings with next_page_token, against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from zoomadmin.sandbox import SandboxServer, seed_account
from zoomadmin.zoom import client as client_module
from zoomadmin.zoom.auth import StaticTokenProvider
from zoomadmin.zoom.errors import ZoomPageTokenExpired


@pytest.fixture
def big_account_client(sandbox: SandboxServer, make_client, monkeypatch):
    """A client on a second account holding 1,001 active users and no meetings, listing users
    300 at a time (not Zoom's maximum of 2,000) so that the listing spans four pages."""
    monkeypatch.setattr(client_module, "PAGE_SIZE_USERS", 300)
    state = sandbox.state
    account = seed_account(
        state,
        account_id="big-account",
        users=1001,
        meetings_per_user=0,
        webinars_per_licensed_user=0,
        inactive_ratio=0,
        pending_ratio=0,
        seed=7,
    )
    with state.lock:
        issued: dict[str, Any] = state.issue_tokens(account_id=account.id)
    return make_client(StaticTokenProvider(issued["access_token"]))


def test_listing_1001_users_comes_back_complete_in_four_requests(sandbox, big_account_client):
    users = list(big_account_client.list_users())

    assert len(users) == 1001
    assert len({user["id"] for user in users}) == 1001
    assert big_account_client.request_count == 4
    assert sandbox.state.stats.requests_by_route["GET /v2/users"] == 4


def test_an_empty_listing_takes_one_request(big_account_client):
    assert list(big_account_client.list_meetings("me")) == []
    assert big_account_client.request_count == 1


def test_pages_are_fetched_only_as_items_are_consumed(big_account_client):
    users = big_account_client.list_users()
    assert big_account_client.request_count == 0

    first_page = [next(users) for _ in range(300)]

    assert len(first_page) == 300
    assert big_account_client.request_count == 1


def test_an_expired_page_token_raises_so_the_listing_can_restart(sandbox, big_account_client):
    sandbox.config.update(page_token_ttl_seconds=0)
    users = big_account_client.list_users()

    with pytest.raises(ZoomPageTokenExpired) as caught:
        list(users)

    assert caught.value.status == 400
    assert caught.value.code == 300
    assert big_account_client.request_count == 2


def test_registrant_listings_filter_by_status(sandbox, client):
    account = sandbox.state.default_account
    meeting_id, registrants = next(
        (mid, regs)
        for mid, regs in account.registrants.items()
        if account.meetings[mid]["type"] not in (5, 6, 9) and len(regs) > 1
    )

    for status in ("approved", "pending", "denied"):
        listed = list(client.list_meeting_registrants(meeting_id, status=status))
        expected = {r["id"] for r in registrants.values() if r["status"] == status}
        assert {r["id"] for r in listed} == expected


SPECS = Path(__file__).resolve().parents[1] / "contract" / "zoom-api"


def published_page_size_maximum(document: str, path: str) -> int:
    spec = json.loads((SPECS / document).read_text())
    (parameter,) = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "page_size"]
    return parameter["schema"]["maximum"]


@pytest.mark.parametrize(
    ("document", "path", "size"),
    [
        ("users/endpoints.json", "/users", client_module.PAGE_SIZE_USERS),
        ("meetings/Meetings.json", "/users/{userId}/meetings", client_module.PAGE_SIZE_DEFAULT),
        ("meetings/Meetings.json", "/users/{userId}/webinars", client_module.PAGE_SIZE_DEFAULT),
        (
            "meetings/Meetings.json",
            "/meetings/{meetingId}/registrants",
            client_module.PAGE_SIZE_DEFAULT,
        ),
        ("meetings/Meetings.json", "/users/{userId}/recordings", client_module.PAGE_SIZE_DEFAULT),
    ],
)
def test_listings_ask_for_the_largest_page_zoom_allows(document, path, size):
    assert size == published_page_size_maximum(document, path)
