"""The superuser's raw request form (SPEC §7 "any endpoint", the seed's "Raw Request")."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.http import QueryDict

from zoomadmin.tenants.models import Tenant
from zoomadmin.zoom.client import UnsafeApiPath, api_path

METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]
WITH_BODY = {"POST", "PATCH", "PUT"}


class RawRequestForm(forms.Form):
    tenant = forms.ModelChoiceField(
        queryset=Tenant.objects.filter(status=Tenant.Status.CONNECTED), label="Zoom account"
    )
    method = forms.ChoiceField(choices=[(m, m) for m in METHODS], initial="GET")
    path = forms.CharField(
        max_length=500,
        initial="/users/me",
        help_text="Under the API base, e.g. /users/me or /meetings/123/registrants.",
    )
    query = forms.CharField(
        required=False, max_length=2000, help_text="e.g. page_size=30&status=active"
    )
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text="JSON, for POST, PATCH and PUT.",
    )

    def clean_path(self) -> str:
        path = self.cleaned_data["path"].strip()
        try:
            return api_path(path)
        except UnsafeApiPath as error:
            raise forms.ValidationError(str(error)) from None

    def clean_query(self) -> dict[str, Any]:
        raw = self.cleaned_data["query"].strip().lstrip("?")
        parsed = QueryDict(raw)
        return {key: values[-1] for key, values in parsed.lists()}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        text = (data.get("body") or "").strip()
        if not text:
            data["body"] = None
        elif data.get("method") not in WITH_BODY:
            self.add_error("body", "Only POST, PATCH and PUT carry a body.")
        else:
            try:
                data["body"] = json.loads(text)
            except ValueError as error:
                self.add_error("body", f"Not JSON: {error}")
            else:
                if not isinstance(data["body"], (dict, list)):
                    self.add_error("body", "Zoom takes a JSON object or array.")
        return data
