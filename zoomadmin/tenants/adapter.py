"""allauth adapters: Zoom is used to connect tenants, never to sign in or sign up.

The flow (SPEC §6): a signed-in staff user opens ``/accounts/zoom/login/?process=connect``,
consents at Zoom, and allauth's callback exchanges the code and fetches ``GET /users/me``, whose
``account_id`` names the tenant. allauth stores the tokens in its ``SocialToken`` (encrypted by
``zoomadmin.tenants.crypto`` on save); ``zoomadmin.tenants.services.tenant_connect_oauth`` then
creates or re-links the tenant and makes the user a member:

- a Zoom user connected for the first time: from allauth's ``social_account_added`` signal, sent
  once the new ``SocialAccount`` and its token are saved;
- a Zoom user connected before (a re-authorization): from ``pre_social_login``, where allauth has
  just refreshed the stored token. If another staff user had connected that Zoom user, the
  connection moves to the current user (allauth would refuse it as "connected to another account").

Everything else is refused: signing in or signing up through Zoom, anonymous or non-staff users,
staff without the permission to add (new account) or change (known account) tenants, and
re-linking a known account unless the staff user is a member of its tenant (or a superuser) and
the Zoom user has the Owner or Admin role: a technician with a Zoom seat in another customer's
account must not be able to make that account theirs. An account connected with a
Server-to-Server OAuth app is not switched to OAuth by connecting it here (that would replace
and revoke the app's connection unasked): it is refused, saying so, until it is disconnected.

The message afterwards says what happened to the tenant (``connected_message``): a new tenant,
or a known one re-connected; allauth's own would say "connected" for any Zoom user new here.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from zoomadmin.tenants.crypto import decrypt, is_encrypted
from zoomadmin.tenants.models import Tenant, TenantAuditEntry
from zoomadmin.tenants.scoping import may_connect_account
from zoomadmin.tenants.services import tenant_connect_oauth

CHANGELIST = "admin:tenants_tenant_changelist"
# Zoom's built-in roles: "0" Owner, "1" Admin, "2" Member.
ADMIN_ROLE_IDS = frozenset({"0", "1"})


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made in the admin; nobody signs up through /accounts/."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        # allauth says "connected" for a Zoom user new here and "updated" for a known one; what
        # matters is whether the Zoom account became a new tenant or was one already.
        sociallogin = (message_context or {}).get("sociallogin")
        if message_template in CONNECTED_MESSAGES and sociallogin is not None:
            tenant = Tenant.objects.filter(social_account_id=sociallogin.account.pk).first()
            if tenant is not None:
                messages.success(request, connected_message(tenant))
                return
        super().add_message(
            request, level, message_template, message_context, extra_tags, message=message
        )


CONNECTED_MESSAGES = frozenset(
    {
        "socialaccount/messages/account_connected.txt",
        "socialaccount/messages/account_connected_updated.txt",
    }
)


def connected_message(tenant: Tenant) -> str:
    """What connecting just did, from the audit entry it wrote: a new tenant, or a known one
    re-connected (and whose authorization it replaced)."""
    entry = tenant.audit_entries.order_by("-pk").first()
    if entry is not None and entry.action == TenantAuditEntry.Action.CONNECTED:
        return f"Connected the Zoom account “{tenant}” as a new tenant."
    replaced = (entry.details if entry is not None else {}).get("replaced_zoom_user")
    instead = " (its former authorization, by another Zoom user, is replaced)" if replaced else ""
    return f"Re-connected the Zoom account “{tenant}”, already a tenant{instead}."


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        user = request.user
        if sociallogin.state.get("process") != AuthProcess.CONNECT or not may_connect(user):
            raise ImmediateHttpResponse(refuse_sign_in(request))
        # Checked when Zoom's answer came in (ZoomOAuth2Adapter.complete_login), and again here.
        refusal = connect_refusal(user, sociallogin.account.extra_data)
        if refusal:
            _refuse(request, refusal)
        if sociallogin.account.pk is None:
            return  # a new Zoom user: linked from social_account_added once allauth saved it
        if sociallogin.account.user_id != user.pk:
            sociallogin.account.user = user
            sociallogin.account.save(update_fields=["user"])
            sociallogin.user = user
        tenant_connect_oauth(social_account=sociallogin.account, user=user)

    def validate_disconnect(self, account: SocialAccount, accounts: Any) -> None:
        # Removing the Zoom connection on allauth's own page would skip the revoke at Zoom,
        # the deletion of synced data and the audit entry.
        if Tenant.objects.filter(social_account=account).exists():
            raise ValidationError(
                "This Zoom user connects a tenant: disconnect the tenant in the admin instead."
            )

    def get_connect_redirect_url(self, request: HttpRequest, socialaccount: SocialAccount) -> str:
        tenant = Tenant.objects.filter(social_account=socialaccount).first()
        if tenant is None:
            return reverse(CHANGELIST)
        return reverse("admin:tenants_tenant_change", args=[tenant.pk])

    def list_apps(self, request: HttpRequest | None, provider=None, client_id=None) -> list:
        # SocialApp.secret is encrypted at rest; allauth reads it from here for the code exchange.
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        for app in apps:
            if app.secret and is_encrypted(app.secret):
                app.secret = decrypt(app.secret)
        return apps


def may_connect(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def connect_refusal(user: Any, profile: dict[str, Any]) -> str:
    """Why ``user`` may not connect the Zoom account behind ``profile`` (Zoom's ``GET /users/me``
    answer), or "" when they may. Checked before allauth stores anything of the login."""
    account_id = str(profile.get("account_id") or "")
    if not account_id:
        return "Zoom did not say which account this user belongs to."
    tenant = Tenant.objects.filter(account_id=account_id).first()
    if not may_connect_account(user, tenant):
        return "You are not allowed to connect this Zoom account."
    if (
        tenant is not None
        and tenant.connection == Tenant.Connection.SERVER_TO_SERVER
        and tenant.status != Tenant.Status.DISCONNECTED
    ):
        # Connecting it over OAuth would silently replace (and revoke) that app's connection.
        return (
            f"The Zoom account of this Zoom user is the tenant “{tenant}”, connected with a "
            "Server-to-Server OAuth app: nothing was changed. To connect another Zoom account, "
            "sign in to Zoom as a user of that account. To connect this one over OAuth "
            "instead, disconnect it first (on its page)."
        )
    if not is_account_admin(profile):
        # Otherwise any Zoom user of an account could claim it, or replace its admin's grant.
        return (
            "Only a Zoom user with the Owner or Admin role can connect a Zoom account; "
            "sign in to Zoom as one."
        )
    return ""


def refuse(request: HttpRequest, message: str) -> HttpResponseRedirect:
    """Back to the tenant list, saying why."""
    messages.error(request, message)
    return HttpResponseRedirect(reverse(CHANGELIST))


def is_account_admin(profile: dict[str, Any]) -> bool:
    """Whether Zoom's ``GET /users/me`` answer is of the account's Owner or an Admin (Zoom's
    built-in roles "0" and "1"; a custom role cannot be told apart from a member's)."""
    return str(profile.get("role_id")) in ADMIN_ROLE_IDS or profile.get("role_name") in (
        "Owner",
        "Admin",
    )


def refuse_sign_in(request: HttpRequest) -> HttpResponseRedirect:
    """Where anyone who tries to sign in with Zoom, or to connect without being staff, lands."""
    messages.error(
        request,
        "Zoom is used to connect Zoom accounts, not to sign in. Sign in to the admin first, then "
        "use “Connect a Zoom account”.",
    )
    return HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode({'next': reverse(CHANGELIST)})}")


def _refuse(request: HttpRequest, message: str) -> None:
    raise ImmediateHttpResponse(refuse(request, message))


def link_tenant(sender: Any, request: HttpRequest, sociallogin: SocialLogin, **kwargs: Any) -> None:
    """allauth's ``social_account_added`` receiver (connected in ``TenantsConfig.ready``)."""
    if sociallogin.account.provider == "zoom":
        tenant_connect_oauth(social_account=sociallogin.account, user=request.user)
