"""The sandbox's OAuth endpoints behave as Zoom's do (FACTS §1): codes, rotation, refusals."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

REDIRECT_URI = "http://testserver/accounts/zoom/login/callback/"
BASIC = (
    "Basic " + base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()
)


def authorize(sandbox, **extra: str) -> requests.Response:
    params = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "xyz",
        **extra,
    }
    return requests.get(f"{sandbox.url}/oauth/authorize", params=params, allow_redirects=False)


def code_from(response: requests.Response) -> str:
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def token_request(sandbox, data: dict, *, basic: bool = True) -> requests.Response:
    headers = {"Authorization": BASIC} if basic else {}
    if not basic:
        # As django-allauth sends them: client credentials in the form body.
        data = {**data, "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET}
    return requests.post(f"{sandbox.url}/oauth/token", data=data, headers=headers)


def exchange_code(sandbox, code: str) -> requests.Response:
    return token_request(
        sandbox,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        basic=False,
    )


def me(sandbox, access_token: str) -> requests.Response:
    return requests.get(
        f"{sandbox.api_base_url}/users/me", headers={"Authorization": f"Bearer {access_token}"}
    )


def test_authorize_redirects_back_with_a_code_and_the_state(sandbox) -> None:
    response = authorize(sandbox)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location._replace(query="").geturl() == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    assert query["code"][0]


def test_authorization_code_exchange_returns_zooms_token_response(sandbox) -> None:
    response = exchange_code(sandbox, code_from(authorize(sandbox)))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access_token",
        "token_type",
        "refresh_token",
        "expires_in",
        "scope",
        "api_url",
    }
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["api_url"] == sandbox.url
    owner = sandbox.state.default_account.owner_id
    assert me(sandbox, body["access_token"]).json()["id"] == owner


def test_authorization_code_is_single_use(sandbox) -> None:
    code = code_from(authorize(sandbox))
    assert exchange_code(sandbox, code).status_code == 200

    again = exchange_code(sandbox, code)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_authorization_code_needs_the_same_redirect_uri(sandbox) -> None:
    code = code_from(authorize(sandbox))

    response = token_request(
        sandbox,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://elsewhere/"},
    )

    assert response.status_code == 400


def test_sandbox_user_parameter_chooses_who_consents(sandbox) -> None:
    account = sandbox.state.default_account
    other = next(
        u for u in account.users.values() if u["status"] == "active" and u["id"] != account.owner_id
    )

    tokens = exchange_code(
        sandbox, code_from(authorize(sandbox, sandbox_user=other["email"]))
    ).json()

    assert me(sandbox, tokens["access_token"]).json()["email"] == other["email"]


def test_refresh_rotates_the_refresh_token_and_refuses_a_reused_one(sandbox) -> None:
    first = exchange_code(sandbox, code_from(authorize(sandbox))).json()

    refreshed = token_request(
        sandbox, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert me(sandbox, second["access_token"]).status_code == 200

    reused = token_request(
        sandbox, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )

    assert reused.status_code == 400
    assert reused.json() == {"reason": "Invalid Token!", "error": "invalid_grant"}
    assert sandbox.state.stats.refresh_token_reuses == 1
    assert sandbox.state.stats.token_refreshes == 1
    # The newest refresh token still works.
    latest = token_request(
        sandbox, {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}
    )
    assert latest.status_code == 200


def test_an_unknown_refresh_token_is_refused_but_not_counted_as_a_reuse(sandbox) -> None:
    response = token_request(sandbox, {"grant_type": "refresh_token", "refresh_token": "nope"})

    assert response.status_code == 400
    assert response.json()["reason"] == "Invalid Token!"
    assert sandbox.state.stats.refresh_token_reuses == 0


def test_refresh_is_refused_for_an_account_that_deauthorized_the_app(sandbox) -> None:
    tokens = sandbox.state.issue_tokens()
    sandbox.config.update(refuse_refresh=[sandbox.state.default_account.id])

    response = token_request(
        sandbox, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_account_credentials_grant_has_no_refresh_token(sandbox) -> None:
    account_id = sandbox.state.default_account.id

    response = token_request(
        sandbox, {"grant_type": "account_credentials", "account_id": account_id}
    )

    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body
    assert me(sandbox, body["access_token"]).json()["account_id"] == account_id


@pytest.mark.parametrize("secret", ["wrong", ""])
def test_wrong_client_credentials_are_refused(sandbox, secret: str) -> None:
    response = requests.post(
        f"{sandbox.url}/oauth/token",
        data={"grant_type": "account_credentials", "account_id": sandbox.state.default_account.id},
        auth=(DEFAULT_CLIENT_ID, secret),
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_revoke_ends_the_grant(sandbox) -> None:
    tokens = exchange_code(sandbox, code_from(authorize(sandbox))).json()

    revoked = requests.post(
        f"{sandbox.url}/oauth/revoke",
        data={"token": tokens["access_token"]},
        headers={"Authorization": BASIC},
    )

    assert revoked.json() == {"status": "success"}
    assert me(sandbox, tokens["access_token"]).status_code == 401
    refresh = token_request(
        sandbox, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 400


def test_expired_access_token_answers_401_code_124(sandbox) -> None:
    tokens = sandbox.state.issue_tokens()
    sandbox.state.expire_access_tokens()

    response = me(sandbox, tokens["access_token"])

    assert response.status_code == 401
    assert response.json() == {"code": 124, "message": "Access token is expired."}


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc"])
def test_missing_or_invalid_access_token_answers_401_code_124(sandbox, header) -> None:
    headers = {"Authorization": header} if header else {}

    response = requests.get(f"{sandbox.api_base_url}/users/me", headers=headers)

    assert response.status_code == 401
    assert response.json() == {"code": 124, "message": "Invalid access token."}
