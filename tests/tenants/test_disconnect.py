"""Disconnecting a tenant: revoked at Zoom, secrets deleted, synced data deleted, audited."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from tests.tenants.factories import build, make_tenant
from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from zoomadmin.tenants.crypto import decrypt
from zoomadmin.tenants.models import ServerToServerCredential, Tenant, TenantAuditEntry
from zoomadmin.tenants.services import (
    synced_data_models,
    tenant_connect_server_to_server,
    tenant_disconnect,
)
from zoomadmin.tenants.tokens import TenantNotConnected, client_for_tenant


def _synced_rows(tenant: Tenant) -> list:
    return [build(model, tenant=tenant) for model in synced_data_models()]


def _exists(row) -> bool:
    return type(row)._default_manager.filter(pk=row.pk).exists()


def test_disconnect_revokes_deletes_the_token_and_the_synced_data(
    client, zoom, oauth_tenant, connector
):
    stored = SocialToken.objects.get(account=oauth_tenant.social_account)
    access, refresh = decrypt(stored.token), decrypt(stored.token_secret)
    other = make_tenant("other")
    mine, theirs = _synced_rows(oauth_tenant), _synced_rows(other)
    client.force_login(connector)
    url = reverse("admin:tenants_tenant_disconnect", args=[oauth_tenant.pk])

    assert client.get(url).status_code == 200  # the confirmation page
    response = client.post(url, {"reason": "Customer left"})

    assert response.status_code == 302
    oauth_tenant.refresh_from_db()
    assert oauth_tenant.status == Tenant.Status.DISCONNECTED
    assert oauth_tenant.social_account is None
    assert not SocialToken.objects.exists() and not SocialAccount.objects.exists()
    assert access not in zoom.state.access_tokens and refresh not in zoom.state.refresh_tokens
    assert not any(_exists(row) for row in mine)
    assert all(_exists(row) for row in theirs)
    entry = TenantAuditEntry.objects.filter(tenant=oauth_tenant).first()
    assert (entry.action, entry.user, entry.reason) == ("disconnected", connector, "Customer left")
    assert entry.details["revoked"] is True
    with pytest.raises(TenantNotConnected):
        client_for_tenant(oauth_tenant)
    page = client.get(reverse("admin:tenants_tenant_change", args=[oauth_tenant.pk]))
    assert "Disconnected" in page.content.decode()


def test_the_disconnect_action_asks_first_then_disconnects_in_bulk(
    client, zoom, zoom_account, connector
):
    tenant = tenant_connect_server_to_server(
        account_id=zoom_account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=connector,
    )
    client.force_login(connector)
    changelist = reverse("admin:tenants_tenant_changelist")
    data = {"action": "disconnect_tenants", ACTION_CHECKBOX_NAME: [tenant.pk]}

    confirm = client.post(changelist, data)
    assert confirm.status_code == 200 and "Disconnect Zoom accounts?" in confirm.content.decode()
    tenant.refresh_from_db()
    assert tenant.is_connected

    done = client.post(changelist, {**data, "post": "yes", "reason": ""})
    assert done.status_code == 302
    tenant.refresh_from_db()
    assert tenant.status == Tenant.Status.DISCONNECTED
    assert not ServerToServerCredential.objects.exists()


def test_deauthorization_by_zoom_disconnects_without_a_user(zoom, oauth_tenant):
    rows = _synced_rows(oauth_tenant)

    result = tenant_disconnect(
        tenant=oauth_tenant, by_user=None, reason="app_deauthorized", revoke=False
    )

    assert result.revoked is False
    assert not any(_exists(row) for row in rows)
    entry = TenantAuditEntry.objects.filter(tenant=oauth_tenant).first()
    assert (entry.action, entry.user) == ("disconnected", None)
    assert not SocialToken.objects.exists()


def test_synced_data_models_are_found_generically():
    for model in synced_data_models():
        fields = {field.name for field in model._meta.get_fields()}
        assert {"tenant", "zoom_id"} <= fields
    assert Tenant not in synced_data_models()


def test_allauths_own_connections_page_cannot_remove_a_tenants_zoom_user(
    client, oauth_tenant, connector
):
    # Removing it there would skip the revoke at Zoom, the data deletion and the audit entry.
    account = oauth_tenant.social_account
    client.force_login(connector)

    client.post(reverse("socialaccount_connections"), {"account": account.pk})

    assert SocialAccount.objects.filter(pk=account.pk).exists()
    assert SocialToken.objects.filter(account=account).exists()
    oauth_tenant.refresh_from_db()
    assert oauth_tenant.status == Tenant.Status.CONNECTED
