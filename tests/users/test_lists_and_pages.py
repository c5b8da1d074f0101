"""CSV export (the whole changelist as filtered and searched, or the selection, streamed), the
admin's own titles, and a tenant's "Sync now"."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from users.models import ZoomUser
from zoomadmin.sync.models import SyncRun

pytestmark = pytest.mark.django_db(transaction=True)

LIST_URL = reverse("admin:users_zoomuser_changelist")
EXPORT_URL = reverse("admin:users_zoomuser_export")


def rows(response) -> list[dict[str, str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_holds_what_the_filtered_list_shows(admin_client, tenant, sandbox):
    query = {"status__exact": "active", "q": "example"}
    listing = admin_client.get(LIST_URL, query)
    assert listing.context["cl"].paginator.num_pages == 1  # the page is the whole list
    shown = [user.email for user in listing.context["cl"].result_list]
    assert shown
    exported = rows(admin_client.get(EXPORT_URL, query))
    assert [row["email"] for row in exported] == shown  # every kind: tests/records/test_export.py
    assert ZoomUser.objects.filter(status="active").count() >= len(exported)
    assert {row["tenant"] for row in exported} == {tenant.name}
    assert "Export CSV" in listing.content.decode()


def test_the_export_action_holds_the_selection(admin_client, tenant, sandbox):
    chosen = list(ZoomUser.objects.order_by("pk")[:3])
    response = admin_client.post(
        LIST_URL, {"action": "export_csv", "_selected_action": [u.pk for u in chosen]}
    )
    assert [row["Zoom user ID"] for row in rows(response)] == [u.zoom_id for u in chosen]


def test_the_home_page_lists_the_zoom_data_before_django_s_own_pages(admin_client, tenant):
    apps = [app["app_label"] for app in admin_client.get("/admin/").context["app_list"]]
    zoom = ["tenants", "users", "meetings", "sync", "webhooks", "jobs"]
    assert apps[: len(zoom)] == zoom
    assert {"auth", "django_q", "sites"} <= set(apps[len(zoom) :])


def test_the_admin_is_zoomadmin_and_a_tenant_syncs_from_its_page(admin_client, tenant):
    index = admin_client.get("/admin/").content.decode()
    assert "<title>" in index and "zoomadmin" in index and "View site" not in index
    page = admin_client.get(f"/admin/tenants/tenant/{tenant.pk}/change/").content.decode()
    assert "Sync now" in page
    before = SyncRun.objects.filter(tenant=tenant).count()
    response = admin_client.post(f"/admin/tenants/tenant/{tenant.pk}/sync/")
    assert response.status_code == 302
    assert SyncRun.objects.filter(tenant=tenant).count() == before + 1  # the task ran inline
