"""No admin page shows a token, a client secret or the webhook secret (a superuser's crawl of
every registered admin; the log output is checked by the ``secrets_seen`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from allauth.socialaccount.models import SocialApp, SocialToken
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from tests.zoom.test_secrets import debug_page
from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, seed_account
from zoomadmin.tenants.crypto import decrypt
from zoomadmin.tenants.models import ServerToServerCredential, Tenant
from zoomadmin.tenants.services import tenant_connect_server_to_server
from zoomadmin.tenants.tokens import token_provider_for


def _admin_pages() -> Iterator[str]:
    yield reverse("admin:index")
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield reverse(f"{prefix}_changelist")
        yield reverse(f"{prefix}_add")
        for obj in model._default_manager.all()[:5]:
            yield reverse(f"{prefix}_change", args=[quote(obj.pk)])
            yield reverse(f"{prefix}_history", args=[quote(obj.pk)])
    for tenant in Tenant.objects.all():
        yield reverse("admin:tenants_tenant_disconnect", args=[tenant.pk])


def test_no_admin_page_shows_a_secret(
    client, zoom, oauth_tenant, connector, superuser, settings, secrets_seen
):
    settings.ZOOM_WEBHOOK_SECRET_TOKEN = "webhook-secret-token-value"
    secrets_seen.add(settings.ZOOM_WEBHOOK_SECRET_TOKEN)
    second = seed_account(zoom.state, users=2, meetings_per_user=0, seed=3)
    tenant_connect_server_to_server(
        account_id=second.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=connector,
    )
    SocialApp.objects.create(
        provider="zoom", name="Zoom", client_id="db-app", secret="db-app-client-secret"
    ).sites.add(1)
    secrets_seen.add("db-app-client-secret")
    for token in SocialToken.objects.all():
        secrets_seen.update({decrypt(token.token), decrypt(token.token_secret)})
    for credential in ServerToServerCredential.objects.all():
        secrets_seen.update({decrypt(credential.access_token), decrypt(credential.client_secret)})
    client.force_login(superuser)

    shown = 0
    for url in _admin_pages():
        response = client.get(url)
        assert response.status_code in (200, 403), url  # 403: an admin without an add page
        html = response.content.decode()
        assert not [secret for secret in secrets_seen if secret in html], url
        shown += response.status_code == 200
    assert shown > 10


def test_a_debug_error_page_during_a_token_refresh_shows_no_token_or_secret(
    zoom, oauth_tenant, settings, monkeypatch
):
    settings.DEBUG = True
    stored = SocialToken.objects.get(account=oauth_tenant.social_account)
    access, refresh = decrypt(stored.token), decrypt(stored.token_secret)
    SocialToken.objects.filter(pk=stored.pk).update(expires_at=timezone.now())

    @sensitive_variables()  # as exchange_refresh_token, whose place it takes, hides its own
    def broken(**kwargs):
        raise RuntimeError("a bug while refreshing")

    monkeypatch.setattr("zoomadmin.tenants.tokens.exchange_refresh_token", broken)
    with pytest.raises(RuntimeError) as caught:
        token_provider_for(oauth_tenant).get_token()

    page = debug_page(caught)
    assert "_renew" in page and "stale_token" in page
    for secret in (access, refresh, DEFAULT_CLIENT_SECRET):
        assert secret not in page
