"""Meeting UUIDs that start with "/" or contain "//" must reach Zoom double URL-encoded."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from zoomadmin.sandbox import SandboxServer
from zoomadmin.zoom.client import UnsafeApiPath
from zoomadmin.zoom.errors import ZoomNotFound


def give_a_recording_the_uuid(sandbox: SandboxServer, uuid: str) -> None:
    account = sandbox.state.default_account
    with sandbox.state.lock:
        recording = account.remove_recording(next(iter(account.recordings)))
        recording["uuid"] = uuid
        account.add_recording(recording)


@pytest.mark.parametrize(
    "uuid", ["/P34X5jqNnBH9ZezXlRvSA==", "ab//X5jqNnBH9ZezXlRvSA==", "abc+X5jqNnBH9ZezXlRvSA=="]
)
def test_a_meeting_uuid_reaches_zoom_whole(sandbox, client, uuid):
    give_a_recording_the_uuid(sandbox, uuid)

    assert client.get_meeting_recordings(uuid)["uuid"] == uuid


def test_a_slashed_uuid_encoded_only_once_does_not(sandbox, client):
    uuid = "/P34X5jqNnBH9ZezXlRvSA=="
    give_a_recording_the_uuid(sandbox, uuid)

    with pytest.raises(ZoomNotFound):
        client.request("GET", f"/meetings/{quote(uuid, safe='')}/recordings")


def test_a_raw_request_reaches_nothing_but_a_path_under_the_api_base(sandbox, client):
    before = sandbox.state.stats.requests_total
    for path in (
        "users",
        "//evil.example/v2/users",
        "https://evil.example/",
        "/users/../../oauth/token",
        "/users/%2e%2e/oauth",
        "/users/%252e%252e/oauth",
        "/meetings/%2FP34X5jqNnBH9ZezXlRvSA%3D%3D/recordings",  # an encoded "/"
        "/users?page_size=1",
        "/users#me",
        "/a//b",
        "/users/a\\b",
        "/users/%00",
    ):
        with pytest.raises(UnsafeApiPath):
            client.raw_request("GET", path)
    assert sandbox.state.stats.requests_total == before
    # Zoom's own double-encoded UUID is a path under the base.
    uuid = "/P34X5jqNnBH9ZezXlRvSA=="
    give_a_recording_the_uuid(sandbox, uuid)
    encoded = quote(quote(uuid, safe=""), safe="")
    assert client.raw_request("GET", f"/meetings/{encoded}/recordings").status == 200
