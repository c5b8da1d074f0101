"""Meetings, webinars, registrants, cloud recordings and past webinar participants of the
signed-in staff user's tenants. Meetings and webinars are added, changed, deleted, ended and
re-synced in Zoom from here (``meetings.services``: Zoom first, then the mirror)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse

from meetings.archive_admin import (
    ArchivedFilter,
    CloudRecordingArchiveAdmin,
    RecordingFileArchiveAdmin,
    RecordingFileLinks,
)
from meetings.displays import (
    RecordingDisplays,
    RecordingFileDisplays,
    RegistrantDisplays,
    ScheduledDisplays,
)
from meetings.forms import MeetingDeleteForm, MeetingForm, WebinarDeleteForm, WebinarForm
from meetings.live import INVITATION_HINTS, INVITATION_SCOPE, meeting_invitation_fetch
from meetings.models import (
    CloudRecording,
    Meeting,
    MeetingRegistrant,
    RecordingFile,
    Webinar,
    WebinarParticipant,
    WebinarRegistrant,
)
from meetings.registrant_forms import RegistrantAddForm
from meetings.related import MEETING_RELATED, RECORDING_RELATED, WEBINAR_RELATED
from meetings.services import (
    meeting_create,
    meeting_update,
    registrant_add,
    webinar_create,
    webinar_update,
)
from users.models import ZoomUser
from zoomadmin.records.admin import InZoomFilter, ZoomRecordAdmin, ZoomRecordInline, ZoomWriteAdmin
from zoomadmin.records.display import (
    FILE_TYPES,
    PARTICIPANT_STATUSES,
    RECORDING_TYPES,
    recording_type_name,
)
from zoomadmin.records.filters import code_filter, text_filter
from zoomadmin.records.live import LiveViewsMixin
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.scoping import TenantScopedAdmin, scope_to_user, tenants_for
from zoomadmin.tenants.tokens import client_for_tenant

SCHEDULED_FIELDS = [
    "zoom_id",
    "uuid",
    "topic",
    "type",
    "host",
    "host_zoom_id",
    "host_email",
    "start",
    "duration",
    "timezone",
    "approval_type",
    "join",
    "zoom_created_at",
]
REGISTRANT_FIELDS = ["zoom_id", "email", "first_name", "last_name", "status", "registered_at"]


class MeetingRegistrantInline(ZoomRecordInline):
    model = MeetingRegistrant
    fields = [*REGISTRANT_FIELDS, "deleted_at"]
    readonly_fields = fields


class WebinarRegistrantInline(ZoomRecordInline):
    model = WebinarRegistrant
    fields = [*REGISTRANT_FIELDS, "deleted_at"]
    readonly_fields = fields


class WebinarParticipantInline(ZoomRecordInline):
    model = WebinarParticipant
    fields = ["name", "email", "join_time", "leave_time", "duration", "status"]
    readonly_fields = fields


class RecordingFileInline(RecordingFileDisplays, RecordingFileLinks, ZoomRecordInline):
    model = RecordingFile
    fields = [
        "recording_type_readable",
        "file_type_readable",
        "file_extension",
        "file_size_readable",
        "recording_start",
        "recording_end",
        "play",
        "download_link",
        "archive_state",
        "deleted_at",
    ]
    readonly_fields = fields


class ScheduledAdmin(ScheduledDisplays, ZoomWriteAdmin):
    """Meetings and webinars: added for a host, changed, deleted and re-synced in Zoom from
    here, through ``meetings.services`` (Zoom first, then the mirror)."""

    fields: list[str] = SCHEDULED_FIELDS
    date_hierarchy = "start_time"
    search_fields = ["topic", "=zoom_id", "host_email", "host_zoom_id"]
    #: The prefix of this kind's bulk operations: "meetings", "webinars".
    operations = ""
    delete_form: type[forms.Form] = forms.Form
    delete_intro = ""

    def has_zoom_delete_permission(self, request: HttpRequest) -> bool:
        # Django's delete permission of the model; the stock delete (of the row) stays off.
        return TenantScopedAdmin.has_delete_permission(self, request)

    def add_form_kwargs(self, request: HttpRequest) -> dict[str, Any]:
        connected = tenants_for(request.user).filter(status=Tenant.Status.CONNECTED)
        hosts = ZoomUser.objects.filter(
            tenant__in=connected, deleted_at__isnull=True, status=ZoomUser.Status.ACTIVE
        ).select_related("tenant")
        # The admin's autocomplete of users (searched within the user's tenants).
        widget = AutocompleteSelect(self.model._meta.get_field("host"), self.admin_site)
        return {"hosts": hosts, "host_widget": widget}

    def change_form_initial(self, obj: Any) -> dict[str, Any]:
        return self.change_form.initial_for(obj)

    def change_form_kwargs(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        return {"host": obj.host}

    def _delete(self, request: HttpRequest, queryset: QuerySet, action: str) -> HttpResponse | None:
        records = list(self.present(queryset))
        form = self.delete_form(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            return self.zoom_bulk(request, records, f"{self.operations}.delete", form.options())
        return self.action_options(
            request,
            records,
            form,
            title=f"Delete {self.opts.verbose_name_plural} in Zoom",
            action=action,
            submit="Delete in Zoom",
            intro=self.delete_intro,
        )


@admin.register(Meeting)
class MeetingAdmin(LiveViewsMixin, ScheduledAdmin):
    list_display = [
        "topic",
        "zoom_id",
        "host_email",
        "type",
        "status",
        "start",
        "duration",
        "join",
        "tenant",
        "in_zoom",
    ]
    list_filter = ["tenant", "type", "status", "host", "start_time", InZoomFilter]
    fields = [*SCHEDULED_FIELDS, "status"]
    inlines = [MeetingRegistrantInline]
    add_form = MeetingForm
    change_form = MeetingForm
    audit_kind = "meeting"
    operations = "meetings"
    delete_form = MeetingDeleteForm
    delete_intro = (
        "Zoom deletes each meeting (a recurring one with all its occurrences) and its "
        "registrations. A deleted meeting cannot be started or joined again."
    )
    actions = ["delete_meetings", "end_meetings", "resync_meetings"]
    related_lists = MEETING_RELATED

    # --- live view (meetings.live): the invitation, fetched from Zoom when opened ------------

    def get_urls(self) -> list:
        invitation = path(
            "<path:object_id>/invitation/",
            self.admin_site.admin_view(self.invitation_view),
            name="meetings_meeting_invitation",
        )
        return [invitation, *super().get_urls()]

    def object_tools(self, request: HttpRequest, obj: Meeting) -> list[tuple[str, str]]:
        url = reverse("admin:meetings_meeting_invitation", args=[obj.pk])
        return [*super().object_tools(request, obj), ("Invitation", url)]

    def invitation_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        meeting = self.live_object(request, object_id)
        return self.render_live(
            request,
            meeting,
            template="admin/live/invitation.html",
            title=f"Invitation to {meeting}",
            scope=INVITATION_SCOPE,
            hints=INVITATION_HINTS,
            fetch=lambda client: meeting_invitation_fetch(client=client, meeting=meeting),
        )

    def zoom_add(self, request: HttpRequest, form: MeetingForm) -> Meeting:
        host = form.cleaned_data["host"]
        return meeting_create(
            tenant=host.tenant,
            client=client_for_tenant(host.tenant, interactive=True),
            actor=request.user,
            host=host,
            body=form.zoom_body(),
        )

    def zoom_change(self, request: HttpRequest, form: MeetingForm, obj: Meeting) -> Meeting:
        return meeting_update(
            tenant=obj.tenant,
            client=client_for_tenant(obj.tenant, interactive=True),
            actor=request.user,
            meeting=obj,
            changes=form.zoom_body(changed_only=True),
        )

    @admin.action(description="Delete the selected meetings in Zoom", permissions=["zoom_delete"])
    def delete_meetings(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._delete(request, queryset, "delete_meetings")

    @admin.action(description="End the selected live meetings", permissions=["change"])
    def end_meetings(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self.zoom_bulk(request, self.present(queryset), "meetings.end")

    @admin.action(description="Re-sync the selected meetings from Zoom", permissions=["view"])
    def resync_meetings(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self.zoom_bulk(request, queryset.select_related("tenant"), "meetings.resync")


@admin.register(Webinar)
class WebinarAdmin(ScheduledAdmin):
    list_display = [
        "topic",
        "zoom_id",
        "host_email",
        "type",
        "start",
        "duration",
        "join",
        "tenant",
        "in_zoom",
    ]
    list_filter = ["tenant", "type", "host", "start_time", InZoomFilter]
    inlines = [WebinarRegistrantInline, WebinarParticipantInline]
    add_form = WebinarForm
    change_form = WebinarForm
    audit_kind = "webinar"
    operations = "webinars"
    delete_form = WebinarDeleteForm
    delete_intro = "Zoom deletes each webinar (a recurring one with all its occurrences)."
    actions = ["delete_webinars", "resync_webinars", "resync_participants"]
    related_lists = WEBINAR_RELATED

    def zoom_add(self, request: HttpRequest, form: WebinarForm) -> Webinar:
        host = form.cleaned_data["host"]
        return webinar_create(
            tenant=host.tenant,
            client=client_for_tenant(host.tenant, interactive=True),
            actor=request.user,
            host=host,
            body=form.zoom_body(),
        )

    def zoom_change(self, request: HttpRequest, form: WebinarForm, obj: Webinar) -> Webinar:
        return webinar_update(
            tenant=obj.tenant,
            client=client_for_tenant(obj.tenant, interactive=True),
            actor=request.user,
            webinar=obj,
            changes=form.zoom_body(changed_only=True),
        )

    @admin.action(description="Delete the selected webinars in Zoom", permissions=["zoom_delete"])
    def delete_webinars(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._delete(request, queryset, "delete_webinars")

    @admin.action(description="Re-sync the selected webinars from Zoom", permissions=["view"])
    def resync_webinars(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self.zoom_bulk(request, queryset.select_related("tenant"), "webinars.resync")

    @admin.action(
        description="Re-sync participants of the selected webinars from Zoom",
        permissions=["view"],
    )
    def resync_participants(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        # Who attended each ended instance (meetings.participants), asked again.
        webinars = queryset.select_related("tenant")
        return self.zoom_bulk(request, webinars, "webinars.resync_participants")


class RegistrantAdmin(RegistrantDisplays, ZoomWriteAdmin):
    """Registrants of the meeting (or webinar) that ``parent`` names: added in Zoom from the
    add page, approved, denied, cancelled or re-synced in bulk (``meetings.operations``; up to
    30 of one meeting in one Zoom call). Zoom has no "update a registrant": the change page
    stays read-only."""

    list_filter = ["tenant", "status", InZoomFilter]
    search_fields = ["email", "first_name", "last_name", "=zoom_id"]
    add_form = RegistrantAddForm
    audit_kind = "registrant"
    actions = [
        "approve_registrants",
        "deny_registrants",
        "cancel_registrants",
        "resync_registrants",
    ]
    #: The registrant's meeting or webinar: "meeting" or "webinar".
    parent = ""
    #: The prefix of this kind's bulk operations: "registrants" or "webinar_registrants".
    operations = ""

    def has_zoom_write_permission(self, request: HttpRequest) -> bool:
        # Django's change permission of the model: the change page is read-only, not the kind.
        return TenantScopedAdmin.has_change_permission(self, request)

    def add_form_kwargs(self, request: HttpRequest) -> dict[str, Any]:
        relation = self.model._meta.get_field(self.parent)
        parents = relation.related_model._default_manager.filter(
            deleted_at__isnull=True, tenant__status=Tenant.Status.CONNECTED
        ).select_related("tenant")
        chosen = request.GET.get(self.parent)  # "Add" from the meeting's page
        return {
            "parent": self.parent,
            "parents": scope_to_user(parents, request.user),
            "relation": relation,
            "admin_site": self.admin_site,
            "initial": {self.parent: chosen} if chosen else {},
        }

    def zoom_add(self, request: HttpRequest, form: RegistrantAddForm) -> Any:
        parent = form.cleaned_data[self.parent]
        added = registrant_add(
            tenant=parent.tenant,
            client=client_for_tenant(parent.tenant, interactive=True),
            actor=request.user,
            parent=parent,
            fields=form.registrant(),
        )
        if added.registrant is None:
            # Zoom answers a second registration of the same email with the first, so sending
            # the form again is safe.
            messages.warning(
                request,
                f"Zoom accepted the registration but named no registrant, and lists none with "
                f"this email yet: re-sync {parent} to see it.",
            )
            return None
        if added.join_url:
            messages.success(request, f"Zoom's join URL for {added.registrant}: {added.join_url}")
        else:
            messages.info(
                request,
                f"{added.registrant} is {added.registrant.get_status_display().lower()}: Zoom "
                "gives the join URL once the registration is approved.",
            )
        return added.registrant

    def _status(self, request: HttpRequest, queryset: QuerySet, action: str) -> HttpResponse | None:
        return self.zoom_bulk(request, self.present(queryset), f"{self.operations}.{action}")

    @admin.action(description="Approve the selected registrants", permissions=["zoom_write"])
    def approve_registrants(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._status(request, queryset, "approve")

    @admin.action(description="Deny the selected registrants", permissions=["zoom_write"])
    def deny_registrants(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._status(request, queryset, "deny")

    @admin.action(
        description="Cancel the selected registrants' approved registrations",
        permissions=["zoom_write"],
    )
    def cancel_registrants(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._status(request, queryset, "cancel")

    @admin.action(description="Re-sync the selected registrants from Zoom", permissions=["view"])
    def resync_registrants(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        records = queryset.select_related("tenant", self.parent)
        return self.zoom_bulk(request, records, f"{self.operations}.resync")


@admin.register(MeetingRegistrant)
class MeetingRegistrantAdmin(RegistrantAdmin):
    list_display = ["email", "first_name", "last_name", "status", "meeting", "tenant", "in_zoom"]
    list_select_related = ["tenant", "meeting"]
    list_filter = ["tenant", "meeting", "status", ("email", text_filter()), InZoomFilter]
    fields = ["meeting", *REGISTRANT_FIELDS, "join"]
    parent = "meeting"
    present_related = ("meeting",)
    operations = "registrants"


@admin.register(WebinarRegistrant)
class WebinarRegistrantAdmin(RegistrantAdmin):
    list_display = ["email", "first_name", "last_name", "status", "webinar", "tenant", "in_zoom"]
    list_select_related = ["tenant", "webinar"]
    list_filter = ["tenant", "webinar", "status", ("email", text_filter()), InZoomFilter]
    fields = ["webinar", *REGISTRANT_FIELDS, "join"]
    parent = "webinar"
    present_related = ("webinar",)
    operations = "webinar_registrants"


class RecordingDeleteAdmin(ZoomWriteAdmin):
    """Deleting in Zoom, to Zoom's trash, after a confirmation page (``meetings.operations``).
    Django's delete permission of the model is asked for; the stock delete stays off."""

    #: The bulk operation, and what the confirmation page says.
    delete_operation = ""
    delete_intro = ""

    def has_zoom_delete_permission(self, request: HttpRequest) -> bool:
        return TenantScopedAdmin.has_delete_permission(self, request)

    def _zoom_delete(
        self, request: HttpRequest, records: list[Any], action: str
    ) -> HttpResponse | None:
        form = forms.Form(request.POST if "post" in request.POST else None)
        if form.is_bound and form.is_valid():
            return self.zoom_bulk(request, records, self.delete_operation, {"action": "trash"})
        return self.action_options(
            request,
            records,
            form,
            title=f"Delete {self.opts.verbose_name_plural} in Zoom",
            action=action,
            submit="Yes, delete in Zoom",
            intro=self.delete_intro,
        )


# The webhook description of recording.trashed: "Users can recover recordings from the trash up
# to 30 days after deletion."
TRASH_WORDS = "Zoom moves them to its trash, where they can be recovered for 30 days."


@admin.register(CloudRecording)
class CloudRecordingAdmin(RecordingDisplays, CloudRecordingArchiveAdmin, RecordingDeleteAdmin):
    list_display = [
        "topic",
        "kind",
        "meeting_zoom_id",
        "start_time",
        "duration",
        "total_size_readable",
        "recording_count",
        "share",
        "host",
        "tenant",
        "in_zoom",
    ]
    list_select_related = ["tenant", "host"]
    list_filter = ["tenant", "host", "meeting", "webinar", "start_time", InZoomFilter]
    search_fields = ["topic", "=meeting_zoom_id", "=zoom_id"]
    date_hierarchy = "start_time"
    fields = [
        "zoom_id",
        "meeting_zoom_id",
        "meeting",
        "webinar",
        "topic",
        "kind",
        "host",
        "host_zoom_id",
        "start_time",
        "duration",
        "total_size_readable",
        "recording_count",
        "share",
    ]
    inlines = [RecordingFileInline]
    audit_kind = "recording"
    actions = ["delete_recordings", "archive_recordings"]
    delete_operation = "recordings.delete"
    delete_intro = (
        "Zoom deletes every file of each recording (“Delete all of a meeting's or webinar's "
        f"recording files”). {TRASH_WORDS}"
    )
    related_lists = RECORDING_RELATED

    @admin.action(
        description="Delete the selected recordings in Zoom (to Zoom's trash)",
        permissions=["zoom_delete"],
    )
    def delete_recordings(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        present = list(queryset.filter(deleted_at__isnull=True).select_related("tenant"))
        return self._zoom_delete(request, present, "delete_recordings")


@admin.register(RecordingFile)
class RecordingFileAdmin(RecordingFileDisplays, RecordingFileArchiveAdmin, RecordingDeleteAdmin):
    list_display = [
        "recording_type_readable",
        "file_type_readable",
        "file_extension",
        "file_size_readable",
        "recording_start",
        "play",
        "recording",
        "tenant",
        "in_zoom",
    ]
    list_select_related = ["tenant", "recording"]
    list_filter = [
        "tenant",
        "recording",
        ("file_type", code_filter(FILE_TYPES)),
        ("recording_type", code_filter({t: recording_type_name(t) for t in RECORDING_TYPES})),
        InZoomFilter,
        ArchivedFilter,
    ]
    search_fields = ["=zoom_id", "recording__topic", "=recording__zoom_id"]
    fields = [
        "recording",
        "zoom_id",
        "recording_type_readable",
        "file_type_readable",
        "file_extension",
        "file_name",
        "file_size_readable",
        "status",
        "recording_start",
        "recording_end",
        "play",
        "download_url",
        "download_link",
        "archive_name",
        "archive_size",
        "archived_at",
        "archived_copy",
    ]
    audit_kind = "recording file"
    actions = ["delete_recording_files", "archive_recording_files"]
    delete_operation = "recording_files.delete"
    delete_intro = f"Zoom deletes each file from its recording; the other files stay. {TRASH_WORDS}"

    @admin.action(
        description="Delete the selected recording files in Zoom (to Zoom's trash)",
        permissions=["zoom_delete"],
    )
    def delete_recording_files(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        present = queryset.filter(deleted_at__isnull=True).select_related("tenant", "recording")
        files, unnamed = [], []
        for recording_file in present:
            (files if recording_file.zoom_data.get("id") else unnamed).append(recording_file)
        for recording_file in unnamed:
            # Zoom lists some files without an id (a timeline, a file still processing).
            messages.warning(
                request,
                f"{recording_file}: Zoom gives this file no id, so it cannot be deleted alone; "
                "delete its recording instead.",
            )
        if not files:
            return None
        return self._zoom_delete(request, files, "delete_recording_files")


@admin.register(WebinarParticipant)
class WebinarParticipantAdmin(ZoomRecordAdmin):
    list_display = ["name", "email", "webinar", "join_time", "leave_time", "duration", "tenant"]
    list_select_related = ["tenant", "webinar"]
    list_filter = [
        "tenant",
        "webinar",
        ("status", code_filter(PARTICIPANT_STATUSES)),
        InZoomFilter,
    ]
    search_fields = ["name", "email"]
    fields = [
        "webinar",
        "zoom_id",
        "participant_id",
        "name",
        "email",
        "join_time",
        "leave_time",
        "duration",
        "status",
        "internal_user",
    ]
