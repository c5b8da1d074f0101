"""The plain record admins: every list and detail page renders, read-only, with Zoom's JSON."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from meetings.models import CloudRecording, Meeting, MeetingRegistrant, Webinar
from meetings.services import (
    meeting_registrants_upsert,
    meetings_upsert,
    recordings_upsert,
    webinar_participants_upsert,
    webinar_registrants_upsert,
    webinars_upsert,
)
from tests.records.conftest import zoom_example
from users.services import users_upsert
from zoomadmin.records.models import ZoomRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_of_each(tenant, at):
    synced_at = at(0)
    meeting, webinar = zoom_example("meeting"), zoom_example("webinar")
    users_upsert(tenant=tenant, items=[zoom_example("user")], synced_at=synced_at)
    meetings_upsert(tenant=tenant, items=[meeting], synced_at=synced_at)
    webinars_upsert(tenant=tenant, items=[webinar], synced_at=synced_at)
    registrant = zoom_example("meetingRegistrants")["registrants"][0]
    meeting_registrants_upsert(
        tenant=tenant, entries=[(meeting["id"], registrant)], synced_at=synced_at
    )
    registrant = zoom_example("webinarRegistrants")["registrants"][0]
    webinar_registrants_upsert(
        tenant=tenant, entries=[(webinar["id"], registrant)], synced_at=synced_at
    )
    participant = zoom_example("listWebinarParticipants")["participants"][0]
    webinar_participants_upsert(
        tenant=tenant, entries=[(webinar["id"], participant)], synced_at=synced_at
    )
    recordings_upsert(tenant=tenant, items=[zoom_example("recordingGet")], synced_at=synced_at)


RECORD_ADMINS = sorted(
    (model._meta.label for model in admin.site._registry if issubclass(model, ZoomRecord)),
)


def test_every_synced_kind_has_an_admin():
    assert RECORD_ADMINS == [
        "meetings.CloudRecording",
        "meetings.Meeting",
        "meetings.MeetingRegistrant",
        "meetings.RecordingFile",
        "meetings.Webinar",
        "meetings.WebinarParticipant",
        "meetings.WebinarRegistrant",
        "users.ZoomUser",
    ]


# Kinds an administrator changes in Zoom from the admin (their change page is a form that
# writes to Zoom first: tests/users/test_writes.py).
WRITABLE = {"users.ZoomUser", "meetings.Meeting", "meetings.Webinar"}


@pytest.mark.parametrize("label", RECORD_ADMINS)
def test_list_and_detail_pages_render_read_only(admin_client, one_of_each, label):
    model = next(m for m in admin.site._registry if m._meta.label == label)
    obj = model.objects.first()  # the example recording has two files
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"

    listing = admin_client.get(reverse(f"{prefix}_changelist"), {"q": "a"})
    detail = admin_client.get(reverse(f"{prefix}_change", args=[obj.pk]))

    assert listing.status_code == 200
    assert detail.status_code == 200
    if label in WRITABLE:
        assert b"Save in Zoom" in detail.content  # a write form that goes to Zoom first
    else:
        assert b'name="_save"' not in detail.content  # nothing to edit: Zoom is the source
    assert b"Zoom data" in detail.content


def test_detail_pages_show_children_inline(admin_client, one_of_each):
    meeting = Meeting.objects.get()
    recording = CloudRecording.objects.get()

    page = admin_client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    files = admin_client.get(reverse("admin:meetings_cloudrecording_change", args=[recording.pk]))

    assert MeetingRegistrant.objects.get().email.encode() in page.content
    assert b"shared_screen_with_speaker_view" in files.content
    assert Webinar.objects.get().participants.count() == 1
