"""Cloud recording files kept: downloaded through the app, and archived to the configured
Django storage (``STORAGES["zoom_archive"]``) before Zoom's storage limit or its trash takes
them.

Zoom publishes each file's ``download_url`` with the rule to fetch it (Meetings OpenAPI:
"Set the ``access_token`` as a Bearer token in the Authorization header", "The URL may be a
redirect"): the client's :meth:`~zoomadmin.zoom.client.ZoomClient.download_file` keeps to it,
sending the tenant's token in the header only, and only to Zoom's hosts
(``ZOOM_OAUTH_BASE_URL``, ``ZOOM_API_BASE_URL`` and their subdomains).

- :func:`recording_file_download` opens a file for a person waiting (the admin's download),
  refusing in words what Zoom cannot serve (a file in Zoom's trash, a deleted one, one
  without a download URL) without asking.
- :func:`recording_file_archive` copies one file into the archive storage: streamed, never
  whole in memory, into a temporary file that is locked while written and begun from scratch
  each time, then moved (or uploaded) under its final name; the stored size must be Zoom's
  ``file_size``, else the copy is deleted and the file fails with the reason. It records
  ``archive_name``, ``archive_size`` and ``archived_at``, and a file already archived with
  that size is not downloaded again: by its record, or found at its place (its tenant was
  disconnected, which deletes the records, not the archive, and connected again). Nothing
  here is a write to Zoom: no audit of writes.
"""

from __future__ import annotations

import fcntl
import mimetypes
import os
import re
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import slugify

from meetings.models import RecordingFile
from zoomadmin.tenants.models import Tenant
from zoomadmin.zoom.client import Download, UnsafeDownloadUrl, ZoomClient
from zoomadmin.zoom.errors import (
    ZoomError,
    ZoomForbidden,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomReauthorizationRequired,
    ZoomUnauthorized,
    ZoomUnavailable,
)

ARCHIVE_STORAGE = "zoom_archive"
ARCHIVE_FIELDS = ("archive_name", "archive_size", "archived_at")
# Errors that are the tenant's or the account's, not one file's: a bulk job stops or pauses.
ACCOUNT_WIDE = (ZoomUnauthorized, ZoomReauthorizationRequired, ZoomRateLimited)
_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_UNSAFE_IN_PATHS = re.compile(r"[^A-Za-z0-9._-]+")


class NotDownloadable(Exception):
    """A file Zoom cannot serve, said in words; no request was made, or Zoom refused it."""


class ArchiveFailed(Exception):
    """One file was not archived; the message says why (nothing partial is left behind)."""


def archive_storage() -> Storage:
    return storages[ARCHIVE_STORAGE]


def trusted_origins() -> list[str]:
    """Where download URLs may lead with the tenant's token: Zoom's web and API hosts."""
    return [settings.ZOOM_OAUTH_BASE_URL, settings.ZOOM_API_BASE_URL]


def download_refusal(recording_file: RecordingFile, *, verb: str = "download") -> str:
    """Why Zoom cannot serve ``recording_file`` (checked without asking), or ""."""
    recording = recording_file.recording
    if recording_file.in_trash or recording.in_trash:
        return (
            "This file is in Zoom's trash: recover it in Zoom (within 30 days of its deletion) "
            f"to {verb} it."
        )
    if recording_file.deleted_at is not None or recording.deleted_at is not None:
        return f"Zoom deleted this file: there is nothing to {verb}."
    if not recording_file.download_url:
        return (
            "Zoom gives no download URL for this file (a file still being processed, or a file "
            "of an on-premise account)."
        )
    return ""


def download_words(error: ZoomError) -> str:
    """Zoom's refusal of a download, as an administrator reads it."""
    if isinstance(error, ZoomNotFound):
        return (
            "Zoom no longer has this file (it answered 404): it may have been deleted or moved "
            "to Zoom's trash since the last sync. Re-sync its recording to see."
        )
    if isinstance(error, ZoomUnauthorized):
        return (
            "Zoom refused the tenant's authorization for this download (401): reconnect the "
            "tenant with the cloud recording scopes."
        )
    if isinstance(error, ZoomForbidden):
        return f"Zoom does not let this tenant download the file (403): {error.message}"
    if isinstance(error, ZoomRateLimited):
        return "Zoom's rate limit for this account is reached: try again in a minute."
    if isinstance(error, ZoomUnavailable):
        return f"Zoom did not deliver the file: {error}. Try again later."
    return f"Zoom refused the download: {error}"


def recording_file_download(*, client: ZoomClient, recording_file: RecordingFile) -> Download:
    """The file from Zoom, opened for reading in chunks; NotDownloadable says why not (a
    refusal here, before any request, or Zoom's)."""
    refusal = download_refusal(recording_file)
    if refusal:
        raise NotDownloadable(refusal)
    try:
        return client.download_file(recording_file.download_url, trusted_origins=trusted_origins())
    except UnsafeDownloadUrl as unsafe:
        raise NotDownloadable(str(unsafe)) from None
    except ZoomError as error:
        raise NotDownloadable(download_words(error)) from None


def download_filename(recording_file: RecordingFile) -> str:
    """What a downloaded file is called: its recording's topic, when, and which file."""
    recording = recording_file.recording
    when = recording_file.recording_start or recording.start_time
    kind = recording_file.recording_type or recording_file.file_type or "file"
    parts = [
        recording.topic or "Zoom recording",
        f"{when:%Y-%m-%d %H%M} UTC" if when else "",
        kind.replace("_", " "),
    ]
    stem = _UNSAFE_IN_NAMES.sub("-", " - ".join(part for part in parts if part))
    stem = " ".join(stem.split()).strip(" .")[:150] or "Zoom recording"
    return f"{stem}.{_extension(recording_file)}"


def download_content_type(recording_file: RecordingFile, announced: str = "") -> str:
    guessed, _ = mimetypes.guess_type(f"file.{_extension(recording_file)}")
    return guessed or announced or "application/octet-stream"


def archive_name_for(tenant: Tenant, recording_file: RecordingFile) -> str:
    """Where a file goes in the archive storage, the same every time: by account, month and
    recording (start, meeting id, topic), then the file's kind and Zoom id."""
    recording = recording_file.recording
    when = recording.start_time or recording_file.recording_start
    folder = "_".join(
        part
        for part in (
            f"{when:%Y-%m-%d_%H%M}" if when else "",
            str(recording.meeting_zoom_id or ""),
            slugify(recording.topic)[:50],
        )
        if part
    )
    kind = recording_file.recording_type or recording_file.file_type or "file"
    parts = [
        _path_part(tenant.account_id),
        f"{when:%Y-%m}" if when else "undated",
        _path_part(folder or recording.zoom_id),
        f"{_path_part(kind)}_{_path_part(recording_file.zoom_id)}.{_extension(recording_file)}",
    ]
    return "/".join(parts)


def is_archived(storage: Storage, recording_file: RecordingFile) -> bool:
    """Archived, and still there with the size Zoom lists."""
    name = recording_file.archive_name
    if not name or recording_file.archive_size is None:
        return False
    if (
        recording_file.file_size is not None
        and recording_file.archive_size != recording_file.file_size
    ):
        return False
    return storage.exists(name) and storage.size(name) == recording_file.archive_size


def recording_file_archive(
    *, tenant: Tenant, client: ZoomClient, recording_file: RecordingFile, storage: Storage
) -> str:
    """Copy one file into ``storage``; a note for its outcome. ArchiveFailed says why a file
    was not archived; the account-wide refusals (authorization, rate limit) are raised as
    Zoom's, for the job to stop or pause."""
    if is_archived(storage, recording_file) or _found_in_archive(tenant, recording_file, storage):
        return _already(recording_file)  # also once Zoom has deleted it: the copy is kept
    refusal = download_refusal(recording_file, verb="archive")
    if refusal:
        raise ArchiveFailed(f"Not archived. {refusal}")
    name = archive_name_for(tenant, recording_file)
    with _Partial(storage, f"{tenant.pk}-{recording_file.pk}") as partial:
        # Another worker may have finished it while this one waited for its turn.
        recording_file.refresh_from_db(fields=ARCHIVE_FIELDS)
        if is_archived(storage, recording_file):
            return _already(recording_file)
        try:
            download = client.download_file(
                recording_file.download_url, trusted_origins=trusted_origins()
            )
        except UnsafeDownloadUrl as unsafe:
            raise ArchiveFailed(str(unsafe)) from None
        except ACCOUNT_WIDE:
            raise
        except ZoomError as error:
            raise ArchiveFailed(download_words(error)) from None
        with download:
            expected = recording_file.file_size
            if expected is None:
                expected = download.content_length
            if expected is None:
                raise ArchiveFailed("Zoom gives no size for this file to check a copy against.")
            announced = download.content_length
            if announced is not None and announced != expected:
                raise ArchiveFailed(
                    _size_mismatch(expected, f"its storage announces {announced:,}")
                )
            try:
                written = partial.write(download.chunks(), limit=expected)
            except ZoomUnavailable as error:
                raise ArchiveFailed(download_words(error)) from None
        if written != expected:
            raise ArchiveFailed(_size_mismatch(expected, f"its storage sent {written:,}"))
        stored = partial.store(storage, name)
        size = storage.size(stored)
        if size != expected:
            storage.delete(stored)
            raise ArchiveFailed(_size_mismatch(expected, f"the archive holds {size:,}"))
        _record_archived(recording_file, stored, size)
    return f"Archived as {stored} ({size_words(size)})."


def _found_in_archive(tenant: Tenant, recording_file: RecordingFile, storage: Storage) -> bool:
    """Whether a file the record does not know as archived is in the archive all the same, at
    its place and with Zoom's size (archived before its tenant was disconnected, which deletes
    the records but not the archive, and connected again): then the record takes it."""
    if recording_file.archive_name or recording_file.file_size is None:
        return False
    name = archive_name_for(tenant, recording_file)
    if not storage.exists(name) or storage.size(name) != recording_file.file_size:
        return False
    _record_archived(recording_file, name, recording_file.file_size)
    return True


def _record_archived(recording_file: RecordingFile, name: str, size: int) -> None:
    """The file's record says where its copy is, of what size, since now."""
    fields = {"archive_name": name, "archive_size": size, "archived_at": timezone.now()}
    RecordingFile.objects.filter(pk=recording_file.pk).update(**fields)
    for field, value in fields.items():
        setattr(recording_file, field, value)


class _Partial:
    """The copy being written: a temporary file beside the archive (a FileSystemStorage: moved
    into place by a rename) or in the system's temporary directory (any other storage: uploaded
    from there). It is locked while written, so two workers never write one file, and emptied
    when taken, so an interrupted copy is begun again from scratch; gone when done."""

    def __init__(self, storage: Storage, key: str) -> None:
        directory = _partial_directory(storage)
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, f"{key}.part")
        self._file: Any = None

    def __enter__(self) -> _Partial:
        # Opened without truncating: a copy another worker is writing stays whole.
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        # Unbuffered: each chunk is on disk once written (the chunks are large already).
        self._file = os.fdopen(descriptor, "r+b", buffering=0)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise ArchiveFailed("Another worker is archiving this file right now.") from None
        self._file.truncate(0)
        return self

    def write(self, chunks: Iterable[bytes], *, limit: int) -> int:
        """Write ``chunks``; how many bytes came (it stops once more than ``limit`` came)."""
        written = 0
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[self._file.write(view) :]
            written += len(chunk)
            if written > limit:
                break
        os.fsync(self._file.fileno())
        return written

    def store(self, storage: Storage, name: str) -> str:
        """Save the copy under ``name`` (replacing what an interrupted run left there)."""
        if storage.exists(name):
            storage.delete(name)
        with _PartialFile(self.path) as content:
            return storage.save(name, content, max_length=500)

    def __exit__(self, *exc_info: object) -> None:
        # Unlinked while still locked: a worker that opens the path next starts a new copy.
        with suppress(FileNotFoundError):
            os.unlink(self.path)
        self._file.close()


class _PartialFile(File):
    """The partial copy as Django's storages take a file; FileSystemStorage moves a file
    with a ``temporary_file_path`` instead of copying it."""

    def __init__(self, path: str) -> None:
        super().__init__(open(path, "rb"), name=os.path.basename(path))  # noqa: SIM115
        self._path = path

    def temporary_file_path(self) -> str:
        return self._path


def _partial_directory(storage: Storage) -> str:
    try:
        root = storage.path("")
    except NotImplementedError:  # not on this machine's disk (S3 and the like)
        return os.path.join(tempfile.gettempdir(), "zoomadmin-archive")
    return os.path.join(root, ".partial")


def _already(recording_file: RecordingFile) -> str:
    return (
        f"Already archived as {recording_file.archive_name} "
        f"({size_words(recording_file.archive_size or 0)}): not downloaded again."
    )


def _size_mismatch(expected: int, got: str) -> str:
    return (
        f"Not archived: Zoom lists this file at {expected:,} bytes, but {got}; nothing was "
        "kept. Re-sync the recording, then archive it again."
    )


def size_words(size: int) -> str:
    return str(filesizeformat(size)).replace("\xa0", " ")


def _extension(recording_file: RecordingFile) -> str:
    extension = recording_file.file_extension or recording_file.file_type or "bin"
    return _path_part(extension.lower())


def _path_part(text: str) -> str:
    return _UNSAFE_IN_PATHS.sub("-", str(text)).strip("-.")[:80] or "x"
