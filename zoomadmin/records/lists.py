"""Changelists and change pages of Zoom records whose cost does not grow with the data.

Measured on one tenant of 100,000 meetings (``bench/admin.py``), Django's stock changelist
spends its time on work proportional to the table, not to the page: a filter link per host,
a date hierarchy that reads the filtered set twice (its first and last date, then every
distinct year), Zoom's JSON of every row, a search of ``=zoom_id`` that casts each id to text,
and an inline of every registrant. ``RecordListsMixin`` (the base of every record admin, under
``ZoomRecordAdmin``) and ``BoundedInlineMixin`` replace those parts:

- filters: relations through the admin's autocomplete, the tenant as links up to ten, free
  text as a text box (``zoomadmin.records.filters``), facets off;
- the rows of a page without ``zoom_data`` (of the record and of what it is shown with); the
  record's page still shows it;
- a query names the tenants (``tenant_id IN (3)``; for a staff member the scoping of
  ``TenantScopedMixin``, for a superuser every tenant), so the database walks an index in the
  list's order that starts with or holds the tenant, instead of filtering every row through
  the membership subquery or sorting the tenant;
- search: a Zoom id (nine digits or more, spaces and dashes allowed: "812 3456 7890") is
  looked up exactly in the integer id columns; other terms match the text columns, and a
  number also matches the integer columns exactly, never through a text cast; a ``=`` column of
  text is matched exactly (Zoom's ids are case-sensitive), so its index serves;
- pages in two queries (``KeysFirstPaginator``): the keys of the page's rows off the index of
  the list's order (however far the page), then those rows with their relations;
- a search's matches are counted up to ``SEARCH_COUNT_CAP`` and no further (on PostgreSQL,
  rare words are found through the trigram indexes of ``zoomadmin.records.trigram``, and a
  common word's first thousand matches are near the start of the list's index): more read
  "1,000+", and the list pages through its first 1,000 and says so;
- the date hierarchy: one query of two index probes for the first and the last date (every
  year between them is listed: one without a record is rare, and a probe per year would cost
  a query on every page), or one query probing an index for each month of the chosen year
  (each day of the month); Django's reads the whole filtered set twice;
- the record's page reads the record once, with the relations it shows;
- inlines show their first rows, with a link to the list of all of them (whose number the
  page's related records give, counted in one query).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from functools import cached_property
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import (
    NotRelationField,
    display_for_field,
    get_fields_from_path,
    label_for_field,
    lookup_field,
    lookup_spawns_duplicates,
)
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.paginator import InvalidPage, Page, Paginator
from django.db import models
from django.db.models import Exists, Q, QuerySet, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest
from django.urls import NoReverseMatch
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst, smart_split, unescape_string_literal

from zoomadmin.records.display import RelatedList, related_counts, related_links
from zoomadmin.records.filters import AutocompleteFilter, TenantFilter, text_filter
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.scoping import is_superuser, visible_tenant_ids

#: Columns a list never shows and that are large: Zoom's JSON of a record.
PAYLOAD_FIELDS = ("zoom_data",)
#: A search term of this many digits is a Zoom id: "Meeting IDs can be more than 10 digits"
#: (Meetings API); personal meeting IDs have ten, the shortest meeting IDs nine.
ID_DIGITS = 9
MAX_BIGINT = 2**63 - 1
#: Years the date hierarchy lists at most (a stray date far back does not make it longer).
MAX_YEARS = 60
#: A search's matches are counted up to this many: counting all of a common word's (a tenth of
#: 200,000 registrants) reads the whole list, which costs more than the page.
SEARCH_COUNT_CAP = 1000


def without_payloads(queryset: QuerySet) -> QuerySet:
    """``queryset`` without the payload columns of its model and of the relations it is
    selected with."""
    deferred = [name for name in PAYLOAD_FIELDS if _has_field(queryset.model, name)]
    related = queryset.query.select_related
    if isinstance(related, dict):
        deferred += _related_payloads(queryset.model, related, "")
    return queryset.defer(*deferred) if deferred else queryset


def _related_payloads(model: type[models.Model], tree: dict, prefix: str) -> list[str]:
    deferred = []
    for name, subtree in tree.items():
        related = model._meta.get_field(name).related_model
        path = f"{prefix}{name}__"
        deferred += [f"{path}{field}" for field in PAYLOAD_FIELDS if _has_field(related, field)]
        deferred += _related_payloads(related, subtree, path)
    return deferred


def _has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


# --- the changelist --------------------------------------------------------------------------


class AtLeast(int):
    """A count that stopped at its cap: there are more rows than ``int(self)``. It reads
    "1,000+" wherever the admin shows a count ("1,000+ results", "Select all 1,000+
    meetings"), and pages as ``int(self)`` rows."""

    def __str__(self) -> str:
        return f"{int(self):,}+"


class KeysFirstPaginator(Paginator):
    """A page in two queries: the keys of its rows in the list's order, which an index in that
    order holds (an index-only scan, and no join before the page is cut), then those rows with
    the relations they are shown with. A page in the second half of the list is counted from
    its end, in the reverse order (the same index, read backwards): the last page costs what
    the first does.

    With ``count_cap`` (a search), the rows are counted up to one more than it: more than
    ``count_cap`` count as ``AtLeast(count_cap)``, and the pages are those of the first
    ``count_cap`` rows."""

    count_cap: int | None = None

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if self.count_cap is None or not isinstance(rows, QuerySet):
            return super().count
        found = rows.order_by()[: self.count_cap + 1].count()
        return AtLeast(self.count_cap) if found > self.count_cap else found

    @property
    def few_matches(self) -> bool:
        """Whether these are a search's matches, all of them counted (no more than the cap)."""
        return self.count_cap is not None and not isinstance(self.count, AtLeast)

    def matches_first(self, rows: QuerySet) -> QuerySet:
        """``rows`` (of ``object_list``) found among a search's few matches, which are read
        first: a subquery with a LIMIT is planned on its own, through the trigram indexes.
        Left to itself, the planner walks the index in the list's order expecting a match
        every few rows, and may read it to its end for one (a page, a first or last date)."""
        if not self.few_matches:
            return rows
        return rows.filter(pk__in=self.object_list.order_by().values("pk")[: self.count_cap + 1])

    def page(self, number: Any) -> Page:
        rows = self.object_list
        if not isinstance(rows, QuerySet) or rows.query.distinct or not rows.ordered:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = rows.values_list("pk", flat=True)
        if self.few_matches:
            page_keys = list(self.matches_first(keys)[bottom:top])
        elif bottom > self.count // 2 and not isinstance(self.count, AtLeast):
            # The order is total (the changelist ends it with the primary key): reversed, the
            # same rows are at [count - top, count - bottom).
            page_keys = list(keys.reverse()[self.count - top : self.count - bottom])
        else:
            page_keys = list(keys[bottom:top])
        return self._get_page(rows.filter(pk__in=page_keys), number, self)


class ScalableChangeList(ChangeList):
    @cached_property
    def date_drilldown(self) -> dict[str, Any]:
        """The context of ``admin/date_hierarchy.html`` (Django's tag reads the filtered set
        twice; this probes an index)."""
        return date_drilldown(self)


class RecordChangeList(ScalableChangeList):
    def get_results(self, request: HttpRequest) -> None:
        # The page's rows only: actions and the export ask get_queryset() for theirs.
        self.queryset = without_payloads(self.queryset)
        super().get_results(request)
        if not (self.show_all and self.can_show_all) and not self.multi_page:
            # A list of one page too, so that it costs what a longer list does.
            try:
                self.result_list = self.paginator.page(self.page_num).object_list
            except InvalidPage:
                raise IncorrectLookupParameters from None

    @property
    def count_capped(self) -> str:
        """How many rows were counted ("1,000") when the search matched more, else ""."""
        count = getattr(self, "result_count", None)
        return f"{int(count):,}" if isinstance(count, AtLeast) else ""


def date_drilldown(cl: ChangeList) -> dict[str, Any]:
    name = cl.date_hierarchy
    year, month, day = (cl.params.get(f"{name}__{part}") for part in ("year", "month", "day"))

    def link(filters: dict[str, Any]) -> str:
        return cl.get_query_string(filters, [f"{name}__"])

    queryset = cl.queryset.order_by()
    paginator = getattr(cl, "paginator", None)
    if isinstance(paginator, KeysFirstPaginator):
        queryset = paginator.matches_first(queryset)
    try:
        year, month, day = (int(value) if value else None for value in (year, month, day))
    except ValueError:
        return {"show": False}
    if year is None:
        # The years from the first to the last (a single one too: Django would drill into it,
        # which costs a probe of its months on every page of the list).
        bounds = _first_and_last(queryset, name)
        if bounds is None:
            return {"show": True, "back": None, "choices": []}
        first, last = bounds
        years = range(max(first.year, last.year - MAX_YEARS + 1), last.year + 1)
        return {
            "show": True,
            "back": None,
            "choices": [{"link": link({f"{name}__year": str(y)}), "title": str(y)} for y in years],
        }
    if year and month and day:
        chosen = date(year, month, day)
        return {
            "show": True,
            "back": {
                "link": link({f"{name}__year": year, f"{name}__month": month}),
                "title": capfirst(formats.date_format(chosen, "YEAR_MONTH_FORMAT")),
            },
            "choices": [{"title": capfirst(formats.date_format(chosen, "MONTH_DAY_FORMAT"))}],
        }
    if year and month:
        days = [date(year, month, 1).replace(day=d) for d in range(1, _days_in(year, month) + 1)]
        found = _probe(queryset, name, [(_aware(d), _aware(_next_day(d))) for d in days])
        return {
            "show": True,
            "back": {"link": link({f"{name}__year": year}), "title": str(year)},
            "choices": [
                {
                    "link": link(
                        {f"{name}__year": year, f"{name}__month": month, f"{name}__day": d.day}
                    ),
                    "title": capfirst(formats.date_format(d, "MONTH_DAY_FORMAT")),
                }
                for d, present in zip(days, found, strict=True)
                if present
            ],
        }
    if year:
        months = [date(year, m, 1) for m in range(1, 13)]
        found = _probe(queryset, name, [(_aware(m), _aware(_next_month(m))) for m in months])
        return {
            "show": True,
            "back": {"link": link({}), "title": "All dates"},
            "choices": [
                {
                    "link": link({f"{name}__year": year, f"{name}__month": m.month}),
                    "title": capfirst(formats.date_format(m, "YEAR_MONTH_FORMAT")),
                }
                for m, present in zip(months, found, strict=True)
                if present
            ],
        }
    return {"show": False}


def _first_and_last(queryset: QuerySet, name: str) -> tuple[datetime, datetime] | None:
    """The first and last value of ``name`` in ``queryset`` (local time), in one query of
    two ordered probes (an index in the list's order serves both)."""
    dated = queryset.filter(**{f"{name}__isnull": False}).values(name)
    row = list(
        queryset.annotate(
            _first=Subquery(dated.order_by(name)[:1]),
            _last=Subquery(dated.order_by(f"-{name}")[:1]),
        ).values("_first", "_last")[:1]
    )
    if not row or row[0]["_first"] is None:
        return None
    first, last = row[0]["_first"], row[0]["_last"]
    if isinstance(first, datetime) and timezone.is_aware(first):
        first, last = timezone.localtime(first), timezone.localtime(last)
    return first, last


def _probe(queryset: QuerySet, name: str, ranges: Sequence[tuple[Any, Any]]) -> list[bool]:
    """Whether ``queryset`` has a row with ``name`` in each [start, end) of ``ranges``: one
    query, one EXISTS per range."""
    probes = {
        f"_in{n}": Exists(queryset.filter(**{f"{name}__gte": start, f"{name}__lt": end}))
        for n, (start, end) in enumerate(ranges)
    }
    row = list(queryset.annotate(**probes).values(*probes)[:1])
    return [bool(row and row[0][key]) for key in probes]


def _aware(day: date) -> datetime:
    moment = datetime(day.year, day.month, day.day)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _next_day(day: date) -> date:
    return date.fromordinal(day.toordinal() + 1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _days_in(year: int, month: int) -> int:
    return (_next_month(date(year, month, 1)) - date(year, month, 1)).days


# --- search ------------------------------------------------------------------------------------


def search_records(
    queryset: QuerySet, search_fields: Sequence[str], term: str
) -> tuple[QuerySet, bool]:
    """Django's search (every word must match one of the fields), without text casts."""
    if not search_fields or not term:
        return queryset, False
    model = queryset.model
    integers = [
        name[1:] for name in search_fields if name[:1] == "=" and _is_integer(model, name[1:])
    ]
    lookups = [
        _text_lookup(model, name)
        for name in search_fields
        if not (name[:1] == "=" and name[1:] in integers)
    ]
    digits = re.sub(r"[\s-]", "", term)
    if integers and digits.isdigit() and len(digits) >= ID_DIGITS and int(digits) <= MAX_BIGINT:
        return queryset.filter(
            Q.create([(name, int(digits)) for name in integers], connector=Q.OR)
        ), False
    for bit in smart_split(term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        conditions = [(lookup, bit) for lookup in lookups]
        if bit.isdigit() and int(bit) <= MAX_BIGINT:
            conditions += [(name, int(bit)) for name in integers]
        if not conditions:
            return queryset.none(), False
        queryset = queryset.filter(Q.create(conditions, connector=Q.OR))
    duplicates = any(lookup_spawns_duplicates(model._meta, lookup) for lookup in lookups)
    return queryset, duplicates


def _is_integer(model: type[models.Model], path: str) -> bool:
    try:
        field = get_fields_from_path(model, path)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return False
    return isinstance(field, models.IntegerField) and not field.is_relation


def _text_lookup(model: type[models.Model], name: str) -> str:
    if name.startswith("^"):
        return f"{name[1:]}__istartswith"
    if name.startswith("="):
        return f"{name[1:]}__exact"
    if name.startswith("@"):
        return f"{name[1:]}__search"
    try:
        get_fields_from_path(model, name)
    except (FieldDoesNotExist, NotRelationField):
        return name  # it names its lookup ("email__iexact")
    return f"{name}__icontains"


# --- filters -----------------------------------------------------------------------------------


def scalable_filters(model_admin: Any, filters: Sequence[Any]) -> list[Any]:
    """``filters`` with each relation through the autocomplete (the tenant: links up to ten)
    and each free-text column as a text box; other filters (choices, dates, booleans, the
    admin's own classes) are kept: they read nothing."""
    kept = []
    for item in filters:
        if isinstance(item, str):
            name, chosen = item, None
        elif isinstance(item, (tuple, list)):
            name, chosen = item
        else:
            kept.append(item)
            continue
        replaceable = chosen in (
            None,
            admin.RelatedFieldListFilter,
            admin.RelatedOnlyFieldListFilter,
            admin.AllValuesFieldListFilter,
        )
        replacement = _scalable_filter(model_admin, name) if replaceable else None
        kept.append((name, replacement) if replacement else item)
    return kept


def _scalable_filter(model_admin: Any, name: str) -> type | None:
    field = get_fields_from_path(model_admin.model, name)[-1]
    if field.many_to_one or field.one_to_one:
        if issubclass(field.related_model, Tenant):
            return TenantFilter
        site = model_admin.admin_site
        if site.is_registered(field.related_model):
            if site.get_model_admin(field.related_model).search_fields:
                return AutocompleteFilter
        return None
    if isinstance(field, (models.CharField, models.TextField)) and not field.choices:
        return text_filter("iexact")
    return None


# --- the admin ---------------------------------------------------------------------------------


def _autocomplete_media() -> forms.Media:
    return AutocompleteSelect(None, None).media


class ScalableFiltersMixin:
    """Filters that read nothing of the list (``scalable_filters``: no count per choice, no
    distinct values of a column, the tenant's links only for a few) with their autocomplete's
    script, and a date hierarchy that probes an index: the admins of every list that grows
    (records, events, jobs, runs, the audit)."""

    show_facets = admin.ShowFacets.NEVER  # a count per choice over the whole list
    # The date hierarchy's years, months and days without reading the list (date_drilldown).
    change_list_template = "admin/scalable_change_list.html"

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ScalableChangeList

    def get_list_filter(self, request: HttpRequest) -> list:
        return scalable_filters(self, super().get_list_filter(request))  # type: ignore[misc]

    @property
    def media(self) -> forms.Media:
        # The filters' autocomplete (select2, the admin's own).
        return super().media + _autocomplete_media()  # type: ignore[misc]


class RecordListsMixin(ScalableFiltersMixin):
    """The list and page behaviour of every record admin (see the module's docstring); it goes
    before ``TenantScopedAdmin``, whose scoping it narrows."""

    paginator = KeysFirstPaginator

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj: Any) -> str:
        # Django's markup, without a widget template per row (a fifth of a list's time).
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            f"Select this object for an action - {obj}",
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return RecordChangeList

    def get_paginator(self, request: HttpRequest, queryset: QuerySet, *args: Any, **kwargs: Any):
        paginator = super().get_paginator(request, queryset, *args, **kwargs)  # type: ignore[misc]
        if isinstance(paginator, KeysFirstPaginator) and request.GET.get(SEARCH_VAR, "").strip():
            paginator.count_cap = SEARCH_COUNT_CAP
        return paginator

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Scoped to a staff member's tenants by their ids (TenantScopedMixin); a superuser's
        # names every tenant too, so that a filtered count reads an index of the tenant.
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if is_superuser(request.user) and _has_field(queryset.model, "tenant"):
            queryset = queryset.filter(tenant_id__in=sorted(visible_tenant_ids(request.user)))
        return queryset

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> models.Model:
        """The record of a page, read once per request (a read-only page asks twice), with
        the relations its page shows (the tenant, the host, the meeting …) and the numbers
        of its related records in the same query; another tenant's record answers 404."""
        found = request.__dict__.setdefault("_record_pages", {})
        key = (self.opts.label, str(object_id), from_field)  # type: ignore[attr-defined]
        if key not in found:
            queryset = (
                self.get_queryset(request)
                .select_related(*self._page_relations(request))
                .annotate(**related_counts(self.related_lists))
            )
            field = self.opts.pk if from_field is None else self.opts.get_field(from_field)  # type: ignore[attr-defined]
            try:
                found[key] = queryset.get(**{field.name: field.to_python(object_id)})
            except (queryset.model.DoesNotExist, ValidationError, ValueError):
                found[key] = None
        if found[key] is None:
            raise Http404(f"No {self.opts.verbose_name} with this ID.")  # type: ignore[attr-defined]
        return found[key]

    def _page_relations(self, request: HttpRequest) -> list[str]:
        names = {"tenant", *self.get_fields(request)}  # type: ignore[attr-defined]
        return [
            field.name
            for field in self.opts.concrete_fields  # type: ignore[attr-defined]
            if field.many_to_one and field.name in names
        ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return search_records(queryset, self.get_search_fields(request), search_term)  # type: ignore[attr-defined]

    # --- the record's page ---------------------------------------------------------------------

    #: The lists of related records a record's page links to, with their numbers (counted by
    #: the query that reads the record).
    related_lists: Sequence[RelatedList] = ()

    @admin.display(description="related records")
    def related_records(self, obj: Any) -> str:
        return related_links(obj, self.related_lists)

    def page_value(self, name: str, obj: Any) -> tuple[str, Any]:
        """(label, value) of the field or display ``name`` of ``obj``, as its read-only page
        shows it (choices by their names, display methods as they render)."""
        label = label_for_field(name, type(obj), self)
        empty = self.get_empty_value_display()  # type: ignore[attr-defined]
        try:
            field, attr, value = lookup_field(name, obj, self)
        except (AttributeError, ValueError, ObjectDoesNotExist):
            return label, empty
        if field is None:
            return label, empty if value is None else value
        return label, display_for_field(value, field, empty)

    def columns_of(self, names: Sequence[str]) -> list[str]:
        """``names`` (of ``list_display``, ``fields``) with each display replaced by the
        stored column it shows (``zoomadmin.records.display.shows``): what the CSV holds."""
        return [getattr(getattr(self, name, None), "column", name) for name in names]


class BoundedInlineFormSet(BaseInlineFormSet):
    #: Set on each formset class by ``BoundedInlineMixin.get_formset``.
    shown = 20
    all_url = ""
    #: Whether there are more rows than shown (one more is read to know).
    more = False

    def get_queryset(self) -> list:
        if not hasattr(self, "_queryset"):
            rows = list(super().get_queryset()[: self.shown + 1])
            self.more = len(rows) > self.shown
            self._queryset = rows[: self.shown]
        return self._queryset

    def _construct_form(self, i: int, **kwargs: Any) -> Any:
        form = super()._construct_form(i, **kwargs)
        # Each row's parent is the page's record: a display reading it asks no query.
        setattr(form.instance, self.fk.name, self.instance)
        return form


class BoundedInlineMixin:
    """An inline of children that can be many (a meeting's registrants, a webinar's
    participants): its first ``shown`` rows, without Zoom's JSON, and when there are more, a
    link to the list of all of them (their number is on the page's related records)."""

    template = "admin/records/bounded_tabular.html"
    formset = BoundedInlineFormSet
    shown = 20

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        # The relations its rows show (an audit entry's user), read with them.
        shown = set(self.fields or ())  # type: ignore[attr-defined]
        related = [
            field.name
            for field in queryset.model._meta.concrete_fields
            if field.many_to_one and field.name in shown
        ]
        return without_payloads(queryset.select_related(*related) if related else queryset)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        if obj is not None and obj.pk is not None:
            fk = formset.fk
            formset.shown = self.shown
            refs = {f"{fk.name}__{fk.target_field.name}__exact": "pk"}
            if fk.name != "tenant" and _has_field(self.model, "tenant"):
                refs = {"tenant__id__exact": "tenant_id", **refs}
            try:
                formset.all_url = RelatedList("", self.model, refs).url(obj)
            except NoReverseMatch:  # a kind without a list of its own
                formset.all_url = ""
        return formset
