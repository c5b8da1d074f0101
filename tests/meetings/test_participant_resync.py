"""The webinar's participants in the admin: shown on its page and in their own list, and asked
again from Zoom with "Re-sync participants" (a read: no audited write), within the signed-in
user's tenants only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from meetings.models import Webinar, WebinarParticipant
from tests.admin_helpers import action_post, messages_of, signed_in_member
from zoomadmin.tenants.models import ZoomWrite

pytestmark = pytest.mark.django_db

WEBINARS_URL = reverse("admin:meetings_webinar_changelist")
PARTICIPANTS_URL = reverse("admin:meetings_webinarparticipant_changelist")
INSTANCES = "GET /v2/past_webinars/{webinarId}/instances"
PARTICIPANTS = "GET /v2/past_webinars/{webinarId}/participants"


def held_webinar(sandbox, tenant) -> tuple[Webinar, list[dict]]:
    """A stored webinar of ``tenant`` that took place, and its instances in the sandbox."""
    account = sandbox.state.accounts[tenant.account_id]
    stored = Webinar.objects.filter(tenant=tenant, zoom_id__in=list(account.webinar_instances))
    webinar = stored.first()
    assert webinar is not None
    return webinar, account.webinar_instances[webinar.zoom_id]


def attended(instances: list[dict]) -> set[tuple[str, str]]:
    return {(p["id"], p["user_email"]) for i in instances for p in i["participants"]}


def test_re_sync_participants_asks_zoom_about_every_ended_instance_again(
    admin_client, tenant, sandbox
):
    webinar, instances = held_webinar(sandbox, tenant)
    WebinarParticipant.objects.filter(webinar=webinar).delete()
    Webinar.objects.filter(pk=webinar.pk).update(participants_synced_at=None)
    routes = sandbox.state.stats.requests_by_route
    before = (routes[INSTANCES], routes[PARTICIPANTS])

    response = action_post(admin_client, WEBINARS_URL, "resync_participants", [webinar])

    assert response.status_code == 302
    rows = WebinarParticipant.objects.filter(webinar=webinar)
    assert set(rows.values_list("participant_id", "email")) == attended(instances)
    # One listing of the instances, then one page of participants per instance.
    assert (routes[INSTANCES], routes[PARTICIPANTS]) == (before[0] + 1, before[1] + len(instances))
    assert "Re-synced participants of 1 webinar." in messages_of(response)
    assert not ZoomWrite.objects.exists()
    webinar.refresh_from_db()
    assert webinar.participants_synced_at is not None


def test_participants_show_on_their_webinar_s_page_and_in_their_own_list(
    admin_client, tenant, sandbox
):
    webinar, instances = held_webinar(sandbox, tenant)
    someone = instances[-1]["participants"][0]

    page = admin_client.get(reverse("admin:meetings_webinar_change", args=[webinar.pk]))
    listed = admin_client.get(PARTICIPANTS_URL, {"q": someone["user_email"]})

    assert page.status_code == listed.status_code == 200
    assert someone["name"] in page.content.decode()
    assert someone["name"] in listed.content.decode()


def test_another_tenant_s_webinar_is_not_re_synced_and_reaches_no_zoom(
    client, django_user_model, tenant, sandbox, other_customer, zoom_requests
):
    other_tenant = other_customer(users=6, webinars_per_licensed_user=2, seed=3)
    foreign, _ = held_webinar(sandbox, other_tenant)
    signed_in_member(client, tenant, "view_webinar", "change_webinar")
    WebinarParticipant.objects.filter(webinar=foreign).delete()
    before = zoom_requests()

    response = action_post(client, WEBINARS_URL, "resync_participants", [foreign])
    page = client.get(reverse("admin:meetings_webinar_change", args=[foreign.pk]))

    assert response.status_code in (200, 302)
    assert page.status_code == 404
    assert zoom_requests() == before
    assert not WebinarParticipant.objects.filter(webinar=foreign).exists()
