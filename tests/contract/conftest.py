"""Recorded Zoom clients: every exchange a contract test makes is checked against Zoom's description.

The ``zoom`` fixture is a :class:`ZoomClient` pointed at the sandbox whose ``requests.Session``
carries a response hook. When the test body has passed, each recorded (request, response) pair
is validated (``validator.validate_exchange``) and the test fails listing every mismatch, so the
client's requests and the sandbox's answers are held to the same published contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.contract.validator import Contract, format_problems, load_contract, validate_exchange
from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from zoomadmin.sandbox.state import Account
from zoomadmin.zoom.auth import StaticTokenProvider, request_account_credentials
from zoomadmin.zoom.client import ZoomClient


@dataclass
class ExchangeRecorder:
    """Keeps every response (and through it, its request) the session received."""

    base_url: str
    exchanges: list[requests.Response] = field(default_factory=list)

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.exchanges.append(response)
        return response

    def statuses(self) -> list[tuple[str, int]]:
        return [(r.request.method or "", r.status_code) for r in self.exchanges]

    def assert_conforms(self, contract: Contract) -> None:
        failures = []
        for response in self.exchanges:
            problems = validate_exchange(
                response.request, response, base_url=self.base_url, contract=contract
            )
            if problems:
                failures.append((response.request, response, problems))
        if failures:
            pytest.fail(
                f"{len(failures)} of {len(self.exchanges)} exchanges do not match Zoom's "
                f"published description:\n{format_problems(failures)}",
                pytrace=False,
            )


@pytest.fixture
def account(sandbox: Any) -> Account:
    """The sandbox's seeded account, which the ``zoom`` client acts on."""
    return sandbox.state.default_account


@pytest.fixture
def exchange_recorder(sandbox: Any) -> ExchangeRecorder:
    return ExchangeRecorder(base_url=sandbox.api_base_url)


@pytest.fixture
def zoom(
    sandbox: Any, account: Account, exchange_recorder: ExchangeRecorder
) -> Iterator[ZoomClient]:
    """A client for the sandbox's default account, with a token from its token endpoint."""
    token = request_account_credentials(
        oauth_base_url=sandbox.url,
        account_id=account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
    )
    client = ZoomClient(
        base_url=sandbox.api_base_url,
        token_provider=StaticTokenProvider(token.access_token),
        max_retries=0,
    )
    client.session.hooks["response"].append(exchange_recorder.hook)
    yield client
    client.session.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # Validate only after the test body passed, and inside the call phase, so a mismatch is
    # reported as that test's failure (not a teardown error) and never hides the body's own.
    result = yield
    funcargs = getattr(item, "funcargs", {})
    recorder = funcargs.get("exchange_recorder")
    if recorder is not None:
        recorder.assert_conforms(load_contract())  # cached: built once per session
    return result
