from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission

from tests.tenants.factories import make_tenant
from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from zoomadmin.tenants.models import TenantMembership

# Known secrets the tests put into play; a test adds the tokens it sees.
SETTINGS_SECRETS = ("ZOOM_CLIENT_SECRET", "ZOOM_WEBHOOK_SECRET_TOKEN")


@pytest.fixture
def secrets_seen(caplog) -> set[str]:
    """Every secret of the test; after it, none may appear in a log record (any level)."""
    seen: set[str] = {getattr(settings, name) for name in SETTINGS_SECRETS} - {""}
    caplog.set_level(logging.DEBUG)
    yield seen
    text = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    leaked = [secret for secret in seen if secret and len(secret) >= 8 and secret in text]
    assert not leaked, "a secret appeared in the log output"


@pytest.fixture
def tenant_a(db):
    return make_tenant("alpha")


@pytest.fixture
def tenant_b(db):
    return make_tenant("bravo")


@pytest.fixture
def staff_a(db, django_user_model, tenant_a):
    """A staff member of tenant A only, with every model permission (so 404s are not 403s)."""
    user = django_user_model.objects.create_user(
        username="staff-a", password="pw", is_staff=True, email="staff-a@example.com"
    )
    user.user_permissions.set(Permission.objects.all())
    TenantMembership.objects.create(tenant=tenant_a, user=user)
    return user


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser(
        username="root", password="pw", email="root@example.com"
    )


# --- Zoom (the sandbox over loopback HTTP) -------------------------------------------------


@pytest.fixture
def zoom(zoom_settings, settings, secrets_seen):
    """The sandbox as our Zoom, its OAuth app registered for allauth, every issued token watched."""
    sandbox = zoom_settings
    # settings.py registers the app from the environment at import; do what it would have done.
    settings.SOCIALACCOUNT_PROVIDERS = {
        "zoom": {
            "SCOPE": [],
            "APPS": [{"client_id": DEFAULT_CLIENT_ID, "secret": DEFAULT_CLIENT_SECRET, "key": ""}],
        }
    }
    secrets_seen.add(DEFAULT_CLIENT_SECRET)
    yield sandbox
    # Every token the sandbox ever issued, current or rotated.
    state = sandbox.state
    secrets_seen.update(state.access_tokens)
    secrets_seen.update(state.refresh_tokens)
    secrets_seen.update(state.rotated_refresh_tokens)


@pytest.fixture
def zoom_account(zoom):
    """The sandbox's seeded account (its owner is an admin who consents by default)."""
    return zoom.state.default_account


@pytest.fixture
def connector(db, django_user_model):
    """A staff user allowed to connect Zoom accounts (not a superuser)."""
    user = django_user_model.objects.create_user(
        username="connector", password="pw", is_staff=True, email="connector@example.com"
    )
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="tenants",
            codename__in=["add_tenant", "change_tenant", "view_tenant", "disconnect_tenant"],
        )
    )
    return user


@pytest.fixture
def oauth_tenant(zoom, zoom_account, connector):
    """A tenant connected over OAuth, its tokens issued by the sandbox without the consent dance."""
    from datetime import timedelta

    from allauth.socialaccount.models import SocialAccount, SocialToken
    from django.utils import timezone

    from zoomadmin.tenants.services import tenant_connect_oauth

    with zoom.state.lock:
        issued = zoom.state.issue_tokens(account_id=zoom_account.id, ttl=3600)
    owner = zoom_account.users[zoom_account.owner_id]
    account = SocialAccount.objects.create(
        user=connector,
        provider="zoom",
        uid=owner["id"],
        extra_data={**owner, "account_id": zoom_account.id},
    )
    SocialToken.objects.create(
        account=account,
        token=issued["access_token"],
        token_secret=issued["refresh_token"],
        expires_at=timezone.now() + timedelta(seconds=3600),
    )
    return tenant_connect_oauth(social_account=account, user=connector)
