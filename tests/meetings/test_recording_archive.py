"""Archiving recording files to the configured Django storage: a background job with one item
per file, each copied from Zoom's storage (streamed), its stored size checked against Zoom's
``file_size``, recorded on the file; what is archived already is not downloaded again; a
mismatch keeps nothing; a worker killed mid-file leaves a job that finishes on resume with
nothing done twice. Archiving writes nothing to Zoom, so nothing enters the audit of writes.

Tests run django-q2 tasks inline (``Q_CLUSTER["sync"]``): a queued job has run when the
request that queued it returns. Expected bytes and sizes are the sandbox's.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from meetings.archive import archive_storage, recording_file_archive
from meetings.models import CloudRecording, RecordingFile
from tests.admin_helpers import action_post, messages_of
from tests.meetings.recording_fixtures import (
    connect_small,
    downloads_of,
    files_on_disk,
    present_files,
    use_archive_dir,
    zoom_bytes,
    zoom_file,
)
from tests.processes import subprocess_env
from tests.tenants.factories import make_tenant
from zoomadmin.jobs.models import BulkJob, BulkJobItem
from zoomadmin.jobs.runner import job_run, jobs_create
from zoomadmin.tenants.models import TenantMembership, ZoomWrite
from zoomadmin.tenants.services import tenant_disconnect
from zoomadmin.tenants.tokens import client_for_tenant
from zoomadmin.zoom.client import DOWNLOAD_CHUNK_SIZE

pytestmark = pytest.mark.django_db(transaction=True)

RECORDINGS_URL = reverse("admin:meetings_cloudrecording_changelist")
FILES_URL = reverse("admin:meetings_recordingfile_changelist")


@pytest.fixture
def tenant(zoom_settings, admin_user):
    return connect_small(zoom_settings, admin_user)


@pytest.fixture
def archive_dir(tmp_path, settings):
    return use_archive_dir(tmp_path, settings)


def recordings_with_files(tenant, count: int) -> list[CloudRecording]:
    chosen = []
    for recording in CloudRecording.objects.filter(tenant=tenant, deleted_at=None).order_by("pk"):
        if recording.files.filter(deleted_at=None).exclude(download_url="").exists():
            chosen.append(recording)
        if len(chosen) == count:
            return chosen
    raise AssertionError("the sandbox seeded too few recordings")


def stored(archive_dir, recording_file: RecordingFile) -> bytes:
    recording_file.refresh_from_db()
    return (archive_dir / recording_file.archive_name).read_bytes()


def test_archive_of_selected_recordings_copies_every_file_with_its_size_checked(
    admin_client, tenant, sandbox, archive_dir
):
    recordings = recordings_with_files(tenant, 2)
    files = list(RecordingFile.objects.filter(recording__in=recordings).order_by("pk"))
    writes_before = ZoomWrite.objects.count()

    response = action_post(admin_client, RECORDINGS_URL, "archive_recordings", recordings)

    job = BulkJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:jobs_bulkjob_change", args=[job.pk])
    assert (job.operation, job.status, job.total) == ("recording_files.archive", "done", len(files))
    assert (job.succeeded, job.failed) == (len(files), 0)
    for recording_file in files:
        held = zoom_file(sandbox, recording_file)
        assert stored(archive_dir, recording_file) == zoom_bytes(sandbox, recording_file)
        assert recording_file.archive_size == held["file_size"]
        assert recording_file.archived_at is not None
        assert recording_file.archive_name.startswith(f"{tenant.account_id}/")
        assert len(downloads_of(sandbox, recording_file)) == 1
    # Nothing partial left, nothing but the files in the archive.
    assert files_on_disk(archive_dir) == sorted(
        RecordingFile.objects.filter(pk__in=[f.pk for f in files]).values_list(
            "archive_name", flat=True
        )
    )
    # Not a write to Zoom: no audit entry.
    assert ZoomWrite.objects.count() == writes_before
    # The job's page: progress and each file's outcome, named by its recording.
    page = admin_client.get(response["Location"]).content.decode()
    assert page.count('class="item-succeeded"') == len(files)
    assert page.count("Archived as ") == len(files)
    assert recordings[0].topic.split()[0] in page


def test_a_second_archive_skips_what_is_archived_without_downloading(
    admin_client, tenant, sandbox, archive_dir
):
    files = present_files(tenant)[:3]
    action_post(admin_client, FILES_URL, "archive_recording_files", files)
    seen = len(sandbox.state.stats.download_requests)
    archived = {
        f.pk: f.archive_name for f in RecordingFile.objects.filter(pk__in=[f.pk for f in files])
    }

    action_post(admin_client, FILES_URL, "archive_recording_files", files)

    again = BulkJob.objects.latest("pk")
    assert (again.status, again.succeeded, again.failed) == ("done", 3, 0)
    messages = list(again.items.values_list("message", flat=True))
    assert all(m.startswith("Already archived as ") for m in messages), messages
    assert len(sandbox.state.stats.download_requests) == seen  # Zoom was not asked
    for recording_file in RecordingFile.objects.filter(pk__in=archived):
        assert recording_file.archive_name == archived[recording_file.pk]


def test_the_archive_outlives_a_disconnect_and_is_found_again_without_downloading(
    admin_client, admin_user, tenant, sandbox, archive_dir, zoom_settings
):
    """Disconnect deletes the synced records, not the archive storage: connected and synced
    again, the tenant's archive finds its copies where they are, with Zoom's size."""
    files = present_files(tenant)[:3]
    action_post(admin_client, FILES_URL, "archive_recording_files", files)
    on_disk = files_on_disk(archive_dir)
    names = sorted(
        RecordingFile.objects.filter(pk__in=[f.pk for f in files]).values_list(
            "archive_name", flat=True
        )
    )
    tenant_disconnect(tenant=tenant, by_user=admin_user, reason="test", revoke=False)
    assert not RecordingFile.objects.filter(tenant=tenant).exists()
    tenant = connect_small(zoom_settings, admin_user)
    again = RecordingFile.objects.filter(tenant=tenant, zoom_id__in=[f.zoom_id for f in files])
    assert sorted(again.values_list("archive_name", flat=True)) == ["", "", ""]
    seen = len(sandbox.state.stats.download_requests)

    action_post(admin_client, FILES_URL, "archive_recording_files", list(again))

    job = BulkJob.objects.latest("pk")
    assert (job.status, job.succeeded, job.failed) == ("done", 3, 0)
    assert all(
        m.startswith("Already archived as ") for m in job.items.values_list("message", flat=True)
    )
    assert len(sandbox.state.stats.download_requests) == seen  # Zoom was not asked
    assert sorted(again.values_list("archive_name", flat=True)) == names
    assert files_on_disk(archive_dir) == on_disk  # no second copy beside the first


def test_a_size_mismatch_fails_that_file_and_keeps_nothing(
    admin_client, tenant, sandbox, archive_dir
):
    recording_file, fine = present_files(tenant)[:2]
    expected = zoom_file(sandbox, recording_file)["file_size"]
    # Zoom's storage holds 10 bytes less than its listing says.
    sandbox.config.update(download_size_delta=-10)

    action_post(admin_client, FILES_URL, "archive_recording_files", [recording_file])

    job = BulkJob.objects.get()
    item = job.items.get()
    assert (job.status, item.status) == ("done", BulkJobItem.Status.FAILED)
    assert f"Zoom lists this file at {expected:,} bytes" in item.message
    assert f"{expected - 10:,}" in item.message
    recording_file.refresh_from_db()
    assert (recording_file.archive_name, recording_file.archive_size) == ("", None)
    assert files_on_disk(archive_dir) == []

    # The storage agrees again: the same file archives, and the other one too.
    sandbox.config.update(download_size_delta=0)
    action_post(admin_client, FILES_URL, "archive_recording_files", [recording_file, fine])
    assert BulkJob.objects.latest("pk").succeeded == 2
    assert stored(archive_dir, recording_file) == zoom_bytes(sandbox, recording_file)


def test_files_in_zoom_s_trash_or_without_a_download_url_are_skipped_with_the_reason(
    admin_client, tenant, sandbox, archive_dir, zoom_requests
):
    trashed, unlinked = present_files(tenant)[:2]
    now = timezone.now()
    RecordingFile.objects.filter(pk=trashed.pk).update(deleted_at=now, trashed_at=now)
    RecordingFile.objects.filter(pk=unlinked.pk).update(download_url="")
    before = zoom_requests()

    action_post(admin_client, FILES_URL, "archive_recording_files", [trashed, unlinked])

    job = BulkJob.objects.get()
    outcomes = dict(job.items.values_list("object_pk", "message"))
    assert job.failed == 2
    assert "Zoom's trash" in outcomes[trashed.pk]
    assert "no download URL" in outcomes[unlinked.pk]
    assert zoom_requests() == before
    assert files_on_disk(archive_dir) == []


def test_a_finished_file_whose_outcome_was_not_recorded_is_not_downloaded_again(
    admin_user, tenant, sandbox, archive_dir
):
    recording_file = present_files(tenant)[0]
    (job,) = jobs_create(
        actor=admin_user,
        operation="recording_files.archive",
        records=[recording_file],
        title="Archive 1",
    )
    # The worker copied the file, then died before marking its item done.
    recording_file_archive(
        tenant=tenant,
        client=client_for_tenant(tenant),
        recording_file=recording_file,
        storage=archive_storage(),
    )
    job.items.update(status=BulkJobItem.Status.RUNNING)
    stale = timezone.now() - timedelta(minutes=10)
    BulkJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=stale)

    ended = job_run(job_id=job.pk, concurrency=1)

    assert (ended.status, ended.succeeded) == ("done", 1)
    assert job.items.get().message.startswith("Already archived as ")
    assert len(downloads_of(sandbox, recording_file)) == 1


def test_an_archive_killed_mid_file_resumes_and_does_nothing_twice(
    admin_user, tenant, sandbox, archive_dir
):
    files = present_files(tenant)[:3]
    # The second file spans several of the client's chunks (as Zoom lists and serves it), and
    # the storage is slow enough for the kill to land between them.
    zoom_file(sandbox, files[1])["file_size"] = 3 * DOWNLOAD_CHUNK_SIZE + 1234
    RecordingFile.objects.filter(pk=files[1].pk).update(file_size=3 * DOWNLOAD_CHUNK_SIZE + 1234)
    sandbox.config.update(download_bytes_per_second=400_000)
    (job,) = jobs_create(
        actor=admin_user, operation="recording_files.archive", records=files, title="Archive 3"
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            f"from zoomadmin.jobs.runner import job_run; job_run(job_id={job.pk}, concurrency=1)",
        ],
        cwd=django_settings.BASE_DIR,
        env=subprocess_env(sandbox, ZOOM_ARCHIVE_DIR=str(archive_dir)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    partial = archive_dir / ".partial" / f"{tenant.pk}-{files[1].pk}.part"
    try:
        deadline = time.monotonic() + 60
        while not (
            RecordingFile.objects.filter(pk=files[0].pk).exclude(archive_name="").exists()
            and partial.exists()
            and partial.stat().st_size > 0
        ):
            assert worker.poll() is None, worker.stderr.read().decode()
            assert time.monotonic() < deadline, "the worker never reached the second file"
            time.sleep(0.02)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        worker.stderr.close()
    statuses = dict(job.items.values_list("object_pk", "status"))
    assert statuses == {
        files[0].pk: BulkJobItem.Status.SUCCEEDED,
        files[1].pk: BulkJobItem.Status.RUNNING,  # the kill left it mid-copy
        files[2].pk: BulkJobItem.Status.PENDING,
    }
    assert RecordingFile.objects.get(pk=files[1].pk).archive_name == ""
    assert len(downloads_of(sandbox, files[1])) == 1

    # The next worker takes the job once the dead one's heartbeat is stale.
    sandbox.config.update(download_bytes_per_second=0)
    stale = timezone.now() - timedelta(minutes=10)
    BulkJob.objects.filter(pk=job.pk).update(heartbeat_at=stale)
    ended = job_run(job_id=job.pk, concurrency=1)

    assert (ended.status, ended.succeeded, ended.failed) == ("done", 3, 0)
    # The interrupted file was begun again from scratch; the finished one was not redone.
    assert [len(downloads_of(sandbox, f)) for f in files] == [1, 2, 1]
    assert job.items.get(object_pk=files[1].pk).attempts == 2
    for recording_file in files:
        assert stored(archive_dir, recording_file) == zoom_bytes(sandbox, recording_file)
    assert not partial.exists()
    assert not any(name.startswith(".partial/") for name in files_on_disk(archive_dir))


def test_another_tenant_s_recordings_are_not_archived(
    client, django_user_model, tenant, sandbox, archive_dir, zoom_requests
):
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="meetings"))
    TenantMembership.objects.create(tenant=make_tenant("other"), user=staff)
    client.force_login(staff)
    recordings = recordings_with_files(tenant, 1)
    before = zoom_requests()

    action_post(client, RECORDINGS_URL, "archive_recordings", recordings)
    action_post(client, FILES_URL, "archive_recording_files", present_files(tenant)[:1])

    assert not BulkJob.objects.exists()
    assert zoom_requests() == before
    assert files_on_disk(archive_dir) == []


def test_archiving_takes_the_change_permission_of_recording_files(
    client, django_user_model, tenant, archive_dir
):
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    TenantMembership.objects.create(tenant=tenant, user=viewer)
    client.force_login(viewer)

    page = client.get(RECORDINGS_URL).content.decode()
    response = action_post(client, FILES_URL, "archive_recording_files", present_files(tenant)[:1])

    assert "archive_recordings" not in page
    assert not BulkJob.objects.exists()
    assert messages_of(response) == ["No action selected."]  # the stock admin's words


def test_the_pages_show_the_archive_state_and_the_archived_copy(
    admin_client, tenant, sandbox, archive_dir
):
    recording_file = present_files(tenant)[0]
    action_post(admin_client, FILES_URL, "archive_recording_files", [recording_file])
    recording_file.refresh_from_db()
    copy_url = reverse("admin:meetings_recordingfile_archived", args=[recording_file.pk])

    file_page = admin_client.get(
        reverse("admin:meetings_recordingfile_change", args=[recording_file.pk])
    ).content.decode()
    recording_page = admin_client.get(
        reverse("admin:meetings_cloudrecording_change", args=[recording_file.recording_id])
    ).content.decode()
    copy = admin_client.get(copy_url)

    for page in (file_page, recording_page):
        assert recording_file.archive_name in page
        assert f'href="{copy_url}"' in page
    assert f"{recording_file.archived_at:%Y-%m-%d %H:%M}" in recording_page
    assert copy.status_code == 200
    assert b"".join(copy.streaming_content) == zoom_bytes(sandbox, recording_file)
    assert copy["Content-Disposition"].startswith("attachment; filename")
    assert messages_of(copy) == []
