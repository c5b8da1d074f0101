"""The "Import CSV" pages of the Zoom users list: upload → the dry run's preview (every row's
outcome-to-be, Zoom not asked) → "Create N users in Zoom" → the bulk job's page, where each
row's outcome in Zoom's words arrives.

Tenant-scoped as every page: the upload offers only the signed-in user's connected tenants, and
a confirmation for a tenant they may not use answers 404, before any request to Zoom.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from users.imports.forms import UserImportForm
from users.imports.reading import ImportPreview
from users.imports.services import ImportPlan, PlanRefused, user_import_start
from zoomadmin.jobs.tasks import enqueue_job
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.scoping import get_for_user_or_404, tenants_for

MASKED = "••••••"
# Room for the confirmation's other fields within DATA_UPLOAD_MAX_MEMORY_SIZE.
POST_MARGIN = 16 * 1024


class UserImportAdminMixin:
    """Mixed into the Zoom users' ModelAdmin: the list's "Import CSV" tool and its pages. Takes
    the add permission, as the add form does."""

    change_list_template = "admin/users/zoomuser/change_list.html"
    import_template = "admin/users/zoomuser/import.html"
    import_preview_template = "admin/users/zoomuser/import_preview.html"

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="{}_{}_import".format(*info)), *super().get_urls()]

    # The sealed plan carries the rows, passwords included (encrypted): never in a report.
    @method_decorator(sensitive_post_parameters("plan"))
    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "plan" in request.POST:
            return self._import_confirm(request)
        tenants = tenants_for(request.user).filter(status=Tenant.Status.CONNECTED)
        bound = request.method == "POST"
        form = UserImportForm(
            request.POST if bound else None, request.FILES if bound else None, tenants=tenants
        )
        if bound and form.is_valid():
            tenant, action = form.cleaned_data["tenant"], form.cleaned_data["action"]
            plan = ImportPlan.of(
                form.preview,
                user=request.user,
                tenant=tenant,
                action=action,
                filename=form.cleaned_data["file"].name,
            )
            sealed = plan.seal()
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is None or len(sealed) < limit - POST_MARGIN:
                return self._import_preview(request, form, plan, sealed)
            # Django would refuse the confirmation's body: better said now.
            form.add_error("file", "The file holds too much to confirm at once: split it.")
        context = {**self._import_context(request, "Import users from a CSV file"), "form": form}
        return TemplateResponse(request, self.import_template, context)

    def _import_preview(
        self, request: HttpRequest, form: UserImportForm, plan: ImportPlan, sealed: str
    ) -> HttpResponse:
        preview: ImportPreview = form.preview
        columns = preview.columns
        context = {
            **self._import_context(request, f"Import preview: {plan.filename}"),
            "tenant": form.cleaned_data["tenant"],
            "action": plan.action,
            "filename": plan.filename,
            "columns": columns,
            "rows": [(row, _cells(row.values, columns)) for row in preview.rows],
            "total": len(preview.rows),
            "good": len(preview.good),
            "bad": len(preview.bad),
            "notes": preview.notes,
            "plan": sealed,
        }
        return TemplateResponse(request, self.import_preview_template, context)

    def _import_confirm(self, request: HttpRequest) -> HttpResponse:
        try:
            plan = ImportPlan.open(request.POST["plan"], user=request.user)
        except PlanRefused as refused:
            messages.error(request, str(refused))
            return HttpResponseRedirect(self._import_url())
        tenant = get_for_user_or_404(Tenant.objects.all(), request.user, pk=plan.tenant_id)
        if not plan.rows:
            messages.warning(request, "No row of the file can be created: nothing was sent.")
            return HttpResponseRedirect(self._import_url())
        job, new = user_import_start(actor=request.user, tenant=tenant, plan=plan)
        if new:
            enqueue_job(job.pk)
            messages.info(request, f"{job.title}: running in the background.")
        else:
            messages.info(request, f"{job.title}: already started; here is its job.")
        return HttpResponseRedirect(reverse("admin:jobs_bulkjob_change", args=[job.pk]))

    def _import_context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "import_url": self._import_url(),
        }

    def _import_url(self) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")


def _cells(values: dict[str, str], columns: list[str]) -> list[str]:
    """A row's cells as the preview shows them: a password is never shown."""
    cells = []
    for name in columns:
        value = values.get(name, "")
        cells.append(MASKED if name == "password" and value else value)
    return cells
