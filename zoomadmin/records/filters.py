"""List filters whose cost does not grow with the data.

Django's filter of a relation lists every related row (one link per host: 16,515 links on a
tenant of 20,000 users), and its filter of a text column first reads every distinct value of
the list. These filters read at most a handful of rows, whatever the size of the list:

- ``AutocompleteFilter`` (a foreign key: the host, the meeting, the tenant): a searchable
  select fed by the admin's own autocomplete view, which asks the related model's admin for
  its queryset, so it offers only the signed-in user's tenants' records. Rendering it reads
  the chosen record alone. ``TenantFilter`` shows up to ten tenants as links, more through the
  same autocomplete.
- ``text_filter(lookup)``: a text box matched exactly (or without case), no choices read.
- ``code_filter(names)``: fixed codes with their names (file types, event names, bulk
  operations), no query.

Usage: ``list_filter = [("tenant", TenantFilter), ("host", AutocompleteFilter),
("dept", text_filter("iexact")), ("file_type", code_filter(FILE_TYPES))]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import get_last_value_from_parameters
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import models
from django.http import HttpRequest
from django.utils.http import urlencode

from zoomadmin.tenants.scoping import visible_tenant_ids

# The autocomplete view is asked with this parameter when a filter asks: an admin whose
# autocomplete narrows what a form may choose (only active users can host) offers all then.
PURPOSE = "purpose"
FILTER_PURPOSE = "filter"


def is_filter_autocomplete(request: HttpRequest) -> bool:
    """Whether this autocomplete request comes from a list filter (not from a form)."""
    return request.GET.get(PURPOSE) == FILTER_PURPOSE


class _FilterAutocompleteSelect(AutocompleteSelect):
    def get_url(self) -> str:
        return f"{super().get_url()}?{urlencode({PURPOSE: FILTER_PURPOSE})}"


def _hidden_params(changelist: Any, remove: list[str]) -> list[tuple[str, str]]:
    """The changelist's query (search, other filters, order) but ``remove`` and the page,
    as the hidden fields of a filter's form."""
    return [
        (name, value)
        for name, values in changelist.filter_params.items()
        if not any(name.startswith(prefix) for prefix in remove)
        for value in values
    ]


class AutocompleteFilter(admin.FieldListFilter):
    """A foreign key chosen through the admin's autocomplete of the related model (which
    needs ``search_fields`` on that model's admin)."""

    template = "admin/records/autocomplete_filter.html"
    #: Up to this many choices (the related admin's queryset), links instead of a search.
    links_up_to = 0

    def __init__(
        self,
        field: models.ForeignKey,
        request: HttpRequest,
        params: dict,
        model: type[models.Model],
        model_admin: Any,
        field_path: str,
    ) -> None:
        self.lookup_kwarg = f"{field_path}__{field.target_field.name}__exact"
        self.lookup_val = get_last_value_from_parameters(params, self.lookup_kwarg)
        super().__init__(field, request, params, model, model_admin, field_path)
        self.admin_site = model_admin.admin_site
        self.related_admin = self.admin_site.get_model_admin(field.related_model)
        self.title = str(field.verbose_name)
        self._links = self.link_choices(request)

    def link_choices(self, request: HttpRequest) -> list[models.Model] | None:
        """The choices to show as links (up to ``links_up_to``), or None for the search."""
        if not self.links_up_to:
            return None
        ordering = self.related_admin.get_ordering(request) or ()
        choices = self.related_admin.get_queryset(request).order_by(*ordering)
        found = list(choices[: self.links_up_to + 1])
        return found if len(found) <= self.links_up_to else None

    def expected_parameters(self) -> list[str]:
        return [self.lookup_kwarg]

    def has_output(self) -> bool:
        # One choice is no choice (a staff member of a single tenant).
        return self._links is None or len(self._links) > 1 or self.lookup_val is not None

    def get_facet_counts(self, pk_attname: str, filtered_qs: Any) -> dict:
        return {}

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        all_url = changelist.get_query_string(remove=[self.lookup_kwarg])
        selected = self.lookup_val
        choice: dict[str, Any] = {"all_url": all_url, "selected": selected is not None}
        if self._links is not None:
            choice["links"] = [
                {
                    "display": str(obj),
                    "selected": str(obj.pk) == selected,
                    "query_string": changelist.get_query_string({self.lookup_kwarg: obj.pk}),
                }
                for obj in self._links
            ]
        else:
            choice["hidden"] = _hidden_params(changelist, [self.lookup_kwarg])
            choice["widget"] = self._widget().render(
                self.lookup_kwarg,
                selected,
                attrs={
                    "id": f"filter_{self.lookup_kwarg}",
                    "aria-label": self.title,
                    "onchange": "this.form.submit()",
                    "style": "width: 100%",
                },
            )
        yield choice

    def _widget(self) -> AutocompleteSelect:
        # The queryset names the chosen record (the one row read); its choices come by AJAX.
        chosen = forms.ModelChoiceField(
            queryset=self.related_admin.get_queryset(self.request),
            required=False,
            widget=_FilterAutocompleteSelect(self.field, self.admin_site),
        )
        chosen.widget.choices = chosen.choices
        return chosen.widget


class TenantFilter(AutocompleteFilter):
    """The tenant: links for up to ten (a staff member's few), a search for more; nothing
    for a member of one tenant (and nothing read)."""

    links_up_to = 10

    def link_choices(self, request: HttpRequest) -> list[models.Model] | None:
        if len(visible_tenant_ids(request.user)) <= 1:
            return []
        return super().link_choices(request)


class _OneValueFilter(admin.FieldListFilter):
    """A filter on one value of a column (``field_path__<lookup>``), without facet counts."""

    lookup = "exact"

    def __init__(self, field, request, params, model, model_admin, field_path) -> None:
        self.lookup_kwarg = f"{field_path}__{self.lookup}"
        self.lookup_val = get_last_value_from_parameters(params, self.lookup_kwarg)
        super().__init__(field, request, params, model, model_admin, field_path)

    def expected_parameters(self) -> list[str]:
        return [self.lookup_kwarg]

    def get_facet_counts(self, pk_attname: str, filtered_qs: Any) -> dict:
        return {}


class _TextFilter(_OneValueFilter):
    template = "admin/records/text_filter.html"

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        yield {
            "name": self.lookup_kwarg,
            "value": self.lookup_val or "",
            "selected": self.lookup_val is not None,
            "all_url": changelist.get_query_string(remove=[self.lookup_kwarg]),
            "hidden": _hidden_params(changelist, [self.lookup_kwarg]),
        }


def text_filter(lookup: str = "exact") -> type[admin.FieldListFilter]:
    """A filter of a text column by a typed value: ``exact`` (an index serves it) or
    ``iexact`` (without case, for names people type differently)."""
    return type(f"TextFilter_{lookup}", (_TextFilter,), {"lookup": lookup})


class _CodeFilter(_OneValueFilter):
    names: Mapping[str, str] = {}
    #: The names when they are known only once every app is loaded (the registered ones).
    names_of: Callable[[], Mapping[str, str]] | None = None

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        yield {
            "selected": self.lookup_val is None,
            "query_string": changelist.get_query_string(remove=[self.lookup_kwarg]),
            "display": "All",
        }
        names = self.names_of() if self.names_of is not None else self.names
        for code, name in names.items():
            yield {
                "selected": self.lookup_val == code,
                "query_string": changelist.get_query_string({self.lookup_kwarg: code}),
                "display": name,
            }


def code_filter(
    names: Mapping[str, str] | Callable[[], Mapping[str, str]],
) -> type[admin.FieldListFilter]:
    """A filter of the fixed codes of a column, named (``{"MP4": "Video (MP4)", …}``, or a
    function that gives them when the list is shown)."""
    if callable(names):
        return type("CodeFilter", (_CodeFilter,), {"names_of": staticmethod(names)})
    return type("CodeFilter", (_CodeFilter,), {"names": dict(names)})
