"""Zoom users of the signed-in staff user's tenants (read-only mirror; actions come with the
admin issue)."""

from __future__ import annotations

from django.contrib import admin

from users.models import ZoomUser
from zoomadmin.records.admin import InZoomFilter, ZoomRecordAdmin


@admin.register(ZoomUser)
class ZoomUserAdmin(ZoomRecordAdmin):
    list_display = [
        "email",
        "first_name",
        "last_name",
        "type",
        "status",
        "role_name",
        "dept",
        "last_login_time",
        "tenant",
        "in_zoom",
    ]
    list_filter = ["tenant", "type", "status", "role_name", "dept", InZoomFilter]
    search_fields = ["email", "first_name", "last_name", "display_name", "=zoom_id"]
    fields = [
        "zoom_id",
        "email",
        "first_name",
        "last_name",
        "display_name",
        "type",
        "status",
        "role_id",
        "role_name",
        "dept",
        "job_title",
        "timezone",
        "pmi",
        "last_login_time",
        "zoom_created_at",
    ]
