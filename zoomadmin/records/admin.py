"""The admin base of mirrored Zoom records: read-only, tenant-scoped, Zoom's JSON shown as is.

Records change only through Zoom (writes go to Zoom first, then the mirror follows), so these
pages view; the actions that ask Zoom for changes are added per kind.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from zoomadmin.records.models import ZoomRecord
from zoomadmin.tenants.scoping import TenantScopedAdmin, TenantScopedTabularInline

RECORD_FIELDS = ("tenant", "synced_at", "deleted_at", "created", "updated")


class InZoomFilter(admin.SimpleListFilter):
    title = "in Zoom"
    parameter_name = "in_zoom"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Present"), ("no", "Deleted in Zoom")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ZoomRecordAdmin(ReadOnlyMixin, TenantScopedAdmin):
    list_select_related = ["tenant"]
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over a large tenant on every page is wasted

    #: The kind's own fields, shown first on the detail page.
    fields: list[str] = []

    def get_fields(self, request: HttpRequest, obj: ZoomRecord | None = None) -> list[str]:
        return [*self.fields, *RECORD_FIELDS, "zoom_json"]

    def get_readonly_fields(self, request: HttpRequest, obj: ZoomRecord | None = None) -> list:
        return self.get_fields(request, obj)

    @admin.display(description="Zoom data")
    def zoom_json(self, obj: ZoomRecord) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.zoom_data, indent=2, sort_keys=True))

    @admin.display(boolean=True, description="in Zoom", ordering="deleted_at")
    def in_zoom(self, obj: ZoomRecord) -> bool:
        return obj.deleted_at is None


class ZoomRecordInline(ReadOnlyMixin, TenantScopedTabularInline):
    extra = 0
    show_change_link = True
