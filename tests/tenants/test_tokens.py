"""Token providers against the sandbox: one refresh at a time per tenant, rotated refresh tokens
saved before use, and a refused refresh that stops the tenant instead of looping."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.socialaccount.models import SocialToken
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from zoomadmin.tenants.crypto import decrypt
from zoomadmin.tenants.models import Tenant, TenantAuditEntry
from zoomadmin.tenants.tokens import (
    TenantNotConnected,
    TokenRefreshInTransaction,
    client_for_tenant,
    token_provider_for,
)
from zoomadmin.zoom.auth import StaticTokenProvider
from zoomadmin.zoom.client import ZoomClient
from zoomadmin.zoom.errors import ZoomReauthorizationRequired

ROOT = Path(__file__).resolve().parents[2]


def _expire_now(zoom, tenant: Tenant) -> None:
    """The stored token expires now, and the sandbox agrees."""
    SocialToken.objects.filter(account=tenant.social_account).update(expires_at=timezone.now())
    with zoom.state.lock:
        zoom.state.expire_access_tokens(tenant.account_id)
        zoom.state.stats.token_refreshes = 0
        zoom.state.stats.refresh_token_reuses = 0


def _works(zoom, token: str) -> bool:
    client = ZoomClient(base_url=zoom.api_base_url, token_provider=StaticTokenProvider(token))
    return bool(client.get_me()["id"])


def _in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except Exception as error:  # reported by the assertion below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_eight_threads_at_expiry_cause_exactly_one_refresh(zoom, oauth_tenant):
    _expire_now(zoom, oauth_tenant)

    tokens = _in_threads(8, lambda: token_provider_for(oauth_tenant).get_token())

    assert not [t for t in tokens if isinstance(t, Exception)], tokens
    assert len(set(tokens)) == 1
    assert zoom.state.stats.token_refreshes == 1
    assert zoom.state.stats.refresh_token_reuses == 0
    assert all(_works(zoom, token) for token in tokens)
    stored = SocialToken.objects.get(account=oauth_tenant.social_account)
    assert decrypt(stored.token_secret) in zoom.state.refresh_tokens  # the rotated one was saved


@pytest.mark.django_db(transaction=True)
def test_two_processes_and_their_threads_at_expiry_cause_exactly_one_refresh(
    zoom, oauth_tenant, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("a second process shares the test database only on PostgreSQL")
    _expire_now(zoom, oauth_tenant)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "ZOOM_OAUTH_BASE_URL": zoom.url,
        "ZOOM_API_BASE_URL": zoom.api_base_url,
        "ZOOM_CLIENT_ID": settings.ZOOM_CLIENT_ID,
        "ZOOM_CLIENT_SECRET": settings.ZOOM_CLIENT_SECRET,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "ZOOM_ENCRYPTION_KEYS": ",".join(settings.ZOOM_ENCRYPTION_KEYS),
    }
    go = tmp_path / "go"
    command = [sys.executable, "-m", "tests.tenants.token_worker", str(oauth_tenant.pk), str(go)]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for worker in workers:  # each says "ready" once Django is set up
        assert worker.stdout.readline().strip() == "ready"
    go.touch()
    tokens = []
    for worker in workers:
        out, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0
        tokens += json.loads(out)
    assert len(tokens) == 8 and len(set(tokens)) == 1
    assert zoom.state.stats.token_refreshes == 1
    assert zoom.state.stats.refresh_token_reuses == 0
    assert _works(zoom, tokens[0])


@pytest.mark.django_db(transaction=True)
def test_a_401_refreshes_once_and_the_call_succeeds(zoom, oauth_tenant):
    with zoom.state.lock:  # Zoom ended the token early; our copy still looks valid
        zoom.state.expire_access_tokens(oauth_tenant.account_id)
        zoom.state.stats.token_refreshes = 0

    me = client_for_tenant(oauth_tenant).get_me()

    assert me["account_id"] == oauth_tenant.account_id
    assert zoom.state.stats.token_refreshes == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_refresh_marks_the_tenant_and_stops_its_work(
    zoom, oauth_tenant, client, connector
):
    _expire_now(zoom, oauth_tenant)
    zoom.config.update(refuse_refresh=[oauth_tenant.account_id])

    results = _in_threads(4, lambda: token_provider_for(oauth_tenant).get_token())

    assert all(isinstance(r, ZoomReauthorizationRequired) for r in results), results
    oauth_tenant.refresh_from_db()
    assert oauth_tenant.status == Tenant.Status.REAUTHORIZATION_REQUIRED
    assert "Invalid Token!" in oauth_tenant.status_reason
    assert TenantAuditEntry.objects.filter(action="reauthorization_required").count() == 1
    issued = dict(zoom.state.stats.tokens_issued)
    # Nothing asks Zoom again: no provider, no client.
    with pytest.raises(TenantNotConnected):
        token_provider_for(oauth_tenant).get_token()
    with pytest.raises(TenantNotConnected):
        client_for_tenant(oauth_tenant)
    assert dict(zoom.state.stats.tokens_issued) == issued

    client.force_login(connector)
    html = client.get(reverse("admin:tenants_tenant_changelist")).content.decode()
    assert "Needs re-authorization" in html and "Invalid Token!" in html
    assert 'href="/accounts/zoom/login/?process=connect">Reconnect' in html


@pytest.mark.django_db(transaction=True)
def test_server_to_server_tokens_are_renewed_before_expiry(zoom, zoom_account, connector):
    from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from zoomadmin.tenants.models import ServerToServerCredential
    from zoomadmin.tenants.services import tenant_connect_server_to_server

    tenant = tenant_connect_server_to_server(
        account_id=zoom_account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=connector,
    )
    credential = ServerToServerCredential.objects.get(tenant=tenant)
    first = decrypt(credential.access_token)
    ServerToServerCredential.objects.filter(pk=credential.pk).update(
        expires_at=timezone.now() + timedelta(seconds=5)
    )

    tokens = _in_threads(4, lambda: token_provider_for(tenant).get_token())

    assert len(set(tokens)) == 1 and tokens[0] != first
    assert zoom.state.stats.tokens_issued["account_credentials"] == 2
    assert _works(zoom, tokens[0])


class _SaveFailed(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_refresh_asked_for_inside_a_transaction_that_rolls_back_loses_no_refresh_token(
    zoom, oauth_tenant
):
    _expire_now(zoom, oauth_tenant)

    # An admin view's atomic block: a Zoom call that needs a refresh, then a failed save.
    with pytest.raises((TokenRefreshInTransaction, _SaveFailed)):
        with transaction.atomic():
            client_for_tenant(oauth_tenant).get_me()
            raise _SaveFailed

    assert zoom.state.stats.token_refreshes == 0  # refused before anything reached Zoom
    assert client_for_tenant(oauth_tenant).get_me()["account_id"] == oauth_tenant.account_id
    oauth_tenant.refresh_from_db()
    assert oauth_tenant.is_connected
    assert zoom.state.stats.token_refreshes == 1
    assert zoom.state.stats.refresh_token_reuses == 0
