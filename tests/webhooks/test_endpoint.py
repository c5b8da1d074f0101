"""The endpoint as gunicorn serves it (``zoomadmin.wsgi.application``), without the admin's
middleware (``webhooks.wsgi``): every check of the view still holds, and so do the project's
host and HTTPS rules; every other path goes through the whole stack."""

from __future__ import annotations

import io
import json
import sys
import time
from collections import Counter

import pytest
from django.core.wsgi import get_wsgi_application

from tests.webhooks.test_receiver import SECRET, URL, _bad_requests, example
from webhooks.models import WebhookEvent
from webhooks.signature import sign
from webhooks.wsgi import with_endpoint
from zoomadmin.wsgi import application

# Each request closes the connection as in production (request_finished): no test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def secret(settings):
    settings.ZOOM_WEBHOOK_SECRET_TOKENS = [SECRET]


def call(path: str, body: bytes = b"", *, method: str = "POST", app=application, **headers: str):
    """(status, headers, body) of one request to the WSGI application."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        **headers,
    }
    answer: dict = {}

    def start_response(status: str, response_headers: list, exc_info=None) -> None:
        answer["status"], answer["headers"] = int(status.split()[0]), dict(response_headers)

    response = app(environ, start_response)
    try:
        content = b"".join(response)
    finally:
        response.close()
    return answer["status"], answer["headers"], content


def signed(body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "HTTP_X_ZM_REQUEST_TIMESTAMP": timestamp,
        "HTTP_X_ZM_SIGNATURE": sign(SECRET, timestamp, body),
    }


def test_a_signed_event_is_stored_and_answered_200(django_capture_on_commit_callbacks):
    body = json.dumps(example("user.created")).encode()
    with django_capture_on_commit_callbacks(execute=True):
        status, headers, _ = call(URL, body, **signed(body))
    assert status == 200
    assert WebhookEvent.objects.get().payload == example("user.created")
    assert "Set-Cookie" not in headers  # no session, no CSRF cookie


def test_every_forged_or_malformed_request_is_refused_here_too():
    tally: Counter = Counter()
    for what, case in _bad_requests():
        body = case["body"]
        timestamp = case.get("timestamp", str(int(time.time())))
        signature = case.get("signature", sign(SECRET, timestamp, body))
        headers = {"HTTP_X_ZM_REQUEST_TIMESTAMP": timestamp, "HTTP_X_ZM_SIGNATURE": signature}
        if case.get("duplicate_signature"):
            headers["HTTP_X_ZM_SIGNATURE"] = f"{signature},{signature}"
        headers.pop(case.get("omit", ""), None)
        status, _, _ = call(URL, body, method=case.get("method", "post").upper(), **headers)
        assert 400 <= status < 500, (what, status)
        tally[status] += 1
    assert not WebhookEvent.objects.exists()
    assert set(tally) == {400, 401, 405, 413}


def test_a_host_not_allowed_is_refused():
    body = json.dumps(example("user.created")).encode()
    status, _, _ = call(URL, body, HTTP_HOST="evil.example.com", **signed(body))
    assert status == 400
    assert not WebhookEvent.objects.exists()


def test_plain_http_is_redirected_to_https_where_the_settings_say_so(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    app = with_endpoint(get_wsgi_application())  # middleware reads its settings once
    body = json.dumps(example("user.created")).encode()
    status, headers, _ = call(URL, body, app=app, **signed(body))
    assert (status, headers["Location"]) == (301, f"https://127.0.0.1:8000{URL}")
    status, _, _ = call(URL, body, app=app, HTTP_X_FORWARDED_PROTO="https", **signed(body))
    assert status == 200


def test_other_paths_go_through_the_admin_s_middleware():
    status, headers, _ = call("/admin/", method="GET")
    assert status == 302 and headers["Location"].startswith("/admin/login/")
