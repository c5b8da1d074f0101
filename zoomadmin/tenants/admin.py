"""Admin of tenants: connect (OAuth or Server-to-Server), see the status, reconnect, disconnect.

Thin: forms validate, ``zoomadmin.tenants.services`` does the work. No page shows a token or a secret:
the Server-to-Server secret field never renders a value, and allauth's token and account admins
are replaced in ``zoomadmin.tenants.admin``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from allauth.socialaccount.admin import SocialAppAdmin as BaseSocialAppAdmin
from allauth.socialaccount.admin import SocialAppForm as BaseSocialAppForm
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import urlencode
from django.views.decorators.debug import sensitive_post_parameters

from webhooks.models import WebhookEvent
from zoomadmin.records.admin import ReadOnlyMixin
from zoomadmin.records.display import RelatedList, related_counts, related_links
from zoomadmin.records.lists import BoundedInlineMixin, ScalableFiltersMixin
from zoomadmin.sync.status import running_tenant_ids, tenant_sync_status
from zoomadmin.sync.tasks import enqueue_tenant_sync
from zoomadmin.tenants.models import Tenant, TenantAuditEntry, TenantMembership, ZoomWrite
from zoomadmin.tenants.scoping import (
    SuperuserOnlyMixin,
    TenantScopedAdmin,
    TenantScopedTabularInline,
    is_superuser,
    may_connect_account,
    users_visible_to,
)
from zoomadmin.tenants.services import (
    synced_data_models,
    tenant_connect_server_to_server,
    tenant_disconnect,
)
from zoomadmin.zoom.errors import ZoomError, ZoomReauthorizationRequired

# Posted by a tenant list row's "Sync now": back to the list afterwards.
SYNC_FROM_LIST = "_sync_from_list"


class ServerToServerForm(forms.Form):
    account_id = forms.CharField(label="Zoom account ID", max_length=64)
    name = forms.CharField(max_length=200, required=False, help_text="Defaults to the account ID.")
    client_id = forms.CharField(label="Client ID", max_length=200)
    # render_value=False: the secret never travels back to a browser, not even on a form error.
    client_secret = forms.CharField(
        label="Client secret", widget=forms.PasswordInput(render_value=False), strip=True
    )


class DisconnectForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Kept in the tenant's audit entries.",
    )


class MembershipInline(BoundedInlineMixin, TenantScopedTabularInline):
    """The tenant's first members, by name, read-only (a user select per row reads that
    user again: a query per member), each with its delete box; members are added on the
    Members page, whose user field is the admin's autocomplete, linked from here with the
    tenant chosen."""

    model = TenantMembership
    extra = 0
    fields = ["member", "created"]
    readonly_fields = fields
    template = "admin/tenants/tenant/memberships_inline.html"

    @admin.display(description="user")
    def member(self, membership: TenantMembership) -> str:
        user = membership.user
        name = user.get_full_name()
        return f"{user.get_username()} ({name})" if name else user.get_username()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user").order_by("user__username")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        members = self.admin_site.get_model_admin(TenantMembership)
        formset.add_url = (
            f"{reverse('admin:tenants_tenantmembership_add')}?{urlencode({'tenant': obj.pk})}"
            if obj is not None and members.has_add_permission(request)
            else ""
        )
        return formset


class AuditEntryInline(BoundedInlineMixin, TenantScopedTabularInline):
    model = TenantAuditEntry
    extra = 0
    fields = ["created", "action", "user", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _named(tenants: list[Tenant]) -> str:
    """“A”, “A” and “B”, or "12 Zoom accounts"."""
    if len(tenants) > 3:
        return f"{len(tenants)} Zoom accounts"
    names = [f"“{tenant}”" for tenant in tenants]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    list_display = ["__str__", "account_id", "connection", "status_column", "last_synced_at"]
    list_filter = ["status", "connection"]
    search_fields = ["name", "account_id"]
    fields = [
        "name",
        "account_id",
        "connection",
        "status_column",
        "zoom_user",
        "plan",
        "synced_data",
        "last_synced_at",
        "created",
        "updated",
    ]
    readonly_fields = [
        "account_id",
        "connection",
        "status_column",
        "zoom_user",
        "synced_data",
        "last_synced_at",
        "created",
        "updated",
    ]
    inlines = [MembershipInline, AuditEntryInline]
    actions = ["sync_now", "disconnect_tenants"]
    change_list_template = "admin/tenants/tenant/change_list.html"
    change_form_template = "admin/tenants/tenant/change_form.html"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/disconnect/",
                view(self.disconnect_view),
                name="tenants_tenant_disconnect",
            ),
            path("<path:object_id>/sync/", view(self.sync_view), name="tenants_tenant_sync"),
            path(
                "<path:object_id>/sync-status/",
                view(self.sync_status_view),
                name="tenants_tenant_sync_status",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="status", ordering="status")
    def status_column(self, tenant: Tenant) -> str:
        if tenant.status == Tenant.Status.CONNECTED:
            return tenant.get_status_display()
        if tenant.status == Tenant.Status.DISCONNECTED:
            return format_html("{}: {}", tenant.get_status_display(), tenant.status_reason or "—")
        return format_html(
            '<strong>{}</strong>: {} <a class="button" href="{}">Reconnect</a>',
            tenant.get_status_display(),
            tenant.status_reason or "Zoom refused the authorization.",
            reconnect_url(tenant),
        )

    def _synced_lists(self) -> list[RelatedList]:
        return [
            RelatedList(str(model._meta.verbose_name_plural), model, {"tenant__id__exact": "pk"})
            for model in reversed(synced_data_models())
            if self.admin_site.is_registered(model)
        ]

    @admin.display(description="synced data")
    def synced_data(self, tenant: Tenant) -> str:
        """Every kind of the tenant's records, linked to its list, with their numbers (counted
        by the query that read the tenant for its page)."""
        return related_links(tenant, self._synced_lists())

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match is not None and match.url_name == "tenants_tenant_change":
            # The tenant's page reads it once (TenantScopedAdmin.get_object) with what it
            # shows: who authorized it, and the numbers of its records. Only there: the status
            # its page polls, or a sync posted, would count every record too.
            queryset = queryset.select_related("social_account").annotate(
                **related_counts(self._synced_lists())
            )
        return queryset

    @admin.display(description="authorized by")
    def zoom_user(self, tenant: Tenant) -> str:
        if tenant.social_account is None:
            return "—"
        return str(tenant.social_account.extra_data.get("email") or tenant.social_account.uid)

    def has_delete_permission(self, request: HttpRequest, obj: Tenant | None = None) -> bool:
        # Deleting a connected tenant would leave its authorization alive at Zoom: disconnect first.
        if obj is not None and obj.status != Tenant.Status.DISCONNECTED:
            return False
        return super().has_delete_permission(request, obj)

    def has_disconnect_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("tenants.disconnect_tenant")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        tenant = self.get_object(request, unquote(object_id))
        extra_context = {
            "webhook_summary": webhook_summary(tenant),
            "webhook_events_url": reverse("admin:webhooks_webhookevent_changelist")
            + f"?{urlencode({'tenant__id__exact': tenant.pk})}",
            "reconnect_url": reconnect_url(tenant) if not tenant.is_connected else "",
            "sync_status": tenant_sync_status(tenant),
            "sync_status_url": reverse("admin:tenants_tenant_sync_status", args=[tenant.pk]),
            "can_disconnect": tenant.status != Tenant.Status.DISCONNECTED
            and self.has_disconnect_permission(request),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- connecting with a Server-to-Server OAuth app (the admin's "add" page) --------------

    # Error reports (500 e-mails, loggers that render the request) would quote the POSTed secret.
    @method_decorator(sensitive_post_parameters("client_secret"))
    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"account_id": request.GET.get("account_id", "")}
        form = ServerToServerForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            tenant = self._connect_server_to_server(request, form)
            if tenant is not None:
                messages.success(request, f"Connected the Zoom account “{tenant}”.")
                return HttpResponseRedirect(
                    reverse("admin:tenants_tenant_change", args=[tenant.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Connect a Zoom account with a Server-to-Server OAuth app",
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(
            request, "admin/tenants/tenant/connect_server_to_server.html", context
        )

    def _connect_server_to_server(
        self, request: HttpRequest, form: ServerToServerForm
    ) -> Tenant | None:
        """The connected tenant, or None with the reason added to ``form``."""
        account_id = form.cleaned_data["account_id"].strip()
        if not may_connect_account(
            request.user, Tenant.objects.filter(account_id=account_id).first()
        ):
            form.add_error("account_id", "You are not allowed to connect this Zoom account.")
            return None
        try:
            return tenant_connect_server_to_server(user=request.user, **form.cleaned_data)
        except ZoomReauthorizationRequired as error:
            form.add_error(None, f"Zoom refused these credentials: {error.message}")
        except ZoomError as error:
            form.add_error(None, str(error))
        return None

    # --- syncing ----------------------------------------------------------------------------

    @admin.action(description="Sync the selected Zoom accounts now", permissions=["change"])
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        connected = list(queryset.filter(status=Tenant.Status.CONNECTED))
        # A second sync queued now would only find the tenant syncing and be skipped.
        running = running_tenant_ids([tenant.pk for tenant in connected])
        queued = [tenant for tenant in connected if tenant.pk not in running]
        for tenant in queued:
            enqueue_tenant_sync(tenant.pk, trigger="admin")
        busy = [tenant for tenant in connected if tenant.pk in running]
        idle = queryset.exclude(status=Tenant.Status.CONNECTED)
        said = [
            f"Queued a sync of {_named(queued)} for the workers" if queued else "",
            f"Already syncing, not queued again: {_named(busy)}" if busy else "",
            f"Not connected, not synced: {_named(list(idle))}" if idle else "",
        ]
        messages.success(request, "; ".join(s for s in said if s) + ".")

    def sync_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tenant = self.get_object(request, unquote(object_id))
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request, tenant):
            raise PermissionDenied
        self.sync_now(request, Tenant.objects.filter(pk=tenant.pk))
        if request.POST.get(SYNC_FROM_LIST):
            return HttpResponseRedirect(reverse("admin:tenants_tenant_changelist"))
        return HttpResponseRedirect(reverse("admin:tenants_tenant_change", args=[tenant.pk]))

    def sync_status_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """The tenant's sync as JSON (``zoomadmin.sync.status``), which its page polls."""
        tenant = self.get_object(request, unquote(object_id))  # another tenant's: 404
        if not self.has_view_permission(request, tenant):
            raise PermissionDenied
        response = JsonResponse(tenant_sync_status(tenant))
        response["Cache-Control"] = "no-store"
        return response

    def get_list_display(self, request: HttpRequest) -> list:
        columns = list(super().get_list_display(request))
        return [*columns, "sync_button"] if self.has_change_permission(request) else columns

    @admin.display(description="sync")
    def sync_button(self, tenant: Tenant) -> str:
        """A button of the changelist's own form (it holds the CSRF token), posted to the
        tenant's "Sync now" instead of the list's action."""
        if not tenant.is_connected:
            return "—"
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post" '
            'name="{}" value="1">Sync now</button>',
            reverse("admin:tenants_tenant_sync", args=[tenant.pk]),
            SYNC_FROM_LIST,
        )

    # --- disconnecting -----------------------------------------------------------------------

    @admin.action(description="Disconnect the selected Zoom accounts", permissions=["disconnect"])
    def disconnect_tenants(
        self, request: HttpRequest, queryset: QuerySet[Tenant]
    ) -> HttpResponse | None:
        form = DisconnectForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            for tenant in queryset:
                self._disconnect(request, tenant, form.cleaned_data["reason"])
            return None
        return self._confirm_disconnect(request, list(queryset), form, action=True)

    def disconnect_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tenant = self.get_object(request, unquote(object_id))
        if not self.has_disconnect_permission(request):
            raise PermissionDenied
        form = DisconnectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._disconnect(request, tenant, form.cleaned_data["reason"])
            return HttpResponseRedirect(reverse("admin:tenants_tenant_change", args=[tenant.pk]))
        return self._confirm_disconnect(request, [tenant], form, action=False)

    def _disconnect(self, request: HttpRequest, tenant: Tenant, reason: str) -> None:
        result = tenant_disconnect(
            tenant=tenant, by_user=request.user, reason=reason or "Disconnected in the admin"
        )
        deleted = sum(result.deleted.values())
        revoked = "revoked at Zoom" if result.revoked else "not revoked (Zoom did not accept it)"
        messages.success(
            request,
            f"Disconnected “{tenant}”: authorization {revoked}, {deleted} synced records deleted.",
        )

    def _confirm_disconnect(
        self, request: HttpRequest, tenants: list[Tenant], form: DisconnectForm, *, action: bool
    ) -> HttpResponse:
        counts = []
        for model in synced_data_models():
            total = model._default_manager.filter(tenant__in=tenants).count()
            if total:
                counts.append((model._meta.verbose_name_plural, total))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Disconnect Zoom accounts?",
            "tenants": tenants,
            "counts": counts,
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/tenants/tenant/disconnect.html", context)


@admin.register(TenantMembership)
class TenantMembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "tenant", "created"]
    list_filter = ["tenant"]
    search_fields = ["user__username", "user__email", "tenant__name", "tenant__account_id"]
    autocomplete_fields = ["tenant", "user"]


@admin.register(ZoomWrite)
class WriteAuditAdmin(ScalableFiltersMixin, ReadOnlyMixin, TenantScopedAdmin):
    """The audit of every write this app asked Zoom for: read-only, filterable."""

    list_display = [
        "created",
        "tenant",
        "user",
        "kind",
        "object_repr",
        "action",
        "outcome",
        "code",
        "message",
    ]
    list_filter = ["outcome", "kind", "action", "tenant"]
    search_fields = ["object_repr", "=zoom_id", "message", "user__username"]
    date_hierarchy = "created"
    list_select_related = ["tenant", "user"]
    show_full_result_count = False
    readonly_fields = [
        "created",
        "tenant",
        "user",
        "kind",
        "zoom_id",
        "object_repr",
        "action",
        "method",
        "path",
        "asked",
        "outcome",
        "status",
        "code",
        "message",
        "answer",
    ]


WEBHOOK_SUMMARY_DAYS = 7


def webhook_summary(tenant: Tenant) -> list[dict[str, Any]]:
    """Which events arrived for ``tenant`` lately, how many and when the last came: a Zoom
    subscription that went silent shows as an event missing here."""
    since = timezone.now() - timedelta(days=WEBHOOK_SUMMARY_DAYS)
    return list(
        WebhookEvent.objects.filter(tenant=tenant, received_at__gte=since)
        .values("event")
        .annotate(count=Count("pk"), last=Max("received_at"))
        .order_by("-last")
    )


def reconnect_url(tenant: Tenant) -> str:
    """Where a member goes to authorize the tenant again."""
    if tenant.connection == Tenant.Connection.SERVER_TO_SERVER:
        add = reverse("admin:tenants_tenant_add")
        return f"{add}?{urlencode({'account_id': tenant.account_id})}"
    return connect_url()


def connect_url() -> str:
    """allauth's Zoom connect flow (SPEC §4)."""
    return reverse("zoom_login") + "?process=connect"


# --- pages for superusers only ---------------------------------------------------------


def _restrict_to_superusers(app_label: str) -> None:
    for model, model_admin in list(admin.site._registry.items()):
        if model._meta.app_label == app_label:
            base = type(model_admin)
            admin.site.unregister(model)
            admin.site.register(model, type(base.__name__, (SuperuserOnlyMixin, base), {}))


# django-q2's tasks (their arguments and results), allauth's e-mail addresses (an address added
# to someone else's user receives that user's password reset) and the sites framework.
for _app_label in ("django_q", "account", "sites"):
    _restrict_to_superusers(_app_label)


# --- Django's users and groups -------------------------------------------------------------


class ScopedUserAdmin(UserAdmin):
    """Superusers manage users. Other staff see, read-only, themselves and the members of their
    tenants (whom the membership form offers): never another customer's staff, and nothing to
    change, since whoever may change a user may make anyone a superuser."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request) & users_visible_to(request.user)

    def get_list_filter(self, request: HttpRequest) -> list:
        # The groups filter would name every group of the installation.
        filters = super().get_list_filter(request)
        return filters if is_superuser(request.user) else [f for f in filters if f != "groups"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request.user)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = ""):
        if not is_superuser(request.user):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


class SuperuserGroupAdmin(SuperuserOnlyMixin, GroupAdmin):
    pass


for _model, _admin in ((get_user_model(), ScopedUserAdmin), (Group, SuperuserGroupAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin)


# --- allauth's own pages: none of them may show a token or a client secret -----------------
# SocialToken: unregistered (its list shows the start of every access token). SocialAccount:
# unregistered (a tenant's page shows who authorized it; every tenant's accounts in one list
# would cross tenant boundaries). SocialApp: superusers only, and its secret is write-only.

for model in (SocialToken, SocialAccount, SocialApp):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class SocialAppForm(BaseSocialAppForm):
    secret = forms.CharField(
        label="Secret key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"size": "100"}),
        help_text="Stored encrypted and never shown again; leave empty to keep the current one.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._stored_secret = self.instance.secret
        self.initial.pop("secret", None)

    def clean_secret(self) -> str:
        return self.cleaned_data["secret"] or self._stored_secret


@admin.register(SocialApp)
class SocialAppAdmin(SuperuserOnlyMixin, BaseSocialAppAdmin):
    form = SocialAppForm

    # Error reports (500 e-mails, loggers that render the request) would quote the POSTed secret.
    @method_decorator(sensitive_post_parameters("secret"))
    def changeform_view(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return super().changeform_view(request, *args, **kwargs)
