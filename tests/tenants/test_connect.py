"""Connecting Zoom accounts: allauth's flow against the sandbox, and Server-to-Server OAuth."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.db import connection
from django.urls import reverse

from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from zoomadmin.tenants.crypto import decrypt
from zoomadmin.tenants.models import (
    ServerToServerCredential,
    Tenant,
    TenantAuditEntry,
    TenantMembership,
)
from zoomadmin.tenants.tokens import client_for_tenant

CONNECT = "/accounts/zoom/login/?process=connect"


def connect_through_zoom(client, *, zoom_user: str = ""):
    """Our side with Django's test client, Zoom's side (authorize, auto-consent) over HTTP."""
    start = client.post(CONNECT)
    assert start.status_code == 302, start.content
    authorize = start["Location"]
    if zoom_user:
        authorize += f"&sandbox_user={zoom_user}"
    consent = requests.get(authorize, allow_redirects=False, timeout=10)
    assert consent.status_code == 302
    callback = urlsplit(consent.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_connecting_creates_a_tenant_with_the_user_as_member(client, zoom_account, connector):
    client.force_login(connector)
    assert client.get(CONNECT).status_code == 200  # allauth's confirmation page, admin look

    response = connect_through_zoom(client)

    tenant = Tenant.objects.get(account_id=zoom_account.id)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tenants_tenant_change", args=[tenant.pk])
    assert tenant.status == Tenant.Status.CONNECTED
    assert tenant.connection == Tenant.Connection.OAUTH
    assert list(tenant.members.all()) == [connector]
    token = SocialToken.objects.get(account=tenant.social_account)
    assert client_for_tenant(tenant).get_me()["account_id"] == zoom_account.id
    assert decrypt(token.token_secret)  # the refresh token is kept for later
    assert TenantAuditEntry.objects.get(tenant=tenant).action == "connected"
    page = client.get(response["Location"])
    assert "Connected the Zoom account" in page.content.decode()


def zoom_user_of(account, *, role_id: str) -> dict:
    """An active user of the sandbox account with Zoom's built-in role ``role_id`` ("1" Admin,
    "2" Member), made so in the sandbox's data when the seed has none."""
    users = [u for u in account.users.values() if u["id"] != account.owner_id]
    users = [u for u in users if u["status"] == "active"]
    user = next((u for u in users if u["role_id"] == role_id), users[0])
    user["role_id"], user["role_name"] = role_id, {"1": "Admin", "2": "Member"}[role_id]
    return user


def test_connecting_a_known_account_again_relinks_it(client, zoom, zoom_account, connector):
    client.force_login(connector)
    connect_through_zoom(client)
    tenant = Tenant.objects.get()
    tenant.status = Tenant.Status.REAUTHORIZATION_REQUIRED
    tenant.save()
    first_token = decrypt(SocialToken.objects.get().token)

    # Another admin of the same account authorizes: still one tenant, one token.
    other_admin = zoom_user_of(zoom_account, role_id="1")
    response = connect_through_zoom(client, zoom_user=other_admin["email"])

    assert response.status_code == 302
    tenant = Tenant.objects.get()
    assert tenant.status == Tenant.Status.CONNECTED
    assert tenant.social_account.uid == other_admin["id"]
    assert SocialAccount.objects.count() == 1 and SocialToken.objects.count() == 1
    assert decrypt(SocialToken.objects.get().token) != first_token
    actions = list(TenantAuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["connected", "reconnected"]
    # Same app: revoking the former grant would uninstall the app, for an app installed
    # account-wide the new grant with it (Zoom staff, devforum.zoom.us/t/18432). Its tokens
    # are gone from here, and the audit entry says it stays installed for that Zoom user.
    details = TenantAuditEntry.objects.latest("id").details
    assert details["replaced_zoom_user"] == zoom_account.owner_id
    assert details["replaced_grant"] == "deleted here, left installed"
    assert zoom_get_me(zoom, first_token).status_code == 200  # not revoked


def zoom_get_me(zoom, token: str) -> requests.Response:
    return requests.get(
        f"{zoom.api_base_url}/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_a_zoom_member_cannot_replace_the_authorization_of_a_known_account(
    client, zoom, zoom_account, connector
):
    client.force_login(connector)
    connect_through_zoom(client)
    tenant = Tenant.objects.get()
    first_token = decrypt(SocialToken.objects.get().token)
    member = zoom_user_of(zoom_account, role_id="2")

    response = connect_through_zoom(client, zoom_user=member["email"])

    assert response.status_code == 302
    assert "Owner or Admin role" in client.get(response["Location"]).content.decode()
    tenant.refresh_from_db()
    assert tenant.social_account.uid == zoom_account.owner_id
    assert SocialAccount.objects.count() == 1
    assert decrypt(SocialToken.objects.get().token) == first_token
    assert zoom_get_me(zoom, first_token).status_code == 200


def test_a_technician_of_another_tenant_cannot_take_over_an_account_with_a_zoom_seat_in_it(
    client, zoom, zoom_account, connector, staff_a
):
    # Customer B (the sandbox account) is connected by its own admin; staff_a works for
    # tenant A only, holds every permission, and has an Admin seat in B's Zoom account.
    client.force_login(connector)
    connect_through_zoom(client)
    tenant = Tenant.objects.get(account_id=zoom_account.id)
    token = decrypt(SocialToken.objects.get(account=tenant.social_account).token)
    seat = zoom_user_of(zoom_account, role_id="1")
    client.force_login(staff_a)

    response = connect_through_zoom(client, zoom_user=seat["email"])

    assert response.status_code == 302
    tenant.refresh_from_db()
    assert list(tenant.members.all()) == [connector]
    assert tenant.social_account.uid == zoom_account.owner_id
    assert SocialAccount.objects.filter(uid=seat["id"]).count() == 0
    assert zoom_get_me(zoom, token).status_code == 200
    # Nor with the same Zoom user that connected it (refused before allauth stores anything:
    # its token and profile stay as they were), nor with a Server-to-Server app.
    account = SocialAccount.objects.get(pk=tenant.social_account_id)
    stored = (SocialToken.objects.get(account=account).token, account.extra_data)
    assert connect_through_zoom(client).status_code == 302
    assert list(tenant.members.all()) == [connector]
    account.refresh_from_db()
    assert (SocialToken.objects.get(account=account).token, account.extra_data) == stored
    response = client.post(
        reverse("admin:tenants_tenant_add"),
        {
            "account_id": zoom_account.id,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )
    assert "You are not allowed to connect this Zoom account" in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.connection == Tenant.Connection.OAUTH and list(tenant.members.all()) == [
        connector
    ]


def test_a_zoom_member_cannot_claim_an_account_that_is_not_connected_yet(
    client, zoom, zoom_account, connector
):
    member = zoom_user_of(zoom_account, role_id="2")
    client.force_login(connector)

    response = connect_through_zoom(client, zoom_user=member["email"])

    assert "Owner or Admin role" in client.get(response["Location"]).content.decode()
    assert not Tenant.objects.exists() and not SocialAccount.objects.exists()


def test_the_same_zoom_user_reconnected_by_another_member_moves_to_them(
    client, zoom_account, connector, staff_a
):
    client.force_login(connector)
    connect_through_zoom(client)
    tenant = Tenant.objects.get(account_id=zoom_account.id)
    TenantMembership.objects.create(tenant=tenant, user=staff_a)
    client.force_login(staff_a)

    connect_through_zoom(client)

    assert set(tenant.members.all()) == {connector, staff_a}
    tenant.refresh_from_db()
    assert tenant.social_account.user == staff_a
    assert SocialToken.objects.count() == 1


def test_switching_to_server_to_server_revokes_the_oauth_authorization(
    client, zoom, zoom_account, connector
):
    client.force_login(connector)
    connect_through_zoom(client)
    oauth_token = decrypt(SocialToken.objects.get().token)

    client.post(
        reverse("admin:tenants_tenant_add"),
        {
            "account_id": zoom_account.id,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )

    assert Tenant.objects.get().connection == Tenant.Connection.SERVER_TO_SERVER
    assert not SocialAccount.objects.exists()
    assert zoom_get_me(zoom, oauth_token).status_code == 401


def test_a_connect_flow_can_use_an_app_stored_in_the_database(
    client, zoom_account, connector, settings
):
    settings.SOCIALACCOUNT_PROVIDERS = {"zoom": {"SCOPE": []}}
    app = SocialApp.objects.create(
        provider="zoom", name="Zoom", client_id=DEFAULT_CLIENT_ID, secret=DEFAULT_CLIENT_SECRET
    )
    app.sites.add(1)
    client.force_login(connector)

    connect_through_zoom(client)

    tenant = Tenant.objects.get(account_id=zoom_account.id)
    assert client_for_tenant(tenant).get_me()["account_id"] == zoom_account.id


@pytest.mark.parametrize("process", ["login", "connect"])
def test_nobody_signs_in_or_up_with_zoom(db, client, zoom_account, process):
    response = client.post(f"/accounts/zoom/login/?process={process}")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not Tenant.objects.exists() and not SocialAccount.objects.exists()


def test_a_staff_user_without_permission_cannot_connect(client, zoom_account, django_user_model):
    user = django_user_model.objects.create_user(username="viewer", is_staff=True)
    client.force_login(user)
    response = connect_through_zoom(client)
    assert response.status_code == 302
    assert not Tenant.objects.exists()


def test_server_to_server_credentials_connect_and_the_secret_is_never_shown(
    client, zoom_account, connector, secrets_seen
):
    client.force_login(connector)
    url = reverse("admin:tenants_tenant_add")
    response = client.post(
        url,
        {
            "account_id": zoom_account.id,
            "name": "Acme",
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )
    tenant = Tenant.objects.get(account_id=zoom_account.id)
    assert response["Location"] == reverse("admin:tenants_tenant_change", args=[tenant.pk])
    assert tenant.connection == Tenant.Connection.SERVER_TO_SERVER
    assert list(tenant.members.all()) == [connector]
    assert client_for_tenant(tenant).get_me()["account_id"] == zoom_account.id
    credential = ServerToServerCredential.objects.get(tenant=tenant)
    secrets_seen.add(decrypt(credential.access_token))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_secret FROM tenants_servertoservercredential WHERE id = %s",
            [credential.pk],
        )
        assert DEFAULT_CLIENT_SECRET not in cursor.fetchone()[0]
    for page in (response["Location"], url, f"{url}?account_id={tenant.account_id}"):
        html = client.get(page).content.decode()
        assert not [secret for secret in secrets_seen if secret in html]


def test_refused_server_to_server_credentials_change_nothing(client, zoom_account, connector):
    client.force_login(connector)
    response = client.post(
        reverse("admin:tenants_tenant_add"),
        {
            "account_id": zoom_account.id,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": "a-wrong-secret-value",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Zoom refused these credentials" in html
    assert "a-wrong-secret-value" not in html
    assert not Tenant.objects.exists()


def _error_report_of_the_failed_request(caplog) -> str:
    from django.views.debug import ExceptionReporter

    (record,) = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    return ExceptionReporter(record.request, *record.exc_info, is_email=True).get_traceback_text()


def test_an_unexpected_error_while_connecting_reports_no_client_secret(
    client, zoom_account, connector, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("something unexpected")

    monkeypatch.setattr("zoomadmin.tenants.admin.tenant_connect_server_to_server", broken)
    client.force_login(connector)
    client.raise_request_exception = False
    response = client.post(
        reverse("admin:tenants_tenant_add"),
        {
            "account_id": zoom_account.id,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": "a-posted-secret-value",
        },
    )

    assert response.status_code == 500
    report = _error_report_of_the_failed_request(caplog)
    assert "client_secret" in report  # the POST data is in the report, its value is not
    assert "a-posted-secret-value" not in report


def test_an_unexpected_error_while_saving_an_oauth_app_reports_no_secret(
    client, superuser, monkeypatch, caplog
):
    from zoomadmin.tenants.admin import SocialAppAdmin

    def broken(self, request, obj, form, change):
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(SocialAppAdmin, "save_model", broken)
    client.force_login(superuser)
    client.raise_request_exception = False
    response = client.post(
        reverse("admin:socialaccount_socialapp_add"),
        {
            "provider": "zoom",
            "name": "Zoom",
            "client_id": "an-app",
            "secret": "a-posted-app-secret",
            "key": "",
            "settings": "{}",
            "sites": ["1"],
        },
    )

    assert response.status_code == 500
    report = _error_report_of_the_failed_request(caplog)
    assert "a-posted-app-secret" not in report
