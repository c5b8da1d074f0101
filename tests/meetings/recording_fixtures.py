"""What the download and archive tests share: the sandbox tenant with its recordings' files cut
to a few dozen kilobytes (the generator lists an hour of MP4 at 360 MB), connected and synced;
an archive storage of the test's own; and readers of the sandbox's side of a download."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from meetings.models import RecordingFile
from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxServer
from zoomadmin.sandbox.downloads import DOWNLOAD_PATH, STORAGE_PATH, file_bytes
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.services import tenant_connect_server_to_server


def shrink_files(sandbox: SandboxServer) -> None:
    """Every recording file of the sandbox's accounts at 20 to 120 KB (different sizes)."""
    for account in sandbox.state.accounts.values():
        for recording in account.recordings.values():
            files = recording["recording_files"]
            for recording_file in files:
                digest = sum(recording_file["id"].encode())
                recording_file["file_size"] = 20_000 + digest * 37 % 100_000
            recording["total_size"] = sum(f["file_size"] for f in files)


def connect_small(zoom_settings: SandboxServer, admin_user: Any) -> Tenant:
    """The sandbox's account, its files small, connected and synced (a test module's
    ``tenant`` fixture)."""
    shrink_files(zoom_settings)
    tenant = tenant_connect_server_to_server(
        account_id=zoom_settings.state.default_account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=admin_user,
    )
    assert tenant_sync(tenant=tenant, trigger="test").status == "succeeded"
    return tenant


def use_archive_dir(tmp_path: Path, settings: Any) -> Path:
    """The archive storage: a FileSystemStorage in the test's temporary directory (a test
    module's ``archive_dir`` fixture)."""
    directory = tmp_path / "archive"
    settings.STORAGES = {
        **settings.STORAGES,
        "zoom_archive": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(directory)},
        },
    }
    return directory


def zoom_file(sandbox: SandboxServer, recording_file: RecordingFile) -> dict:
    """The sandbox's own record of a stored file (what Zoom holds)."""
    for account in sandbox.state.accounts.values():
        for recording in account.recordings.values():
            for candidate in recording["recording_files"]:
                if candidate["id"] == recording_file.zoom_id:
                    return candidate
    raise LookupError(recording_file.zoom_id)


def zoom_bytes(sandbox: SandboxServer, recording_file: RecordingFile) -> bytes:
    """The bytes Zoom's storage holds for the file (the sandbox's deterministic content)."""
    held = zoom_file(sandbox, recording_file)
    return b"".join(file_bytes(held["id"], held["file_size"]))


def downloads_of(sandbox: SandboxServer, recording_file: RecordingFile) -> list[dict]:
    """The requests the sandbox saw for the file's download URL (not its storage)."""
    path = f"{DOWNLOAD_PATH}{recording_file.zoom_id}"
    return [r for r in sandbox.state.stats.download_requests if r["path"] == path]


def storage_requests(sandbox: SandboxServer) -> list[dict]:
    return [r for r in sandbox.state.stats.download_requests if r["path"].startswith(STORAGE_PATH)]


def present_files(tenant: Tenant) -> list[RecordingFile]:
    return list(
        RecordingFile.objects.filter(tenant=tenant, deleted_at=None)
        .exclude(download_url="")
        .select_related("recording")
        .order_by("pk")
    )


def files_on_disk(directory: Path) -> list[str]:
    """Every file under ``directory``, relative, the partial copies' folder included."""
    return sorted(
        os.path.relpath(os.path.join(root, name), directory)
        for root, _, names in os.walk(directory)
        for name in names
    )
