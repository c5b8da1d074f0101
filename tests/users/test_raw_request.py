"""The superuser's raw request: one call to a tenant's Zoom, the answer as is, audited; a path
outside the API base, or a staff user, gets no request at all."""

from __future__ import annotations

import json

import pytest

from zoomadmin.tenants.models import TenantMembership, ZoomWrite

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/admin/raw-request/"


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
        ({"path": "https://evil.example/x"}, "path"),
        ({"path": "//evil.example/x"}, "path"),
        ({"path": "/users/../../oauth/token"}, "path"),
        ({"path": "/users/%2e%2e/oauth/token"}, "path"),
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
