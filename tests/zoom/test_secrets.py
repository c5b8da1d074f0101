"""No access token, refresh token or client secret in logs, exception text or reprs."""

from __future__ import annotations

import logging
import time

import pytest
from django.views.debug import ExceptionReporter

from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ScriptedFault
from zoomadmin.zoom.auth import MemoryOAuthTokenProvider, TokenResponse
from zoomadmin.zoom.errors import ZoomError


def test_no_secret_reaches_logs_or_errors(sandbox, tokens, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    rotated: list[TokenResponse] = []
    provider = MemoryOAuthTokenProvider(
        oauth_base_url=sandbox.url,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        expires_at=time.time() + 3600,
        on_rotate=rotated.append,
    )
    client = make_client(provider, max_retries=2)
    errors: list[ZoomError] = []

    with sandbox.state.lock:
        sandbox.state.expire_access_tokens()
    client.get_me()  # refresh on 401 code 124
    sandbox.config.script_fault(ScriptedFault("429", retry_after=0))
    sandbox.config.script_fault(ScriptedFault("503"))
    client.get_me()  # a 429, then a 503, then success
    sandbox.config.script_fault(ScriptedFault("drop", count=3))
    for failing in (
        client.get_me,  # dropped three times: unavailable
        lambda: client.get_meeting(12345678901),  # not found
    ):
        with pytest.raises(ZoomError) as caught:
            failing()
        errors.append(caught.value)
    sandbox.config.update(refuse_refresh=["*"])
    with sandbox.state.lock:
        sandbox.state.expire_access_tokens()
    with pytest.raises(ZoomError) as caught:
        client.get_me()  # refused refresh
    errors.append(caught.value)

    secrets = [
        tokens["access_token"],
        tokens["refresh_token"],
        rotated[0].access_token,
        rotated[0].refresh_token,
        DEFAULT_CLIENT_SECRET,
    ]
    texts = [caplog.text, repr(provider), repr(rotated[0]), repr(client)]
    texts += [str(error) for error in errors] + [repr(error) for error in errors]
    assert "retry 2 of 2" in caplog.text  # the retries were logged
    for secret in secrets:
        for text in texts:
            assert secret not in text


def debug_page(caught: pytest.ExceptionInfo) -> str:
    """Django's technical 500 page and text report of an exception, as DEBUG would serve it,
    from the first frame below the test's own (whose locals are the test's business)."""
    reporter = ExceptionReporter(None, caught.type, caught.value, caught.tb.tb_next)
    return reporter.get_traceback_html() + reporter.get_traceback_text()


def test_a_debug_error_page_shows_no_bearer_token_of_the_client(settings, tokens, make_client):
    settings.DEBUG = True
    client = make_client()

    with pytest.raises(TypeError) as caught:
        # A body that is not JSON: a programming error raised from inside the client's frames.
        client.create_meeting("me", {"topic": object()})

    page = debug_page(caught)
    assert "_attempt" in page and "token" in page  # the frame and the variable are shown...
    assert tokens["access_token"] not in page  # ...its value is not


def test_an_error_report_renders_with_cyclic_data_in_a_frame(settings):
    settings.DEBUG = True

    def broken():
        cycle: dict = {}
        cycle["self"] = cycle
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError) as caught:
        broken()

    assert "a bug" in debug_page(caught)
