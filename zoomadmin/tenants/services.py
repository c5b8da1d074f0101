"""Tenant services: connect (OAuth or Server-to-Server), re-authorize, mark, disconnect.

Every change of a tenant's connection goes through these functions, which the admin, allauth's
adapter, the token providers and (later) the ``app_deauthorized`` webhook call:

- ``tenant_connect_oauth``: the Zoom account behind an allauth ``SocialAccount`` (its
  ``GET /users/me`` answer, ``account_id``) becomes a tenant, or re-links the existing one;
- ``tenant_connect_server_to_server``: the same with a Server-to-Server OAuth app, after Zoom has
  accepted its credentials (``grant_type=account_credentials``);
- ``tenant_mark_reauthorization_required``: Zoom refused a refresh or the credentials;
- ``tenant_disconnect``: revoke the token at Zoom (``POST /oauth/revoke``), delete every stored
  secret, delete the tenant's synced Zoom data (Zoom's data-compliance rule), mark it disconnected.

One Zoom account is one tenant (``Tenant.account_id`` is unique), and a tenant keeps one
connection: connecting it again deletes the previous connection's secrets. Zoom's revoke
endpoint uninstalls the app ("the revoke endpoint actually does uninstall the app and trigger the
deauth flow", Zoom staff, devforum.zoom.us/t/18432), account-wide for an app installed by an
admin, so the previous grant is revoked only when its app is not the new one's (an OAuth app
replaced by a Server-to-Server app, or by another OAuth app); a grant of the same app by another
Zoom user is deleted here and left installed, which the audit entry says. Who may connect is the
callers' check (``adapter.connect_refusal``, ``scoping.may_connect_account``).
Each of these writes a ``TenantAuditEntry``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from allauth.socialaccount.adapter import get_adapter as get_socialaccount_adapter
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from zoomadmin.tenants.crypto import (
    ENCRYPTED_FIELDS,
    SecretUnavailable,
    decrypt,
    is_encrypted,
    rotate,
)
from zoomadmin.tenants.models import (
    ServerToServerCredential,
    Tenant,
    TenantAuditEntry,
    TenantMembership,
    ZoomWrite,
)
from zoomadmin.tenants.signals import tenant_connected
from zoomadmin.zoom.auth import request_account_credentials, revoke_token
from zoomadmin.zoom.errors import ZoomError

logger = logging.getLogger(__name__)

Action = TenantAuditEntry.Action
Status = Tenant.Status


def tenant_connect_oauth(*, social_account: Any, user: Any) -> Tenant:
    """Create or re-link the tenant of ``social_account``'s Zoom account; ``user`` becomes a member.

    ``social_account`` is allauth's SocialAccount of provider "zoom", saved with its token, its
    ``extra_data`` being Zoom's ``GET /users/me`` answer.
    """
    profile = social_account.extra_data
    account_id = str(profile["account_id"])
    with transaction.atomic():
        tenant, created = _lock_or_create(account_id, connection=Tenant.Connection.OAUTH)
        replaced, details = None, {}
        if tenant.social_account_id and tenant.social_account_id != social_account.pk:
            # Another Zoom user of the account authorized before. Its grant is revoked only if
            # it is another app's: revoking a grant uninstalls the app, and for an app installed
            # account-wide that would end the new grant too. Its tokens are deleted either way.
            previous = _current_grant(tenant)
            if previous is not None and previous.client_id != _app_client_id(social_account):
                replaced = previous
            details["replaced_zoom_user"] = str(tenant.social_account.uid)
            details["replaced_grant"] = "revoked" if replaced else "deleted here, left installed"
            SocialAccount.objects.filter(pk=tenant.social_account_id).delete()
        # The same Zoom user may have been the connection of another account (moved accounts).
        for other in Tenant.objects.filter(social_account=social_account).exclude(pk=tenant.pk):
            _mark(other, reason="the Zoom user now belongs to another account", user=user)
            other.social_account = None
            other.save(update_fields=["social_account", "updated"])
        # One token per connection: allauth adds a row when the app's storage changes.
        newest = newest_social_token(social_account.pk)
        if newest is not None:
            SocialToken.objects.filter(account=social_account).exclude(pk=newest.pk).delete()
        ServerToServerCredential.objects.filter(tenant=tenant).delete()
        tenant.social_account = social_account
        _mark_connected(
            tenant,
            connection=Tenant.Connection.OAUTH,
            name=tenant.name or _account_name(profile, account_id),
            user=user,
            created=created,
            details={
                "connection": "oauth",
                "zoom_user_id": str(profile.get("id", "")),
                **details,
            },
        )
    _revoke_grant(replaced, account_id=account_id)
    logger.info("Connected Zoom account %s over OAuth (tenant %s)", account_id, tenant.pk)
    return tenant


def tenant_connect_server_to_server(
    *, account_id: str, client_id: str, client_secret: str, user: Any, name: str = ""
) -> Tenant:
    """Connect (or re-link) ``account_id`` with a Server-to-Server OAuth app.

    Asks Zoom for a token first: refused credentials raise ZoomReauthorizationRequired and change
    nothing.
    """
    account_id = account_id.strip()
    response = request_account_credentials(
        oauth_base_url=settings.ZOOM_OAUTH_BASE_URL,
        account_id=account_id,
        client_id=client_id,
        client_secret=client_secret,
    )
    with transaction.atomic():
        tenant, created = _lock_or_create(account_id, connection=Tenant.Connection.SERVER_TO_SERVER)
        replaced = None
        if tenant.social_account_id:
            # The OAuth app leaves this account: its grant is revoked (which uninstalls it) once
            # the Server-to-Server connection is committed.
            replaced = _current_grant(tenant)
            _delete_oauth_connection(tenant)
        ServerToServerCredential.objects.update_or_create(
            tenant=tenant,
            defaults={
                "client_id": client_id,
                "client_secret": client_secret,
                "access_token": response.access_token,
                "expires_at": timezone.now() + timedelta(seconds=response.expires_in),
            },
        )
        _mark_connected(
            tenant,
            connection=Tenant.Connection.SERVER_TO_SERVER,
            name=name or tenant.name or account_id,
            user=user,
            created=created,
            details={"connection": "s2s", "client_id": client_id},
        )
    _revoke_grant(replaced, account_id=account_id)
    logger.info("Connected Zoom account %s with Server-to-Server OAuth", account_id)
    return tenant


def tenant_mark_reauthorization_required(*, tenant: Tenant, reason: str, user: Any = None) -> None:
    """Zoom refused the tenant's authorization: stop its work until someone reconnects it."""
    with transaction.atomic():
        if _mark(tenant, reason=reason, user=user):
            logger.warning("Zoom account %s needs re-authorization", tenant.account_id)


@dataclass
class DisconnectResult:
    revoked: bool
    deleted: dict[str, int] = field(default_factory=dict)


def tenant_disconnect(
    *, tenant: Tenant, by_user: Any, reason: str, revoke: bool = True
) -> DisconnectResult:
    """Revoke and delete the tenant's secrets, delete its synced data, mark it disconnected.

    ``by_user`` is None when Zoom asked (``app_deauthorized``); then ``revoke=False`` saves a call
    Zoom would refuse anyway. A failed revocation does not stop the disconnection.
    """
    revoked = _revoke(tenant) if revoke else False
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        _delete_oauth_connection(tenant)
        ServerToServerCredential.objects.filter(tenant=tenant).delete()
        deleted = tenant_delete_synced_data(tenant=tenant)
        tenant.status = Status.DISCONNECTED
        tenant.status_reason = reason[:500]
        tenant.save(update_fields=["social_account", "status", "status_reason", "updated"])
        _audit(
            tenant,
            Action.DISCONNECTED,
            user=by_user,
            reason=reason,
            details={"revoked": revoked, "deleted": deleted},
        )
    logger.info("Disconnected Zoom account %s (%s)", tenant.account_id, reason)
    return DisconnectResult(revoked=revoked, deleted=deleted)


def tenant_app_client_id(tenant: Tenant) -> str | None:
    """The client id of the Zoom app whose authorization the tenant uses now (None: none).

    ``app_deauthorized`` names the app that lost its authorization (``payload.client_id``): an
    event about an app the tenant no longer uses (replaced by a re-link) must not disconnect it.
    """
    if tenant.social_account_id:
        token = newest_social_token(tenant.social_account_id)
        return oauth_app_credentials(token.app)[0] if token is not None else None
    credential = ServerToServerCredential.objects.filter(tenant=tenant).first()
    return credential.client_id if credential is not None else None


def synced_data_models() -> list[type[models.Model]]:
    """Every model holding synced Zoom data: a ``tenant`` foreign key, a ``zoom_id`` and a
    ``synced_at`` field.

    Ordered so that a model comes before the models it refers to (registrants before meetings,
    meetings before users), whatever their ``on_delete``.
    """
    found = []
    for model in apps.get_models():
        try:
            tenant_field = model._meta.get_field("tenant")
            model._meta.get_field("zoom_id")
            model._meta.get_field("synced_at")
        except FieldDoesNotExist:
            continue
        if tenant_field.many_to_one and issubclass(tenant_field.related_model, Tenant):
            found.append(model)
    return _referrers_first(found)


def tenant_delete_synced_data(*, tenant: Tenant) -> dict[str, int]:
    """Delete the tenant's synced Zoom data; the number of rows deleted per model label."""
    deleted: dict[str, int] = {}
    # What else quotes Zoom's data (names, e-mail addresses, Zoom's answers) goes with it:
    # the audit of writes, and the models that say so (bulk jobs, webhook events). The
    # tenant's own audit entries (who connected, who disconnected) stay.
    quoting = [m for m in apps.get_models() if getattr(m, "deleted_with_synced_data", False)]
    for model in [*synced_data_models(), ZoomWrite, *quoting]:
        _, per_model = model._default_manager.filter(tenant=tenant).delete()
        for label, count in per_model.items():
            if count:
                deleted[label] = deleted.get(label, 0) + count
    return deleted


def secrets_reencrypt() -> int:
    """Re-encrypt every stored secret with the newest key of ZOOM_ENCRYPTION_KEYS.

    Run after putting a new key first; the old key can be removed afterwards. Returns the number
    of rows rewritten.
    """
    rewritten = 0
    for label, names in ENCRYPTED_FIELDS.items():
        model = apps.get_model(label)
        with transaction.atomic():
            for obj in model._default_manager.select_for_update().only("pk", *names):
                values = {name: rotate(getattr(obj, name)) for name in names}
                model._default_manager.filter(pk=obj.pk).update(**values)
                rewritten += 1
    return rewritten


def oauth_app_credentials(app: SocialApp | None = None) -> tuple[str, str]:
    """The Zoom OAuth app's client id and secret (decrypted), as allauth would pick the app."""
    if app is None or app.pk is None:
        app = get_socialaccount_adapter().get_app(None, provider="zoom")
    secret = decrypt(app.secret) if is_encrypted(app.secret) else app.secret
    return app.client_id, secret


def oauth_app_source() -> str:
    """Where the Zoom OAuth app comes from: "environment" (``ZOOM_CLIENT_ID``), "admin" (a
    SocialApp saved in the database), or "" when there is none."""
    if settings.SOCIALACCOUNT_PROVIDERS.get("zoom", {}).get("APPS"):
        return "environment"
    if SocialApp.objects.filter(provider="zoom").exists():
        return "admin"
    return ""


def _lock_or_create(account_id: str, *, connection: str) -> tuple[Tenant, bool]:
    """The tenant of ``account_id``, locked, created if new (inside the caller's transaction)."""
    tenant = Tenant.objects.select_for_update().filter(account_id=account_id).first()
    if tenant is not None:
        return tenant, False
    try:
        with transaction.atomic():
            return Tenant.objects.create(account_id=account_id, connection=connection), True
    except IntegrityError:
        # Connected at the same moment by someone else: the same account is the same tenant.
        return Tenant.objects.select_for_update().get(account_id=account_id), False


def _mark(tenant: Tenant, *, reason: str, user: Any = None) -> bool:
    if tenant.status != Status.CONNECTED:
        return False
    tenant.status = Status.REAUTHORIZATION_REQUIRED
    tenant.status_reason = reason[:500]
    tenant.save(update_fields=["status", "status_reason", "updated"])
    _audit(tenant, Action.REAUTHORIZATION_REQUIRED, user=user, reason=reason)
    return True


def _delete_oauth_connection(tenant: Tenant) -> None:
    if tenant.social_account_id:
        # The SocialAccount holds the Zoom user's profile; its SocialTokens cascade.
        SocialAccount.objects.filter(pk=tenant.social_account_id).delete()
        tenant.social_account = None


@dataclass(frozen=True, repr=False)
class _Grant:
    """What revoking one authorization at Zoom takes (secrets: never logged, never repr'd)."""

    client_id: str
    client_secret: str
    token: str


def newest_social_token(social_account_id: int | None) -> SocialToken | None:
    """The newest token of a connection (with its app), or None: the one the tenant uses."""
    if social_account_id is None:
        return None
    return (
        SocialToken.objects.select_related("app")
        .filter(account_id=social_account_id)
        .order_by("-pk")
        .first()
    )


@sensitive_variables("client_secret", "social_token")
def _oauth_grant(social_account_id: int | None) -> _Grant | None:
    social_token = newest_social_token(social_account_id)
    if social_token is None or not social_token.token:
        return None
    client_id, client_secret = oauth_app_credentials(social_token.app)
    return _Grant(client_id, client_secret, decrypt(social_token.token))


def _app_client_id(social_account: SocialAccount) -> str:
    """The client id of the OAuth app that issued ``social_account``'s newest token."""
    token = newest_social_token(social_account.pk)
    app = token.app if token is not None else None
    return oauth_app_credentials(app)[0]


def _s2s_grant(tenant: Tenant) -> _Grant | None:
    credential = ServerToServerCredential.objects.filter(tenant=tenant).first()
    if credential is None or not credential.access_token:
        return None
    return _Grant(
        credential.client_id, decrypt(credential.client_secret), decrypt(credential.access_token)
    )


def _current_grant(tenant: Tenant) -> _Grant | None:
    """The tenant's authorization as stored; None when there is none or it cannot be read."""
    try:
        if tenant.social_account_id:
            return _oauth_grant(tenant.social_account_id)
        return _s2s_grant(tenant)
    except (SecretUnavailable, SocialApp.DoesNotExist, SocialApp.MultipleObjectsReturned) as error:
        # A removed key or OAuth app: nothing here can revoke it; the connection goes anyway.
        logger.warning("Cannot revoke the token of Zoom account %s: %s", tenant.account_id, error)
        return None


@sensitive_variables("grant")
def _revoke_grant(grant: _Grant | None, *, account_id: str) -> bool:
    """Revoke ``grant`` at Zoom; False when there was none or Zoom refused (logged)."""
    if grant is None:
        return False
    try:
        revoke_token(
            oauth_base_url=settings.ZOOM_OAUTH_BASE_URL,
            client_id=grant.client_id,
            client_secret=grant.client_secret,
            token=grant.token,
        )
    except ZoomError as error:
        logger.warning("Could not revoke the token of Zoom account %s: %s", account_id, error)
        return False
    return True


def _revoke(tenant: Tenant) -> bool:
    """Revoke the tenant's current authorization at Zoom; False when there was none or Zoom
    refused."""
    return _revoke_grant(_current_grant(tenant), account_id=tenant.account_id)


def _mark_connected(
    tenant: Tenant, *, connection: str, name: str, user: Any, created: bool, details: dict
) -> None:
    """The end of every connect: connected, named, ``user`` a member, audited."""
    tenant.connection = connection
    tenant.status = Status.CONNECTED
    tenant.status_reason = ""
    tenant.name = name
    tenant.save()
    TenantMembership.objects.get_or_create(tenant=tenant, user=user)
    _audit(tenant, Action.CONNECTED if created else Action.RECONNECTED, user=user, details=details)
    transaction.on_commit(
        lambda: tenant_connected.send(sender=Tenant, tenant=tenant, created=created), robust=True
    )


def _audit(
    tenant: Tenant, action: str, *, user: Any, reason: str = "", details: dict | None = None
) -> None:
    TenantAuditEntry.objects.create(
        tenant=tenant,
        action=action,
        user=user if user is not None and user.is_authenticated else None,
        reason=reason[:500],
        details=details or {},
    )


def _account_name(profile: dict[str, Any], account_id: str) -> str:
    return str(profile.get("company") or profile.get("email") or account_id)[:200]


def _referrers_first(found: list[type[models.Model]]) -> list[type[models.Model]]:
    remaining = list(found)
    ordered: list[type[models.Model]] = []
    while remaining:
        for model in remaining:
            # A model still referred to by another remaining model waits for it.
            referred = any(
                f.related_model is model
                for other in remaining
                if other is not model
                for f in other._meta.get_fields()
                if f.is_relation and f.concrete
            )
            if not referred:
                break
        else:
            model = remaining[0]  # a cycle: cascades sort it out
        remaining.remove(model)
        ordered.append(model)
    return ordered
