"""SyncRun: one sync (full or reconcile) of one tenant, written as it goes so the admin can show progress.

At most one run per tenant is ``running`` at a time: a partial unique index makes that hold
across threads, processes and hosts. A worker that dies leaves its run ``running``; the run's
``heartbeat_at`` stops moving, and the next run to start declares it ``interrupted`` after
``ZOOM_SYNC_STALE_SECONDS``, so a dead worker never blocks a tenant for good.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q


class SyncRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        # Some parents' listings failed (recorded in `errors`); everything else was mirrored.
        PARTIAL = "partial", "Partial"
        # Zoom's rate limit (daily, or a long Retry-After); the next run, after `resets_at`,
        # completes the sync.
        PAUSED = "paused", "Paused (rate limit)"
        FAILED = "failed", "Failed"
        # Its worker stopped heartbeating (killed, crashed); a later run took over.
        INTERRUPTED = "interrupted", "Interrupted"
        # Out of the task's time: the next run (queued at once) continues where it stopped.
        CONTINUED = "continued", "Continued in a new run"

    class Kind(models.TextChoices):
        # Every detail of every object.
        FULL = "full", "Full"
        # Every listing; details only of what is new or whose listed fields changed.
        RECONCILE = "reconcile", "Reconcile"

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="sync_runs")
    status = models.CharField(max_length=16, choices=Status, default=Status.RUNNING)
    kind = models.CharField(max_length=16, choices=Kind, default=Kind.FULL)
    # When the sync this run belongs to began: a run that continues an unfinished one (out of
    # time, killed, paused, or some listings failed) keeps its predecessor's, and walks only
    # the users not walked completely since.
    pass_started_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=32, blank=True, help_text="schedule, command, admin…")
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # {"users": {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}, "meetings": {...}}
    counts = models.JSONField(default=dict, blank=True)
    # Progress: users whose meetings, webinars, registrants and recordings are done, of those seen.
    users_seen = models.PositiveIntegerField(default=0)
    users_done = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0, help_text="HTTP requests sent to Zoom.")
    # [{"kind": "meetings", "parent": "<zoom id>", "message": "..."}], capped (see engine).
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text="Why the run stopped, when it did not finish.")
    # Whether Zoom let this run list cloud recordings for the whole account (else per host).
    account_recordings = models.BooleanField(null=True, blank=True)
    # When this run asked Zoom that (a run that trusted an earlier finding leaves it empty).
    account_recordings_checked_at = models.DateTimeField(null=True, blank=True)
    resets_at = models.DateTimeField(
        null=True, blank=True, help_text="When Zoom's daily limit resets."
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(status="running"),
                name="syncrun_one_running_per_tenant",
            )
        ]
        indexes = [models.Index(fields=["tenant", "-started_at"], name="syncrun_tenant_started")]

    def __str__(self) -> str:
        return f"Sync of {self.tenant_id} at {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def duration(self) -> timedelta | None:
        end = self.finished_at or self.heartbeat_at
        return end - self.started_at if end else None

    def total(self, outcome: str) -> int:
        """Sum of one outcome ("created", "updated", "unchanged", "deleted") over every kind."""
        return sum(kind.get(outcome, 0) for kind in self.counts.values())


class WalkedSubtree(models.Model):
    """When a sync last walked a root item's (a user's) subtree completely: the run that
    continues an unfinished sync (after a kill, a pause, or the end of its task's time) walks
    only the items not walked since that sync began, and every sync walks the least recently
    walked first. Sync bookkeeping, not Zoom data: the key is hashed."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=32, help_text="The root key, hashed (no email address kept).")
    walked_at = models.DateTimeField(help_text="When the sync that walked it began.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="walked_subtree_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} walked by the sync of {self.walked_at:%Y-%m-%d %H:%M}"
