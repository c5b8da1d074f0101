"""Idempotent bulk writes of Zoom records (``zoomadmin.records.ZoomRecord`` subclasses).

Knows no object kind: a row is a dict of model field values (foreign keys by attname, e.g.
``host_id``) as a ``mapping`` module builds it, ``zoom_data`` included, and a record is found by
``(tenant, *model.zoom_key)``.

``bulk_upsert`` promises, per batch of rows:

- one SELECT of the stored rows with the batch's keys, then one INSERT … ON CONFLICT DO UPDATE
  (PostgreSQL and SQLite both have it) of the rows that are new, changed, or shown again after
  being marked deleted; a batch with nothing changed writes nothing, so a re-sync of an
  unchanged account issues only SELECTs;
- a payload observed before the stored state (``synced_at`` older than the row's ``synced_at``
  or ``deleted_at``) is left out (counted ``stale``): an event delivered late never overwrites
  what a newer sync or event stored;
- the same key twice in one call is written once (the last row wins), since Zoom lists can
  repeat an item and PostgreSQL refuses to update one row twice in one statement;
- a row may carry its own ``synced_at`` (webhook events of one batch happened at different
  times): it is judged and written as of that time instead of the call's;
- ``partial=True`` is for payloads that carry only some of an object's fields (a list item
  where a "get" was stored, a webhook's changed fields): keys absent from the row keep their
  stored values and ``zoom_data`` is merged key by key (top level). Otherwise a row is the
  whole object and absent fields fall back to the model's defaults.

Concurrent writers are safe (the conflict clause never raises on a duplicate key); the
created/updated counts are what this call saw in its SELECT.

``mark_deleted`` marks the records of a scope that a *complete* listing did not contain.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connections, models, transaction
from django.db.models import Q
from django.db.models.constants import OnConflict
from django.utils import timezone

from zoomadmin.records.models import ZoomRecord
from zoomadmin.tenants.models import Tenant

Key = tuple[Any, ...]
_T = TypeVar("_T")

# Keys per SELECT: one parameter per distinct key value and field, below SQLite's 999 (Django's
# assumption for SQLite); INSERT batches are sized by Django from the column count.
SELECT_BATCH_PARAMS = 900
WRITE_BATCH_SIZE = 500
# Maintained by upsert itself, never part of a record's content.
_BOOKKEEPING = frozenset({"tenant", "zoom_hash", "synced_at", "deleted_at", "created", "updated"})


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    #: Local primary key, by key tuple, of every record the call created, updated or found
    #: unchanged (stale rows are left out: their children should not be written either).
    pks: dict[Key, int] = field(default_factory=dict, repr=False)

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            created=self.created + other.created,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
            stale=self.stale + other.stale,
            pks={**self.pks, **other.pks},
        )

    @property
    def written(self) -> int:
        return self.created + self.updated


def bulk_upsert(
    model: type[ZoomRecord],
    *,
    tenant: Tenant,
    rows: Iterable[Mapping[str, Any]],
    synced_at: datetime,
    partial: bool = False,
) -> UpsertResult:
    """Insert or update ``rows`` of ``model`` for ``tenant``, writing only what changed."""
    key_fields = _key_fields(model)
    latest: dict[Key, Mapping[str, Any]] = {}
    for row in rows:
        latest[_row_key(key_fields, row)] = row
    result = UpsertResult()
    size = max(1, SELECT_BATCH_PARAMS // len(key_fields))
    for batch in _chunks(list(latest.items()), size):
        with transaction.atomic(using=model._default_manager.db, savepoint=False):
            result += _upsert_batch(model, tenant, batch, synced_at, partial)
    return result


def select_batches(values: Iterable[_T]) -> Iterator[list[_T]]:
    """``values`` in lists short enough for one SELECT's ``IN`` (``SELECT_BATCH_PARAMS``)."""
    for chunk in _chunks(list(values), SELECT_BATCH_PARAMS):
        yield list(chunk)


def mark_deleted(
    model: type[ZoomRecord],
    *,
    tenant: Tenant,
    scope: Q | Mapping[str, Any],
    seen_keys: Collection[Any],
    deleted_at: datetime,
) -> int:
    """Mark the present records of ``scope`` whose key is not in ``seen_keys`` as deleted.

    ``scope`` (a ``Q`` or lookups) is what the listing covered, e.g. one host's meetings.
    ``seen_keys`` holds key tuples, or plain values when ``model.zoom_key`` is one field;
    values are compared after the key field's ``to_python`` (``"123"`` matches ``123``).
    ``deleted_at`` is when the listing began: a record stored from a newer event or sync
    (``synced_at`` after it) was not judged by this listing and is kept. An empty
    ``seen_keys`` marks the whole scope. Returns the number of records marked.
    """
    key_fields = _key_fields(model)
    seen = {_normalized_key(key_fields, k if isinstance(k, tuple) else (k,)) for k in seen_keys}
    scope_q = scope if isinstance(scope, Q) else Q(**scope)
    candidates = (
        model._default_manager.filter(scope_q, tenant=tenant, deleted_at__isnull=True)
        .filter(synced_at__lte=deleted_at)
        .values_list("pk", *(f.attname for f in key_fields))
    )
    gone = [pk for pk, *key in candidates if tuple(key) not in seen]
    marked = 0
    now = timezone.now()
    for chunk in _chunks(gone, SELECT_BATCH_PARAMS):
        # Checked again here: an event or sync may have stored a newer state since the SELECT.
        marked += model._default_manager.filter(
            pk__in=chunk, deleted_at__isnull=True, synced_at__lte=deleted_at
        ).update(deleted_at=deleted_at, updated=now)
    return marked


def content_fingerprint(values: Mapping[str, Any]) -> str:
    """A short, stable digest of field values (datetimes compared as instants in UTC)."""
    encoded = json.dumps(
        {name: _canonical(value) for name, value in values.items()},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.blake2b(encoded.encode(), digest_size=16).hexdigest()


# --- internals -----------------------------------------------------------------------------


def _upsert_batch(
    model: type[ZoomRecord],
    tenant: Tenant,
    batch: Sequence[tuple[Key, Mapping[str, Any]]],
    synced_at: datetime,
    partial: bool,
) -> UpsertResult:
    key_fields = _key_fields(model)
    content = _content_fields(model)
    stored = _stored_rows(model, tenant, [key for key, _ in batch], full=partial)
    result = UpsertResult()
    writes: list[ZoomRecord] = []
    for key, row in batch:
        old = stored.get(key)
        row_synced_at = row.get("synced_at") or synced_at
        if old is not None and _as_of(old) > row_synced_at:
            result.stale += 1
            continue
        values = {name: value for name, value in row.items() if name != "synced_at"}
        if partial and old is not None:
            values = {f.attname: getattr(old, f.attname) for f in content} | values
            values["zoom_data"] = {**old.zoom_data, **row.get("zoom_data", {})}
        obj = model(tenant=tenant, **values)
        obj.zoom_hash = content_fingerprint({f.attname: getattr(obj, f.attname) for f in content})
        if old is None:
            result.created += 1
        elif old.zoom_hash != obj.zoom_hash or old.deleted_at is not None:
            result.updated += 1
        else:
            result.unchanged += 1
            result.pks[key] = old.pk
            continue
        obj.synced_at = row_synced_at
        obj.deleted_at = None
        writes.append(obj)
    if writes:
        manager = model._default_manager
        with _newer_rows_kept(connections[manager.db], model):
            manager.bulk_create(
                writes,
                batch_size=WRITE_BATCH_SIZE,
                update_conflicts=True,
                unique_fields=["tenant", *(f.name for f in key_fields)],
                update_fields=[f.name for f in content]
                + ["zoom_hash", "synced_at", "deleted_at", "updated"],
            )
        result.pks.update(_written_pks(model, tenant, key_fields, writes))
    return result


def _stored_rows(
    model: type[ZoomRecord], tenant: Tenant, keys: Sequence[Key], *, full: bool
) -> dict[Key, ZoomRecord]:
    key_fields = _key_fields(model)
    # One IN list per key field: a superset of the wanted rows when the key has several
    # fields, narrowed below; keeps the parameter count at (distinct values) per field.
    lookups = {f"{f.attname}__in": {key[i] for key in keys} for i, f in enumerate(key_fields)}
    queryset = model._default_manager.filter(tenant=tenant, **lookups)
    if not full:
        names = ("zoom_hash", "synced_at", "deleted_at", *(f.attname for f in key_fields))
        queryset = queryset.only(*names)
    wanted = set(keys)
    found = {}
    for obj in queryset:
        key = tuple(getattr(obj, f.attname) for f in key_fields)
        if key in wanted:
            found[key] = obj
    return found


def _written_pks(
    model: type[ZoomRecord], tenant: Tenant, key_fields: Sequence[models.Field], objs: list
) -> dict[Key, int]:
    # Read back, not taken from the INSERT's RETURNING: a row the conflict clause did not
    # update returns nothing, and Django pairs returned ids with objects by position.
    keys = [tuple(getattr(o, f.attname) for f in key_fields) for o in objs]
    written_at = {key: o.synced_at for key, o in zip(keys, objs, strict=True)}
    stored = _stored_rows(model, tenant, keys, full=False)
    # A row the conflict condition kept (a newer state) was not written by this call.
    return {key: obj.pk for key, obj in stored.items() if obj.synced_at == written_at[key]}


@contextmanager
def _newer_rows_kept(connection: Any, model: type[ZoomRecord]) -> Iterator[None]:
    """Make the upsert's ``ON CONFLICT … DO UPDATE`` update only a row that is not newer than
    the incoming one. The SELECT that judged staleness and the INSERT are two statements; on
    PostgreSQL a concurrent writer (an event, another run) may store a newer state in between,
    even inside one transaction. Django's ``bulk_create`` has no option for that condition, so
    its clause is extended, on this connection's own objects (one connection per thread), for
    the call alone, and RETURNING is left out: a row the condition skips returns nothing, and
    Django pairs returned ids with objects by position (``_written_pks`` reads them back).

    SQLite needs none of it: ``bulk_upsert`` runs each batch in one transaction, which SQLite
    begins IMMEDIATE (settings), so no other writer can come between its two statements.
    """
    if connection.vendor != "postgresql":
        yield
        return
    ops, features = connection.ops, connection.features
    table = ops.quote_name(model._meta.db_table)
    synced, deleted = ops.quote_name("synced_at"), ops.quote_name("deleted_at")
    condition = (
        f" WHERE {table}.{synced} <= EXCLUDED.{synced}"
        f" AND ({table}.{deleted} IS NULL OR {table}.{deleted} <= EXCLUDED.{synced})"
    )

    def suffix(fields: Any, on_conflict: Any, update_fields: Any, unique_fields: Any) -> str:
        sql = type(ops).on_conflict_suffix_sql(
            ops, fields, on_conflict, update_fields, unique_fields
        )
        return sql + condition if on_conflict == OnConflict.UPDATE and sql else sql

    ops.on_conflict_suffix_sql = suffix
    features.can_return_rows_from_bulk_insert = False
    try:
        yield
    finally:
        del ops.on_conflict_suffix_sql
        del features.can_return_rows_from_bulk_insert


def _as_of(obj: ZoomRecord) -> datetime:
    """When Zoom last spoke about the stored state: its content's time or its deletion's."""
    if obj.deleted_at is not None and obj.deleted_at > obj.synced_at:
        return obj.deleted_at
    return obj.synced_at


@functools.cache
def _key_fields(model: type[ZoomRecord]) -> tuple[models.Field, ...]:
    return tuple(model._meta.get_field(name) for name in model.zoom_key)


@functools.cache
def _content_fields(model: type[ZoomRecord]) -> tuple[models.Field, ...]:
    """The fields that Zoom's payload determines (everything but keys and bookkeeping)."""
    keys = {f.name for f in _key_fields(model)}
    return tuple(
        f
        for f in model._meta.concrete_fields
        if not f.primary_key
        and f.name not in keys
        and f.name not in _BOOKKEEPING
        and f.name not in model.sync_fields
    )


def _row_key(key_fields: Sequence[models.Field], row: Mapping[str, Any]) -> Key:
    try:
        raw = tuple(row[f.attname] for f in key_fields)
    except KeyError as missing:
        raise ValueError(f"row without its key field {missing}") from None
    return _normalized_key(key_fields, raw)


def _normalized_key(key_fields: Sequence[models.Field], raw: Key) -> Key:
    if len(raw) != len(key_fields):
        raise ValueError(f"key {raw!r} does not match {[f.name for f in key_fields]}")
    return tuple(
        (f.target_field if f.is_relation else f).to_python(value)
        for f, value in zip(key_fields, raw, strict=True)
    )


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date | Decimal):
        return str(value)
    return value


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
