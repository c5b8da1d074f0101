"""Rate limits with Zoom's 429 headers (FACTS §5), and injected faults."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from tests.sandbox.conftest import Api
from zoomadmin.sandbox import ScriptedFault

PER_SECOND = "You have reached the maximum per-second rate limit for this API. Try again later."


def test_per_second_limit_answers_429_with_zooms_headers(sandbox, api: Api) -> None:
    # A bucket of one token refills once a second: five requests in a row cannot all pass.
    sandbox.config.update(rate_limit_per_second=1)

    responses = [api.get("/users/me") for _ in range(5)]

    limited = [r for r in responses if r.status_code == 429]
    assert limited
    assert limited[0].json() == {"code": 429, "message": PER_SECOND}
    headers = limited[0].headers
    assert headers["X-RateLimit-Type"] == "QPS"
    assert headers["X-RateLimit-Category"] == "Light"
    assert headers["X-RateLimit-Limit"] == "1"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert int(headers["Retry-After"]) >= 1
    assert sandbox.state.stats.rate_limited == len(limited)


def test_rate_limits_are_per_account(sandbox, api: Api) -> None:
    from zoomadmin.sandbox import seed_account

    other = seed_account(sandbox.state, users=1, meetings_per_user=0, seed=2)
    other_api = Api(sandbox, sandbox.state.issue_tokens(account_id=other.id)["access_token"])
    sandbox.config.update(daily_limit=1)

    assert api.get("/users/me").status_code == 200
    assert other_api.get("/users/me").status_code == 200


def test_daily_limit_answers_429_retry_after_next_midnight_utc(sandbox, api: Api) -> None:
    sandbox.config.update(daily_limit=2)

    statuses = [api.get("/users/me").status_code for _ in range(3)]
    limited = api.get("/users")

    assert statuses == [200, 200, 429]
    assert limited.headers["X-RateLimit-Type"] == "Daily-limit"
    assert limited.headers["X-RateLimit-Category"] == "Medium"
    assert limited.headers["X-RateLimit-Limit"] == "2"
    reset = dt.datetime.strptime(limited.headers["Retry-After"], "%Y-%m-%dT%H:%M:%SZ")
    assert (reset.hour, reset.minute, reset.second) == (0, 0, 0)
    assert reset > dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert limited.json()["code"] == 429


def test_scripted_faults_hit_the_next_matching_requests_only(sandbox, api: Api) -> None:
    sandbox.config.script_fault(ScriptedFault("503", count=2, path_prefix="/v2/users"))

    other = api.get("/meetings/1")
    statuses = [api.get("/users").status_code for _ in range(3)]

    assert other.status_code == 404
    assert statuses == [503, 503, 200]
    assert sandbox.state.stats.faults_injected["503"] == 2


def test_scripted_429_carries_retry_after(sandbox, api: Api) -> None:
    sandbox.config.script_fault(ScriptedFault("429", retry_after=1))

    response = api.get("/users")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.headers["X-RateLimit-Type"] == "QPS"
    assert response.json() == {"code": 429, "message": PER_SECOND}


def test_scripted_drop_closes_the_connection_without_answering(sandbox, api: Api) -> None:
    sandbox.config.script_fault(ScriptedFault("drop"))

    with pytest.raises(requests.ConnectionError):
        api.get("/users")
    assert api.get("/users").status_code == 200


def test_scripted_stall_delays_then_answers(sandbox, api: Api) -> None:
    sandbox.config.script_fault(ScriptedFault("stall", stall_seconds=0.01))

    assert api.get("/users").status_code == 200
    assert sandbox.state.stats.faults_injected["stall"] == 1


def test_faults_can_target_the_token_endpoint(sandbox) -> None:
    sandbox.config.script_fault(ScriptedFault("502", path_prefix="/oauth/token", method="POST"))

    response = requests.post(f"{sandbox.url}/oauth/token", data={"grant_type": "refresh_token"})

    assert response.status_code == 502


def test_random_faults_repeat_with_the_same_seed(sandbox, api: Api) -> None:
    def run() -> list[int]:
        sandbox.config.update(fault_seed=42, error_rate=0.3, throttle_rate=0.2)
        return [api.get("/users/me").status_code for _ in range(30)]

    first, second = run(), run()

    assert first == second
    assert {200, 429} <= set(first)
    assert set(first) & {500, 502, 503, 504}


def test_each_category_has_its_own_per_second_budget(sandbox, api) -> None:
    # FACTS §5 (developers.zoom.us/docs/api/rate-limits/): limits are per account and per
    # category (Light, Medium, Heavy), each endpoint carrying its "Rate Limit Label"; a 429
    # names the category in X-RateLimit-Category.
    sandbox.config.update(rate_limits={"Light": 2, "Medium": 1})

    light = [api.get("/users/me") for _ in range(3)]  # Light: a burst of 2, then refused
    medium = api.get("/users")  # Medium: its own budget, untouched by the Light burst

    assert [r.status_code for r in light] == [200, 200, 429]
    refused = light[-1]
    assert refused.headers["X-RateLimit-Category"] == "Light"
    assert refused.headers["X-RateLimit-Type"] == "QPS"
    assert int(refused.headers["Retry-After"]) >= 1
    assert medium.status_code == 200
