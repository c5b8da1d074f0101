"""Bulk work on Zoom records in the background: one ``BulkJob`` per tenant and operation, one
``BulkJobItem`` per record, each item's outcome in Zoom's words. An operation on rows (a CSV
import: what to create, not yet a record) has one item per row, which carries the row as its
``payload`` instead of a record's primary key.

An item is claimed (``pending`` → ``running``) in its own committed update before Zoom is
asked, and finished after: a worker that dies mid-call leaves its item ``running``, and the
next worker marks it ``interrupted`` (Zoom may have done it) instead of asking Zoom again, so no
record is done twice. "Retry the failed ones" puts failed and interrupted items back to
``pending``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zoomadmin.tenants.models import Tenant


class BulkJob(models.Model):
    #: Holds Zoom's data of its tenant: deleted with the synced data on a disconnect.
    deleted_with_synced_data = True

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused (Zoom's limit)"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="bulk_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    operation = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    message = models.TextField(blank=True)
    total = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField("requests to Zoom", default=0)
    resumes_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "bulk job"

    def __str__(self) -> str:
        return self.title

    @property
    def done_count(self) -> int:
        return self.succeeded + self.failed

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / self.total) if self.total else 100

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING, self.Status.PAUSED)


class BulkJobItem(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Asking Zoom"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Refused or failed"
        INTERRUPTED = "interrupted", "Interrupted (Zoom may have done it)"

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="items")
    # The record, by its local primary key (of the operation's model), and how it read; or,
    # for an operation on rows, no record: the row itself, as plain JSON values.
    object_pk = models.BigIntegerField(null=True, blank=True)
    object_repr = models.CharField("record", max_length=300)
    payload = models.JSONField(null=True, blank=True, editable=False)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Which run claimed it: a run asks Zoom only about the items its own claim took.
    claim = models.CharField(max_length=32, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "object_pk"], name="jobs_item_unique_record")
        ]
        indexes = [models.Index(fields=["job", "status"], name="jobs_item_job_status")]

    def __str__(self) -> str:
        return f"{self.object_repr}: {self.get_status_display()}"
