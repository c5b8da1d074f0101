"""Forms of the meeting and webinar writes, validating as Zoom does before any request.

Field names are Zoom's (SPEC §10); the rules are the Meetings OpenAPI's ("Create a meeting",
"Update a meeting", "Create a webinar", "Update a webinar"): the types, a topic of at most 200
characters and an agenda of 2,000, a duration of 1 to 1440 minutes, Zoom's passcode alphabet,
registration only for a licensed host, the recurrence limits. A form Zoom would refuse for its
shape costs no request.

A start time is what the host reads on a clock in the meeting's time zone: entered and sent as
``yyyy-MM-ddTHH:mm:ss`` with ``timezone`` ("To set a meeting's start time using a specific
timezone, use the `yyyy-MM-ddTHH:mm:ss` date-time format and specify the timezone ID in the
`timezone` field"), never shifted to UTC here, so Zoom applies the zone's daylight-saving
rules itself.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Collection
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, validate_email
from django.forms.fields import BaseTemporalField
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from meetings.models import ApprovalType, BaseMeeting, Meeting, Webinar
from users.forms import TIME_ZONES
from users.models import ZoomUser
from zoomadmin.records.widgets import ManyOptionsSelect

LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"
APPROVAL_CHOICES = [
    (ApprovalType.NONE.value, "No registration"),
    (ApprovalType.AUTOMATIC.value, "Registration, approved automatically"),
    (ApprovalType.MANUAL.value, "Registration, approved manually"),
]
RECURRENCE_CHOICES = [("", "---------"), (1, "Daily"), (2, "Weekly"), (3, "Monthly")]
# Zoom numbers weekdays from Sunday = 1.
WEEKDAY_CHOICES = [
    (str(number), name)
    for number, name in enumerate(
        ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"), start=1
    )
]
# Passcode alphabets (Meetings OpenAPI). "Update a meeting", ``password``: "a passcode can
# **only** have a maximum length of 10 characters and only contain alphanumeric characters and
# the `@`, `-`, `_`, and `*` characters"; "Update a webinar": "Passcode may only contain the
# characters [a-z A-Z 0-9 @ - _ * !]. Maximum of 10 characters." The creates: "up to 10
# characters in length and may contain alphanumeric characters as well as special characters
# such as !, @, #, etc.": any visible ASCII character.
MEETING_PASSCODE = re.compile(r"[A-Za-z0-9@\-_*]{1,10}")
WEBINAR_PASSCODE = re.compile(r"[A-Za-z0-9@\-_*!]{1,10}")
CREATE_PASSCODE = re.compile(r"[!-~]{1,10}")
# A Zoom user ID ("Alternative host emails or IDs"), e.g. "30R7kT7bTIKSNUFEuH_Qlg".
ZOOM_USER_ID = re.compile(r"[A-Za-z0-9_-]{6,64}")
# "Registration cannot be enabled for a basic user" (``settings.approval_type``: "this feature
# requires the host to be of **Licensed** user type").
REGISTRATION_NEEDS_LICENSE = (
    "Registration needs a licensed host: Zoom says “Registration cannot be enabled for a basic "
    "user.”"
)


class LocalDateTimeField(forms.DateTimeField):
    """A date-time as a clock shows it, without a time zone: the form's ``timezone`` says
    where (Django's own field would read it in the server's zone and make it an instant)."""

    widget = forms.DateTimeInput(format=LOCAL_FORMAT)

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        text = str(value).strip()
        try:
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            parsed = BaseTemporalField.to_python(self, text)
        if parsed.tzinfo is not None:
            raise ValidationError(
                "Enter the time as the meeting's clock shows it, without a UTC offset.",
                code="offset",
            )
        return parsed.replace(microsecond=0)


def clean_alternative_hosts(value: str, separator: str) -> str:
    """Zoom's ``settings.alternative_hosts``, e-mail addresses or user IDs, as Zoom separates
    them: a meeting's "A semicolon-separated list of the meeting's alternative hosts' email
    addresses or IDs", a webinar's "Alternative host emails or IDs. Multiple values separated
    by comma." Semicolons, commas and spaces are all taken as separators here."""
    hosts = [part for part in re.split(r"[;,\s]+", value or "") if part]
    for host in hosts:
        if "@" not in host and ZOOM_USER_ID.fullmatch(host):
            continue
        try:
            validate_email(host)
        except ValidationError:
            raise ValidationError(
                f"“{host}” is neither an e-mail address nor a Zoom user ID."
            ) from None
    return separator.join(hosts)


class _ScheduledForm(forms.Form):
    """What meeting and webinar forms share; subclasses set the types and the limits."""

    #: The types with a start time ("only used for scheduled or recurring meetings with a fixed
    #: time") and the recurring one with a fixed time (the only one that takes ``recurrence``).
    TIMED_TYPES: Collection[int] = ()
    FIXED_RECURRING_TYPE = 0
    #: ``recurrence.repeat_interval`` maxima by recurrence type (daily, weekly, monthly).
    INTERVAL_MAX: dict[int, int] = {}
    SETTINGS: tuple[str, ...] = ("approval_type", "alternative_hosts")
    PASSCODE = MEETING_PASSCODE
    PASSCODE_SIGNS = "@ - _ *"
    ALTERNATIVE_HOSTS_SEPARATOR = ";"
    #: ``recurrence.end_times`` minimum: a meeting's "If end_times is set to 0, it means there
    #: is no end time"; a webinar's description has no such value.
    END_TIMES_MIN = 0
    RECURRENCE = (
        "recurrence_type",
        "repeat_interval",
        "weekly_days",
        "monthly_day",
        "end_times",
        "end_date_time",
    )

    host = forms.ModelChoiceField(queryset=ZoomUser.objects.none(), label="Host")
    topic = forms.CharField(max_length=200, required=False)
    type = forms.TypedChoiceField(choices=(), coerce=int)
    start_time = LocalDateTimeField(
        required=False,
        help_text="As the host's clock shows it in the time zone below, e.g. 2030-05-01T09:30:00.",
    )
    duration = forms.IntegerField(
        label="Duration (minutes)", min_value=1, max_value=1440, required=False
    )
    timezone = forms.ChoiceField(
        label="Time zone", choices=TIME_ZONES, required=False, widget=ManyOptionsSelect
    )
    agenda = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)
    password = forms.CharField(
        label="Passcode",
        max_length=10,
        required=False,
        strip=False,
        help_text="Up to 10 characters; a new one: any visible characters, a changed one: "
        "letters, digits and @ - _ * (webinars also !).",
    )
    approval_type = forms.TypedChoiceField(
        label="Registration", choices=APPROVAL_CHOICES, coerce=int, initial=ApprovalType.NONE
    )
    alternative_hosts = forms.CharField(
        required=False,
        help_text="E-mail addresses or Zoom user IDs, separated by semicolons or commas.",
    )
    recurrence_type = forms.TypedChoiceField(
        label="Repeats", choices=RECURRENCE_CHOICES, coerce=int, empty_value=None, required=False
    )
    repeat_interval = forms.IntegerField(label="Every", min_value=1, required=False)
    weekly_days = forms.MultipleChoiceField(
        label="On", choices=WEEKDAY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    monthly_day = forms.IntegerField(
        label="Day of the month", min_value=1, max_value=31, required=False
    )
    end_times = forms.IntegerField(
        label="Ends after (occurrences)",
        min_value=0,
        max_value=60,
        required=False,
        help_text="Up to 60; 0: no end (meetings only).",
    )
    end_date_time = LocalDateTimeField(
        label="Ends on", required=False, help_text="In the meeting's time zone."
    )

    def __init__(
        self,
        *args: Any,
        hosts: Any = None,
        host_widget: forms.Widget | None = None,
        host: ZoomUser | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Adding names the host; a change keeps it (Zoom moves a meeting only by a hand-over).
        self.host = host
        if hosts is None:
            del self.fields["host"]
        else:
            field = self.fields["host"]
            field.queryset = hosts
            if host_widget is not None:
                field.widget = host_widget
                field.widget.choices = field.choices
        if self.END_TIMES_MIN:
            self.fields["end_times"].validators.append(MinValueValidator(self.END_TIMES_MIN))
            self.fields["end_times"].help_text = "Up to 60."
        current = (self.initial or {}).get("timezone")
        choices = self.fields["timezone"].choices
        if current and current not in {value for value, _ in choices}:
            self.fields["timezone"].choices = [*choices, (current, current)]

    # --- validation --------------------------------------------------------------------------

    def clean_password(self) -> str:
        value = self.cleaned_data["password"]
        # A passcode Zoom already holds is Zoom's to judge; a new one must fit the alphabet,
        # a create's (any visible character) or an update's.
        if not value or "password" not in self.changed_data:
            return value
        if "host" in self.fields:
            if not CREATE_PASSCODE.fullmatch(value):
                raise ValidationError("Zoom takes visible characters without spaces only.")
        elif not self.PASSCODE.fullmatch(value):
            raise ValidationError(f"Zoom takes letters, digits and {self.PASSCODE_SIGNS} only.")
        return value

    def clean_alternative_hosts(self) -> str:
        return clean_alternative_hosts(
            self.cleaned_data["alternative_hosts"], self.ALTERNATIVE_HOSTS_SEPARATOR
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        host = data.get("host") if "host" in self.fields else self.host
        self._check_host(host, data)
        if data.get("type") in self.TIMED_TYPES:
            self._check_start(data)
        if data.get("type") == self.FIXED_RECURRING_TYPE:
            self._check_recurrence(data)
        return data

    def _check_host(self, host: ZoomUser | None, data: dict[str, Any]) -> None:
        registration = data.get("approval_type") in (ApprovalType.AUTOMATIC, ApprovalType.MANUAL)
        if (
            registration
            and "approval_type" in self.changed_data
            and host is not None
            and host.type != ZoomUser.Type.LICENSED
        ):
            self.add_error("approval_type", REGISTRATION_NEEDS_LICENSE)

    def _check_start(self, data: dict[str, Any]) -> None:
        start, zone = data.get("start_time"), data.get("timezone")
        if start is None:
            if "start_time" not in self.errors:
                self.add_error("start_time", "A meeting of this type needs a start time.")
            return
        if not zone:
            self.add_error("timezone", "Choose the time zone the start time is in.")
            return
        # Zoom moves a past start time to now ("If start_time is … set to a past value, it
        # defaults to the current time"): refused, rather than scheduled for a time not asked.
        if {"start_time", "timezone"} & set(self.changed_data):
            if start.replace(tzinfo=zoneinfo.ZoneInfo(zone)) <= timezone.now():
                self.add_error("start_time", "This time has passed in that time zone.")

    def _check_recurrence(self, data: dict[str, Any]) -> None:
        kind = data.get("recurrence_type")
        if kind is None:
            if "recurrence_type" not in self.errors:
                self.add_error("recurrence_type", "Say how the meeting repeats.")
            return
        interval = data.get("repeat_interval")
        if interval is not None and interval > self.INTERVAL_MAX[kind]:
            unit = {1: "days", 2: "weeks", 3: "months"}[kind]
            self.add_error(
                "repeat_interval", f"Zoom repeats at most every {self.INTERVAL_MAX[kind]} {unit}."
            )
        if kind == 2 and not data.get("weekly_days"):
            self.add_error("weekly_days", "Choose the days of the week.")
        if kind == 3 and data.get("monthly_day") is None and "monthly_day" not in self.errors:
            self.add_error("monthly_day", "Choose the day of the month.")
        end_times, end = data.get("end_times"), data.get("end_date_time")
        if end_times is not None and end is not None:
            # recurrence.end_times / end_date_time: "Cannot be used with" the other.
            self.add_error("end_date_time", "Zoom takes a number of occurrences or an end date.")
        elif end_times is None and end is None:
            if not {"end_times", "end_date_time"} & set(self.errors):
                self.add_error("end_times", "Say when it ends: occurrences or an end date.")
        elif end is not None and data.get("start_time") and end <= data["start_time"]:
            self.add_error("end_date_time", "The series must end after its first start.")

    # --- what Zoom is sent -------------------------------------------------------------------

    def zoom_body(self, *, changed_only: bool = False) -> dict[str, Any]:
        """Zoom's request body: every field given (create), or what the form changed (update,
        ``changed_only``). A start time goes with its time zone, both as entered."""
        data = self.cleaned_data
        changed = set(self.changed_data) if changed_only else set(self.fields)
        meeting_type = data["type"]
        body: dict[str, Any] = {}
        for name in ("topic", "type", "duration", "agenda", "password"):
            value = data.get(name)
            # A create leaves out what is empty (Zoom's defaults); a change sends a cleared text.
            if name in changed and value is not None and (changed_only or value != ""):
                body[name] = value
        timed = meeting_type in self.TIMED_TYPES
        if timed and ({"start_time", "timezone", "type"} & changed):
            body["start_time"] = data["start_time"].strftime(LOCAL_FORMAT)
            body["timezone"] = data["timezone"]
        elif "timezone" in changed and data.get("timezone"):
            body["timezone"] = data["timezone"]
        settings = {
            name: data[name]
            for name in self.SETTINGS
            if name in changed and (changed_only or data[name] != "")
        }
        if settings:
            body["settings"] = settings
        if meeting_type == self.FIXED_RECURRING_TYPE and ({"type", *self.RECURRENCE} & changed):
            body["recurrence"] = self._recurrence(data)
        return body

    def _recurrence(self, data: dict[str, Any]) -> dict[str, Any]:
        kind = data["recurrence_type"]
        recurrence: dict[str, Any] = {"type": kind, "repeat_interval": data["repeat_interval"] or 1}
        if kind == 2:
            recurrence["weekly_days"] = ",".join(sorted(data["weekly_days"]))
        if kind == 3:
            recurrence["monthly_day"] = data["monthly_day"]
        if data.get("end_times") is not None:
            recurrence["end_times"] = data["end_times"]
        else:
            # recurrence.end_date_time: "Should be in UTC time, such as 2017-11-25T12:00:00Z".
            zone = zoneinfo.ZoneInfo(data.get("timezone") or "UTC")
            end = data["end_date_time"].replace(tzinfo=zone).astimezone(dt.UTC)
            recurrence["end_date_time"] = end.strftime("%Y-%m-%dT%H:%M:%SZ")
        return recurrence

    @classmethod
    def initial_for(cls, record: BaseMeeting) -> dict[str, Any]:
        """The form's values from the stored record, times on the meeting's own clock."""
        data = record.zoom_data
        settings = data.get("settings") or {}
        zone_name = record.timezone or data.get("timezone") or ""
        zone = _zone_or_utc(zone_name)
        recurrence = data.get("recurrence") or {}
        initial: dict[str, Any] = {
            "topic": record.topic,
            "type": record.type,
            "start_time": _local(record.start_time, zone),
            "duration": record.duration,
            "timezone": zone_name,
            "agenda": data.get("agenda", ""),
            "password": data.get("password", ""),
            "approval_type": record.approval_type
            if record.approval_type is not None
            else ApprovalType.NONE,
            "alternative_hosts": settings.get("alternative_hosts", ""),
            "recurrence_type": recurrence.get("type"),
            "repeat_interval": recurrence.get("repeat_interval"),
            "weekly_days": [d for d in str(recurrence.get("weekly_days") or "").split(",") if d],
            "monthly_day": recurrence.get("monthly_day"),
            "end_times": recurrence.get("end_times"),
            "end_date_time": _local(_instant(recurrence.get("end_date_time")), zone),
        }
        for name in cls.SETTINGS:
            if name not in initial:
                initial[name] = bool(settings.get(name))
        return initial


def _zone_or_utc(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name) if name else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _instant(value: Any) -> dt.datetime | None:
    parsed = parse_datetime(value) if isinstance(value, str) and value else None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def _local(value: dt.datetime | None, zone: dt.tzinfo) -> dt.datetime | None:
    return value.astimezone(zone).replace(tzinfo=None) if value is not None else None


class MeetingForm(_ScheduledForm):
    """``POST /users/{userId}/meetings`` (add, with ``host``) and ``PATCH /meetings/{id}``."""

    TIMED_TYPES = (Meeting.Type.SCHEDULED, Meeting.Type.RECURRING_FIXED_TIME)
    FIXED_RECURRING_TYPE = Meeting.Type.RECURRING_FIXED_TIME
    # recurrence.repeat_interval: "For a daily meeting, the maximum number of recurrences is
    # `99` days. For a weekly meeting, the maximum is `50` weeks. For a monthly meeting, the
    # maximum is `10` months."
    INTERVAL_MAX = {1: 99, 2: 50, 3: 10}
    SETTINGS = ("approval_type", "alternative_hosts", "waiting_room", "join_before_host")

    waiting_room = forms.BooleanField(required=False)
    join_before_host = forms.BooleanField(
        label="Participants may join before the host", required=False
    )
    field_order = ["host", "topic", "type", "start_time", "duration", "timezone", "agenda"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [
            (value, Meeting.Type(value).label)
            for value in (
                Meeting.Type.INSTANT,
                Meeting.Type.SCHEDULED,
                Meeting.Type.RECURRING_NO_FIXED_TIME,
                Meeting.Type.RECURRING_FIXED_TIME,
            )
        ]
        self.fields["type"].initial = Meeting.Type.SCHEDULED
        current = (self.initial or {}).get("type")
        if current and current not in {value for value, _ in self.fields["type"].choices}:
            # A PMI or screen-share-only meeting keeps its type; Zoom's create takes neither.
            label = Meeting.Type(current).label if current in Meeting.Type.values else current
            self.fields["type"].choices = [*self.fields["type"].choices, (current, label)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("waiting_room") and data.get("join_before_host"):
            # settings.waiting_room: "If this value is `true`, this **disables** the
            # `join_before_host` setting."
            self.add_error("join_before_host", "Zoom turns this off when the waiting room is on.")
        return data


class WebinarForm(_ScheduledForm):
    """``POST /users/{userId}/webinars`` (add) and ``PATCH /webinars/{webinarId}``; the host
    must be licensed, with the webinar add-on (which only Zoom knows: it refuses otherwise)."""

    TIMED_TYPES = (Webinar.Type.WEBINAR, Webinar.Type.RECURRING_FIXED_TIME)
    FIXED_RECURRING_TYPE = Webinar.Type.RECURRING_FIXED_TIME
    # recurrence.repeat_interval: "For a daily webinar, the maximum interval you can set is
    # `90` days. For a weekly webinar, the maximum interval that you can set is `12` weeks.
    # For a monthly webinar, the maximum interval that you can set is `3` months."
    INTERVAL_MAX = {1: 90, 2: 12, 3: 3}
    PASSCODE = WEBINAR_PASSCODE
    PASSCODE_SIGNS = "@ - _ * !"
    ALTERNATIVE_HOSTS_SEPARATOR = ","
    END_TIMES_MIN = 1
    field_order = MeetingForm.field_order

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [(t.value, t.label) for t in Webinar.Type]
        self.fields["type"].initial = Webinar.Type.WEBINAR

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        host = data.get("host")
        if host is not None and host.type != ZoomUser.Type.LICENSED:
            # "Create a webinar", Prerequisites: "A Pro or higher plan with a Webinar plan
            # add-on", which Zoom gives licensed users only.
            self.add_error("host", "Zoom hosts webinars for licensed users only.")
        return data


class MeetingDeleteForm(forms.Form):
    """The options of "Delete" (``DELETE /meetings/{meetingId}``), Zoom's names."""

    schedule_for_reminder = forms.BooleanField(
        label="E-mail the host and alternative hosts about the cancellation", required=False
    )
    cancel_meeting_reminder = forms.BooleanField(
        label="E-mail the registrants about the cancellation", required=False
    )

    def options(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(name)) for name in self.fields}


class WebinarDeleteForm(forms.Form):
    """The options of "Delete" (``DELETE /webinars/{webinarId}``)."""

    cancel_webinar_reminder = forms.BooleanField(
        label="E-mail the panelists and registrants about the cancellation", required=False
    )

    def options(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(name)) for name in self.fields}
