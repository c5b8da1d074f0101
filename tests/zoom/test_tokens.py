"""Access tokens: refresh on Zoom's 401 code 124, refusals, and the token endpoint calls."""

from __future__ import annotations

import threading
import time

import pytest

from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from zoomadmin.zoom.auth import (
    MemoryOAuthTokenProvider,
    StaticTokenProvider,
    TokenResponse,
    exchange_refresh_token,
    request_account_credentials,
    revoke_token,
)
from zoomadmin.zoom.errors import ZoomReauthorizationRequired, ZoomUnauthorized


@pytest.fixture
def rotated() -> list[TokenResponse]:
    return []


@pytest.fixture
def provider(sandbox, tokens, rotated) -> MemoryOAuthTokenProvider:
    return MemoryOAuthTokenProvider(
        oauth_base_url=sandbox.url,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        expires_at=time.time() + 3600,  # what we believe; the sandbox will say otherwise
        on_rotate=rotated.append,
    )


def test_an_expired_access_token_is_refreshed_once_and_the_request_succeeds(
    sandbox, make_client, provider, rotated
):
    client = make_client(provider)
    with sandbox.state.lock:
        sandbox.state.expire_access_tokens()

    assert client.get_me()["id"] == sandbox.state.default_account.owner_id
    assert client.request_count == 2
    assert sandbox.state.stats.token_refreshes == 1
    assert len(rotated) == 1
    assert provider.get_token() == rotated[0].access_token


def test_threads_that_meet_an_expired_token_share_one_refresh(sandbox, make_client, provider):
    client = make_client(provider)
    with sandbox.state.lock:
        sandbox.state.expire_access_tokens()
    failures: list[BaseException] = []

    def call() -> None:
        try:
            client.get_me()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sandbox.state.stats.token_refreshes == 1
    assert sandbox.state.stats.refresh_token_reuses == 0


def test_a_token_near_expiry_is_refreshed_before_the_request(sandbox, make_client, provider):
    provider.expires_at = time.time() + 10  # inside the provider's 60-second leeway
    client = make_client(provider)

    client.get_me()

    assert client.request_count == 1
    assert sandbox.state.stats.token_refreshes == 1


def test_a_refused_refresh_raises_reauthorization_without_looping(sandbox, make_client, provider):
    client = make_client(provider)
    sandbox.config.update(refuse_refresh=["*"])
    with sandbox.state.lock:
        sandbox.state.expire_access_tokens()

    with pytest.raises(ZoomReauthorizationRequired) as caught:
        client.get_me()
    assert "connect the Zoom account again" in str(caught.value)
    assert sandbox.state.stats.requests_total == 2  # one API call, one token request

    with pytest.raises(ZoomReauthorizationRequired):
        client.get_me()
    assert sandbox.state.stats.requests_total == 2  # the refused refresh token is not tried again
    assert client.request_count == 1


def test_a_401_that_no_refresh_can_cure_raises_unauthorized(make_client):
    client = make_client(StaticTokenProvider("not-a-token"))

    with pytest.raises(ZoomUnauthorized) as caught:
        client.get_me()

    assert caught.value.code == 124
    assert client.request_count == 1


def test_exchange_refresh_token_rotates_the_pair(sandbox, tokens):
    fresh = exchange_refresh_token(
        oauth_base_url=sandbox.url,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        refresh_token=tokens["refresh_token"],
    )

    assert fresh.access_token and fresh.access_token != tokens["access_token"]
    assert fresh.refresh_token and fresh.refresh_token != tokens["refresh_token"]
    assert fresh.expires_in == 3600
    assert fresh.api_url == sandbox.url

    with pytest.raises(ZoomReauthorizationRequired) as caught:
        exchange_refresh_token(
            oauth_base_url=sandbox.url,
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            refresh_token=tokens["refresh_token"],  # spent by the rotation above
        )
    assert (caught.value.status, caught.value.path) == (400, "/oauth/token")
    assert "Invalid Token!" in str(caught.value)


def test_account_credentials_give_a_server_to_server_token(sandbox, make_client):
    issued = request_account_credentials(
        oauth_base_url=sandbox.url,
        account_id=sandbox.state.default_account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
    )

    assert issued.refresh_token == ""
    assert make_client(StaticTokenProvider(issued.access_token)).get_me()["id"]


def test_wrong_app_credentials_raise_reauthorization(sandbox):
    with pytest.raises(ZoomReauthorizationRequired) as caught:
        request_account_credentials(
            oauth_base_url=sandbox.url,
            account_id=sandbox.state.default_account.id,
            client_id=DEFAULT_CLIENT_ID,
            client_secret="wrong-secret",
        )

    assert caught.value.status == 401
    assert "wrong-secret" not in str(caught.value)


def test_a_revoked_token_stops_working(sandbox, tokens, make_client):
    revoke_token(
        oauth_base_url=sandbox.url,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        token=tokens["access_token"],
    )

    with pytest.raises(ZoomUnauthorized):
        make_client().get_me()
