"""What events say of records' fields, applied field by field, a batch at a time.

Zoom's ``*.updated`` events carry only what changed: "Update events carry ``payload.old_object``
with the previous values of changed fields only" (FACTS.md §3.5, from Zoom's published Users and
Meetings webhook examples); the other events here carry the object, or one field of it (a
status). So each field is judged by when *that field* was last observed, never the record as a
whole, and a late delivery still brings the fields nothing newer touched:

- by the record: its ``synced_at`` (every field of a sync's or Zoom read's write), its
  ``deleted_at``, and what earlier events showed of single fields (``ObservedFields``);
- by the sync's look at the record's scope, which writes nothing when it sees no change
  (``zoomadmin.sync.observations``): the fields its listings carry, or every field after a
  full walk.

A field older than either is not applied; the others are merged onto the stored object
(``settings`` key by key) and written with the records' own upserts (``users_upsert``,
``meetings_upsert``, …), as of the newest time the record was observed, so the upsert's own
rule (never older than what is stored) still holds. A batch's events about one object become
one row, and a batch costs a few queries per kind of record, not per event.

Every batch of one tenant is written in one transaction that first locks the tenant, as the
sync's batches do, so the two never interleave between reading and writing a record, and a
disconnect (which deletes the data under the same lock) is never undone.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from meetings.models import Meeting, MeetingRegistrant, Webinar, WebinarRegistrant
from meetings.services import (
    meeting_registrants_upsert,
    meetings_upsert,
    webinar_registrants_upsert,
    webinars_upsert,
)
from users.mapping import user_key
from users.models import ZoomUser
from users.services import users_upsert
from webhooks.models import ObservedFields
from zoomadmin.records.models import ZoomRecord
from zoomadmin.records.upsert import select_batches
from zoomadmin.sync.observations import (
    HOSTED_LISTED_KEYS,
    USER_LISTED_KEYS,
    Observed,
    subtrees_observed,
    users_observed,
)
from zoomadmin.tenants.models import Tenant

USER, MEETING, WEBINAR = "user", "meeting", "webinar"
MEETING_REGISTRANT, WEBINAR_REGISTRANT = "meeting registrant", "webinar registrant"
# Object keys merged key by key (an update carries only the changed settings).
NESTED = frozenset({"settings"})

STALE = "Older than what the sync last saw: not applied."
DISCONNECTED = "The tenant was disconnected meanwhile: not applied."
OBSERVED_LATER = "Each of its fields was observed later: not applied."


@dataclass
class Change:
    """What one event says of one object: some of Zoom's keys of it, as of ``at``."""

    kind: str
    key: Any  # a user's key (user_key), a meeting's id, (meeting id, registrant id)
    fields: dict[str, Any]
    at: datetime
    host: str = ""  # the host's user id, where the event names it
    #: False: about a record that must be stored already (``user.updated``); one that is not
    #: is left to the caller (``Applied.unstored``), which reads it from Zoom.
    creates: bool = True
    note: str = field(default="", init=False)


@dataclass
class Applied:
    """``changes_apply``'s outcome: each change has its ``note``; those about a record that
    must be stored and is not are listed, unapplied."""

    unstored: list[Change] = field(default_factory=list)


def changes_apply(*, tenant: Tenant, changes: list[Change]) -> Applied:
    """Apply ``changes`` (any kinds, any order) to ``tenant``'s records, each field only if it
    is newer than what was observed of it. Parents first: a meeting's host, a registrant's
    meeting may come in the same batch."""
    applied = Applied()
    with transaction.atomic():
        # As the sync's batches do (zoomadmin.sync.engine), without blocking inserts that only
        # refer to the tenant (FOR NO KEY UPDATE).
        status = Tenant.objects.select_for_update(no_key=True).filter(pk=tenant.pk)
        if list(status.values_list("status", flat=True)) in ([], [Tenant.Status.DISCONNECTED]):
            for change in changes:
                change.note = DISCONNECTED
            return applied
        for kind in KINDS.values():
            mine = [c for c in changes if c.kind == kind.name]
            if mine:
                applied.unstored += _apply_kind(kind, tenant, mine)
    return applied


# --- one kind of record ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    name: str
    model: type[ZoomRecord]
    identity: frozenset[str]
    #: stored(tenant, keys) -> {key: (pk, zoom_data, synced_at, deleted_at, host user id)}
    stored: Callable[[Tenant, Collection[Any]], dict[Any, tuple]]
    #: observed(tenant, {key: host}) -> {key: Observed}, and whether a key is a listed one
    observed: Callable[[Tenant, dict[Any, str]], dict[Any, Observed]]
    listed: frozenset[str]
    #: write(tenant, {key: item}, {key: as of}) with the kind's upsert
    write: Callable[[Tenant, dict[Any, dict[str, Any]], dict[Any, datetime]], None]


def _apply_kind(kind: _Kind, tenant: Tenant, changes: list[Change]) -> list[Change]:
    changes = sorted(changes, key=lambda c: c.at)  # stable: one time keeps arrival order
    stored = kind.stored(tenant, {c.key for c in changes})
    unstored = [c for c in changes if not c.creates and c.key not in stored]
    creating = {c.key for c in changes if c.creates}
    left = {c.key for c in unstored if c.key not in creating}
    unstored = [c for c in changes if c.key in left]
    changes = [c for c in changes if c.key not in left]
    if not changes:
        return unstored
    hosts = {c.key: c.host or (stored[c.key][4] if c.key in stored else "") for c in changes}
    scope = kind.observed(tenant, hosts)
    maps = _maps(tenant, kind, [row[0] for row in stored.values()])

    winners: dict[Any, dict[str, tuple[Any, datetime]]] = {}
    for change in changes:
        row = stored.get(change.key)
        seen = _Seen(row, maps.get(row[0]) if row else None)
        floor = scope.get(change.key, Observed())
        won, stale, applied = winners.setdefault(change.key, {}), 0, 0
        for name, value in _flat(change.fields, kind.identity):
            if change.at <= (floor.at(listed=name in kind.listed) or _EPOCH):
                stale += 1
            elif change.at >= (seen.at(name) or _EPOCH):
                won[name] = (value, change.at)
                applied += 1
        if not applied:
            change.note = STALE if stale else OBSERVED_LATER

    items: dict[Any, dict[str, Any]] = {}
    as_of: dict[Any, datetime] = {}
    for key, won in winners.items():
        if not won:
            continue
        row = stored.get(key)
        latest = next(c for c in reversed(changes) if c.key == key)
        item = {name: latest.fields[name] for name in _identity(kind, latest.fields)}
        zoom_data = row[1] if row else {}
        for name, (value, _) in won.items():
            top, _, sub = name.partition(".")
            if sub:
                nested = item.setdefault(top, dict(zoom_data.get(top) or {}))
                nested[sub] = value
            else:
                item[name] = value
        items[key] = item
        newest = max(at for _, at in won.values())
        as_of[key] = max(newest, row[2]) if row else newest
    if items:
        kind.write(tenant, items, as_of)
        _remember(tenant, kind, items, winners, stored, maps)
    return unstored


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _identity(kind: _Kind, fields: dict[str, Any]) -> list[str]:
    """The keys an item needs to name its object: its id, or a pending user's e-mail."""
    names = [name for name in kind.identity if name in fields]
    if kind.name == USER and "id" not in fields and "email" in fields:
        names.append("email")
    return names


def _flat(fields: dict[str, Any], identity: frozenset[str]) -> Iterable[tuple[str, Any]]:
    """An object's keys as judged one by one: ``settings.<key>`` for each setting."""
    for name, value in fields.items():
        if name in identity:
            continue
        if name in NESTED and isinstance(value, dict):
            for sub, nested in value.items():
                yield f"{name}.{sub}", nested
        else:
            yield name, value


class _Seen:
    """When a stored record's fields were last observed, by the record itself."""

    def __init__(self, row: tuple | None, observed: ObservedFields | None) -> None:
        self.row = row
        current = observed is not None and row is not None and observed.record_synced_at == row[2]
        self.observed = observed if current else None

    def at(self, name: str) -> datetime | None:
        if self.row is None:
            return None
        _, _, synced_at, deleted_at, _ = self.row
        at: datetime | None = synced_at
        if self.observed is not None:
            fields = self.observed.fields
            micros = fields.get(name, fields.get(name.partition(".")[0]))
            at = _from_micros(micros) if micros is not None else self.observed.others_at
        if deleted_at is not None and (at is None or deleted_at > at):
            at = deleted_at
        return at


def _maps(tenant: Tenant, kind: _Kind, pks: list[int]) -> dict[int, ObservedFields]:
    found: dict[int, ObservedFields] = {}
    for chunk in select_batches(pks):
        rows = ObservedFields.objects.filter(kind=kind.model._meta.label_lower, record_id__in=chunk)
        found.update((row.record_id, row) for row in rows)
    return found


def _remember(
    tenant: Tenant,
    kind: _Kind,
    items: dict[Any, dict[str, Any]],
    winners: dict[Any, dict[str, tuple[Any, datetime]]],
    stored: dict[Any, tuple],
    maps: dict[int, ObservedFields],
) -> None:
    """Keep when the applied events showed each field, beside the record as now stored."""
    now = kind.stored(tenant, items)
    label = kind.model._meta.label_lower
    rows = []
    for key in items:
        if key not in now:
            continue  # not written: a parent not stored (a registrant's meeting)
        pk, _, synced_at, _, _ = now[key]
        before = stored.get(key)
        seen = _Seen(before, maps.get(before[0]) if before else None)
        fields = dict(seen.observed.fields) if seen.observed else {}
        others_at = seen.observed.others_at if seen.observed else (before[2] if before else None)
        fields.update((name, _micros(at)) for name, (_, at) in winners[key].items())
        rows.append(
            ObservedFields(
                tenant=tenant,
                kind=label,
                record_id=pk,
                record_synced_at=synced_at,
                others_at=others_at,
                fields=fields,
            )
        )
    ObservedFields.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["kind", "record_id"],
        update_fields=["record_synced_at", "others_at", "fields"],
    )


def _micros(at: datetime) -> int:
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, tz=UTC).replace(
        microsecond=micros % 1_000_000
    )


# --- the kinds ---------------------------------------------------------------------------------

_STORED = ("pk", "zoom_data", "synced_at", "deleted_at")


def _users_stored(tenant: Tenant, keys: Collection[str]) -> dict[Any, tuple]:
    found = {}
    for chunk in select_batches(keys):
        rows = ZoomUser.objects.filter(tenant=tenant, zoom_id__in=chunk)
        for zoom_id, *row in rows.values_list("zoom_id", *_STORED):
            found[zoom_id] = (*row, zoom_id)
    return found


def _hosted_stored(model: type[ZoomRecord]) -> Callable[[Tenant, Collection[int]], dict]:
    def stored(tenant: Tenant, ids: Collection[int]) -> dict[Any, tuple]:
        found = {}
        for chunk in select_batches(ids):
            rows = model._default_manager.filter(tenant=tenant, zoom_id__in=chunk)
            for zoom_id, *row, host in rows.values_list("zoom_id", *_STORED, "host_zoom_id"):
                found[zoom_id] = (*row, host or "")
        return found

    return stored


def _registrants_stored(
    model: type[ZoomRecord], parent: type[ZoomRecord], parent_name: str
) -> Callable[[Tenant, Collection[tuple[int, str]]], dict]:
    def stored(tenant: Tenant, keys: Collection[tuple[int, str]]) -> dict[Any, tuple]:
        found = {}
        parents = {parent_id for parent_id, _ in keys}
        hosts = dict(
            parent._default_manager.filter(tenant=tenant, zoom_id__in=parents).values_list(
                "zoom_id", "host_zoom_id"
            )
        )
        for chunk in select_batches(keys):
            rows = model._default_manager.filter(
                tenant=tenant,
                **{f"{parent_name}__zoom_id__in": {p for p, _ in chunk}},
                zoom_id__in={r for _, r in chunk},
            ).values_list(f"{parent_name}__zoom_id", "zoom_id", *_STORED)
            for parent_id, zoom_id, *row in rows:
                if (parent_id, zoom_id) in keys:
                    found[(parent_id, zoom_id)] = (*row, hosts.get(parent_id) or "")
        return found

    return stored


def _users_observed(tenant: Tenant, hosts: dict[Any, str]) -> dict[Any, Observed]:
    return users_observed(tenant, list(hosts))


def _hosted_observed(tenant: Tenant, hosts: dict[Any, str]) -> dict[Any, Observed]:
    by_host = subtrees_observed(tenant, set(hosts.values()))
    return {key: by_host[host] for key, host in hosts.items() if host in by_host}


def _registrants_observed(tenant: Tenant, hosts: dict[Any, str]) -> dict[Any, Observed]:
    # A reconcile lists the registrants only of what changed, and writes those: every field.
    by_host = subtrees_observed(tenant, set(hosts.values()))
    return {
        key: Observed(every_field_at=by_host[host].every_field_at)
        for key, host in hosts.items()
        if host in by_host
    }


def _write_users(tenant: Tenant, items: dict, as_of: dict) -> None:
    users_upsert(
        tenant=tenant,
        items=list(items.values()),
        synced_at=max(as_of.values()),
        partial=True,
        observed_at=as_of,
    )


def _write_hosted(upsert: Callable[..., Any]) -> Callable[[Tenant, dict, dict], None]:
    def write(tenant: Tenant, items: dict, as_of: dict) -> None:
        upsert(
            tenant=tenant,
            items=list(items.values()),
            synced_at=max(as_of.values()),
            partial=True,
            observed_at=as_of,
        )

    return write


def _write_registrants(upsert: Callable[..., Any]) -> Callable[[Tenant, dict, dict], None]:
    def write(tenant: Tenant, items: dict, as_of: dict) -> None:
        upsert(
            tenant=tenant,
            entries=[(parent_id, item) for (parent_id, _), item in items.items()],
            synced_at=max(as_of.values()),
            partial=True,
            observed_at=as_of,
        )

    return write


KINDS = {
    kind.name: kind
    for kind in (
        _Kind(
            USER,
            ZoomUser,
            frozenset({"id"}),
            _users_stored,
            _users_observed,
            USER_LISTED_KEYS,
            _write_users,
        ),
        _Kind(
            MEETING,
            Meeting,
            frozenset({"id"}),
            _hosted_stored(Meeting),
            _hosted_observed,
            HOSTED_LISTED_KEYS,
            _write_hosted(meetings_upsert),
        ),
        _Kind(
            WEBINAR,
            Webinar,
            frozenset({"id"}),
            _hosted_stored(Webinar),
            _hosted_observed,
            HOSTED_LISTED_KEYS,
            _write_hosted(webinars_upsert),
        ),
        _Kind(
            MEETING_REGISTRANT,
            MeetingRegistrant,
            frozenset({"id"}),
            _registrants_stored(MeetingRegistrant, Meeting, "meeting"),
            _registrants_observed,
            frozenset(),
            _write_registrants(meeting_registrants_upsert),
        ),
        _Kind(
            WEBINAR_REGISTRANT,
            WebinarRegistrant,
            frozenset({"id"}),
            _registrants_stored(WebinarRegistrant, Webinar, "webinar"),
            _registrants_observed,
            frozenset(),
            _write_registrants(webinar_registrants_upsert),
        ),
    )
}


def change_key(kind: str, fields: dict[str, Any], parent_id: Any = None) -> Any:
    """The key ``changes_apply`` knows an object of ``kind`` by."""
    if kind == USER:
        return user_key(fields)
    if kind in (MEETING, WEBINAR):
        return int(fields["id"])
    return (int(parent_id), str(fields["id"]))
