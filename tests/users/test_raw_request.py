"""The superuser's raw request: one call to a tenant's Zoom, the answer as is, audited; a path
outside the API base, or a staff user, gets no request at all."""

from __future__ import annotations

import json
import time

import pytest

from zoomadmin.sandbox.records import iso, make_participant
from zoomadmin.tenants.audit import audited_raw_request
from zoomadmin.tenants.models import TenantMembership, ZoomWrite
from zoomadmin.tenants.tokens import client_for_tenant
from zoomadmin.zoom.client import UnsafeApiPath, api_path, encode_meeting_id

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/admin/raw-request/"

# Meetings OpenAPI, "List past webinar instances" and "Get past meeting details": uuid,
# "example": "Bznyg8KZTdCVbQxvS/oZ7w==". webinarId: "If you provide a webinar UUID that begins
# with a `/` character or contains the `//` characters, you **must** double encode".
ZOOM_UUID = "Bznyg8KZTdCVbQxvS/oZ7w=="

ZOOM_PATHS = [
    "/users/me",
    "/users/jo.smith@example.com",
    "/users/jo+raw%40example.com",
    "/users/jo%2Braw%40example.com",
    "/meetings/85746065432/registrants",
    "/past_webinars/Bznyg8KZTdCVbQxvS%2FoZ7w%3D%3D/participants",
    "/past_webinars/Bznyg8KZTdCVbQxvS%2foZ7w%3d%3d/participants",
    "/past_meetings/%252FajXp112QmuoKj4854875%253D%253D",
    "/past_webinars/ab%252F%252Fcd%253D%253D/participants",
]

# Each could reach something other than a resource under the API base, once Zoom has decoded
# it (Zoom decodes a segment more than once: that is why some UUIDs are double-encoded).
UNSAFE_PATHS = [
    "https://evil.example/x",
    "//evil.example/x",
    "users/me",
    "/users/",
    "/users//me",
    "/users/../../oauth/token",
    "/users/./me",
    "/users/%2e%2e/oauth/token",
    "/users/.%2e/oauth/token",
    "/users/%252e%252e/oauth/token",
    "/users/%2525252e%2525252e/oauth/token",
    "/users/..%252F..%252Foauth%252Ftoken",
    "/users/..%2F..%2Foauth%2Ftoken",
    "/users/%252F..",
    "/users/x%2F.%2Fme",
    "/users/%2F",
    "/meetings/%2FajXp112QmuoKj4854875%3D%3D/recordings",
    "/meetings/ab%2F%2Fcd%3D%3D/recordings",
    "/users/%252F%252F",
    "/users/me\n",
    "/users\n/me",
    "/users/me%0A",
    "/users/me%250A",
    "/users/me%00",
    "/users/me%09",
    "/users/me%2509",
    "/users/me%20x",
    "/users/me%2520x",
    "/users/me x",
    "/users\\..\\oauth",
    "/users/%5C..%5Coauth",
    "/users/%255C..%255Coauth",
    "/users/me?x=1",
    "/users/me%3Fx=1",
    "/users/me%253Fx=1",
    "/users/me#x",
    "/users/\u2024\u2024/oauth/token",
    "/users/\uff0e\uff0e/oauth/token",
    "/users/%25E2%2580%25A4%25E2%2580%25A4/oauth/token",
    "/users/%" + "25" * 10 + "2e",
]


@pytest.mark.parametrize("path", ZOOM_PATHS)
def test_api_path_keeps_the_paths_zoom_uses(path):
    assert api_path(path) == path


@pytest.mark.parametrize("uuid", [ZOOM_UUID, "/ajXp112QmuoKj4854875==", "ab//cd==", "aB+c/d=="])
def test_api_path_keeps_the_meeting_paths_the_client_builds(uuid):
    path = f"/past_meetings/{encode_meeting_id(uuid)}/participants"
    assert api_path(path) == path


@pytest.mark.parametrize("path", UNSAFE_PATHS)
def test_api_path_refuses_what_could_leave_the_api_base(path):
    with pytest.raises(UnsafeApiPath):
        api_path(path)


def test_a_raw_get_shows_zoom_s_answer_and_is_audited(admin_client, tenant, sandbox):
    owner = sandbox.state.default_account.users[sandbox.state.default_account.owner_id]
    response = admin_client.post(URL, {"tenant": tenant.pk, "method": "GET", "path": "/users/me"})
    page = response.content.decode()
    assert "Zoom answered 200" in page
    assert owner["email"] in page
    write = ZoomWrite.objects.get()
    assert (write.kind, write.method, write.path, write.status) == (
        "raw request",
        "GET",
        "/users/me",
        200,
    )


def test_a_raw_patch_changes_zoom_and_shows_its_error_when_refused(admin_client, tenant, sandbox):
    user_id = next(
        u["id"] for u in sandbox.state.default_account.users.values() if u["status"] == "active"
    )
    response = admin_client.post(
        URL,
        {
            "tenant": tenant.pk,
            "method": "PATCH",
            "path": f"/users/{user_id}",
            "body": json.dumps({"job_title": "Raw"}),
        },
    )
    assert "Zoom answered 204" in response.content.decode()
    assert sandbox.state.default_account.users[user_id]["job_title"] == "Raw"
    response = admin_client.post(
        URL, {"tenant": tenant.pk, "method": "GET", "path": "/users/nobody-here"}
    )
    page = response.content.decode()
    assert "Zoom answered 404" in page and "1001" in page
    assert ZoomWrite.objects.filter(outcome="refused").count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        *(({"path": path}, "path") for path in UNSAFE_PATHS if path.strip() == path),
        ({"path": "/users?x=1"}, "path"),
        ({"method": "TRACE"}, "method"),
        ({"method": "GET", "body": "{}"}, "body"),
        ({"method": "POST", "body": "{not json"}, "body"),
        ({"method": "POST", "body": "42"}, "body"),
    ],
)
def test_refused_input_makes_no_request(admin_client, tenant, sandbox, fields, field):
    before = sandbox.state.stats.requests_total
    data = {"tenant": tenant.pk, "method": "GET", "path": "/users/me", **fields}
    response = admin_client.post(URL, data)
    assert field in response.context["form"].errors
    assert sandbox.state.stats.requests_total == before
    assert not ZoomWrite.objects.exists()


def test_only_superusers_may_send_raw_requests(client, django_user_model, tenant, sandbox):
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    TenantMembership.objects.create(tenant=tenant, user=staff)
    client.force_login(staff)
    before = sandbox.state.stats.requests_total
    response = client.post(URL, {"tenant": tenant.pk, "method": "GET", "path": "/users/me"})
    assert response.status_code == 403
    assert sandbox.state.stats.requests_total == before


def test_a_path_the_form_would_strip_is_refused_below_it_with_no_request(tenant, sandbox):
    before = sandbox.state.stats.requests_total
    with pytest.raises(UnsafeApiPath):
        audited_raw_request(
            client=client_for_tenant(tenant),
            tenant=tenant,
            actor=None,
            method="GET",
            path="/users/me\n",
        )
    assert sandbox.state.stats.requests_total == before
    assert not ZoomWrite.objects.exists()


def test_paths_as_zoom_spells_them_reach_zoom(admin_client, tenant, sandbox):
    account = sandbox.state.default_account
    user = next(u for u in account.users.values() if u["status"] == "active")
    account.remove_user(user["id"])
    local, _, domain = user["email"].partition("@")
    user["email"] = f"{local}+raw@{domain}"
    account.add_user(user)
    webinar_id = next(iter(account.webinar_instances))
    start = time.time() - 86400
    guest = make_participant(
        participant_id="p-raw", name="Raw Guest", email="", join=start, minutes=5
    )
    account.add_webinar_instance(
        webinar_id, uuid=ZOOM_UUID, start_time=iso(start), participants=[guest]
    )
    account.add_webinar_instance(
        webinar_id, uuid="/ajXp112QmuoKj4854875==", start_time=iso(start), participants=[guest]
    )
    expected = {
        f"/users/{local}+raw%40{domain}": user["id"],
        f"/users/{local}%2Braw%40{domain}": user["id"],
        "/past_webinars/Bznyg8KZTdCVbQxvS%2FoZ7w%3D%3D/participants": "p-raw",
        "/past_webinars/%252FajXp112QmuoKj4854875%253D%253D/participants": "p-raw",
    }
    for path, shown in expected.items():
        response = admin_client.post(URL, {"tenant": tenant.pk, "method": "GET", "path": path})
        page = response.content.decode()
        assert "Zoom answered 200" in page, path
        assert shown in page, path
    assert list(ZoomWrite.objects.order_by("pk").values_list("path", "status")) == [
        (path, 200) for path in expected
    ]
