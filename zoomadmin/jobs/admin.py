"""Bulk jobs in the admin: each job's page says its state in words, shows a live progress bar
and counts, and lists every record's outcome with Zoom's reason; "Retry the failed ones"
queues the failed and interrupted records again. Read-only otherwise, tenant-scoped."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse

from zoomadmin.jobs.models import BulkJob, BulkJobItem
from zoomadmin.jobs.operations import OPERATIONS, get_operation
from zoomadmin.jobs.runner import job_retry_failed
from zoomadmin.jobs.tasks import enqueue_job
from zoomadmin.records.admin import ReadOnlyMixin
from zoomadmin.records.filters import code_filter
from zoomadmin.records.lists import ScalableFiltersMixin
from zoomadmin.tenants.scoping import TenantScopedAdmin

ITEMS_PER_PAGE = 100


def operation_names() -> dict[str, str]:
    """The bulk operations declared (once every app is loaded), by name."""
    return {name: name for name in sorted(OPERATIONS)}


@admin.register(BulkJob)
class BulkJobAdmin(ScalableFiltersMixin, ReadOnlyMixin, TenantScopedAdmin):
    list_display = ["title", "tenant", "status", "progress", "failed", "created_by", "created"]
    list_filter = ["status", ("operation", code_filter(operation_names)), "tenant"]
    list_select_related = ["tenant", "created_by"]
    search_fields = ["title"]
    date_hierarchy = "created"
    show_full_result_count = False  # a second COUNT(*) of every job

    @admin.display(description="progress")
    def progress(self, job: BulkJob) -> str:
        return f"{job.done_count} of {job.total} ({job.percent}%)"

    def get_urls(self) -> list:
        return [
            path(
                "<path:object_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="jobs_bulkjob_progress",
            ),
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="jobs_bulkjob_retry",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        job = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        items = job.items.all()
        status = request.GET.get("status", "")
        if status in BulkJobItem.Status.values:
            items = items.filter(status=status)
        page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("p"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(job),
            "job": job,
            "page": page,
            "status": status,
            "statuses": BulkJobItem.Status.choices,
            # What an item is: a stored record, or a row of a file (an import).
            "item_label": "Row" if get_operation(job.operation).rows else "Record",
            # Failed records, or records a stopped job never reached.
            "can_retry": not job.is_active
            and (job.failed or job.done_count < job.total)
            and self._may_retry(request, job),
            "progress_url": reverse("admin:jobs_bulkjob_progress", args=[job.pk]),
            "retry_url": reverse("admin:jobs_bulkjob_retry", args=[job.pk]),
        }
        return TemplateResponse(request, "admin/jobs/bulkjob/job.html", context)

    def progress_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        job = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return JsonResponse(
            {
                "status": job.status,
                "status_display": job.get_status_display(),
                "message": job.message,
                "total": job.total,
                "succeeded": job.succeeded,
                "failed": job.failed,
                "percent": job.percent,
                "active": job.is_active,
            }
        )

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job = self.get_object(request, unquote(object_id))  # another tenant's: 404, any method
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self._may_retry(request, job):
            raise PermissionDenied
        if job.is_active:
            messages.warning(request, "The job is still running.")
        else:
            again = job_retry_failed(job=job)
            if again:
                enqueue_job(job.pk)
            messages.success(request, f"{again} records queued again.")
        return HttpResponseRedirect(reverse("admin:jobs_bulkjob_change", args=[job.pk]))

    def _may_retry(self, request: HttpRequest, job: BulkJob) -> bool:
        # Retrying repeats a write: it takes the right to make it, the operation's permission
        # on the job's records, "change" (or "add" for rows that create them); tenant scoping
        # is the job's own: get_object answered 404 else.
        op = get_operation(job.operation)
        meta = op.model._meta
        return request.user.has_perm(f"{meta.app_label}.{op.permission}_{meta.model_name}")


@admin.register(BulkJobItem)
class BulkJobItemAdmin(ReadOnlyMixin, TenantScopedAdmin):
    list_display = ["object_repr", "job", "status", "message", "finished_at"]
    list_filter = ["status", ("job__operation", code_filter(operation_names))]
    list_select_related = ["job"]
    search_fields = ["object_repr", "message"]
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False  # reached from a job's page
