"""CSV export of mirrored records, streamed: rows are read in chunks and written as they go,
so an export of 100,000 meetings holds one chunk in memory, never the list.

The columns are the record's typed columns (``fields`` of its admin: what an administrator
filters and sorts on), its tenant and whether Zoom still has it; Zoom's JSON is left out (the
columns say what a spreadsheet needs; the JSON is on each record's page)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet

from zoomadmin.tenants.models import Tenant

CHUNK_ROWS = 2000


class _Echo:
    """A file-like object whose write returns what it was given (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def export_columns(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    """The concrete, non-relation fields among ``names`` (then tenant, synced, deleted)."""
    fields = []
    for name in [*names, "tenant", "synced_at", "deleted_at"]:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # an admin's display method, not a column
            continue
        if field.concrete and field not in fields:
            fields.append(field)
    return fields


def csv_rows(queryset: QuerySet, fields: Sequence[models.Field]) -> Iterator[str]:
    """The header line, then one line per record, in ``queryset``'s order."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([str(field.verbose_name) for field in fields])
    names = [field.attname for field in fields]
    tenant_index = names.index("tenant_id") if "tenant_id" in names else None
    tenants: dict[int, str] = {}
    if tenant_index is not None:
        ids = queryset.order_by().values("tenant_id").distinct()
        tenants = dict(Tenant.objects.filter(pk__in=ids).values_list("pk", "name"))
    for values in queryset.values_list(*names).iterator(chunk_size=CHUNK_ROWS):
        row = [_cell(value) for value in values]
        if tenant_index is not None:
            row[tenant_index] = tenants.get(values[tenant_index], values[tenant_index])
        yield writer.writerow(row)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return value
