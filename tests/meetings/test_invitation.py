"""A meeting's invitation (meetings.live): Zoom's "Get meeting invitation" of now, as copyable
text on a page of its own, linked from the meeting's page; never stored. Expected text comes
from the sandbox's data."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting
from zoomadmin.sandbox import records
from zoomadmin.sandbox.config import ScriptedFault
from zoomadmin.tenants.models import TenantMembership

pytestmark = pytest.mark.django_db(transaction=True)

ROUTE = "GET /v2/meetings/{meetingId}/invitation"


def url(meeting: Meeting) -> str:
    return reverse("admin:meetings_meeting_invitation", args=[meeting.pk])


def a_meeting(tenant: Any, sandbox: Any) -> Meeting:
    known = sandbox.state.default_account.meetings
    return (
        Meeting.objects.filter(tenant=tenant, deleted_at=None, zoom_id__in=list(known))
        .order_by("zoom_id")
        .first()
    )


def textarea(page: str) -> str:
    found = re.search(r'<textarea id="invitation-text"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no invitation text on the page"
    return html.unescape(found.group(1))


def viewer(django_user_model: Any, tenant: Any) -> Any:
    staff = django_user_model.objects.create_user("viewer", is_staff=True)
    staff.user_permissions.add(staff.user_permissions.model.objects.get(codename="view_meeting"))
    TenantMembership.objects.create(tenant=tenant, user=staff)
    return staff


def test_the_invitation_is_zoom_s_text_ready_to_copy(admin_client, tenant, sandbox):
    meeting = a_meeting(tenant, sandbox)
    account = sandbox.state.default_account
    zoom_meeting = account.meetings[meeting.zoom_id]
    expected = records.invitation_text(zoom_meeting, account.users[zoom_meeting["host_id"]])
    before = sandbox.state.stats.requests_by_route[ROUTE]

    response = admin_client.get(url(meeting))

    page = response.content.decode()
    assert response.status_code == 200
    assert sandbox.state.stats.requests_by_route[ROUTE] == before + 1
    assert textarea(page) == expected  # CRLF line ends kept, as Zoom sends them
    assert zoom_meeting["join_url"] in textarea(page)
    assert 'id="copy-invitation"' in page and "navigator.clipboard" in page
    assert "<script src=" not in page.split('<div id="content-main">', 1)[1]  # no CDN


def test_the_meeting_s_page_links_to_its_invitation(
    admin_client, client, django_user_model, tenant, sandbox
):
    meeting = a_meeting(tenant, sandbox)
    client.force_login(viewer(django_user_model, tenant))
    change = reverse("admin:meetings_meeting_change", args=[meeting.pk])

    for who in (admin_client, client):  # the write form, the read-only page
        assert f'href="{url(meeting)}"' in who.get(change).content.decode()


def test_a_staff_member_of_the_tenant_with_view_permission_sees_it(
    client, django_user_model, tenant, sandbox
):
    meeting = a_meeting(tenant, sandbox)
    client.force_login(viewer(django_user_model, tenant))

    response = client.get(url(meeting))

    assert response.status_code == 200
    assert str(meeting.zoom_id)[:3] in textarea(response.content.decode())


@pytest.mark.parametrize(
    ("status", "code", "message", "words"),
    [
        (
            400,
            4711,
            "Invalid access token, does not contain scopes:[meeting:read:invitation:admin].",
            "lacks the scope meeting:read:invitation:admin",
        ),
        (
            400,
            3161,
            "Meeting hosting and scheduling capabilities are not allowed for your user account.",
            "Meetings Basic licence",
        ),
    ],
)
def test_a_refusal_is_shown_in_zoom_s_words(
    admin_client, tenant, sandbox, status, code, message, words
):
    meeting = a_meeting(tenant, sandbox)
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            status=status,
            code=code,
            message=message,
            path_prefix=f"/v2/meetings/{meeting.zoom_id}/invitation",
        )
    )

    response = admin_client.get(url(meeting))

    page = response.content.decode()
    assert response.status_code == 200
    assert html.escape(message) in page and f"code {code}" in page
    assert words in page
    assert "invitation-text" not in page


def test_a_meeting_zoom_no_longer_has_is_said_in_words(admin_client, tenant, sandbox):
    meeting = a_meeting(tenant, sandbox)
    sandbox.state.default_account.meetings.pop(meeting.zoom_id)

    page = admin_client.get(url(meeting)).content.decode()

    assert f"Meeting does not exist: {meeting.zoom_id}." in page
    assert "re-sync it" in page


def test_a_meeting_marked_deleted_is_not_asked_about(admin_client, tenant, sandbox, zoom_requests):
    meeting = a_meeting(tenant, sandbox)
    Meeting.objects.filter(pk=meeting.pk).update(deleted_at=timezone.now())
    before = zoom_requests()

    page = admin_client.get(url(meeting)).content.decode()

    assert "Zoom deleted this meeting" in page
    assert zoom_requests() == before


def test_another_tenant_s_meeting_answers_404_and_reaches_no_zoom(
    client, django_user_model, tenant, other_customer, zoom_requests
):
    other_tenant = other_customer()
    foreign = Meeting.objects.filter(tenant=other_tenant, deleted_at=None).first()
    client.force_login(viewer(django_user_model, tenant))
    before = zoom_requests()

    assert client.get(url(foreign)).status_code == 404
    assert zoom_requests() == before


def test_without_view_permission_it_is_refused_without_a_request(
    client, django_user_model, tenant, sandbox, zoom_requests
):
    meeting = a_meeting(tenant, sandbox)
    staff = django_user_model.objects.create_user("nobody", is_staff=True)
    TenantMembership.objects.create(tenant=tenant, user=staff)
    client.force_login(staff)
    before = zoom_requests()

    assert client.get(url(meeting)).status_code == 403
    assert zoom_requests() == before


def test_no_token_reaches_the_page(admin_client, tenant, sandbox):
    page = admin_client.get(url(a_meeting(tenant, sandbox))).content.decode()

    tokens = [t for t in sandbox.state.access_tokens if len(t) > 8]
    assert tokens and not [t for t in tokens if t in page]
