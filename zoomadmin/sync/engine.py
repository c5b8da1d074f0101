"""The generic sync walk: Zoom listings → bulk upserts → deletion marking → SyncRun progress.

The engine knows no object kind. It walks a tree of :class:`Step` declarations
(``zoomadmin.sync.steps``): each step lists the children of one parent item (all pages of a
Zoom listing, following ``next_page_token`` through the client), and says how to upsert what
it listed and how to mark as deleted what a *complete* listing no longer contains.

How it runs:

- **Threads speak HTTP, one thread writes.** The root listing (users) streams page by page in
  a thread of its own; every root item whose subtree has work (a user's meetings, webinars,
  registrants, recordings) becomes one work unit for a pool of ``concurrency`` threads. The
  threads only call Zoom and hand pages to the calling thread over a bounded queue; the calling
  thread does every database write, in batches. So SQLite sees one writer, PostgreSQL gets
  large bulk statements, and requests keep flowing while rows are written: the wall time
  approaches ``requests ÷ rate limit`` rather than ``requests × latency``.
- **Streaming.** The root listing is pulled one page at a time, only when the pool runs short
  of work, and the queue is bounded: memory holds a few pages, one batch of rows, and the ids
  of the listings in progress (the root's ids too, to mark deleted users), never an account.
- **Deletion marking** happens only for listings that finished: a listing that failed, or was
  stopped, marks nothing. A listing whose page token expired is started again. Where a listing
  leaves out records that still exist (Zoom lists only unexpired meetings), each stored record
  it lacked is confirmed with Zoom first (``Step.known``/``confirm``): only Zoom's "gone" marks it.
- **Stops.** A rate limit that outlasts the client (``ZoomRateLimited``: the daily limit, or a
  ``Retry-After`` too long to wait in a thread), a refused authorization
  (``ZoomReauthorizationRequired``) or a 401 that a fresh token did not cure stops the walk:
  the threads finish the request they are in and stop; what was listed so far is still
  written. So does ``should_stop()`` answering True (its worker is stopping), the walk then
  ``stopped``. Any other Zoom error fails that one listing (recorded in the run's errors) and the
  walk goes on.
- **Progress.** The run's counts, request count, errors and heartbeat are written at least every
  ``PROGRESS_SECONDS``. If another process declared this run stale and took over the tenant,
  the write finds no running row and the walk stops (:class:`RunTakenOver`).
- **Every batch is written in one transaction that first locks the tenant and the run** and
  checks that the tenant is still connected and the run still this worker's: a run taken over
  writes nothing more (:class:`RunTakenOver`), and a disconnect, which deletes the tenant's
  data under the same lock, is never undone by a batch written after it (:class:`RunCancelled`).

A run that is interrupted at any point leaves the database in a state the next run repairs:
every run lists everything again, upserts are idempotent and deletions are recomputed.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Protocol

from django.db import connections, transaction
from django.utils import timezone

from zoomadmin.records.upsert import select_batches
from zoomadmin.sync.models import SyncRun, WalkedSubtree
from zoomadmin.tenants.models import Tenant
from zoomadmin.zoom.client import PAGE_SIZE_DEFAULT, ZoomClient
from zoomadmin.zoom.errors import (
    ZoomError,
    ZoomPageTokenExpired,
    ZoomRateLimited,
    ZoomReauthorizationRequired,
    ZoomUnauthorized,
)

logger = logging.getLogger(__name__)

Item = dict[str, Any]
# (parent item or None for the root, listed item)
Entry = tuple[Item | None, Item]
# (parent item or None for the root, keys of every item its complete listing contained)
Listing = tuple[Item | None, set[str]]

# Write a batch once this many rows wait, or once FLUSH_SECONDS passed since the last write.
FLUSH_ROWS = 1000
FLUSH_SECONDS = 1.0
PROGRESS_SECONDS = 1.0
# How often the writing thread wakes up when no page arrives (heartbeat, stop checks).
POLL_SECONDS = 0.5
# At most this many errors are kept on the run (all are counted).
MAX_ERRORS_KEPT = 50
# Errors that no other listing of the run can escape: stop the whole walk. A 401 that a token
# refresh did not cure would fail every call, and Zoom disables apps with many failed calls.
# A 429 that reaches the walk (its Retry-After outlasts the client's patience, or the retries
# ran out) stops it too: the account's budget is spent for every listing alike.
FATAL_ERRORS = (ZoomRateLimited, ZoomReauthorizationRequired, ZoomUnauthorized)
# A listing whose next_page_token expired (15 minutes) is started again, this many times in
# all. The root listing waits for the pool between pages, so on a slow budget its token can
# expire more often; started again, it runs through the pages already handed out at once.
LISTING_ATTEMPTS = 2
ROOT_LISTING_ATTEMPTS = 10


class UpsertCounts(Protocol):
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class Counts:
    """Counts a step reports for a kind it writes besides its own (e.g. a recording's files)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


# What a step's upsert returns: its kind's counts, or counts by kind.
UpsertReport = UpsertCounts | Mapping[str, UpsertCounts]


@dataclass(frozen=True, eq=False)
class Step:
    """One kind of listing in the walk (declared in ``zoomadmin.sync.steps``).

    ``listing(client, parent, as_of)`` yields every item under ``parent`` (``None`` for the
    root), calling as many Zoom listings as the kind needs (statuses, date windows); ``as_of``
    is when the run began. ``upsert(tenant, entries, as_of)`` writes a batch of ``(parent,
    item)`` entries, the listings of several parents mixed. ``mark_deleted(tenant, listings,
    as_of)`` takes ``(parent, seen keys)`` of complete listings and marks what each parent's
    listing did not contain; ``key(item)`` gives those keys (Zoom ids). ``applies(parent)``
    tells whether a parent can have such children at all (a skipped listing marks nothing).
    """

    name: str
    kind: str
    listing: Callable[[ZoomClient, Item | None, datetime], Iterable[Item]]
    upsert: Callable[[Any, Sequence[Entry], datetime], UpsertReport]
    mark_deleted: Callable[[Any, Sequence[Listing], datetime], int]
    key: Callable[[Item], str]
    applies: Callable[[Item], bool] = lambda parent: True
    children: tuple[Step, ...] = ()
    #: ``mark_orphans(tenant, as_of) -> {kind: count}`` marks deleted what belongs to a parent
    #: that is marked deleted (Zoom deletes a user's meetings with the user): run once at the
    #: end of every walk, after the parents' own deletions, whether or not the walk finished.
    mark_orphans: Callable[[Any, datetime], Mapping[str, int]] | None = None
    #: What is stored under each parent, for listings that are judged against it:
    #: ``known(tenant, parents)`` gives, by parent key, the stored records each parent's listing
    #: covers, as {key: stored listed fields} (for the root: ``parents`` is empty, the key "").
    #: A listing can lack records that still exist (Zoom lists only unexpired meetings; a user
    #: whose status changes between the status listings is in none of them), so
    #: ``confirm(client, key)`` asks Zoom about each one a complete listing lacked (the item, or
    #: None when Zoom says it is gone), and ``upsert_unlisted(tenant, entries, as_of)`` stores
    #: those that still exist. Only what Zoom says is gone is marked deleted. Root and its
    #: children only.
    known: Callable[[Any, Sequence[Item]], Mapping[str, Mapping[str, Any]]] | None = None
    #: Where a list item carries fewer fields than the object (meetings: no settings),
    #: ``detail(client, item)`` fetches the object (None: gone since listed). A full walk asks
    #: for every item's; a reconcile only for items that are new or whose listed fields
    #: ``changed(item, stored)`` from ``known``'s, and stores the others' list items partially.
    detail: Callable[[ZoomClient, Item], Item | None] | None = None
    changed: Callable[[Item, Any], bool] | None = None
    confirm: Callable[[ZoomClient, str], Item | None] | None = None
    #: ``belongs(parent, item)``: whether a confirmed item is still the parent's (a meeting
    #: handed to another host is not: that host's listing holds it, and it is left alone).
    belongs: Callable[[Item, Item], bool] | None = None
    upsert_unlisted: Callable[[Any, Sequence[Entry], datetime], UpsertReport] | None = None
    #: Zoom refuses some parents' listings by design (a licensed user without the webinar
    #: add-on). ``refused(error)`` tells such a refusal: it means "none here", judges nothing
    #: and is no error. ``remember_refusals(tenant, refused, listed, as_of)`` keeps them (and
    #: forgets those of parents whose listing Zoom answered), and ``skipped(tenant, parents)``
    #: names the root items not to ask in this run. Root's children only.
    refused: Callable[[ZoomError], bool] | None = None
    remember_refusals: Callable[[Any, set[str], set[str], datetime], None] | None = None
    skipped: Callable[[Any, Sequence[Item]], set[str]] | None = None
    #: An account-wide step may list under records stored already (the past webinars whose
    #: participants are due): ``parents(tenant, as_of)`` names them, as Zoom objects with their
    #: ``id``, read by the writing thread once the users' walk is written (so it sees what this
    #: run stored). Each parent is listed as a unit of its own, ``concurrency`` at a time; its
    #: key for ``refused`` and ``remember_refusals`` is ``str(parent["id"])``.
    parents: Callable[[Any, datetime], Iterable[Item]] | None = None

    def __repr__(self) -> str:
        return f"Step({self.name})"

    def walk_order(self) -> list[Step]:
        """This step and its descendants, parents first (the order batches are written in)."""
        order = [self]
        for child in self.children:
            order.extend(child.walk_order())
        return order


EPOCH = datetime.min.replace(tzinfo=UTC)


def subtree_key(key: str) -> str:
    """A root key as WalkedSubtree keeps it: hashed, so that no email address (a pending
    user's key) is kept outside the synced data that a disconnect deletes."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class RunTakenOver(Exception):
    """Another worker declared this run stale and started a new one for the tenant."""


class RunCancelled(Exception):
    """The tenant was disconnected while its sync ran: nothing more may be written."""


@dataclass
class WalkResult:
    counts: dict[str, dict[str, int]]
    errors: list[dict[str, str]]
    error_count: int
    stop: ZoomError | None
    root_complete: bool
    cut_short: bool = False  # out of time: some subtrees were left for the next run
    stopped: bool = False  # asked to stop (its worker is stopping): the rest is for the next run


# --- messages from the listing threads to the writing thread ------------------------------


# How a page's items are written: whole objects; list items that update only the fields they
# carry (a reconcile's unchanged items); items a listing left out that Zoom confirmed exist.
FULL, PARTIAL, UNLISTED = "full", "partial", "unlisted"


@dataclass(slots=True)
class _Page:
    step: Step
    parent: Item | None
    parent_key: str | None
    items: list[Item]
    mode: str = FULL


@dataclass(slots=True)
class _Listed:
    step: Step
    parent: Item | None
    seen: set[str]
    step_parent_key: str | None = None


@dataclass(slots=True)
class _Refused:
    step: Step
    parent_key: str


@dataclass(slots=True)
class _Failed:
    step: Step
    parent: Item | None
    error: ZoomError


@dataclass(slots=True)
class _Fatal:
    error: BaseException


@dataclass(slots=True)
class _Walked:
    """A root item's whole subtree was listed completely."""

    key: str


@dataclass(slots=True)
class _UnitDone:
    root: bool = False
    account: bool = False


class _Stopped(Exception):
    """Raised inside a listing thread when the walk is stopping."""


@dataclass
class _Buffers:
    """Rows waiting to be written, per step, keyed by Zoom id (a repeated item keeps the last)."""

    # (step, write mode: FULL, PARTIAL or UNLISTED) -> entries
    rows: dict[tuple[Step, str], dict[tuple[str | None, str], Entry]] = field(default_factory=dict)
    prunes: list[_Listed] = field(default_factory=list)
    # Root keys whose subtree was walked completely (written with the batch that holds it).
    walked: set[str] = field(default_factory=set)
    # Parent keys whose listing Zoom refused by design, or answered, per step that remembers.
    refused: dict[Step, set[str]] = field(default_factory=dict)
    answered: dict[Step, set[str]] = field(default_factory=dict)
    size: int = 0

    def add(self, page: _Page) -> None:
        bucket = self.rows.setdefault((page.step, page.mode), {})
        before = len(bucket)
        for item in page.items:
            bucket[(page.parent_key, page.step.key(item))] = (page.parent, item)
        self.size += len(bucket) - before


class Walk:
    """One sync of one tenant (see the module docstring). Call :meth:`run` once."""

    def __init__(
        self,
        *,
        tenant: Any,
        client: ZoomClient,
        root: Step,
        run: SyncRun,
        concurrency: int,
        synced_at: datetime | None = None,
        on_progress: Callable[[SyncRun], None] | None = None,
        account_steps: Sequence[Step] = (),
        requests_at_start: int | None = None,
        full: bool = True,
        deadline: float | None = None,
        pass_started_at: datetime | None = None,
        continuing: bool = False,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.tenant = tenant
        # A full walk fetches every object's detail; a reconcile only those new or changed.
        self.full = full
        # time.monotonic() after which no new subtree is begun (a task's time is bounded); the
        # root listing still completes, and the rest is left to the next run.
        self.deadline = deadline
        self.cut_short = False
        self._begun = 0  # subtrees begun: at least one per run, so that every run progresses
        # The sync this run belongs to (it began then), and whether this run continues it: the
        # subtrees it already walked are not walked again.
        self.pass_started_at = pass_started_at or run.started_at
        self.continuing = continuing
        # Asked between messages by the writing thread: True stops the walk as a fatal error
        # does (the threads finish the request they are in; what was listed is written).
        self.should_stop = should_stop
        self.stopped = False
        self.client = client
        self.root = root
        # Listed once for the whole account, after the root's walk (their items refer to it).
        self.account_steps = tuple(account_steps)
        self._accounts_waiting = list(self.account_steps)
        self._accounts_running = 0
        # (step, parent) of the account-wide steps that list under stored records (``parents``).
        self._account_parents: deque[tuple[Step, Item]] = deque()
        self.sync_run = run
        self.concurrency = max(1, concurrency)
        self.synced_at = synced_at or run.started_at
        self.on_progress = on_progress
        self._order = root.walk_order() + [s for a in account_steps for s in a.walk_order()]
        self._buffers = _Buffers()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=4 * self.concurrency + 4)
        self._stop = threading.Event()
        self._abandoned = threading.Event()  # the writing thread left; nobody reads the queue
        # The root listing fetches its next page once the writer has taken in the previous one
        # and the pool is about to run out of work (see _wait_for_root_turn).
        self._root_turn = threading.Condition()
        self._root_pages_sent = 0
        self._root_pages_taken = 0
        self._root_hungry = True
        self._pending: list[Item] = []
        # (step, parent key) -> what its listing covers; filled here, taken by a unit.
        self._known: dict[tuple[Step, str], Mapping[str, Any]] = {}
        self._skipped: set[tuple[Step, str]] = set()
        self._units: set[str] = set()  # root keys handed out (or with nothing to walk)
        self._in_flight = 0
        self._root_running = True
        self._root_complete = False
        self._fatal: BaseException | None = None
        # The run's own requests: those since it began (a caller may have asked Zoom first).
        self._requests_at_start = (
            client.request_count if requests_at_start is None else requests_at_start
        )
        self._last_flush = self._last_progress = time.monotonic()
        self.counts: dict[str, dict[str, int]] = {}
        self.errors: list[dict[str, str]] = []
        self.error_count = 0
        self.users_seen = 0
        self.users_done = 0

    # --- the writing thread ----------------------------------------------------------------

    def run(self) -> WalkResult:
        executor = ThreadPoolExecutor(
            max_workers=self.concurrency + 1 + len(self.account_steps),
            thread_name_prefix=f"zoom-sync-{self.tenant.pk}",
        )
        try:
            if self.root.known is not None:
                # Every stored record the root listing covers (its "parent" is the tenant).
                self._known[(self.root, "")] = self.root.known(self.tenant, []).get("", {})
            executor.submit(self._root_unit)
            while (
                self._root_running
                or self._in_flight
                or self._pending
                or self._accounts_running
                or ((self._accounts_waiting or self._account_parents) and not self._stop.is_set())
            ):
                self._feed(executor)
                try:
                    message = self._queue.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    message = None
                if message is not None:
                    self._handle(message)
                self._tick()
            self._flush()
            self._mark_orphans()
            self._save_progress()
        except BaseException:
            self._stop.set()
            self._drain()
            self._abandoned.set()
            executor.shutdown(wait=False, cancel_futures=True)
            raise
        executor.shutdown(wait=True)
        stop = self._fatal if isinstance(self._fatal, ZoomError) else None
        if self._fatal is not None and stop is None:
            raise self._fatal
        return WalkResult(
            counts=self.counts,
            errors=self.errors,
            error_count=self.error_count,
            stop=stop,
            root_complete=self._root_complete,
            cut_short=self.cut_short,
            stopped=self.stopped,
        )

    def _feed(self, executor: ThreadPoolExecutor) -> None:
        """Hand root items to the pool while it has room; ask for the next root page early;
        once the root's walk is done, list what belongs to the whole account."""
        if self.should_stop is not None and not self._stop.is_set() and self.should_stop():
            self.stopped = True
            self._stop.set()
        if self._stop.is_set():
            self._pending.clear()
            self._accounts_waiting.clear()
            self._account_parents.clear()
            return
        if self.deadline is not None and time.monotonic() > self.deadline and self._begun:
            # Out of time: finish the root listing (cheap) and what is in flight, begin nothing.
            if self._pending or self._accounts_waiting or self._account_parents:
                self.cut_short = True
            self._pending.clear()
            self._accounts_waiting.clear()
            self._account_parents.clear()
            with self._root_turn:
                self._root_hungry = True
                self._root_turn.notify_all()
            return
        if not (self._root_running or self._in_flight or self._pending):
            while self._accounts_waiting:
                step = self._accounts_waiting.pop(0)
                if step.parents is not None:
                    # Its parents are stored records: what the walk listed is written first.
                    self._flush()
                    parents = step.parents(self.tenant, self.synced_at)
                    self._account_parents.extend((step, parent) for parent in parents)
                    continue
                self._accounts_running += 1
                executor.submit(self._account_unit, step)
            while self._account_parents and self._accounts_running < self.concurrency:
                self._accounts_running += 1
                self._begun += 1
                executor.submit(self._parent_unit, *self._account_parents.popleft())
        while self._pending and self._in_flight < self.concurrency:
            self._in_flight += 1
            self._begun += 1
            executor.submit(self._subtree_unit, self._pending.pop())
        # Fetch the next root page while the pool still has work, so it never idles on it.
        hungry = len(self._pending) < self.concurrency
        if hungry != self._root_hungry:
            with self._root_turn:
                self._root_hungry = hungry
                self._root_turn.notify_all()

    def _handle(self, message: Any) -> None:
        if isinstance(message, _Page):
            self._buffers.add(message)
            if message.step is self.root:
                if message.mode != UNLISTED:  # a page of the listing itself, which waits for it
                    with self._root_turn:
                        self._root_pages_taken += 1
                        self._root_turn.notify_all()
                # A root listing started again (its page token expired) repeats what it sent.
                new = [item for item in message.items if self.root.key(item) not in self._units]
                self._units.update(self.root.key(item) for item in new)
                units = [item for item in new if any(c.applies(item) for c in self.root.children)]
                walked = self._walked_at([self.root.key(item) for item in units])
                if self.continuing:
                    units = [
                        item
                        for item in units
                        if walked.get(self.root.key(item), EPOCH) < self.pass_started_at
                    ]
                # The least recently walked first (never walked: first of all).
                units.sort(key=lambda item: walked.get(self.root.key(item), EPOCH))
                self.users_seen += len(new)
                self.users_done += len(new) - len(units)  # nothing (more) to walk under them
                self._load_parents(units)
                self._pending.extend(reversed(units))
        elif isinstance(message, _Listed):
            self._buffers.prunes.append(message)
            if message.step is self.root:
                self._root_complete = True
            elif message.step.remember_refusals is not None:
                answered = self._buffers.answered.setdefault(message.step, set())
                answered.add(message.step_parent_key)
        elif isinstance(message, _Walked):
            self._buffers.walked.add(message.key)
        elif isinstance(message, _Refused):
            self._buffers.refused.setdefault(message.step, set()).add(message.parent_key)
        elif isinstance(message, _Failed):
            self._record_error(message.step, message.parent, message.error)
        elif isinstance(message, _Fatal):
            if self._fatal is None or isinstance(message.error, ZoomRateLimited):
                self._fatal = message.error
            self._stop.set()
        elif isinstance(message, _UnitDone):
            if message.root:
                self._root_running = False
            elif message.account:
                self._accounts_running -= 1
            else:
                self._in_flight -= 1
                self.users_done += 1

    def _walked_at(self, keys: list[str]) -> dict[str, datetime]:
        """When a sync last walked each of ``keys``' subtrees (those ever walked)."""
        by_fingerprint = {subtree_key(key): key for key in keys}
        found: dict[str, datetime] = {}
        for chunk in select_batches(by_fingerprint):
            rows = WalkedSubtree.objects.filter(
                tenant_id=self.tenant.pk, key__in=chunk
            ).values_list("key", "walked_at")
            found.update((by_fingerprint[key], walked_at) for key, walked_at in rows)
        return found

    def _load_parents(self, parents: list[Item]) -> None:
        """What the listings of these root items cover, and which not to ask, read here (the
        one thread that uses the database) before their units are handed out."""
        for step in self.root.children:
            applying = [parent for parent in parents if step.applies(parent)]
            if step.known is not None:
                for parent_key, known in step.known(self.tenant, applying).items():
                    self._known[(step, parent_key)] = known
            if step.skipped is not None:
                self._skipped.update((step, key) for key in step.skipped(self.tenant, applying))

    def _tick(self) -> None:
        now = time.monotonic()
        buffers = self._buffers
        if buffers.size >= FLUSH_ROWS or (
            (buffers.size or buffers.prunes) and now - self._last_flush >= FLUSH_SECONDS
        ):
            self._flush()
        if now - self._last_progress >= PROGRESS_SECONDS:
            self._save_progress()

    def _flush(self) -> None:
        """Write every waiting batch, parents' kinds first, then mark deletions: in one
        transaction that first makes sure the run is still this worker's and the tenant still
        connected (a disconnect deletes the tenant's data; nothing may bring it back)."""
        with transaction.atomic():
            self._hold()
            self._write_buffers()

    def _hold(self) -> None:
        """Lock the tenant and the run for this transaction, or stop: another worker took the
        run over, or the tenant was disconnected (both commit under the same locks)."""
        # A refused token ("needs re-authorization") stops the listings, not this batch: what
        # was listed is still Zoom's data. A disconnect deleted the data: nothing may return.
        tenant = Tenant.objects.select_for_update().filter(pk=self.tenant.pk)
        if list(tenant.values_list("status", flat=True)) in ([], [Tenant.Status.DISCONNECTED]):
            raise RunCancelled("the Zoom account was disconnected during the sync")
        running = SyncRun.objects.select_for_update().filter(
            pk=self.sync_run.pk, status=SyncRun.Status.RUNNING
        )
        if not list(running.values_list("pk", flat=True)):
            raise RunTakenOver(
                f"sync run {self.sync_run.pk} is no longer running; another worker took over"
            )

    def _write_buffers(self) -> None:
        buffers = self._buffers
        for step in self._order:
            for mode in (FULL, PARTIAL, UNLISTED):
                bucket = buffers.rows.pop((step, mode), None)
                if not bucket:
                    continue
                entries = list(bucket.values())
                if mode == UNLISTED:
                    report = step.upsert_unlisted(self.tenant, entries, self.synced_at)
                elif mode == PARTIAL:
                    report = step.upsert(self.tenant, entries, self.synced_at, partial=True)
                else:
                    report = step.upsert(self.tenant, entries, self.synced_at)
                by_kind = report if isinstance(report, Mapping) else {step.kind: report}
                for kind, result in by_kind.items():
                    counts = self._counts(kind)
                    counts["created"] += result.created
                    counts["updated"] += result.updated
                    counts["unchanged"] += result.unchanged
                    counts["deleted"] += getattr(result, "deleted", 0)
        buffers.size = 0
        prunes, buffers.prunes = buffers.prunes, []
        for step in self._order:
            listings = [(p.parent, p.seen) for p in prunes if p.step is step]
            if listings:
                deleted = step.mark_deleted(self.tenant, listings, self.synced_at)
                self._counts(step.kind)["deleted"] += deleted
        if buffers.walked:
            WalkedSubtree.objects.bulk_create(
                [
                    WalkedSubtree(
                        tenant_id=self.tenant.pk, key=subtree_key(key), walked_at=self.synced_at
                    )
                    for key in buffers.walked
                ],
                update_conflicts=True,
                unique_fields=["tenant", "key"],
                update_fields=["walked_at"],
            )
            buffers.walked = set()
        for step in self._order:
            refused = buffers.refused.pop(step, set())
            answered = buffers.answered.pop(step, set())
            if refused or answered:
                step.remember_refusals(self.tenant, refused, answered, self.synced_at)
        self._last_flush = time.monotonic()

    def _mark_orphans(self) -> None:
        with transaction.atomic():
            self._hold()
            for step in self._order:
                if step.mark_orphans is not None:
                    for kind, deleted in step.mark_orphans(self.tenant, self.synced_at).items():
                        self._counts(kind)["deleted"] += deleted

    def _save_progress(self) -> None:
        now = timezone.now()
        run = self.sync_run
        run.counts = self.counts
        run.requests = self.client.request_count - self._requests_at_start
        run.errors = self.errors
        run.error_count = self.error_count
        run.users_seen = self.users_seen
        run.users_done = self.users_done
        run.heartbeat_at = now
        updated = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
            counts=run.counts,
            requests=run.requests,
            errors=run.errors,
            error_count=run.error_count,
            users_seen=run.users_seen,
            users_done=run.users_done,
            heartbeat_at=now,
        )
        self._last_progress = time.monotonic()
        if not updated:
            raise RunTakenOver(f"sync run {run.pk} is no longer running; another worker took over")
        if self.on_progress is not None:
            self.on_progress(run)

    def _drain(self) -> None:
        """After a failure here: let the threads see the stop and finish, discarding their pages."""
        deadline = time.monotonic() + 60
        while (
            self._root_running or self._in_flight or self._accounts_running
        ) and time.monotonic() < deadline:
            try:
                message = self._queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if isinstance(message, _UnitDone):
                self._handle(message)

    def _counts(self, kind: str) -> dict[str, int]:
        return self.counts.setdefault(
            kind, {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
        )

    def _record_error(self, step: Step, parent: Item | None, error: ZoomError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(
                {
                    "kind": step.kind,
                    "parent": str(parent.get("id", "")) if parent else "",
                    "message": str(error),
                }
            )
        logger.warning("Sync of tenant %s: listing %s failed: %s", self.tenant, step.name, error)

    # --- the listing threads ---------------------------------------------------------------

    def _root_unit(self) -> None:
        self._run_unit(
            lambda: self._list(self.root, None, None, gate=self._wait_for_root_turn), root=True
        )

    def _subtree_unit(self, item: Item) -> None:
        key = self.root.key(item)

        def walk() -> None:
            if self._walk_children(self.root, item):
                self._put(_Walked(key))

        self._run_unit(walk)

    def _account_unit(self, step: Step) -> None:
        self._run_unit(lambda: self._list(step, None, None), account=True)

    def _parent_unit(self, step: Step, parent: Item) -> None:
        self._run_unit(lambda: self._list(step, parent, str(parent["id"])), account=True)

    def _run_unit(
        self, work: Callable[[], None], *, root: bool = False, account: bool = False
    ) -> None:
        try:
            work()
        except _Stopped:
            pass
        except BaseException as error:  # noqa: BLE001 - handed to the writing thread
            self._put(_Fatal(error))
        finally:
            # A token refresh may have opened a connection in this thread.
            connections.close_all()
            self._done(_UnitDone(root=root, account=account))

    def _walk_children(self, step: Step, parent: Item) -> bool:
        """Walk ``parent``'s subtree; whether every listing in it was complete."""
        parent_key = step.key(parent)
        complete = True
        for child in step.children:
            if not child.applies(parent) or (child, parent_key) in self._skipped:
                continue
            parents = self._list(child, parent, parent_key)
            complete &= parents is not None
            for grandchild_parent in parents or ():
                complete &= self._walk_children(child, grandchild_parent)
        return complete

    def _list(
        self,
        step: Step,
        parent: Item | None,
        parent_key: str | None,
        *,
        gate: Callable[[], None] | None = None,
    ) -> list[Item] | None:
        """List ``step`` under ``parent`` to the end, sending pages; returns the items that
        have children to walk, or None when the listing failed (a Zoom error other than a
        stop is reported, not raised)."""
        attempts = ROOT_LISTING_ATTEMPTS if step is self.root else LISTING_ATTEMPTS
        for attempt in range(1, attempts + 1):
            seen: set[str] = set()
            parents: list[Item] = []
            try:
                listing = step.listing(self.client, parent, self.synced_at)
                for page in self._pages(listing, gate):
                    if step.detail is not None:
                        page, kept = self._details(step, parent_key, page)
                        seen.update(step.key(item) for item in kept)
                        if kept:
                            self._put(_Page(step, parent, parent_key, kept, PARTIAL))
                    self._put(_Page(step, parent, parent_key, page))
                    if step is self.root:
                        with self._root_turn:
                            self._root_pages_sent += 1
                    seen.update(step.key(item) for item in page)
                    if step is not self.root and step.children:
                        parents.extend(
                            item
                            for item in page
                            if any(child.applies(item) for child in step.children)
                        )
                if step.known is not None:
                    absent = self._known.pop((step, parent_key or ""), {}).keys() - seen
                    if absent:
                        seen |= self._confirm_unlisted(step, parent, parent_key, set(absent))
            except FATAL_ERRORS as error:
                self._put(_Fatal(error))
                raise _Stopped from error
            except ZoomPageTokenExpired as error:
                if attempt == attempts:
                    self._put(_Failed(step, parent, error))
                    return None
                continue
            except ZoomError as error:
                if step.refused is not None and parent_key is not None and step.refused(error):
                    self._put(_Refused(step, parent_key))
                    return []  # "none here": complete
                self._put(_Failed(step, parent, error))
                return None
            self._put(_Listed(step, parent, seen, parent_key))
            return parents
        return None

    def _details(
        self, step: Step, parent_key: str | None, items: list[Item]
    ) -> tuple[list[Item], list[Item]]:
        """(objects fetched for the items that need them, list items kept as they are)."""
        known = self._known.get((step, parent_key or ""), {})
        fetched, kept = [], []
        for item in items:
            key = step.key(item)
            if not self.full and key in known and not step.changed(item, known[key]):
                kept.append(item)
                continue
            if self._stop.is_set():
                raise _Stopped
            detail = step.detail(self.client, item)
            if detail is not None:  # None: deleted since it was listed
                fetched.append(detail)
        return fetched, kept

    def _confirm_unlisted(
        self, step: Step, parent: Item | None, parent_key: str | None, absent: set[str]
    ) -> set[str]:
        """Ask Zoom about each stored record of ``parent`` that the complete listing lacked:
        one that still exists left the listing (it expired) and is stored as such; one now
        another parent's, or that Zoom could not answer for, is left as it is; one Zoom no
        longer knows stays unseen, so that it is marked deleted. Returns the keys not to judge."""
        present: list[Item] = []
        kept: set[str] = set()
        for key in sorted(absent):
            if self._stop.is_set():
                raise _Stopped
            try:
                item = step.confirm(self.client, key)
            except FATAL_ERRORS:
                raise
            except ZoomError as error:
                # Zoom could not say: this one is not judged (the run reports the error).
                self._put(_Failed(step, parent, error))
                kept.add(key)
                continue
            if item is None:
                continue
            if step.belongs is not None and parent is not None and not step.belongs(parent, item):
                kept.add(key)  # another parent's listing holds it now (a meeting handed over)
            else:
                present.append(item)
        for start in range(0, len(present), PAGE_SIZE_DEFAULT):
            batch = present[start : start + PAGE_SIZE_DEFAULT]
            self._put(_Page(step, parent, parent_key, batch, UNLISTED))
        return kept | {step.key(item) for item in present}

    def _pages(
        self, items: Iterable[Item], gate: Callable[[], None] | None
    ) -> Iterator[list[Item]]:
        iterator = iter(items)
        while True:
            if self._stop.is_set():
                raise _Stopped
            if gate is not None:
                gate()
            page = list(islice(iterator, PAGE_SIZE_DEFAULT))
            if not page:
                return
            yield page

    def _wait_for_root_turn(self) -> None:
        """Before each root page: wait until the writer took in the last one and wants more.

        So at most one root page waits in memory, and the pool does not idle while the next
        one is fetched. A listing started again just sends again: its pages are taken in (and
        their items, already handed out, skipped) as fast as they come.
        """
        with self._root_turn:
            while not (self._root_pages_taken == self._root_pages_sent and self._root_hungry):
                if self._stop.is_set():
                    raise _Stopped
                self._root_turn.wait(timeout=POLL_SECONDS)

    def _done(self, message: _UnitDone) -> None:
        try:
            self._put(message, force=True)
        except _Stopped:
            pass

    def _put(self, message: Any, *, force: bool = False) -> None:
        """Queue a message for the writing thread; give up if the walk stops (unless forced:
        the writer waits for the units' end-of-work messages)."""
        while True:
            try:
                self._queue.put(message, timeout=POLL_SECONDS)
                return
            except queue.Full:
                if self._abandoned.is_set() or (self._stop.is_set() and not force):
                    raise _Stopped from None
