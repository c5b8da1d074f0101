"""The `/_sandbox/` control API lets another process steer and inspect the sandbox."""

from __future__ import annotations

import requests

from tests.sandbox.conftest import Api


def control(sandbox, method: str, path: str, body: dict | None = None) -> requests.Response:
    return requests.request(method, f"{sandbox.url}/_sandbox/{path}", json=body, timeout=10)


def test_config_is_read_and_changed_over_http(sandbox) -> None:
    changed = control(
        sandbox, "PATCH", "config", {"latency_seconds": 0.001, "rate_limit_per_second": 50}
    )

    assert changed.status_code == 200
    assert changed.json()["rate_limit_per_second"] == 50
    assert sandbox.config.latency_seconds == 0.001
    assert control(sandbox, "GET", "config").json()["latency_seconds"] == 0.001


def test_unknown_config_names_are_refused(sandbox) -> None:
    response = control(sandbox, "PATCH", "config", {"latncy": 1})

    assert response.status_code == 400
    assert "latncy" in response.json()["error"]


def test_faults_are_queued_listed_and_cleared_over_http(sandbox, api: Api) -> None:
    queued = control(
        sandbox, "POST", "faults", {"action": "503", "count": 1, "path_prefix": "/v2/users"}
    )
    assert queued.status_code == 201
    assert control(sandbox, "GET", "faults").json()["scripted"][0]["action"] == "503"

    assert api.get("/users").status_code == 503
    assert control(sandbox, "GET", "faults").json()["scripted"] == []

    control(sandbox, "POST", "faults", {"action": "drop", "count": 5})
    assert control(sandbox, "DELETE", "faults").status_code == 204
    assert api.get("/users").status_code == 200


def test_a_bad_fault_is_refused(sandbox) -> None:
    assert control(sandbox, "POST", "faults", {"action": "explode"}).status_code == 400


def test_stats_count_requests_by_account_and_route(sandbox, api: Api, account) -> None:
    api.get("/users")
    api.get(f"/users/{account.owner_id}")

    stats = control(sandbox, "GET", "stats").json()

    assert stats["requests_total"] == 2
    assert stats["requests_by_account"] == {account.id: 2}
    assert stats["requests_by_route"] == {"GET /v2/users": 1, "GET /v2/users/{userId}": 1}
    assert stats["responses_by_status"] == {"200": 2}
    control(sandbox, "DELETE", "stats")
    assert control(sandbox, "GET", "stats").json()["requests_total"] == 0


def test_reset_and_seed_over_http(sandbox) -> None:
    reset = control(sandbox, "POST", "reset", {"users": 3, "meetings_per_user": 1, "seed": 5})
    assert [a["counts"]["users"] for a in reset.json()["accounts"]] == [3]

    seeded = control(sandbox, "POST", "seed", {"users": 4, "seed": 6})
    assert seeded.status_code == 201
    assert seeded.json()["counts"]["users"] == 4
    assert len(control(sandbox, "GET", "accounts").json()["accounts"]) == 2
    assert control(sandbox, "POST", "seed", {"userz": 4}).status_code == 400


def test_tokens_are_issued_and_expired_over_http(sandbox) -> None:
    tokens = control(sandbox, "POST", "tokens", {}).json()
    api = Api(sandbox, tokens["access_token"])
    assert api.get("/users/me").status_code == 200

    expired = control(sandbox, "POST", "tokens/expire", {}).json()["expired"]

    assert expired >= 1
    assert api.get("/users/me").json()["message"] == "Access token is expired."


def test_deauthorize_kills_tokens_and_announces_app_deauthorized(sandbox, account, events) -> None:
    tokens = sandbox.state.issue_tokens()

    assert control(sandbox, "POST", "deauthorize", {"account_id": account.id}).status_code == 204

    assert Api(sandbox, tokens["access_token"]).get("/users/me").status_code == 401
    assert events[0][0] == "app_deauthorized"
    assert events[0][2]["account_id"] == account.id


def test_control_requests_are_never_faulted_or_counted(sandbox) -> None:
    sandbox.config.update(error_rate=1.0)

    assert control(sandbox, "GET", "stats").json()["requests_total"] == 0
