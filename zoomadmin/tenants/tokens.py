"""Access tokens of tenants, kept in the database and refreshed under a per-tenant lock.

Two providers implement ``zoomadmin.zoom.auth.TokenProvider``:

- ``OAuthTokenProvider``: the tenant's allauth ``SocialToken`` (``token`` = access token,
  ``token_secret`` = refresh token, both encrypted by ``zoomadmin.tenants.crypto``). Zoom rotates refresh
  tokens (each one works once), so a refresh must never run twice at the same time for a tenant,
  and the new pair is committed before the new access token is handed out.
- ``ServerToServerTokenProvider``: ``grant_type=account_credentials`` with the tenant's
  ``ServerToServerCredential``; the access token is cached (encrypted) until shortly before expiry.

The lock is the tenant's row: ``SELECT ... FOR UPDATE`` on PostgreSQL. On SQLite the settings open
every transaction with ``BEGIN IMMEDIATE``, a database-wide write lock, which serializes refreshes
of every tenant (they are rare and short). A waiter re-reads the token once it holds the lock and
uses the one the winner stored instead of refreshing again. The lock spans the call to Zoom's
token endpoint; that call has its own timeout.

A refresh commits in a durable transaction of its own, so the rotated pair is stored whatever the
caller does afterwards; asked for inside a caller's transaction, it refuses
(``TokenRefreshInTransaction``) before sending anything to Zoom: wrap no Zoom call in
``transaction.atomic()``.

A refusal from the token endpoint marks the tenant "needs re-authorization" (committed, with the
reason) and raises ``ZoomReauthorizationRequired``; after that every call raises
``TenantNotConnected`` without asking Zoom, so background work stops instead of looping.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from datetime import datetime, timedelta

import requests
from allauth.socialaccount.models import SocialToken
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from zoomadmin.tenants.crypto import SecretUnavailable, decrypt
from zoomadmin.tenants.models import ServerToServerCredential, Tenant
from zoomadmin.tenants.services import (
    newest_social_token,
    oauth_app_credentials,
    tenant_mark_reauthorization_required,
)
from zoomadmin.zoom.auth import (
    TokenResponse,
    exchange_refresh_token,
    request_account_credentials,
)
from zoomadmin.zoom.client import ZoomClient
from zoomadmin.zoom.errors import ZoomReauthorizationRequired
from zoomadmin.zoom.limits import plan_rates
from zoomadmin.zoom.pacing import pacer_for

logger = logging.getLogger(__name__)

# Refresh this long before Zoom's expiry (tokens live an hour), so no request leaves with a token
# that dies on the way.
REFRESH_LEEWAY = timedelta(seconds=60)


class TenantNotConnected(ZoomReauthorizationRequired):
    """The tenant is not connected (needs re-authorization, or disconnected): no call is made."""

    @classmethod
    def for_tenant(cls, tenant: Tenant) -> TenantNotConnected:
        reason = f": {tenant.status_reason}" if tenant.status_reason else ""
        return cls(f"the Zoom account {tenant} is {tenant.get_status_display().lower()}{reason}")

    def headline(self) -> str:
        return "Zoom account not connected"


class TokenRefreshInTransaction(RuntimeError):
    """A token refresh was asked for inside a database transaction (a programming error).

    Zoom rotates the refresh token on every refresh and the old one dies; had the new pair been
    written in the caller's transaction, a rollback would lose it and the tenant would need to be
    connected again. So a refresh commits on its own, and refuses to run inside a transaction.
    """

    def __init__(self) -> None:
        super().__init__(
            "A Zoom token refresh cannot run inside a database transaction: Zoom rotates the "
            "refresh token, and a rollback would lose the new one. Call Zoom outside "
            "transaction.atomic()."
        )


class _TenantTokenProvider:
    """Memory cache in front of the database, and the locked refresh shared by both kinds."""

    def __init__(self, tenant: Tenant | int, *, session: requests.Session | None = None) -> None:
        self.tenant_id = tenant.pk if isinstance(tenant, Tenant) else tenant
        self.session = session
        # (token, expires_at); replaced as a whole, so threads sharing the provider need no lock.
        self._cached: tuple[str, datetime | None] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tenant_id={self.tenant_id})"

    @sensitive_variables("cached", "token")
    def get_token(self) -> str:
        cached = self._cached
        if cached is not None and _fresh(cached[1]):
            return cached[0]
        tenant = Tenant.objects.get(pk=self.tenant_id)
        if not tenant.is_connected:
            raise TenantNotConnected.for_tenant(tenant)
        token, expires_at = self._read(tenant)
        if token and _fresh(expires_at):
            self._cached = (token, expires_at)
            return token
        return self._renew(stale_token=token)

    @sensitive_variables("stale_token")
    def refresh(self, stale_token: str) -> str:
        return self._renew(stale_token=stale_token)

    @sensitive_variables("stale_token", "token", "response")
    def _renew(self, *, stale_token: str) -> str:
        with ExitStack() as locked:
            try:
                # Durable: the rotated pair commits here, never with a caller's transaction.
                locked.enter_context(transaction.atomic(durable=True))
            except RuntimeError:
                raise TokenRefreshInTransaction() from None
            tenant = Tenant.objects.select_for_update().get(pk=self.tenant_id)
            if not tenant.is_connected:
                raise TenantNotConnected.for_tenant(tenant)
            token, expires_at = self._read(tenant)
            if token and token != stale_token and _fresh(expires_at):
                # Another thread or process refreshed while we waited for the lock.
                self._cached = (token, expires_at)
                return token
            try:
                response = self._request(tenant)
            except (ZoomReauthorizationRequired, SecretUnavailable) as error:
                refusal = error
                # Committed with the lock's transaction: the tenant stays marked.
                tenant_mark_reauthorization_required(tenant=tenant, reason=str(error))
            else:
                expires_at = timezone.now() + timedelta(seconds=response.expires_in)
                self._store(tenant, response, expires_at)
                logger.info("Renewed the Zoom access token of tenant %s", tenant.account_id)
                self._cached = (response.access_token, expires_at)
                return response.access_token
        logger.warning("Zoom refused the authorization of tenant %s", tenant.account_id)
        if isinstance(refusal, SecretUnavailable):
            raise ZoomReauthorizationRequired(str(refusal)) from None
        raise refusal

    def _read(self, tenant: Tenant) -> tuple[str, datetime | None]:
        raise NotImplementedError

    def _request(self, tenant: Tenant) -> TokenResponse:
        raise NotImplementedError

    def _store(self, tenant: Tenant, response: TokenResponse, expires_at: datetime) -> None:
        raise NotImplementedError


class OAuthTokenProvider(_TenantTokenProvider):
    """A tenant connected through allauth's Zoom provider (user OAuth, rotating refresh tokens)."""

    def _social_token(self, tenant: Tenant) -> SocialToken | None:
        return newest_social_token(tenant.social_account_id)

    def _read(self, tenant: Tenant) -> tuple[str, datetime | None]:
        social_token = self._social_token(tenant)
        if social_token is None:
            return "", None
        try:
            return decrypt(social_token.token), social_token.expires_at
        except SecretUnavailable:
            return "", None

    @sensitive_variables("client_secret")
    def _request(self, tenant: Tenant) -> TokenResponse:
        social_token = self._social_token(tenant)
        if social_token is None or not social_token.token_secret:
            raise ZoomReauthorizationRequired(
                "no refresh token is stored; connect the Zoom account again"
            )
        client_id, client_secret = oauth_app_credentials(social_token.app)
        return exchange_refresh_token(
            oauth_base_url=settings.ZOOM_OAUTH_BASE_URL,
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=decrypt(social_token.token_secret),
            session=self.session,
        )

    def _store(self, tenant: Tenant, response: TokenResponse, expires_at: datetime) -> None:
        social_token = self._social_token(tenant)
        social_token.token = response.access_token
        if response.refresh_token:
            social_token.token_secret = response.refresh_token
        social_token.expires_at = expires_at
        social_token.save(update_fields=["token", "token_secret", "expires_at"])


class ServerToServerTokenProvider(_TenantTokenProvider):
    """A tenant connected with a Server-to-Server OAuth app (``account_credentials``)."""

    def _credential(self, tenant: Tenant) -> ServerToServerCredential | None:
        return ServerToServerCredential.objects.filter(tenant=tenant).first()

    def _read(self, tenant: Tenant) -> tuple[str, datetime | None]:
        credential = self._credential(tenant)
        if credential is None or not credential.access_token:
            return "", None
        try:
            return decrypt(credential.access_token), credential.expires_at
        except SecretUnavailable:
            return "", None

    def _request(self, tenant: Tenant) -> TokenResponse:
        credential = self._credential(tenant)
        if credential is None:
            raise ZoomReauthorizationRequired("no Server-to-Server credentials are stored")
        return request_account_credentials(
            oauth_base_url=settings.ZOOM_OAUTH_BASE_URL,
            account_id=tenant.account_id,
            client_id=credential.client_id,
            client_secret=decrypt(credential.client_secret),
            session=self.session,
        )

    def _store(self, tenant: Tenant, response: TokenResponse, expires_at: datetime) -> None:
        credential = self._credential(tenant)
        credential.access_token = response.access_token
        credential.expires_at = expires_at
        credential.save(update_fields=["access_token", "expires_at", "updated"])


def token_provider_for(
    tenant: Tenant, *, session: requests.Session | None = None
) -> OAuthTokenProvider | ServerToServerTokenProvider:
    if tenant.connection == Tenant.Connection.SERVER_TO_SERVER:
        return ServerToServerTokenProvider(tenant, session=session)
    return OAuthTokenProvider(tenant, session=session)


# A person waits for an admin page: fewer retries, and no Retry-After slept on for minutes (a
# refusal tells them to try again instead). Background work keeps the client's patience.
INTERACTIVE = {"max_retries": 2, "max_retry_after": 10.0}


def client_for_tenant(
    tenant: Tenant, *, session: requests.Session | None = None, interactive: bool = False
) -> ZoomClient:
    """A client speaking for ``tenant``; raises TenantNotConnected unless it is connected.

    Refusing here is what stops a tenant's background work once Zoom refused its authorization
    or it was disconnected: tasks build their client first. Its requests are paced per Zoom
    category at ``ZOOM_RATE_SHARE`` of the tenant's plan limits, in budgets keyed by the Zoom
    host and account (so two sandboxes, or two Zooms, never share one).
    """
    if not tenant.is_connected:
        raise TenantNotConnected.for_tenant(tenant)
    return ZoomClient(
        base_url=settings.ZOOM_API_BASE_URL,
        token_provider=token_provider_for(tenant),
        pacer=pacer_for(settings.REDIS_URL),
        pacing_key=f"{settings.ZOOM_API_BASE_URL}|{tenant.account_id}",
        rates=plan_rates(tenant.plan, settings.ZOOM_RATE_SHARE),
        timeout=settings.ZOOM_HTTP_TIMEOUT_SECONDS,
        session=session,
        **(INTERACTIVE if interactive else {}),
    )


def _fresh(expires_at: datetime | None) -> bool:
    # No expiry known: trust the token until Zoom answers 401.
    return expires_at is None or expires_at - REFRESH_LEEWAY > timezone.now()
