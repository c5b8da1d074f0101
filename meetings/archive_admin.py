"""The admin's side of keeping recordings (``meetings.archive``): a download link per file that
streams it from Zoom through the app, the action "Archive" on recordings and on files (a
background job, one item per file), and the archive state on the file and recording pages.

Every URL here finds its file through the admin's tenant-scoped queryset: another tenant's file
answers 404 before anything is asked of Zoom. The tenant's token goes to Zoom in a header and
never appears in a URL, a redirect, a page or a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header

from meetings.archive import (
    NotDownloadable,
    archive_storage,
    download_content_type,
    download_filename,
    download_refusal,
    recording_file_download,
    size_words,
)
from meetings.models import RecordingFile
from zoomadmin.tenants.tokens import TenantNotConnected, client_for_tenant
from zoomadmin.zoom.client import DOWNLOAD_CHUNK_SIZE

ARCHIVE_OPERATION = "recording_files.archive"
ARCHIVE_PERMISSION = "meetings.change_recordingfile"
NOT_ARCHIVED = "Not archived"


def _file_url(view: str, recording_file: RecordingFile) -> str:
    return reverse(f"admin:meetings_recordingfile_{view}", args=[recording_file.pk])


class RecordingFileLinks:
    """The download link and archive state of a file, for its page and its recording's."""

    @admin.display(description="download from Zoom")
    def download_link(self, recording_file: RecordingFile) -> str:
        refusal = download_refusal(recording_file)
        if refusal:
            return refusal
        return format_html('<a href="{}">Download</a>', _file_url("download", recording_file))

    @admin.display(description="archived copy")
    def archived_copy(self, recording_file: RecordingFile) -> str:
        if not recording_file.archive_name:
            return NOT_ARCHIVED
        url = _file_url("archived", recording_file)
        return format_html('<a href="{}">Download the archived copy</a>', url)

    @admin.display(description="archive")
    def archive_state(self, recording_file: RecordingFile) -> str:
        if not recording_file.archive_name:
            return NOT_ARCHIVED
        when = recording_file.archived_at
        return format_html(
            '{} ({}, {}) <a href="{}">Download the archived copy</a>',
            recording_file.archive_name,
            size_words(recording_file.archive_size or 0),
            f"{when:%Y-%m-%d %H:%M} UTC" if when else "-",
            _file_url("archived", recording_file),
        )


def archive_files(
    model_admin: Any, request: HttpRequest, files: list[RecordingFile]
) -> HttpResponse | None:
    """Queue the archive of ``files`` (a job per tenant, each file one item) and go to the
    job's page: always in the background, since a file may take minutes."""
    if not files:
        messages.warning(request, "No recording files to archive.")
        return None
    return model_admin.zoom_bulk(
        request, files, ARCHIVE_OPERATION, background=True, describe=_describe
    )


def _describe(recording_file: RecordingFile) -> str:
    recording = recording_file.recording
    when = f" {recording.start_time:%Y-%m-%d %H:%M}" if recording.start_time else ""
    return f"{recording.topic or 'Untitled'}{when}: {recording_file}"


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Archived"), ("no", "Not archived")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.exclude(archive_name="")
        if self.value() == "no":
            return queryset.filter(archive_name="")
        return queryset


class ArchivePermission:
    def has_archive_permission(self, request: HttpRequest) -> bool:
        # Archiving writes the files' archive state, and retrying the job takes the same.
        return request.user.has_perm(ARCHIVE_PERMISSION)


class CloudRecordingArchiveAdmin(ArchivePermission):
    """The action "Archive" on cloud recordings: every file of each."""

    @admin.action(
        description="Archive the selected recordings' files to the archive storage",
        permissions=["archive"],
    )
    def archive_recordings(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        files = RecordingFile.objects.filter(recording__in=queryset).select_related("recording")
        return archive_files(self, request, list(files.order_by("recording_id", "pk")))


class RecordingFileArchiveAdmin(RecordingFileLinks, ArchivePermission):
    """A file's download (streamed from Zoom) and archived copy, and the action "Archive"."""

    def get_urls(self) -> list:
        return [
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="meetings_recordingfile_download",
            ),
            path(
                "<path:object_id>/archived/",
                self.admin_site.admin_view(self.archived_view),
                name="meetings_recordingfile_archived",
            ),
            *super().get_urls(),
        ]

    @admin.action(
        description="Archive the selected recording files to the archive storage",
        permissions=["archive"],
    )
    def archive_recording_files(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        return archive_files(self, request, list(queryset.select_related("recording")))

    def download_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The file from Zoom, streamed in bounded chunks with the tenant's token; a file Zoom
        cannot serve goes back to its page with the reason."""
        recording_file = self._file(request, object_id)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        try:
            client = client_for_tenant(recording_file.tenant, interactive=True)
            download = recording_file_download(client=client, recording_file=recording_file)
        except (NotDownloadable, TenantNotConnected) as refused:
            messages.error(request, f"{recording_file}: {refused}")
            return HttpResponseRedirect(_file_url("change", recording_file))
        response = StreamingHttpResponse(
            download.chunks(),
            content_type=download_content_type(recording_file, download.content_type),
        )
        if download.content_length is not None:
            response["Content-Length"] = str(download.content_length)
        response["Content-Disposition"] = content_disposition_header(
            True, download_filename(recording_file)
        )
        response["Cache-Control"] = "private, no-store"
        return response

    def archived_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The archived copy, from the archive storage."""
        recording_file = self._file(request, object_id)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        storage = archive_storage()
        name = recording_file.archive_name
        if not name or not storage.exists(name):
            messages.error(request, f"{recording_file}: no archived copy is kept.")
            return HttpResponseRedirect(_file_url("change", recording_file))
        response = FileResponse(
            storage.open(name, "rb"),
            as_attachment=True,
            filename=download_filename(recording_file),
            content_type=download_content_type(recording_file),
        )
        response.block_size = DOWNLOAD_CHUNK_SIZE
        return response

    def _file(self, request: HttpRequest, object_id: str) -> Any:
        recording_file = self.get_object(request, unquote(object_id))  # another tenant's: 404
        if not self.has_view_permission(request, recording_file):
            raise PermissionDenied
        return recording_file
