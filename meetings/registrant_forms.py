"""The add form of registrants, validating as Zoom does before any request is made.

Field names are Zoom's (SPEC §10: ``email``, ``first_name``, ``last_name``); the rules are the
Meetings OpenAPI's ``POST /meetings/{meetingId}/registrants`` (and the webinar one): ``email``
and ``first_name`` required, ``first_name`` and ``last_name`` "maxLength": 64, ``email``
"maxLength": 128 in e-mail format. Registration must be on for the meeting: a meeting whose
``settings.approval_type`` is "2 - No registration required" is refused here, as Zoom would
(400, code 3000). A form Zoom would refuse for its shape costs no request.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import Model, QuerySet

NO_REGISTRATION = 2


class RegistrantAddForm(forms.Form):
    """Who registers (``email``, ``first_name``, ``last_name``) for which meeting or webinar:
    the field ``meeting`` or ``webinar``, as ``parent`` names it."""

    email = forms.EmailField(max_length=128)
    first_name = forms.CharField(max_length=64)
    last_name = forms.CharField(max_length=64, required=False)

    def __init__(
        self,
        *args: Any,
        parent: str,
        parents: QuerySet,
        relation: Any,
        admin_site: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.parent = parent
        field = forms.ModelChoiceField(
            queryset=parents,
            label=parent.capitalize(),
            widget=AutocompleteSelect(relation, admin_site),
            help_text=f"A {parent} of a connected Zoom account with registration on.",
        )
        field.widget.choices = field.choices
        self.fields = {parent: field, **self.fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen: Model | None = data.get(self.parent)
        if chosen is not None and getattr(chosen, "approval_type", None) == NO_REGISTRATION:
            self.add_error(
                self.parent,
                f"Zoom holds this {self.parent} without registration (approval type 2, "
                "“No registration required”): turn registration on first.",
            )
        return data

    def registrant(self) -> dict[str, str]:
        """The body of Zoom's ``POST …/registrants`` (the fields that were filled in)."""
        return {
            name: self.cleaned_data[name]
            for name in ("email", "first_name", "last_name")
            if self.cleaned_data.get(name)
        }
