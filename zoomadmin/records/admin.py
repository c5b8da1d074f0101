"""The admin base of mirrored Zoom records: tenant-scoped, Zoom's JSON shown as is.

Records change only through Zoom: writes go to Zoom first, then the mirror follows. So the
stock add, change and delete of rows are off (``ReadOnlyMixin``); a kind that Zoom lets an
administrator change declares its own write forms and actions with :class:`ZoomWriteAdmin`,
whose add and change pages send the form to Zoom (through the kind's service) and show
Zoom's refusal on the form, and whose actions report per record what Zoom did.

No page here runs a Zoom call inside a transaction: the stock change form wraps its work in
one, which would roll back a refresh token Zoom rotated during the call.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import urlencode
from django.views.decorators.debug import sensitive_post_parameters

from webhooks.history import change_history
from zoomadmin.jobs.models import BulkJobItem
from zoomadmin.jobs.operations import get_operation
from zoomadmin.jobs.runner import job_run, jobs_create
from zoomadmin.jobs.tasks import enqueue_job, schedule_job_resume
from zoomadmin.records.export import csv_rows, export_columns
from zoomadmin.records.lists import BoundedInlineMixin, RecordListsMixin
from zoomadmin.records.models import ZoomRecord
from zoomadmin.tenants.audit import ReadBackFailed
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.scoping import TenantScopedAdmin, TenantScopedTabularInline
from zoomadmin.tenants.tokens import TenantNotConnected, client_for_tenant
from zoomadmin.zoom.client import ZoomClient
from zoomadmin.zoom.errors import ZoomError, ZoomUnavailable, in_words, is_per_user_cap

# Form fields whose values are secrets (Zoom's names): an autoCreate password, a meeting's
# passcode, a host key.
SECRET_FIELDS = ("password", "host_key")
# Up to this many records, an action is done while the page waits; more become a bulk job.
INLINE_MAX = 10
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


class ZoomRecordAdmin(ReadOnlyMixin, RecordListsMixin, TenantScopedAdmin):
    list_select_related = ["tenant"]
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over a large tenant on every page is wasted
    change_list_template = "admin/records/change_list.html"
    actions = ["export_csv"]

    #: The kind's own fields, shown first on the detail page.
    fields: list[str] = []

    def get_fields(self, request: HttpRequest, obj: ZoomRecord | None = None) -> list[str]:
        related = ["related_records"] if obj is not None and self.related_lists else []
        return [*self.fields, *related, *RECORD_FIELDS, "zoom_json"]

    def get_readonly_fields(self, request: HttpRequest, obj: ZoomRecord | None = None) -> list:
        return self.get_fields(request, obj)

    @admin.display(description="Zoom data")
    def zoom_json(self, obj: ZoomRecord) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.zoom_data, indent=2, sort_keys=True))

    @admin.display(boolean=True, description="in Zoom", ordering="deleted_at")
    def in_zoom(self, obj: ZoomRecord) -> bool:
        return obj.deleted_at is None

    # --- buttons of the record's page ------------------------------------------------------

    change_form_template = "admin/records/change_form.html"

    def object_tools(self, request: HttpRequest, obj: ZoomRecord) -> list[tuple[str, str]]:
        """(label, URL) of the buttons above the record's page, beside History (the read-only
        page and the write form alike): pages about the record, such as its live views."""
        return []

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: ZoomRecord | None = None,
    ) -> HttpResponse:
        context["object_tools"] = self.object_tools(request, obj) if obj is not None else []
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- CSV export (streamed) -----------------------------------------------------------

    def get_actions(self, request: HttpRequest) -> dict:
        # A kind's own ``actions`` list replaces this base's: the export stays on every list.
        actions = super().get_actions(request)
        if "export_csv" not in actions and self.has_view_permission(request):
            actions["export_csv"] = self.get_action("export_csv")
        return actions

    @admin.action(description="Export CSV of the selected records", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._csv(queryset)

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_view),
            name="{}_{}_export".format(*info),
        )
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The whole changelist as CSV: its search, filters and order (its query string)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return self._csv(changelist.get_queryset(request))

    def _csv(self, queryset: QuerySet) -> HttpResponse:
        fields = export_columns(self.model, self.columns_of([*self.list_display, *self.fields]))
        response = StreamingHttpResponse(csv_rows(queryset, fields), content_type="text/csv")
        name = f"{self.opts.model_name}s-{timezone.now():%Y%m%d-%H%M}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ZoomRecordInline(ReadOnlyMixin, BoundedInlineMixin, TenantScopedTabularInline):
    extra = 0
    show_change_link = True
    # Read-only rows: no record page posts its children (they change only through Zoom).
    template = "admin/records/readonly_tabular.html"


MAY_HAVE_APPLIED = (
    "Zoom may have made the change although it did not answer: what is shown is what Zoom "
    "holds when asked again (re-sync the record if Zoom did not answer that either)."
)


def zoom_error_into_form(form: forms.Form, error: ZoomError) -> None:
    """Show Zoom's refusal on ``form``: its message on top, each of Zoom's field errors
    (``{"field": "user_info.email", "message": …}``) on the form field of that name. Zoom's
    per-host cap of meeting creates and updates is said in words."""
    form.add_error(None, in_words(error) if is_per_user_cap(error) else str(error))
    for item in error.errors:
        name = form_field_of(form, str(item.get("field") or ""))
        if name:
            form.add_error(name, str(item.get("message") or "Zoom refused this value."))


def form_field_of(form: forms.Form, path: str) -> str:
    """The form field a Zoom field path names: the path with dots as underscores where the
    form has it ("recurrence.type" is ``recurrence_type``, not the meeting's ``type``), else
    its last part under a known wrapper ("settings.waiting_room", "user_info.email"), else
    the path itself; "" where the form has none."""
    parts = path.split(".")
    for name in ("_".join(parts), parts[-1] if parts[0] in FIELD_WRAPPERS else "", path):
        if name and name in form.fields:
            return name
    return ""


# The objects of Zoom's request bodies whose keys the forms name without the prefix.
FIELD_WRAPPERS = ("settings", "user_info", "recurrence")


class ZoomWriteAdmin(ZoomRecordAdmin):
    """A kind an administrator changes in Zoom from the admin.

    ``add_form`` and ``change_form`` are plain forms named as Zoom's API; ``zoom_add`` and
    ``zoom_change`` send a valid one to Zoom through the kind's service and return the stored
    record (a ``ZoomError`` they raise is shown on the form, nothing stored). Without the
    change permission the change page shows the record read-only, as before.
    """

    add_form: type[forms.Form] | None = None
    change_form: type[forms.Form] | None = None
    #: Relations an action's records are loaded with (the tenant always).
    present_related: tuple[str, ...] = ()
    #: The kind that the audit of writes (``ZoomWrite.kind``) names this model's records.
    audit_kind = ""
    write_template = "admin/records/write_form.html"
    options_template = "admin/records/action_options.html"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.add_form is not None and TenantScopedAdmin.has_add_permission(self, request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self.change_form is None:
            return False
        if obj is not None and obj.deleted_at is not None:
            return False  # gone from Zoom: nothing to change there
        return TenantScopedAdmin.has_change_permission(self, request, obj)

    # --- the pages -------------------------------------------------------------------------

    def add_form_kwargs(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    def change_form_initial(self, obj: ZoomRecord) -> dict[str, Any]:
        return {}

    def change_form_kwargs(self, request: HttpRequest, obj: ZoomRecord) -> dict[str, Any]:
        return {}

    def zoom_add(self, request: HttpRequest, form: forms.Form) -> ZoomRecord | None:
        """Send ``form`` to Zoom; the stored record, or None (with a message) to show the form
        again."""
        raise NotImplementedError

    def zoom_change(self, request: HttpRequest, form: forms.Form, obj: ZoomRecord) -> ZoomRecord:
        raise NotImplementedError

    # Error reports (500 e-mails, loggers that render the request) would quote them.
    @method_decorator(sensitive_post_parameters(*SECRET_FIELDS))
    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.add_form(request.POST or None, **self.add_form_kwargs(request))
        if request.method == "POST" and form.is_valid():
            obj = self._send(request, form, lambda: self.zoom_add(request, form))
            if obj is not None:
                self.log_addition(request, obj, [{"added": {}}])
                messages.success(request, f"Zoom created “{obj}”.")
                return HttpResponseRedirect(self._change_url(obj))
        return self._render_write(request, form, None, f"Add {self.opts.verbose_name}")

    @method_decorator(sensitive_post_parameters(*SECRET_FIELDS))
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if not self.has_change_permission(request, obj):
            return super().change_view(request, object_id, form_url, extra_context)
        initial = self.change_form_initial(obj)
        form = self.change_form(
            request.POST or None, initial=initial, **self.change_form_kwargs(request, obj)
        )
        if request.method == "POST" and form.is_valid():
            if not form.has_changed():
                messages.info(request, "Nothing changed; Zoom was not asked.")
                return HttpResponseRedirect(self._change_url(obj))
            stored = self._send(request, form, lambda: self.zoom_change(request, form, obj))
            if stored is not None:
                self.log_change(request, stored, [{"changed": {"fields": form.changed_data}}])
                messages.success(request, f"Zoom changed “{stored}”.")
                return HttpResponseRedirect(self._change_url(stored))
        return self._render_write(request, form, obj, f"Change {self.opts.verbose_name}")

    def _send(
        self, request: HttpRequest, form: forms.Form, call: Callable[[], ZoomRecord]
    ) -> ZoomRecord | None:
        try:
            return call()
        except ReadBackFailed as accepted:
            messages.warning(request, str(accepted))
            return accepted.record
        except ZoomError as error:
            zoom_error_into_form(form, error)
            if isinstance(error, ZoomUnavailable):
                form.add_error(None, MAY_HAVE_APPLIED)
        except TenantNotConnected as error:
            form.add_error(None, str(error))
        return None

    def _render_write(
        self, request: HttpRequest, form: forms.Form, obj: ZoomRecord | None, title: str
    ) -> HttpResponse:
        details = []
        if obj is not None:
            for name in self.get_fields(request, obj):
                if name != "zoom_json":
                    details.append(self.page_value(name, obj))
        history, writes_url, inlines = [], "", []
        if obj is not None:
            inlines = self._inline_admin_formsets(request, obj)
            history = change_history(
                tenant_id=obj.tenant_id, kind=self.audit_kind, zoom_id=str(obj.zoom_id)
            )
            query = urlencode({"kind": self.audit_kind, "zoom_id": obj.zoom_id})
            writes_url = f"{reverse('admin:tenants_zoomwrite_changelist')}?{query}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "original": obj,
            "details": details,
            "history": history,
            "writes_url": writes_url,
            "zoom_json": self.zoom_json(obj) if obj is not None else "",
            "object_tools": self.object_tools(request, obj) if obj is not None else [],
            "has_view_permission": True,
            "inline_admin_formsets": inlines,
            "media": sum((inline.media for inline in inlines), self.media + form.media),
        }
        return TemplateResponse(request, self.write_template, context)

    def _inline_admin_formsets(self, request: HttpRequest, obj: ZoomRecord) -> list[Any]:
        """The record's children, shown read-only below the form as on a detail page (never
        bound to the POST: they are Zoom's, and change only through Zoom)."""
        formsets, instances = [], []
        for inline in self.get_inline_instances(request, obj):
            formset_class = inline.get_formset(request, obj)
            formsets.append(
                formset_class(
                    instance=obj,
                    prefix=formset_class.get_default_prefix(),
                    queryset=inline.get_queryset(request),
                )
            )
            instances.append(inline)
        return self.get_inline_formsets(request, formsets, instances, obj)

    def _change_url(self, obj: ZoomRecord) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])

    # --- actions ---------------------------------------------------------------------------

    def present(self, queryset: QuerySet) -> QuerySet:
        """The records of ``queryset`` that Zoom still has: a write action's records."""
        related = ("tenant", *self.present_related)
        return queryset.filter(deleted_at__isnull=True).select_related(*related)

    def zoom_bulk(
        self,
        request: HttpRequest,
        records: Iterable[ZoomRecord],
        operation: str,
        params: dict[str, Any] | None = None,
        *,
        background: bool = False,
        describe: Callable[[Any], str] = str,
    ) -> HttpResponse | None:
        """Run the bulk-job ``operation`` (``zoomadmin.jobs.operations``) on every record.

        A handful (``INLINE_MAX``) are done now, each on its own, and reported in messages:
        how many Zoom accepted and, per refused record, Zoom's reason. More, or any number
        when ``background`` (work that takes minutes a record, a download), become a job per
        tenant on the worker cluster, and the browser goes to the job's page; each record
        reads there as ``describe(record)``."""
        chosen = list(records)
        op = get_operation(operation)
        # The operation's records may be another kind than this page's (a recording's files).
        meta = op.model._meta
        name = meta.verbose_name if len(chosen) == 1 else meta.verbose_name_plural
        jobs = jobs_create(
            actor=request.user,
            operation=operation,
            records=chosen,
            params=params,
            title=f"{op.verb} {len(chosen)} {name}",
            describe=describe,
        )
        if background or len(chosen) > INLINE_MAX:
            for job in jobs:
                enqueue_job(job.pk)
            messages.info(request, f"{op.verb} {len(chosen)} {name}: running in the background.")
            if len(jobs) == 1:
                return HttpResponseRedirect(reverse("admin:jobs_bulkjob_change", args=[jobs[0].pk]))
            return HttpResponseRedirect(reverse("admin:jobs_bulkjob_changelist"))
        stopped = False
        for job in jobs:
            # Not connected: the job fails with the reason, which is shown below.
            ended = job_run(job_id=job.pk, client=self._client_or_none(job.tenant), concurrency=1)
            if ended is None or ended.status == ended.Status.DONE:
                continue
            stopped = True
            if ended.status == ended.Status.PAUSED:
                schedule_job_resume(ended)  # the rest is done when Zoom takes requests again
            job_url = reverse("admin:jobs_bulkjob_change", args=[ended.pk])
            messages.error(
                request,
                format_html(
                    '{}: {} <a href="{}">The job</a>', ended.tenant, ended.message, job_url
                ),
            )
        items = BulkJobItem.objects.filter(job__in=jobs)
        succeeded = items.filter(status=BulkJobItem.Status.SUCCEEDED)
        failed = items.filter(
            status__in=(BulkJobItem.Status.FAILED, BulkJobItem.Status.INTERRUPTED)
        )
        count = succeeded.count()
        name = meta.verbose_name if count == 1 else meta.verbose_name_plural
        if count or not (failed or stopped):
            messages.success(request, f"{op.done} {count} {name}.")
        for item in succeeded.exclude(message=""):
            messages.info(request, f"{item.object_repr}: {item.message}")
        for item in failed:
            messages.error(request, f"{item.object_repr}: {item.message}")
        return None

    def _client_or_none(self, tenant: Tenant) -> ZoomClient | None:
        try:
            return client_for_tenant(tenant, interactive=True)
        except TenantNotConnected:
            return None

    def action_options(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        form: forms.Form,
        *,
        title: str,
        action: str,
        submit: str,
        intro: str = "",
    ) -> HttpResponse:
        """The intermediate page of an action with options: its form posts back to the
        changelist with ``action``, ``_selected_action`` and ``post=yes`` (SPEC §10)."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "intro": intro,
            "form": form,
            "records": list(queryset),
            "action": action,
            "submit": submit,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, self.options_template, context)
