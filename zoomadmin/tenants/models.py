"""Tenants: the connected Zoom accounts, who may see them, and how we authenticate to each.

A tenant is one Zoom account, keyed by Zoom's ``account_id`` (the ``account_id`` of ``GET /users/me``
and the ``payload.account_id`` of every webhook). It is connected one of two ways:

- OAuth (user authorization) through allauth's Zoom provider: the tokens live in allauth's
  ``SocialToken`` of the tenant's ``social_account`` (encrypted, see ``zoomadmin.tenants.crypto``);
- Server-to-Server OAuth: the app's credentials live in ``ServerToServerCredential``.

Secrets are never kept twice: there is no token column on ``Tenant``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zoomadmin.zoom.limits import ZOOM_PLANS


class Tenant(models.Model):
    class Connection(models.TextChoices):
        OAUTH = "oauth", "OAuth (user authorization)"
        SERVER_TO_SERVER = "s2s", "Server-to-Server OAuth"

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        REAUTHORIZATION_REQUIRED = "reauthorization_required", "Needs re-authorization"
        DISCONNECTED = "disconnected", "Disconnected"

    account_id = models.CharField(
        "Zoom account ID", max_length=64, unique=True, help_text="Zoom's account_id."
    )
    name = models.CharField(max_length=200, blank=True)
    connection = models.CharField(max_length=8, choices=Connection.choices)
    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.CONNECTED, db_index=True
    )
    # Why the tenant is not connected, in Zoom's or the admin's words (never a secret).
    status_reason = models.CharField(max_length=500, blank=True)
    social_account = models.OneToOneField(
        "socialaccount.SocialAccount",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="zoom_tenant",
        help_text="The Zoom user whose authorization the OAuth connection uses.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="TenantMembership",
        related_name="zoom_tenants",
        blank=True,
    )
    # Zoom's per-second limits, per category of request, depend on the account's plan.
    plan = models.CharField(
        "Zoom plan",
        max_length=16,
        choices=ZOOM_PLANS,
        default="pro",
        help_text="Sets the request budget (Zoom's rate limits by plan); this app uses the share "
        "ZOOM_RATE_SHARE of it, shared by every worker.",
    )
    last_synced_at = models.DateTimeField("last sync", null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "account_id"]
        permissions = [("disconnect_tenant", "Can disconnect a Zoom account")]

    def __str__(self) -> str:
        return self.name or self.account_id

    @property
    def is_connected(self) -> bool:
        return self.status == self.Status.CONNECTED


class TenantMembership(models.Model):
    """A staff user may see and manage this tenant's data (superusers see every tenant)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="zoom_tenant_memberships",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="unique_tenant_membership")
        ]
        verbose_name = "member"

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant}"


class ServerToServerCredential(models.Model):
    """A Server-to-Server OAuth app of the tenant's account (``grant_type=account_credentials``).

    ``client_secret`` and the cached ``access_token`` hold ciphertext (``zoomadmin.tenants.crypto``).
    Zoom issues no refresh token here: a new access token is requested when the cached one expires.
    """

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="s2s_credential")
    client_id = models.CharField(max_length=200)
    client_secret = models.TextField()
    access_token = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Server-to-Server credential"

    def __str__(self) -> str:
        return f"Server-to-Server app {self.client_id}"


class TenantAuditEntry(models.Model):
    """Who connected, re-authorized or disconnected a tenant, and what that did."""

    class Action(models.TextChoices):
        CONNECTED = "connected", "Connected"
        RECONNECTED = "reconnected", "Re-authorized"
        REAUTHORIZATION_REQUIRED = "reauthorization_required", "Authorization refused by Zoom"
        DISCONNECTED = "disconnected", "Disconnected"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="audit_entries")
    action = models.CharField(max_length=32, choices=Action.choices)
    # Empty when Zoom or the system acted (app_deauthorized, a refused refresh).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.tenant}"


class ZoomWrite(models.Model):
    """One change this app asked Zoom for: who asked, for which tenant and object, what was
    asked (secrets masked) and what Zoom answered. Written whatever the outcome, outside any
    transaction that could roll it back, so a refused or failed write leaves its trace too."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        REFUSED = "refused", "Refused by Zoom"
        FAILED = "failed", "Failed (no answer from Zoom)"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="zoom_writes")
    # Empty when nobody signed in asked (a job whose user was deleted since).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The Zoom object: its kind ("user", "meeting", …), Zoom's id, and how it read then.
    kind = models.CharField(max_length=32)
    zoom_id = models.CharField("Zoom ID", max_length=200, blank=True)
    object_repr = models.CharField("object", max_length=300, blank=True)
    action = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    # Query parameters and JSON body as sent, with secret values masked.
    asked = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    code = models.IntegerField("Zoom code", null=True, blank=True)
    message = models.TextField(blank=True)
    answer = models.JSONField("Zoom's answer", default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "write to Zoom"
        verbose_name_plural = "writes to Zoom"
        indexes = [
            models.Index(fields=["tenant", "kind", "zoom_id"], name="tenants_write_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr or self.zoom_id}: {self.get_outcome_display()}"
