""" "Connect a Zoom account" with the sandbox's sign-in and consent page, as a person uses it:
the Zoom account of the user who signs in decides the tenant (SPEC §6: "the account behind the
token (``GET /users/me`` → ``account_id``) becomes a tenant (created, or re-linked if it
exists)"), and the message afterwards says which of the two happened. A tenant connected with a
Server-to-Server OAuth app is never switched to OAuth by it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.messages import get_messages

from tests.sandbox.test_consent import read_form
from tests.tenants.test_connect import CONNECT
from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, seed_account
from zoomadmin.tenants.models import ServerToServerCredential, Tenant
from zoomadmin.tenants.services import tenant_connect_server_to_server


def connect_on_the_consent_page(client, zoom, email: str):
    """Our side with Django's test client; Zoom's page over HTTP, signing in as ``email``."""
    start = client.post(CONNECT)
    page = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.text  # the page, not an automatic consent
    assert email in read_form(page).options
    allowed = requests.post(
        f"{zoom.url}/oauth/authorize",
        data={**read_form(page).hidden, "sandbox_user": email, "decision": "allow"},
        allow_redirects=False,
        timeout=10,
    )
    callback = urlsplit(allowed.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def shown_messages(client, response) -> list[str]:
    return [str(m) for m in get_messages(client.get(response["Location"]).wsgi_request)]


def owner_email(account) -> str:
    return account.users[account.owner_id]["email"]


def test_signing_in_as_the_other_accounts_owner_connects_a_new_tenant_and_says_so(
    client, zoom, zoom_account, connector
):
    # As scripts/run leaves it: the first account a Server-to-Server tenant, a second one not.
    demo = tenant_connect_server_to_server(
        account_id=zoom_account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=connector,
        name="Sandbox: first",
    )
    second = seed_account(zoom.state, users=4, seed=2)
    zoom.config.update(consent_page=True)
    client.force_login(connector)

    response = connect_on_the_consent_page(client, zoom, owner_email(second))

    new = Tenant.objects.get(account_id=second.id)
    assert response["Location"] == f"/admin/tenants/tenant/{new.pk}/change/"
    assert new.connection == Tenant.Connection.OAUTH and new.is_connected
    assert shown_messages(client, response) == [
        f"Connected the Zoom account “{new}” as a new tenant."
    ]
    demo.refresh_from_db()
    assert demo.connection == Tenant.Connection.SERVER_TO_SERVER and demo.is_connected
    assert Tenant.objects.count() == 2


def test_the_server_to_server_tenant_is_refused_over_oauth_and_left_as_it_was(
    client, zoom, zoom_account, connector
):
    demo = tenant_connect_server_to_server(
        account_id=zoom_account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=connector,
        name="Sandbox: first",
    )
    credential = ServerToServerCredential.objects.get(tenant=demo).client_secret
    zoom.config.update(consent_page=True)
    revokes_before = zoom.state.stats.requests_total
    client.force_login(connector)

    response = connect_on_the_consent_page(client, zoom, owner_email(zoom_account))

    assert response["Location"] == "/admin/tenants/tenant/"
    (message,) = shown_messages(client, response)
    assert "connected with a Server-to-Server OAuth app: nothing was changed" in message
    demo.refresh_from_db()
    assert demo.connection == Tenant.Connection.SERVER_TO_SERVER and demo.is_connected
    assert demo.social_account is None and not SocialAccount.objects.exists()
    assert ServerToServerCredential.objects.get(tenant=demo).client_secret == credential
    # authorize, the page's answer, the token and GET /users/me: no revoke, nothing else.
    assert zoom.state.stats.requests_total - revokes_before == 4


def test_connecting_an_oauth_tenant_again_says_re_connected(client, zoom, zoom_account, connector):
    zoom.config.update(consent_page=True)
    client.force_login(connector)
    first = connect_on_the_consent_page(client, zoom, owner_email(zoom_account))
    tenant = Tenant.objects.get()
    assert shown_messages(client, first) == [
        f"Connected the Zoom account “{tenant}” as a new tenant."
    ]
    admin = next(
        u
        for u in zoom_account.users.values()
        if u["status"] == "active" and u["id"] != zoom_account.owner_id
    )
    admin["role_id"], admin["role_name"] = "1", "Admin"

    same_user = connect_on_the_consent_page(client, zoom, owner_email(zoom_account))
    assert shown_messages(client, same_user) == [
        f"Re-connected the Zoom account “{tenant}”, already a tenant."
    ]
    other_admin = connect_on_the_consent_page(client, zoom, admin["email"])

    assert shown_messages(client, other_admin) == [
        f"Re-connected the Zoom account “{tenant}”, already a tenant (its former "
        "authorization, by another Zoom user, is replaced)."
    ]
    assert Tenant.objects.count() == 1
