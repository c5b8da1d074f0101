"""CSV export of mirrored records, streamed: rows are read in chunks and written as they go,
so an export of 100,000 meetings holds one chunk in memory, never the list.

The columns are the record's typed columns (``fields`` of its admin: what an administrator
filters and sorts on), its tenant and whether Zoom still has it; Zoom's JSON is left out (the
columns say what a spreadsheet needs; the JSON is on each record's page). Each column holds
what a person reads, not what the database keeps:

- a choice (a user's type and status, a meeting's type, a registrant's status …) holds its
  label ("Licensed", not ``2``); a code the choices do not know is kept as Zoom sent it;
- a relation holds what names the related record: the tenant its name, a user (a host) its
  e-mail address (its Zoom user ID when it has none), a meeting, webinar or recording its topic
  and Zoom id ("Weekly sync (81234567890)"); never a local database id. They are read by the
  same chunked query as the rows (joins), so an export costs the same number of queries
  whatever its number of rows;
- times are ISO 8601 (UTC), numbers stay numbers;
- text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a
  tab, a carriage return or NUL; OWASP's "CSV Injection") is prefixed with a single quote, and
  every cell is quoted, so that a separator inside a value cannot start a cell that would be
  run. Names and topics are anyone's: a registrant names themself on Zoom's public
  registration page.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet

from zoomadmin.tenants.models import Tenant

CHUNK_ROWS = 2000
#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


class _Echo:
    """A file-like object whose write returns what it was given (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def export_columns(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    """The stored columns among ``names`` (then tenant, synced, deleted); an admin's display
    methods are left out (``columns_of`` turns one into the column it shows)."""
    fields = []
    for name in [*names, "tenant", "synced_at", "deleted_at"]:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # an admin's display method, not a column
            continue
        if field.concrete and field not in fields:
            fields.append(field)
    return fields


@dataclass(frozen=True)
class _Column:
    """One column of the CSV: the values it reads from each row (``values_list`` lookups) and
    how they read as one cell."""

    lookups: tuple[str, ...]
    read: Callable[..., Any]


def csv_rows(queryset: QuerySet, fields: Sequence[models.Field]) -> Iterator[str]:
    """The header line, then one line per record, in ``queryset``'s order."""
    # Every cell quoted: a separator inside a value (a comma, or the semicolon a spreadsheet
    # splits on in some locales) never starts a cell of its own there.
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
    yield "\ufeff" + writer.writerow([_cell(str(field.verbose_name)) for field in fields])
    columns = [_column(field, queryset) for field in fields]
    lookups = [lookup for column in columns for lookup in column.lookups]
    spans, start = [], 0
    for column in columns:
        spans.append((column.read, start, start + len(column.lookups)))
        start += len(column.lookups)
    for values in queryset.values_list(*lookups).iterator(chunk_size=CHUNK_ROWS):
        yield writer.writerow([_cell(read(*values[a:b])) for read, a, b in spans])


def _column(field: models.Field, queryset: QuerySet) -> _Column:
    if field.many_to_one and issubclass(field.related_model, Tenant):
        # A handful of tenants, named once: no join of every row.
        ids = queryset.order_by().values(field.attname).distinct()
        names = dict(Tenant.objects.filter(pk__in=ids).values_list("pk", "name"))
        return _Column((field.attname,), lambda pk: names.get(pk, pk))
    if field.many_to_one:
        return _related_column(field)
    if field.flatchoices:
        labels = {value: str(label) for value, label in field.flatchoices}
        return _Column((field.attname,), lambda value: labels.get(value, value))
    return _Column((field.attname,), lambda value: value)


def _related_column(field: models.Field) -> _Column:
    """What names the related record to a person, by the fields its model has: a user's
    e-mail address, else a record's topic and Zoom id, else its Zoom id (a record's relations
    are to users, meetings, webinars and recordings: the local id is a last resort)."""
    related = {f.name for f in field.related_model._meta.concrete_fields}
    name = field.name
    if {"email", "zoom_id"} <= related:
        return _Column(
            (f"{name}__email", f"{name}__zoom_id"), lambda email, zoom_id: email or zoom_id
        )
    if {"topic", "zoom_id"} <= related:
        return _Column(
            (f"{name}__topic", f"{name}__zoom_id"),
            lambda topic, zoom_id: (
                None if zoom_id is None else f"{topic or 'Untitled'} ({zoom_id})"
            ),
        )
    if "zoom_id" in related:
        return _Column((f"{name}__zoom_id",), lambda zoom_id: zoom_id)
    return _Column((field.attname,), lambda pk: pk)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
