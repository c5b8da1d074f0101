"""Admin of sync runs: read-only; a running run's counts, requests and progress move as the
sync writes them (every second), and an action syncs the selected runs' tenants again.
``<pk>/progress/`` answers a run's progress as JSON (``zoomadmin.sync.progress``) for pages
that show it live."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils.html import format_html, format_html_join

from zoomadmin.records.lists import ScalableFiltersMixin
from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.progress import run_progress
from zoomadmin.sync.tasks import enqueue_tenant_sync
from zoomadmin.tenants.scoping import TenantScopedAdmin

OUTCOMES = ("created", "updated", "unchanged", "deleted")


@admin.register(SyncRun)
class SyncRunAdmin(ScalableFiltersMixin, TenantScopedAdmin):
    list_display = [
        "tenant",
        "kind",
        "status",
        "started_at",
        "duration_column",
        "progress_column",
        "requests",
        "records_column",
        "error_count",
    ]
    list_filter = ["status", "kind", "trigger", "tenant"]
    date_hierarchy = "started_at"
    show_full_result_count = False  # a second COUNT(*) of every run
    fields = [
        "tenant",
        "kind",
        "status",
        "trigger",
        "account_recordings",
        "message",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "duration_column",
        "progress_column",
        "requests",
        "counts_table",
        "resets_at",
        "error_count",
        "errors_list",
    ]
    readonly_fields = fields
    actions = ["sync_again"]

    def get_urls(self) -> list:
        return [
            path(
                "<path:object_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="sync_syncrun_progress",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        run = self.get_object(request, unquote(object_id))  # another tenant's run: 404
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        response = JsonResponse(run_progress(run))
        response["Cache-Control"] = "no-store"
        return response

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SyncRun | None = None) -> bool:
        return False

    @admin.display(description="duration")
    def duration_column(self, run: SyncRun) -> str:
        if run.duration is None:
            return "—"
        seconds = int(run.duration.total_seconds())
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    @admin.display(description="progress")
    def progress_column(self, run: SyncRun) -> str:
        if not run.users_seen:
            return "—"
        return f"{run.users_done:,} of {run.users_seen:,} users"

    @admin.display(description="records")
    def records_column(self, run: SyncRun) -> str:
        return f"{run.total('created') + run.total('updated') + run.total('unchanged'):,}"

    @admin.display(description="counts")
    def counts_table(self, run: SyncRun) -> str:
        if not run.counts:
            return "—"
        header = format_html_join("", "<th>{}</th>", ((outcome,) for outcome in OUTCOMES))
        rows = format_html_join(
            "",
            "<tr><th>{}</th>{}</tr>",
            (
                (
                    kind,
                    format_html_join("", "<td>{}</td>", ((counts.get(o, 0),) for o in OUTCOMES)),
                )
                for kind, counts in run.counts.items()
            ),
        )
        return format_html("<table><tr><th></th>{}</tr>{}</table>", header, rows)

    @admin.display(description="errors")
    def errors_list(self, run: SyncRun) -> str:
        if not run.errors:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {}: {}</li>",
                ((e["kind"], e["parent"], e["message"]) for e in run.errors),
            ),
        )

    @admin.action(description="Sync these runs' Zoom accounts again")
    def sync_again(self, request: HttpRequest, queryset: QuerySet[SyncRun]) -> None:
        tenant_ids = sorted(set(queryset.values_list("tenant_id", flat=True)))
        for tenant_id in tenant_ids:
            enqueue_tenant_sync(tenant_id, trigger="admin")
        self.message_user(
            request, f"Enqueued a sync of {len(tenant_ids)} Zoom account(s).", messages.SUCCESS
        )
