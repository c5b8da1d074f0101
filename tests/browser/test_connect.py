"""Connecting a second Zoom account through the OAuth screens, as a person does: "Connect a
Zoom account" on the tenant list, allauth's confirmation, the sandbox's sign-in and consent
page (where the person chooses the account and the user to sign in as), and back to the
admin on the new tenant's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from zoomadmin.tenants.models import Tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def oauth_app(settings):
    """The sandbox's OAuth app registered for allauth (settings.py does it at start-up from
    ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET)."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "zoom": {
            "SCOPE": [],
            "APPS": [{"client_id": DEFAULT_CLIENT_ID, "secret": DEFAULT_CLIENT_SECRET, "key": ""}],
        }
    }


def test_a_second_zoom_account_is_connected_through_the_oauth_screens(
    signed_in, steps, tenant, admin_user, other_account, sandbox, oauth_app
):
    page = signed_in
    sandbox.config.update(consent_page=True)  # as `manage.py zoom_sandbox` serves it
    owner = other_account.users[other_account.owner_id]

    page.goto("/admin/tenants/tenant/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    steps("the tenant list with one account")
    page.get_by_role("link", name="Connect a Zoom account").click()
    expect(page.locator("#content")).to_contain_text("You are about to authorize")
    steps("the confirmation before leaving for Zoom")
    page.get_by_role("button", name=re.compile("Continue to")).click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(sandbox.url)}/oauth/authorize"))
    chooser = page.locator("#sandbox_user")
    expect(chooser.locator("optgroup")).to_have_count(2)  # both sandbox accounts
    chooser.select_option(owner["email"])
    steps("Zoom's sign-in and consent page, the other account's owner chosen")
    page.get_by_role("button", name="Allow").click()

    connected = Tenant.objects.get(account_id=other_account.id)
    expect(page).to_have_url(re.compile(rf"/admin/tenants/tenant/{connected.pk}/change/$"))
    expect(page.locator(".messagelist")).to_contain_text("Connected the Zoom account")
    steps("the new tenant's page")
    assert connected.connection == Tenant.Connection.OAUTH
    assert connected.status == Tenant.Status.CONNECTED
    assert list(connected.members.all()) == [admin_user]
    # The first tenant was not re-authorized in passing (issue 12).
    tenant.refresh_from_db()
    assert tenant.connection == Tenant.Connection.SERVER_TO_SERVER
    # Zoom's side: the grant is the chosen user's, in the other account.
    grants = [g for g in sandbox.state.grants.values() if g.account_id == other_account.id]
    assert [g.user_id for g in grants] == [owner["id"]]

    page.goto("/admin/tenants/tenant/")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    steps("the tenant list with both accounts")
