"""Forms of the user writes, validating as Zoom does before any request is made.

Field names are Zoom's (SPEC §10); the rules are the Users OpenAPI's (``POST /users``,
``PATCH /users/{userId}``, ``DELETE /users/{userId}``): lengths, the user types, the
autoCreate password rule, a 10-digit PMI, a 6-10 digit host key, a time zone Zoom knows. A
form that Zoom would refuse for its shape costs no request.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from django import forms

from users.models import ZoomUser
from users.services import CREATE_ACTIONS
from zoomadmin.records.widgets import ManyOptionsSelect

USER_TYPES = [
    (ZoomUser.Type.BASIC.value, "Basic"),
    (ZoomUser.Type.LICENSED.value, "Licensed"),
    (ZoomUser.Type.UNASSIGNED.value, "Unassigned without Meetings Basic"),
]
CREATE_ACTION_CHOICES = [
    ("create", "create: Zoom e-mails an invitation; the user is pending until accepted"),
    ("autoCreate", "autoCreate: an e-mail login with a password (managed domains)"),
    ("custCreate", "custCreate: no password, no login (ISV accounts)"),
    ("ssoCreate", "ssoCreate: pre-provisioned SSO user"),
]
assert [value for value, _ in CREATE_ACTION_CHOICES] == list(CREATE_ACTIONS)


def _time_zone_choices() -> list[tuple[str, str]]:
    # Zoom's time zones are IANA names (its "abbreviation list" of time zones): the ones the
    # machine's time zone database holds, without the legacy aliases Zoom does not list.
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    )
    names.insert(0, "UTC")
    return [("", "---------"), *((name, name.replace("_", " ")) for name in names)]


TIME_ZONES = _time_zone_choices()


PASSWORD_RUN = 8


def validate_zoom_password(value: str) -> None:
    """Users OpenAPI, ``user_info.password``: 8 to 32 characters, "at least one letter …, at
    least one number … and include both uppercase and lowercase letters. It should not contain
    only one identical character repeatedly ('11111111' or 'aaaaaaaa') and it cannot contain
    consecutive characters ('12345678' or 'abcdefgh')"."""
    problems = []
    if not 8 <= len(value) <= 32:
        problems.append("8 to 32 characters")
    if not (re.search(r"[a-z]", value) and re.search(r"[A-Z]", value)):
        problems.append("both lowercase and uppercase letters")
    if not re.search(r"[0-9]", value):
        problems.append("at least one number")
    if problems:
        raise forms.ValidationError("Zoom requires " + ", ".join(problems) + ".")
    # Zoom's examples are runs of eight: refused wherever they stand in the password.
    for start in range(len(value) - PASSWORD_RUN + 1):
        window = value[start : start + PASSWORD_RUN]
        steps = {ord(b) - ord(a) for a, b in zip(window, window[1:], strict=False)}
        if steps == {0}:
            raise forms.ValidationError(f"Zoom refuses a character repeated ({window}).")
        if steps in ({1}, {-1}):
            raise forms.ValidationError(f"Zoom refuses consecutive characters ({window}).")


class _UserFields(forms.Form):
    first_name = forms.CharField(max_length=64, required=False)
    last_name = forms.CharField(max_length=64, required=False)
    display_name = forms.CharField(max_length=128, required=False)
    type = forms.TypedChoiceField(label="User type", choices=USER_TYPES, coerce=int)
    dept = forms.CharField(label="Department", required=False)
    job_title = forms.CharField(max_length=128, required=False)


class UserCreateForm(_UserFields):
    """``POST /users``: ``action`` and ``user_info``; ``dept`` and ``job_title`` are not part
    of Zoom's create and are sent right after it."""

    tenant = forms.ModelChoiceField(queryset=None, label="Zoom account")
    action = forms.ChoiceField(
        label="How to create",
        choices=CREATE_ACTION_CHOICES,
        initial="create",
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(max_length=128)
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput,
        help_text="autoCreate only: 8 to 32 characters with a number and upper- and lowercase "
        "letters.",
    )
    field_order = ["tenant", "action", "email", "first_name", "last_name", "display_name"]

    def __init__(self, *args: Any, tenants: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = tenants
        if len(tenants) == 1:
            self.fields["tenant"].initial = tenants[0].pk

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        password = data.get("password")
        if data.get("action") == "autoCreate":
            if not password:
                self.add_error("password", "autoCreate needs a password.")
            else:
                try:
                    validate_zoom_password(password)
                except forms.ValidationError as error:
                    self.add_error("password", error)
        elif password:
            self.add_error("password", "Zoom takes a password only with autoCreate.")
        return data

    def user_info(self) -> dict[str, Any]:
        data = self.cleaned_data
        info = {"email": data["email"], "type": data["type"]}
        for name in ("first_name", "last_name", "display_name", "password"):
            if data.get(name):
                info[name] = data[name]
        return info

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in ("dept", "job_title") if data[name]}


class UserChangeForm(_UserFields):
    """``PATCH /users/{userId}``: the fields an administrator edits, as Zoom names them."""

    company = forms.CharField(max_length=255, required=False)
    location = forms.CharField(max_length=256, required=False)
    timezone = forms.ChoiceField(
        label="Time zone", choices=TIME_ZONES, required=False, widget=ManyOptionsSelect
    )
    language = forms.CharField(max_length=64, required=False)
    manager = forms.CharField(
        required=False,
        max_length=256,
        help_text="The e-mail address or display name of a user of the same account.",
    )
    pmi = forms.IntegerField(
        label="Personal meeting ID",
        required=False,
        min_value=1_000_000_000,
        max_value=9_999_999_999,
        help_text="10 digits, not starting with 0.",
    )
    use_pmi = forms.BooleanField(label="Use PMI for instant meetings", required=False)
    host_key = forms.RegexField(
        regex=r"^[0-9]{6,10}$",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        error_messages={"invalid": "A host key is 6 to 10 digits."},
        help_text="Leave empty to keep the current host key.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What Zoom holds is one of its values, whatever this form offers (a time zone this
        # machine's database lacks, a user type only Zoom sets): it stays choosable.
        for name in ("timezone", "type"):
            current = (self.initial or {}).get(name)
            choices = self.fields[name].choices
            if current not in (None, "") and current not in {value for value, _ in choices}:
                self.fields[name].choices = [*choices, (current, f"{current} (as in Zoom)")]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        pmi_changed = {"pmi", "use_pmi"} & set(self.changed_data)
        if pmi_changed and data.get("type") == ZoomUser.Type.UNASSIGNED:
            # Users OpenAPI, PATCH /users/{userId}, 400 code 200: "You cannot change PMI
            # information for a "No Meetings License" user."
            for name in sorted(pmi_changed):
                self.add_error(name, "Zoom keeps no PMI for a user without a Meetings license.")
        return data

    @classmethod
    def initial_for(cls, user: ZoomUser) -> dict[str, Any]:
        data = user.zoom_data
        initial = {name: data.get(name, "") for name in cls.base_fields if name != "host_key"}
        initial["type"] = user.type
        initial["use_pmi"] = bool(data.get("use_pmi"))
        return initial

    def changes(self) -> dict[str, Any]:
        """Zoom's body for what the form changed (an empty host key keeps the current one)."""
        changes = {}
        for name in self.changed_data:
            value = self.cleaned_data[name]
            if name in ("host_key", "pmi") and value in (None, ""):
                continue  # Zoom keeps a host key or PMI; an empty field means "unchanged"
            changes[name] = value
        return changes


class LicenseTypeForm(forms.Form):
    """The options of "Change license type" (``PATCH /users/{userId}`` with ``type``)."""

    type = forms.TypedChoiceField(label="New user type", choices=USER_TYPES, coerce=int)


TRANSFER_FLAGS = ("transfer_meeting", "transfer_webinar", "transfer_recording")


class UserDeleteForm(forms.Form):
    """The options of "Disassociate or delete" (``DELETE /users/{userId}``). Zoom's ``action``
    is called ``mode`` here: the changelist's own ``action`` names the admin action."""

    mode = forms.ChoiceField(
        label="What to do",
        choices=[
            ("disassociate", "Disassociate: the user leaves this account and keeps a Zoom login"),
            ("delete", "Delete: the user is removed from Zoom for good"),
        ],
        initial="disassociate",
        widget=forms.RadioSelect,
    )
    transfer_to = forms.ModelChoiceField(
        queryset=ZoomUser.objects.none(),
        required=False,
        label="Hand over to",
        help_text="The user who receives what is ticked below; left empty, Zoom deletes it "
        "with the user.",
    )
    transfer_meeting = forms.BooleanField(label="Upcoming meetings", required=False)
    transfer_webinar = forms.BooleanField(label="Upcoming webinars", required=False)
    transfer_recording = forms.BooleanField(label="Cloud recordings", required=False)

    def __init__(self, *args: Any, successors: Any, leaving: list[ZoomUser], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leaving = leaving
        self.fields["transfer_to"].queryset = successors

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("mode") == "delete" and any(
            user.status == ZoomUser.Status.PENDING for user in self.leaving
        ):
            # Users OpenAPI, DELETE /users/{userId}, action: "To delete pending user in the
            # account, use `disassociate`".
            self.add_error("mode", "Zoom removes pending users by disassociating them.")
        target = data.get("transfer_to")
        flags = [data.get(name) for name in TRANSFER_FLAGS]
        if target is None and any(flags):
            self.add_error("transfer_to", "Choose the user who receives what is handed over.")
        if target is not None:
            if any(user.pk == target.pk for user in self.leaving):
                # Users OpenAPI, DELETE /users/{userId}, 400 code 300: "The transfer-to email
                # address cannot be the same as the unlinked or deleted user's email address."
                self.add_error("transfer_to", "A user cannot hand over to themselves.")
            elif any(user.tenant_id != target.tenant_id for user in self.leaving):
                self.add_error("transfer_to", "Choose a user of the same Zoom account.")
            elif not any(flags):
                self.add_error("transfer_to", "Tick what to hand over, or choose nobody.")
        return data

    def options(self) -> dict[str, Any]:
        """The parameters of the "users.offboard" operation (plain values: a job keeps them)."""
        data = self.cleaned_data
        target = data.get("transfer_to")
        options: dict[str, Any] = {"mode": data["mode"], "transfer_to": None}
        if target is not None:
            options["transfer_to"] = target.pk
            options.update({name: bool(data.get(name)) for name in TRANSFER_FLAGS})
        return options
