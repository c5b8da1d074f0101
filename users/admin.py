"""Zoom users of the signed-in staff user's tenants: the mirror, and the writes an
administrator makes in Zoom from here (add, import a CSV file, change, activate, deactivate,
change license type, disassociate or delete with a hand-over, re-sync). Every write goes to
Zoom first, through ``users.services`` (and ``meetings.services.user_offboard``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse

from meetings.models import Meeting
from meetings.related import USER_RELATED
from users import live
from users.forms import LicenseTypeForm, UserChangeForm, UserCreateForm, UserDeleteForm
from users.idle import IdleForFilter
from users.imports.admin import UserImportAdminMixin
from users.models import ZoomUser
from users.services import UserCreatedIncompletely, user_create, user_update
from zoomadmin.records.admin import InZoomFilter, ZoomWriteAdmin
from zoomadmin.records.filters import is_filter_autocomplete
from zoomadmin.records.live import LiveForm, LiveViewsMixin
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.scoping import tenants_for
from zoomadmin.tenants.tokens import client_for_tenant


@admin.register(ZoomUser)
class ZoomUserAdmin(UserImportAdminMixin, LiveViewsMixin, ZoomWriteAdmin):
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
    list_filter = ["tenant", "type", "status", "role_name", "dept", InZoomFilter, IdleForFilter]
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
    add_form = UserCreateForm
    change_form = UserChangeForm
    audit_kind = "user"
    related_lists = USER_RELATED
    actions = [
        "activate_users",
        "deactivate_users",
        "change_license_type",
        "offboard_users",
        "resync_users",
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ZoomUser], search_term: str
    ) -> tuple[QuerySet[ZoomUser], bool]:
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        if request.resolver_match and request.resolver_match.url_name == "autocomplete":
            # Whom the autocompletes offer (a successor, a host): users who can take it over;
            # a list filter (by host) offers every user.
            if not is_filter_autocomplete(request):
                queryset = queryset.filter(deleted_at__isnull=True, status=ZoomUser.Status.ACTIVE)
        return queryset, duplicates

    # --- live views (users.live: fetched from Zoom when opened, never stored) ----------------

    def get_urls(self) -> list:
        live_urls = [
            path(
                f"<path:object_id>/{name.replace('_', '-')}/",
                self.admin_site.admin_view(getattr(self, f"{name}_view")),
                name=f"users_zoomuser_{name}",
            )
            for name in ("phone_recordings", "chat_channels", "chat_messages")
        ]
        return [*live_urls, *super().get_urls()]

    def object_tools(self, request: HttpRequest, obj: ZoomUser) -> list[tuple[str, str]]:
        return [
            *super().object_tools(request, obj),
            *(
                (label, reverse(f"admin:users_zoomuser_{name}", args=[obj.pk]))
                for label, name in (
                    ("Phone recordings", "phone_recordings"),
                    ("Chat channels", "chat_channels"),
                    ("Chat messages", "chat_messages"),
                )
            ),
        ]

    def phone_recordings_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        user = self.live_object(request, object_id)
        form = live.PhoneRecordingsForm.from_query(request.GET, today=live.today())
        return self.render_live(
            request,
            user,
            template="admin/live/phone_recordings.html",
            title=f"Phone recordings of {user}",
            scope=live.PHONE_SCOPE,
            hints=live.PHONE_HINTS,
            form=form,
            unavailable=live.unavailable(user),
            fetch=lambda client: live.phone_recordings_fetch(
                client=client, user=user, **form.fetch_kwargs()
            ),
        )

    def chat_channels_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        user = self.live_object(request, object_id)
        form = LiveForm.from_query(request.GET)
        return self.render_live(
            request,
            user,
            template="admin/live/chat_channels.html",
            title=f"Chat channels of {user}",
            scope=live.CHANNELS_SCOPE,
            form=form,
            unavailable=live.unavailable(user),
            fetch=lambda client: live.chat_channels_fetch(
                client=client, user=user, next_page_token=form.cleaned_data["next_page_token"]
            ),
        )

    def chat_messages_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        user = self.live_object(request, object_id)
        form = live.ChatMessagesForm.from_query(request.GET, today=live.today())
        if not {"to_channel", "to_contact"} & set(request.GET):
            form = live.ChatMessagesForm(today=live.today())  # nothing asked yet: no errors
            form.initial = {name: form.default(name) for name in form.fields}
        return self.render_live(
            request,
            user,
            template="admin/live/chat_messages.html",
            title=f"Chat messages of {user}",
            scope=live.MESSAGES_SCOPE,
            hints=live.MESSAGES_HINTS,
            form=form,
            unavailable=live.unavailable(user),
            fetch=lambda client: live.chat_messages_fetch(
                client=client, user=user, **form.fetch_kwargs()
            ),
        )

    # --- add and change ----------------------------------------------------------------------

    def add_form_kwargs(self, request: HttpRequest) -> dict[str, Any]:
        tenants = tenants_for(request.user).filter(status=Tenant.Status.CONNECTED)
        return {"tenants": tenants}

    def change_form_initial(self, obj: ZoomUser) -> dict[str, Any]:
        return UserChangeForm.initial_for(obj)

    def zoom_add(self, request: HttpRequest, form: UserCreateForm) -> ZoomUser:
        tenant = form.cleaned_data["tenant"]
        try:
            return user_create(
                tenant=tenant,
                client=client_for_tenant(tenant, interactive=True),
                actor=request.user,
                action=form.cleaned_data["action"],
                user_info=form.user_info(),
                changes=form.changes(),
            )
        except UserCreatedIncompletely as incomplete:
            messages.warning(request, str(incomplete))
            return incomplete.user

    def zoom_change(self, request: HttpRequest, form: UserChangeForm, obj: ZoomUser) -> ZoomUser:
        return user_update(
            tenant=obj.tenant,
            client=client_for_tenant(obj.tenant, interactive=True),
            actor=request.user,
            user=obj,
            changes=form.changes(),
        )

    # --- actions -----------------------------------------------------------------------------

    @admin.action(description="Activate the selected users in Zoom", permissions=["change"])
    def activate_users(
        self, request: HttpRequest, queryset: QuerySet[ZoomUser]
    ) -> HttpResponse | None:
        return self.zoom_bulk(request, self.present(queryset), "users.activate")

    @admin.action(description="Deactivate the selected users in Zoom", permissions=["change"])
    def deactivate_users(
        self, request: HttpRequest, queryset: QuerySet[ZoomUser]
    ) -> HttpResponse | None:
        return self.zoom_bulk(request, self.present(queryset), "users.deactivate")

    @admin.action(description="Change license type of the selected users", permissions=["change"])
    def change_license_type(
        self, request: HttpRequest, queryset: QuerySet[ZoomUser]
    ) -> HttpResponse | None:
        form = LicenseTypeForm(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            params = {"type": form.cleaned_data["type"]}
            return self.zoom_bulk(request, self.present(queryset), "users.change_type", params)
        return self.action_options(
            request,
            self.present(queryset),
            form,
            title="Change license type",
            action="change_license_type",
            submit="Change in Zoom",
            intro="Zoom is asked to change each user's type; a user already of that type is "
            "left alone. Licensed seats are limited by the account's plan.",
        )

    @admin.action(
        description="Disassociate or delete the selected users (hand over to a successor)",
        permissions=["change"],
    )
    def offboard_users(
        self, request: HttpRequest, queryset: QuerySet[ZoomUser]
    ) -> HttpResponse | None:
        leaving = list(self.present(queryset))
        successors = self.get_queryset(request).filter(
            deleted_at__isnull=True, status=ZoomUser.Status.ACTIVE
        )
        form = UserDeleteForm(
            request.POST if "post" in request.POST else None,
            successors=successors,
            leaving=leaving,
        )
        # The admin's autocomplete of users, through a relation that points at them.
        successor = form.fields["transfer_to"]
        successor.widget = AutocompleteSelect(Meeting._meta.get_field("host"), self.admin_site)
        successor.widget.choices = successor.choices
        if form.is_bound and form.is_valid():
            return self.zoom_bulk(request, leaving, "users.offboard", form.options())
        return self.action_options(
            request,
            leaving,
            form,
            title="Disassociate or delete users",
            action="offboard_users",
            submit="Do it in Zoom",
            intro="Zoom deletes what a user owns with the user unless it is handed over: "
            "upcoming meetings and webinars, and cloud recordings, go to the successor "
            "chosen here.",
        )

    # Re-syncing spends the account's request budget and may mark users deleted: a change.
    @admin.action(description="Re-sync the selected users from Zoom", permissions=["change"])
    def resync_users(
        self, request: HttpRequest, queryset: QuerySet[ZoomUser]
    ) -> HttpResponse | None:
        return self.zoom_bulk(request, queryset.select_related("tenant"), "users.resync")
