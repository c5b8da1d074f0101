"""Running bulk jobs: one operation (``zoomadmin.jobs.operations``) over many records of one
tenant, or over rows that are not records yet (``job_create_for_rows``), within the tenant's
shared request budget, each record's or row's outcome kept.

Promises:

- **Nothing twice.** Items are claimed (``pending`` → ``running``) in a committed update before
  Zoom is asked; a worker that dies leaves its items ``running``, and the next worker to take
  the job marks them ``interrupted`` (Zoom may have done them) rather than asking again, or,
  for an operation declared ``repeatable`` (it changes nothing in Zoom: an archive copy),
  does them again from the start. Two workers handed the same job (django-q2 may run a task
  twice) never claim the same item.
- **One refusal is one record's.** A Zoom error fails its record (or its batch) and the job goes
  on; Zoom's per-host cap of 100 meeting creates and updates a day is said in words.
- **Account-wide stops pause.** A refused authorization fails the job; a rate limit that
  outlasts the client (Zoom's daily limit, a long ``Retry-After``) pauses it until Zoom takes
  requests again, with the unfinished items still pending; the caller schedules the resume.
- **Paced, in parallel.** Requests go through the tenant's client, so every worker shares one
  per-category budget; as many records are in flight as that budget can use.
- **No Zoom call inside a transaction** (a token refresh must commit).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, connections, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from zoomadmin.jobs.models import BulkJob, BulkJobItem
from zoomadmin.jobs.operations import Operation, OperationRefused, get_operation
from zoomadmin.tenants.audit import ReadBackFailed
from zoomadmin.tenants.tokens import TenantNotConnected, client_for_tenant
from zoomadmin.zoom.client import ZoomClient, concurrency_for
from zoomadmin.zoom.errors import (
    ZoomDailyLimit,
    ZoomError,
    ZoomRateLimited,
    ZoomReauthorizationRequired,
    ZoomUnauthorized,
    in_words,
    is_per_user_cap,
)

logger = logging.getLogger(__name__)

# A running job whose heartbeat is this old belongs to a worker that died.
STALE_AFTER = timedelta(seconds=120)
HEARTBEAT_SECONDS = 2.0
INTERRUPTED = (
    "The worker stopped while Zoom was being asked: Zoom may have done it. Re-sync the record "
    "to see, or retry it."
)
# Errors that no other record of the job can escape.
STOPS = (ZoomReauthorizationRequired, ZoomUnauthorized, TenantNotConnected)
# Zoom's refusals that say the account, not the record, is out of something (Users OpenAPI:
# 3412 "Your request was not accepted because the account has reached the maximum number of
# Basic users", 2033/2034 no more licenses of the type): the rest would be refused alike.
ACCOUNT_WIDE_CODES = frozenset({3412, 2033, 2034})
# SQLite takes one writer at a time: more threads than this only wait for its lock.
SQLITE_WORKERS = 2


def jobs_create(
    *,
    actor: Any,
    operation: str,
    records: Iterable[models.Model],
    params: dict[str, Any] | None = None,
    title: str,
    describe: Callable[[Any], str] = str,
) -> list[BulkJob]:
    """One queued job per tenant of ``records`` (each tenant has its own budget); each item
    reads as ``describe(record)`` on the job's page."""
    get_operation(operation)
    by_tenant: dict[int, list[models.Model]] = {}
    for record in records:
        by_tenant.setdefault(record.tenant_id, []).append(record)
    jobs = []
    for tenant_id, chosen in by_tenant.items():
        job = BulkJob.objects.create(
            tenant_id=tenant_id,
            created_by=actor if getattr(actor, "pk", None) else None,
            operation=operation,
            title=title,
            params=params or {},
            total=len(chosen),
        )
        BulkJobItem.objects.bulk_create(
            [BulkJobItem(job=job, object_pk=r.pk, object_repr=describe(r)[:300]) for r in chosen],
            batch_size=500,
        )
        jobs.append(job)
    return jobs


def job_create_for_rows(
    *,
    actor: Any,
    tenant: Any,
    operation: str,
    rows: Sequence[tuple[str, dict[str, Any]]],
    params: dict[str, Any] | None = None,
    title: str,
) -> BulkJob:
    """A queued job of an operation on rows (``rows=True``): one item per ``(repr, payload)``,
    the payload (plain JSON values) being what the operation is handed. The job and all of its
    items are stored together, or none of them."""
    if not get_operation(operation).rows:
        raise ValueError(f"operation {operation!r} works on records, not on rows")
    with transaction.atomic():
        job = BulkJob.objects.create(
            tenant=tenant,
            created_by=actor if getattr(actor, "pk", None) else None,
            operation=operation,
            title=title,
            params=params or {},
            total=len(rows),
        )
        BulkJobItem.objects.bulk_create(
            [
                BulkJobItem(job=job, object_repr=label[:300], payload=payload)
                for label, payload in rows
            ],
            batch_size=500,
        )
    return job


def job_retry_failed(*, job: BulkJob) -> int:
    """Put the job's failed and interrupted items back in the queue, and queue the job again
    when any item waits (also those a stopped job never reached); how many will be done."""
    job.items.filter(status__in=(BulkJobItem.Status.FAILED, BulkJobItem.Status.INTERRUPTED)).update(
        status=BulkJobItem.Status.PENDING, message="", finished_at=None
    )
    again = job.items.filter(status=BulkJobItem.Status.PENDING).count()
    if again:
        _recount(job)
        BulkJob.objects.filter(pk=job.pk).update(
            status=BulkJob.Status.QUEUED, finished_at=None, message=""
        )
    return again


@dataclass
class _Stop:
    error: ZoomError | TenantNotConnected
    resumes_at: Any = None


def job_run(
    *,
    job_id: int,
    client: ZoomClient | None = None,
    concurrency: int | None = None,
    deadline_seconds: float | None = None,
) -> BulkJob | None:
    """Run the pending items of a job; the job as it ended (``done``, ``failed``, ``paused``,
    or ``queued`` again when ``deadline_seconds`` ran out), or None when another worker has
    it. ``concurrency`` 1 runs everything in the calling thread."""
    job = _claim(job_id)
    if job is None:
        return None
    operation = get_operation(job.operation)
    left = job.items.filter(status=BulkJobItem.Status.RUNNING)
    if operation.repeatable:
        # Left running by a dead worker, and safe to do again from the start: done again.
        left.update(status=BulkJobItem.Status.PENDING, claim="")
    else:
        # Left running by a dead worker: Zoom may have done them; never asked again.
        left.update(
            status=BulkJobItem.Status.INTERRUPTED, message=INTERRUPTED, finished_at=timezone.now()
        )
    try:
        client = client or client_for_tenant(job.tenant)
    except TenantNotConnected as error:
        return _finish(job, BulkJob.Status.FAILED, str(error))
    run = _Run(job, operation, client, deadline_seconds)
    workers = concurrency or concurrency_for(client)
    if operation.concurrency:
        workers = min(workers, operation.concurrency)
    if connection.vendor == "sqlite":
        workers = min(workers, SQLITE_WORKERS)
    # In the calling thread (a page waiting on a handful), each record's outcome beats it.
    heartbeat = _Heartbeat(job.pk) if workers > 1 else None
    try:
        units = run.units()
        if workers <= 1 or len(units) <= 1:
            for unit in units:
                run.unit(unit)
        else:
            _in_threads(run, units, workers)
    except Exception as error:
        logger.exception("Bulk job %s stopped", job.pk)
        return _finish(
            job,
            BulkJob.Status.FAILED,
            f"Stopped by an error ({type(error).__name__}): {error}. "
            "Retry the failed ones to go on with the rest.",
        )
    finally:
        if heartbeat is not None:
            heartbeat.stop()
    return run.finish()


def _in_threads(run: _Run, units: list[list[int]], workers: int) -> None:
    """Each worker thread takes units until none is left, then closes its database connection
    (one per thread for the whole job, not one per record)."""
    todo: queue.SimpleQueue[list[int]] = queue.SimpleQueue()
    for unit in units:
        todo.put(unit)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            while True:
                try:
                    unit = todo.get_nowait()
                except queue.Empty:
                    return
                run.unit(unit)
        except BaseException as error:  # noqa: BLE001 - raised again by the calling thread
            failures.append(error)
            run.stop.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(min(workers, len(units)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


class _Heartbeat:
    """Beats the job's heartbeat every few seconds while it runs, however long a request
    waits (pacing, Retry-After): a live job is never taken for a dead worker's."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stopped.wait(HEARTBEAT_SECONDS):
                BulkJob.objects.filter(pk=self.job_id, status=BulkJob.Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connections.close_all()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=HEARTBEAT_SECONDS + 5)


class _Run:
    def __init__(
        self,
        job: BulkJob,
        operation: Operation,
        client: ZoomClient,
        deadline_seconds: float | None,
    ) -> None:
        self.job = job
        self.operation = operation
        self.client = client
        self.requests_at_start = client.request_count
        self.deadline = time.monotonic() + deadline_seconds if deadline_seconds else None
        self.stop = threading.Event()
        self.stopped: _Stop | None = None
        self.out_of_time = False
        self._lock = threading.Lock()
        self._last_beat = 0.0

    def units(self) -> list[list[int]]:
        """Pending item pks, one list per call to the operation (a batch shares its key)."""
        pending = list(
            self.job.items.filter(status=BulkJobItem.Status.PENDING).values_list("pk", "object_pk")
        )
        if self.operation.batch_size <= 1:
            return [[pk] for pk, _ in pending]
        records = self._records([object_pk for _, object_pk in pending])
        groups: dict[Any, list[int]] = {}
        for pk, object_pk in pending:
            record = records.get(object_pk)
            key = self.operation.batch_key(record) if record is not None else None
            groups.setdefault(key, []).append(pk)
        size = self.operation.batch_size
        return [pks[i : i + size] for pks in groups.values() for i in range(0, len(pks), size)]

    def unit(self, item_pks: list[int]) -> None:
        if self.stop.is_set():
            return
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.out_of_time = True
            return
        # One committed UPDATE claims what is still pending, under a token of this call: what
        # another run took meanwhile is not in it, so no record is asked about twice.
        token = uuid.uuid4().hex
        BulkJobItem.objects.filter(pk__in=item_pks, status=BulkJobItem.Status.PENDING).update(
            status=BulkJobItem.Status.RUNNING, claim=token, attempts=F("attempts") + 1
        )
        claimed = list(
            BulkJobItem.objects.filter(
                pk__in=item_pks, status=BulkJobItem.Status.RUNNING, claim=token
            ).values_list("pk", "object_pk", "payload")
        )
        if not claimed:
            return
        outcomes, present = self._subjects(claimed)
        try:
            outcomes.update(self._call(present))
        except OperationRefused as refused:
            message = str(refused)
            outcomes.update({pk: (BulkJobItem.Status.FAILED, message) for pk, _ in present})
        except ReadBackFailed as accepted:
            message = str(accepted)
            outcomes.update({pk: (BulkJobItem.Status.SUCCEEDED, message) for pk, _ in present})
        except STOPS as error:
            self._halt(_Stop(error), [pk for pk, _ in present])
            return
        except ZoomRateLimited as error:
            if is_per_user_cap(error):
                outcomes.update(
                    {pk: (BulkJobItem.Status.FAILED, in_words(error)) for pk, _ in present}
                )
            else:
                self._halt(_Stop(error, _resumes_at(error)), [pk for pk, _ in present])
                return
        except ZoomError as error:
            if error.code in ACCOUNT_WIDE_CODES:
                self._halt(_Stop(error), [pk for pk, _ in present])
                return
            outcomes.update({pk: (BulkJobItem.Status.FAILED, in_words(error)) for pk, _ in present})
        except Exception as error:  # noqa: BLE001 - one record's bug must not stop the others
            logger.exception("Bulk job %s: %s failed", self.job.pk, self.operation.name)
            message = f"Internal error ({type(error).__name__}); see the server log."
            outcomes.update({pk: (BulkJobItem.Status.FAILED, message) for pk, _ in present})
        self._record(outcomes)

    def _subjects(
        self, claimed: Sequence[tuple[int, int | None, Any]]
    ) -> tuple[dict[int, tuple[str, str]], list[tuple[int, Any]]]:
        """What each claimed item is about, by item pk: its row, or its record as stored now;
        and the outcome of those whose record is gone."""
        if self.operation.rows:
            return {}, [(pk, payload) for pk, _, payload in claimed]
        records = self._records([object_pk for _, object_pk, _ in claimed])
        gone = {
            pk: (BulkJobItem.Status.FAILED, "No longer stored here.")
            for pk, object_pk, _ in claimed
            if object_pk not in records
        }
        present = [(pk, records[object_pk]) for pk, object_pk, _ in claimed if object_pk in records]
        return gone, present

    def _call(self, present: Sequence[tuple[int, Any]]) -> dict[int, tuple[str, str]]:
        if not present:
            return {}
        kwargs = {
            "tenant": self.job.tenant,
            "client": self.client,
            "actor": self.job.created_by,
            **self.job.params,
        }
        if self.operation.batch_size <= 1:
            ((pk, subject),) = present
            note = self.operation.run(**{self.operation.subject: subject}, **kwargs)
            return {pk: (BulkJobItem.Status.SUCCEEDED, note or "")}
        notes = self.operation.run(records=[record for _, record in present], **kwargs) or {}
        return {
            pk: (BulkJobItem.Status.SUCCEEDED, notes.get(record.pk) or "") for pk, record in present
        }

    def _records(self, object_pks: Sequence[int]) -> dict[int, Any]:
        model = self.operation.model
        queryset = model._default_manager.filter(tenant=self.job.tenant, pk__in=object_pks)
        if self.operation.select_related:
            queryset = queryset.select_related(*self.operation.select_related)
        return {record.pk: record for record in queryset}

    def _record(self, outcomes: dict[int, tuple[str, str]]) -> None:
        now = timezone.now()
        succeeded = failed = 0
        for status in (BulkJobItem.Status.SUCCEEDED, BulkJobItem.Status.FAILED):
            by_message: dict[str, list[int]] = {}
            for pk, (outcome, message) in outcomes.items():
                if outcome == status:
                    by_message.setdefault(message, []).append(pk)
            for message, pks in by_message.items():
                updated = BulkJobItem.objects.filter(
                    pk__in=pks, status=BulkJobItem.Status.RUNNING
                ).update(status=status, message=message, finished_at=now)
                if status == BulkJobItem.Status.SUCCEEDED:
                    succeeded += updated
                else:
                    failed += updated
        self._beat(succeeded, failed)

    def _beat(self, succeeded: int = 0, failed: int = 0) -> None:
        with self._lock:
            force = time.monotonic() - self._last_beat >= HEARTBEAT_SECONDS
            if not (succeeded or failed or force):
                return
            self._last_beat = time.monotonic()
        BulkJob.objects.filter(pk=self.job.pk).update(
            succeeded=F("succeeded") + succeeded,
            failed=F("failed") + failed,
            requests=self.client.request_count - self.requests_at_start + self.job.requests,
            heartbeat_at=timezone.now(),
        )

    def _halt(self, stop: _Stop, item_pks: list[int]) -> None:
        """Zoom refused the call for the whole account: put these items back, stop the job."""
        BulkJobItem.objects.filter(pk__in=item_pks, status=BulkJobItem.Status.RUNNING).update(
            status=BulkJobItem.Status.PENDING, attempts=F("attempts") - 1
        )
        with self._lock:
            if self.stopped is None:
                self.stopped = stop
        self.stop.set()

    def finish(self) -> BulkJob:
        self._beat()
        job = self.job
        stopped = self.stopped
        if stopped is not None and stopped.resumes_at is not None:
            job.resumes_at = stopped.resumes_at
            job.save(update_fields=["resumes_at"])
            return _finish(job, BulkJob.Status.PAUSED, _paused_words(stopped), final=False)
        if stopped is not None:
            return _finish(job, BulkJob.Status.FAILED, str(stopped.error))
        if self.out_of_time:
            return _finish(job, BulkJob.Status.QUEUED, "Continues in the next task.", final=False)
        return _finish(job, BulkJob.Status.DONE, "")


def _claim(job_id: int) -> BulkJob | None:
    now = timezone.now()
    startable = Q(status__in=(BulkJob.Status.QUEUED, BulkJob.Status.PAUSED)) | Q(
        status=BulkJob.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    claimed = BulkJob.objects.filter(startable, pk=job_id).update(
        status=BulkJob.Status.RUNNING, heartbeat_at=now, resumes_at=None, message=""
    )
    if not claimed:
        return None
    job = BulkJob.objects.select_related("tenant", "created_by").get(pk=job_id)
    if job.started_at is None:
        job.started_at = now
        job.save(update_fields=["started_at"])
    return job


def _finish(job: BulkJob, status: str, message: str, *, final: bool = True) -> BulkJob:
    _recount(job)
    BulkJob.objects.filter(pk=job.pk).update(
        status=status,
        message=message,
        finished_at=timezone.now() if final else None,
        heartbeat_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


def _recount(job: BulkJob) -> None:
    """The job's counts from its items (exact, whatever the heartbeats added up)."""
    items = BulkJobItem.objects.filter(job=job)
    BulkJob.objects.filter(pk=job.pk).update(
        succeeded=items.filter(status=BulkJobItem.Status.SUCCEEDED).count(),
        failed=items.filter(
            status__in=(BulkJobItem.Status.FAILED, BulkJobItem.Status.INTERRUPTED)
        ).count(),
    )


def _resumes_at(error: ZoomRateLimited) -> Any:
    if isinstance(error, ZoomDailyLimit):
        return error.resets_at
    return timezone.now() + timedelta(seconds=max(60.0, error.retry_after or 60.0))


def _paused_words(stop: _Stop) -> str:
    when = f"{stop.resumes_at:%Y-%m-%d %H:%M} UTC"
    return (
        f"Zoom's rate limit for this account was reached; the job resumes at {when}. [{stop.error}]"
    )
