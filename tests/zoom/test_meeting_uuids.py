"""Meeting UUIDs that start with "/" or contain "//" must reach Zoom double URL-encoded."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from zoomadmin.sandbox import SandboxServer


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

    answer = client.raw_request("GET", f"/meetings/{quote(uuid, safe='')}/recordings")

    assert answer.status == 404
