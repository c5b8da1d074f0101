"""Zoom users of a tenant, mirrored from ``GET /users`` and ``GET /users/{userId}``.

Typed columns are what the admin filters, searches and sorts on; everything else Zoom said
is in ``zoom_data``. Enumerations keep Zoom's values (``type`` 1/2/4/99, ``status``
active/inactive/pending).
"""

from __future__ import annotations

from django.db import models

from zoomadmin.records.models import ZoomRecord

# The columns the users list searches besides the e-mail address (``ZoomUserAdmin``).
USER_SEARCHED = ["first_name", "last_name", "display_name", "zoom_id"]


class ZoomUser(ZoomRecord):
    class Type(models.IntegerChoices):
        BASIC = 1, "Basic"
        LICENSED = 2, "Licensed"
        UNASSIGNED = 4, "Unassigned without Meetings Basic"
        NONE = 99, "None"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        PENDING = "pending", "Pending"

    # Zoom's user id; Zoom does not list it for pending users, who are keyed "email:<address>"
    # until a payload with their id arrives (see users.mapping.user_key).
    zoom_id = models.CharField("Zoom user ID", max_length=200, editable=False)
    email = models.CharField(max_length=254, blank=True)
    first_name = models.TextField(blank=True)
    last_name = models.TextField(blank=True)
    display_name = models.TextField(blank=True)
    type = models.PositiveSmallIntegerField(choices=Type.choices, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    role_id = models.CharField("role ID", max_length=64, blank=True)
    # Only "Get a user" names the role; a listing gives its id.
    role_name = models.TextField("role", blank=True)
    dept = models.TextField("department", blank=True)
    job_title = models.TextField(blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    pmi = models.BigIntegerField("personal meeting ID", null=True, blank=True)
    last_login_time = models.DateTimeField(null=True, blank=True)
    zoom_created_at = models.DateTimeField("created in Zoom", null=True, blank=True)
    # When Zoom last refused this user's webinar listing (a licensed user without the webinar
    # add-on: 400 code 200 "Webinar plan is missing"): the sync asks again only now and then.
    webinars_refused_at = models.DateTimeField(null=True, blank=True, editable=False)

    sync_fields = ("webinars_refused_at",)

    class Meta:
        verbose_name = "Zoom user"
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "zoom_id"], name="users_zoomuser_unique_key")
        ]
        indexes = [
            # The list's order (email, then Django's "-pk" tie-break), with and without the
            # tenant first, holding the searched columns: a page, a count and a search read
            # the index alone (on PostgreSQL; SQLite has no INCLUDE, models.W040).
            models.Index(
                fields=["tenant", "email", "-id"], name="users_tenant_list", include=USER_SEARCHED
            ),
            models.Index(
                fields=["email", "-id"], name="users_list", include=["tenant", *USER_SEARCHED]
            ),
            models.Index(fields=["tenant", "status"], name="users_tenant_status"),
            models.Index(fields=["tenant", "type"], name="users_tenant_type"),
            models.Index(fields=["tenant", "role_name"], name="users_tenant_role"),
            models.Index(fields=["tenant", "dept"], name="users_tenant_dept"),
            models.Index(fields=["tenant", "last_name", "first_name"], name="users_tenant_name"),
            # The search's "=zoom_id" of all tenants (the unique key leads with the tenant).
            models.Index(fields=["zoom_id"], name="users_zoom_id"),
        ]

    def __str__(self) -> str:
        name = self.display_name or " ".join(filter(None, [self.first_name, self.last_name]))
        return f"{name} <{self.email}>" if name else self.email or self.zoom_id
