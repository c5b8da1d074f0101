"""Fixtures for the sandbox's own tests: plain `requests` sessions over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from zoomadmin.sandbox import SandboxServer


class Api:
    """A `requests.Session` bound to the sandbox's `/v2` with one account's bearer token."""

    def __init__(self, sandbox: SandboxServer, access_token: str) -> None:
        self.base_url = sandbox.api_base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {access_token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=10, **kwargs)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict) -> requests.Response:
        return self.request("POST", path, json=body)

    def patch(self, path: str, body: dict) -> requests.Response:
        return self.request("PATCH", path, json=body)

    def put(self, path: str, body: dict) -> requests.Response:
        return self.request("PUT", path, json=body)

    def delete(self, path: str, **params: Any) -> requests.Response:
        return self.request("DELETE", path, params=params)


@pytest.fixture
def account(sandbox: SandboxServer):
    return sandbox.state.default_account


@pytest.fixture
def api(sandbox: SandboxServer) -> Iterator[Api]:
    """The default account's API, as its owner (an account admin) sees it."""
    client = Api(sandbox, sandbox.state.issue_tokens()["access_token"])
    yield client
    client.session.close()


@pytest.fixture
def events(sandbox: SandboxServer) -> list[tuple[str, str, dict]]:
    """Every change the sandbox announces to its listeners during the test."""
    seen: list[tuple[str, str, dict]] = []
    sandbox.state.listeners.append(lambda *event: seen.append(event))
    return seen
