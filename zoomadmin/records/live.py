"""Live views: what Zoom holds about a record, fetched when the page opens, never stored.

A live view (a meeting's invitation, a user's phone recordings, chat channels and messages)
asks Zoom through the tenant's paced client, shows one page of Zoom's answer and a "Next page"
link carrying Zoom's ``next_page_token`` (which lives 15 minutes and is kept nowhere but in
that link). Bad input is a form error and costs no request; a Zoom refusal (a missing scope,
no Zoom Phone licence, an unknown user) is shown in words on an ordinary page. Reads are not
audited: nothing in Zoom changes.

:class:`LiveViewsMixin` gives a record admin the two halves every live view shares: the
record, scoped to the signed-in user's tenants (404 otherwise, before any request), and the
page rendered from a fetch function's :class:`LivePage` or Zoom's refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from zoomadmin.records.models import ZoomRecord
from zoomadmin.tenants.tokens import client_for_tenant
from zoomadmin.zoom.client import ZoomClient
from zoomadmin.zoom.errors import ZoomError, ZoomPageTokenExpired, ZoomUnavailable, in_words

# Zoom's answer to a token without the operation's scope: 4700 in Zoom's error reference,
# 4711 "Invalid access token, does not contain scopes:[…]" as observed (FACTS.md §6).
MISSING_SCOPE_CODES = frozenset({4700, 4711})
# What a page link may carry back to Zoom as ``next_page_token`` (Zoom's are short, opaque).
PAGE_TOKEN_MAX_LENGTH = 512


@dataclass(frozen=True)
class LivePage:
    """One page of a Zoom listing as a live view shows it."""

    items: list[dict[str, Any]]
    next_page_token: str = ""
    total_records: int | None = None
    # The days Zoom says the answer covers, where it says (phone recordings).
    covered: tuple[date, date] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any], items_key: str, **kwargs: Any) -> LivePage:
        total = answer.get("total_records")
        return cls(
            items=list(answer.get(items_key) or ()),
            next_page_token=str(answer.get("next_page_token") or ""),
            total_records=total if isinstance(total, int) else None,
            **kwargs,
        )


def refusal_in_words(
    error: ZoomError, *, scope: str, hints: Mapping[int, str] | None = None
) -> str:
    """Zoom's refusal of a live view as an administrator reads it, with what to do about it
    (a live view only reads: no "Zoom may have done it" for one that went unanswered)."""
    if isinstance(error, ZoomUnavailable):
        return f"{error}. Nothing was changed: open the page again to ask Zoom once more."
    text = in_words(error)
    if isinstance(error, ZoomPageTokenExpired):
        return f"{text}. Zoom keeps a page link 15 minutes: start again from the first page."
    if error.code in MISSING_SCOPE_CODES or "does not contain scope" in error.message.lower():
        return (
            f"{text}. The Zoom app of this account lacks the scope {scope}: add it to the app "
            "in the Zoom App Marketplace, then reconnect the account (Zoom accounts → Tenants)."
        )
    hint = (hints or {}).get(error.code) if error.code is not None else None
    return f"{text}. {hint}" if hint else text


class PageTokenField(forms.CharField):
    """Zoom's ``next_page_token`` of the page before, carried by the "Next page" link."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", PAGE_TOKEN_MAX_LENGTH)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)


class LiveForm(forms.Form):
    """The query of a live view, read from the page's URL; defaults fill what it lacks, so
    the page opened from a record's page shows Zoom's first page at once."""

    next_page_token = PageTokenField()

    @classmethod
    def from_query(cls, query: Mapping[str, str], **kwargs: Any) -> LiveForm:
        form = cls(**kwargs)
        data = {name: form.default(name) for name in form.fields}
        data.update({name: value for name, value in query.items() if name in form.fields})
        return cls(data, **kwargs)

    def default(self, name: str) -> str:
        return ""

    def query(self) -> dict[str, str]:
        """The form's fields as the URL carries them, without the page token."""
        return {
            name: str(self.data.get(name) or "")
            for name in self.fields
            if name != "next_page_token" and self.data.get(name)
        }


class LiveViewsMixin:
    """For a record admin (``TenantScopedAdmin``): the record of a live view, and its page."""

    def live_object(self, request: HttpRequest, object_id: str) -> ZoomRecord:
        # get_object is scoped to the user's tenants: another tenant's record answers 404.
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if not self.has_view_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        return obj

    def render_live(
        self,
        request: HttpRequest,
        obj: ZoomRecord,
        *,
        template: str,
        title: str,
        scope: str,
        fetch: Callable[[ZoomClient], Any],
        form: LiveForm | None = None,
        hints: Mapping[int, str] | None = None,
        unavailable: str = "",
        context: Mapping[str, Any] | None = None,
    ) -> HttpResponse:
        """The page of a live view: ``fetch(client)`` asked of Zoom when ``form`` (if any) is
        valid and nothing makes the question pointless (``unavailable`` says why, in words);
        Zoom's refusal in words otherwise. Always an ordinary page (200)."""
        opts = self.opts  # type: ignore[attr-defined]
        result, refusal = None, unavailable
        if obj.deleted_at is not None and not refusal:
            refusal = f"Zoom deleted this {opts.verbose_name}: there is nothing to ask it about."
        if not refusal and (form is None or form.is_valid()):
            try:
                result = fetch(client_for_tenant(obj.tenant, interactive=True))
            except ZoomError as error:
                refusal = refusal_in_words(error, scope=scope, hints=hints)
        next_url = first_url = ""
        if form is not None and form.is_bound:
            first_url = "?" + urlencode(form.query())
            token = getattr(result, "next_page_token", "")
            if token:
                next_url = "?" + urlencode({**form.query(), "next_page_token": token})
        change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),  # type: ignore[attr-defined]
                "opts": opts,
                "original": obj,
                "title": title,
                "form": form,
                "result": result,
                "refusal": refusal,
                "scope": scope,
                "change_url": change_url,
                "first_url": first_url,
                "next_url": next_url,
                "paged": bool(form is not None and form.data.get("next_page_token")),
                **(context or {}),
            },
        )
