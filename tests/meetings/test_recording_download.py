"""Downloading a cloud recording file through the app: streamed from Zoom's storage with the
tenant's token in the Authorization header, never in a URL, a redirect, a page or a log, and
never to the storage host; what Zoom cannot serve is said in words.

The rule comes from the Meetings OpenAPI (``recording_files[].download_url`` of "Get meeting
recordings"): "use the ``download_access_token`` or the user's OAuth access token to download
the file. Set the ``access_token`` as a Bearer token in the Authorization header. […] The URL
may be a redirect. In that case, use ``curl --location`` to follow redirects". Expected bytes
are the sandbox's (``zoomadmin.sandbox.downloads.file_bytes``), sizes its ``file_size``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth.models import Permission
from django.urls import reverse

from meetings.models import RecordingFile
from tests.admin_helpers import messages_of
from tests.meetings.recording_fixtures import (
    connect_small,
    downloads_of,
    present_files,
    zoom_bytes,
    zoom_file,
)
from tests.tenants.factories import make_tenant
from zoomadmin.sandbox import seed_account
from zoomadmin.sandbox.config import ScriptedFault
from zoomadmin.sandbox.downloads import DOWNLOAD_PATH
from zoomadmin.tenants.models import TenantMembership
from zoomadmin.zoom.auth import StaticTokenProvider
from zoomadmin.zoom.client import (
    DOWNLOAD_CHUNK_SIZE,
    UnsafeDownloadUrl,
    ZoomClient,
    trusted_download_url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(zoom_settings, admin_user):
    return connect_small(zoom_settings, admin_user)


def download_url(recording_file: RecordingFile) -> str:
    return reverse("admin:meetings_recordingfile_download", args=[recording_file.pk])


def change_url(recording_file: RecordingFile) -> str:
    return reverse("admin:meetings_recordingfile_change", args=[recording_file.pk])


def tokens(sandbox) -> list[str]:
    """Every access token the sandbox has issued (the tenant's among them)."""
    return list(sandbox.state.access_tokens)


def test_a_download_streams_zoom_s_bytes_with_the_token_only_in_a_header(
    admin_client, tenant, sandbox, caplog
):
    caplog.set_level(logging.DEBUG)
    recording_file = max(present_files(tenant), key=lambda f: f.file_size)
    held = zoom_file(sandbox, recording_file)
    sandbox.state.stats.download_requests.clear()

    response = admin_client.get(download_url(recording_file))

    assert response.status_code == 200 and response.streaming
    chunks = list(response.streaming_content)
    assert b"".join(chunks) == zoom_bytes(sandbox, recording_file)
    assert max(map(len, chunks)) <= DOWNLOAD_CHUNK_SIZE
    assert response["Content-Length"] == str(held["file_size"])
    extension = held["file_extension"].lower()
    content_types = {"mp4": "video/mp4", "m4a": "audio/mp4", "txt": "text/plain"}
    if extension in content_types:
        assert response["Content-Type"] == content_types[extension]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename")
    assert disposition.endswith(f'.{extension}"') or disposition.endswith(f".{extension}")

    # Zoom's side: the download URL with the header, then the storage host without it.
    seen = sandbox.state.stats.download_requests
    assert [(r["path"].split("/")[2], r["authorization"], r["status"]) for r in seen] == [
        ("download", True, 302),
        ("storage", False, 200),
    ]
    assert seen[0]["host"].split(":")[0] != seen[1]["host"].split(":")[0]
    assert seen[0]["query"] == {}  # never ?access_token=
    # No token in a URL, the answer's headers, or a log line (DEBUG included).
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for token in tokens(sandbox):
        for request in seen:
            assert token not in request["path"] and token not in str(request["query"])
        assert all(token not in value for value in response.headers.values())
        assert token not in logged
    assert "Location" not in response


def test_requests_does_not_carry_the_authorization_header_to_the_storage_host(tenant, sandbox):
    """What the client relies on (``Session.should_strip_auth``): a redirect to another host
    loses the Authorization header, as ``curl --location`` does."""
    recording_file = present_files(tenant)[0]
    token = sandbox.state.issue_tokens(account_id=tenant.account_id)["access_token"]
    sandbox.state.stats.download_requests.clear()

    answer = requests.get(
        recording_file.download_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )

    assert answer.content == zoom_bytes(sandbox, recording_file)
    assert [r["authorization"] for r in sandbox.state.stats.download_requests] == [True, False]


def test_the_sandbox_serves_a_download_only_with_the_bearer_token(tenant, sandbox):
    """Meetings OpenAPI, ``download_url``: "Set the ``access_token`` as a Bearer token in the
    Authorization header" and "The URL may be a redirect". Without the header the sandbox
    answers as the API does (401, code 124); the ``?access_token=`` query form is not what
    Zoom publishes, and is not taken. The redirect leads to the storage, on another host."""
    recording_file = present_files(tenant)[0]
    url = recording_file.download_url
    token = sandbox.state.issue_tokens(account_id=tenant.account_id)["access_token"]

    bare = requests.get(url, allow_redirects=False, timeout=10)
    query = requests.get(url, params={"access_token": token}, allow_redirects=False, timeout=10)
    wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    good = requests.get(
        url, headers={"Authorization": f"Bearer {token}"}, allow_redirects=False, timeout=10
    )

    for refused in (bare, query, wrong):
        assert refused.status_code == 401
        assert refused.json()["code"] == 124
    assert good.status_code == 302
    location = good.headers["Location"]
    assert "/rec/storage/" in location and token not in location
    assert urlsplit(location).hostname != urlsplit(url).hostname
    # The storage URL is signed: a changed signature is refused.
    assert (
        requests.get(location.replace("signature=", "signature=0"), timeout=10).status_code == 403
    )
    # Another account's token: the file is not that account's (as "Get meeting recordings"
    # answers for a recording it does not hold: 404, code 3301).
    other = seed_account(sandbox.state, users=2, meetings_per_user=0, seed=9)
    foreign_token = sandbox.state.issue_tokens(account_id=other.id)["access_token"]
    foreign = requests.get(url, headers={"Authorization": f"Bearer {foreign_token}"}, timeout=10)
    assert (foreign.status_code, foreign.json()["code"]) == (404, 3301)


def test_api_answers_carry_download_urls_that_lead_to_the_sandbox(tenant, sandbox):
    for recording_file in present_files(tenant):
        assert recording_file.download_url.startswith(f"{sandbox.url}{DOWNLOAD_PATH}")


def test_a_file_in_zoom_s_trash_or_deleted_is_refused_in_words_without_a_request(
    admin_client, tenant, sandbox, zoom_requests
):
    trashed, deleted = present_files(tenant)[:2]
    RecordingFile.objects.filter(pk=trashed.pk).update(
        deleted_at="2026-01-02T00:00:00Z", trashed_at="2026-01-02T00:00:00Z"
    )
    RecordingFile.objects.filter(pk=deleted.pk).update(deleted_at="2026-01-02T00:00:00Z")
    before = zoom_requests()

    for recording_file, words in ((trashed, "Zoom's trash"), (deleted, "Zoom deleted this file")):
        response = admin_client.get(download_url(recording_file))
        assert response.status_code == 302
        assert response["Location"] == change_url(recording_file)
        assert any(words in message for message in messages_of(response))

    assert zoom_requests() == before


def test_zoom_s_404_is_shown_in_words_on_the_file_s_page(admin_client, tenant, sandbox):
    recording_file = present_files(tenant)[0]
    # Zoom deleted the file since the sync: its download URL answers 404.
    recording = next(
        r
        for r in sandbox.state.default_account.recordings.values()
        if any(f["id"] == recording_file.zoom_id for f in r["recording_files"])
    )
    recording["recording_files"] = [
        f for f in recording["recording_files"] if f["id"] != recording_file.zoom_id
    ]

    response = admin_client.get(download_url(recording_file), follow=True)

    assert response.redirect_chain == [(change_url(recording_file), 302)]
    assert response.status_code == 200
    words = messages_of(response)
    assert any("Zoom no longer has this file (it answered 404)" in m for m in words), words
    assert downloads_of(sandbox, recording_file)[-1]["status"] == 404


def test_zoom_s_401_is_shown_in_words_and_no_token_on_the_page(admin_client, tenant, sandbox):
    recording_file = present_files(tenant)[0]
    # A token without the recording scope: Zoom refuses the download itself.
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            count=5,
            status=401,
            code=4711,
            message="Invalid access token, does not contain scopes:[cloud_recording:read].",
            path_prefix=DOWNLOAD_PATH,
        )
    )

    response = admin_client.get(download_url(recording_file), follow=True)

    assert response.redirect_chain == [(change_url(recording_file), 302)]
    body = response.content.decode()
    assert "refused the tenant&#x27;s authorization for this download (401)" in body
    assert all(token not in body for token in tokens(sandbox))


def test_another_tenant_s_file_answers_404_and_asks_zoom_nothing(
    client, django_user_model, tenant, sandbox, zoom_requests
):
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="meetings"))
    TenantMembership.objects.create(tenant=make_tenant("other"), user=staff)
    client.force_login(staff)
    recording_file = present_files(tenant)[0]
    before = zoom_requests()

    for url in (download_url(recording_file), change_url(recording_file)):
        assert client.get(url).status_code == 404, url
    archived = reverse("admin:meetings_recordingfile_archived", args=[recording_file.pk])
    assert client.get(archived).status_code == 404

    assert zoom_requests() == before


def test_the_token_is_sent_only_to_zoom_s_hosts():
    trusted = ["https://zoom.us", "https://api.zoom.us/v2"]
    for url in (
        "https://zoom.us/rec/download/abc",
        "https://us06web.zoom.us/rec/download/abc",
        "https://api.zoom.us/rec/download/abc",
    ):
        assert trusted_download_url(url, trusted) == url
    for url in (
        "https://evilzoom.us/rec/download/abc",
        "http://zoom.us/rec/download/abc",
        "https://zoom.us:8443/rec/download/abc",
        "https://zoom.us.example.com/rec/download/abc",
        "https://user:pw@zoom.us/rec/download/abc",
        "ftp://zoom.us/rec/download/abc",
    ):
        with pytest.raises(UnsafeDownloadUrl):
            trusted_download_url(url, trusted)


def test_an_untrusted_download_url_is_refused_without_a_request(sandbox):
    client = ZoomClient(base_url=sandbox.api_base_url, token_provider=StaticTokenProvider("t"))
    with pytest.raises(UnsafeDownloadUrl):
        client.download_file("https://example.com/rec/download/x", trusted_origins=[sandbox.url])
    assert client.request_count == 0


def test_the_file_page_and_the_recording_page_link_the_download(admin_client, tenant):
    recording_file = present_files(tenant)[0]
    link = f'href="{download_url(recording_file)}"'

    file_page = admin_client.get(change_url(recording_file)).content.decode()
    recording_page = admin_client.get(
        reverse("admin:meetings_cloudrecording_change", args=[recording_file.recording_id])
    ).content.decode()

    assert link in file_page and link in recording_page
    assert "Not archived" in file_page and "Not archived" in recording_page
