"""``manage.py zoom_sync [--tenant ID_OR_ACCOUNT_ID] [--all] [--async]``: full sync of tenants.

In the foreground it shows a progress bar (on a terminal) and a summary table per tenant;
``--async`` enqueues the syncs for the django-q2 cluster instead. One tenant's failure does not
stop the others; the command exits non-zero if any sync failed.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.sync.tasks import enqueue_tenant_sync
from zoomadmin.tenants.models import Tenant

OUTCOMES = ("created", "updated", "unchanged", "deleted")


class Command(BaseCommand):
    help = (
        "Mirror Zoom users, meetings, webinars, registrants and recordings (the sync that is due)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tenant",
            action="append",
            dest="tenants",
            default=[],
            metavar="ID_OR_ACCOUNT_ID",
            help="The tenant's id or Zoom account id (repeatable).",
        )
        parser.add_argument("--all", action="store_true", help="Every connected tenant.")
        parser.add_argument(
            "--full",
            action="store_true",
            help="A full sync (every detail), whether or not one is due; by default the kind "
            "that is due (a reconcile between full syncs).",
        )
        parser.add_argument(
            "--async",
            action="store_true",
            dest="enqueue",
            help="Enqueue the syncs for the django-q2 cluster instead of running them here.",
        )

    def handle(
        self, *args: Any, tenants: list[str], all: bool, enqueue: bool, full: bool, **options: Any
    ):
        selected = self._select(tenants, every=all)
        self.full = True if full else None
        if enqueue:
            for tenant in selected:
                enqueue_tenant_sync(tenant.pk, trigger="command", full=self.full)
                self.stdout.write(f"Enqueued a sync of {self._name(tenant)}.")
            return
        failed = 0
        for tenant in selected:
            try:
                run = self._sync(tenant)
            except Exception as error:  # one tenant's failure must not stop the others
                failed += 1
                self.stderr.write(self.style.ERROR(f"{self._name(tenant)}: {error!r}"))
                continue
            if run is None:
                self.stdout.write(
                    self.style.WARNING(f"{self._name(tenant)}: a sync is already running.")
                )
                continue
            self._summary(tenant, run)
            failed += run.status == SyncRun.Status.FAILED
        if failed:
            raise CommandError(f"{failed} of {len(selected)} syncs failed.")

    def _select(self, keys: list[str], *, every: bool) -> list[Tenant]:
        if every and keys:
            raise CommandError("Give --tenant or --all, not both.")
        if every:
            return list(Tenant.objects.filter(status=Tenant.Status.CONNECTED))
        if not keys:
            connected = list(Tenant.objects.filter(status=Tenant.Status.CONNECTED)[:2])
            if len(connected) == 1:
                return connected
            raise CommandError("Give --tenant ID_OR_ACCOUNT_ID or --all.")
        selected = []
        for key in keys:
            lookup = Q(account_id=key) | Q(pk=int(key)) if key.isdigit() else Q(account_id=key)
            tenant = Tenant.objects.filter(lookup).first()
            if tenant is None:
                raise CommandError(f"No tenant with id or Zoom account id {key!r}.")
            selected.append(tenant)
        return selected

    def _sync(self, tenant: Tenant) -> SyncRun | None:
        self.stdout.write(f"Syncing {self._name(tenant)}…")
        bar = _ProgressBar(self.stdout) if self.stdout.isatty() else None
        run = tenant_sync(
            tenant=tenant,
            trigger="command",
            full=self.full,
            on_progress=bar.update if bar else None,
        )
        if bar:
            bar.close()
        return run

    def _summary(self, tenant: Tenant, run: SyncRun) -> None:
        style = {
            SyncRun.Status.SUCCEEDED: self.style.SUCCESS,
            SyncRun.Status.FAILED: self.style.ERROR,
        }.get(run.status, self.style.WARNING)
        duration = _duration(run.duration.total_seconds() if run.duration else 0)
        self.stdout.write(
            style(f"{self._name(tenant)}: {run.get_status_display()} in {duration}")
            + f", {run.requests:,} requests to Zoom."
        )
        if run.message:
            self.stdout.write(f"  {run.message}")
        rows = [("", *OUTCOMES)]
        for kind, counts in run.counts.items():
            rows.append((kind, *(f"{counts.get(outcome, 0):,}" for outcome in OUTCOMES)))
        if len(rows) > 1:
            widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
            for row in rows:
                cells = [row[0].ljust(widths[0])]
                cells += [
                    cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
                ]
                self.stdout.write("  " + "  ".join(cells))
        for error in run.errors[:10]:
            self.stdout.write(f"  ! {error['kind']} {error['parent']}: {error['message']}")
        if run.error_count > len(run.errors[:10]):
            self.stdout.write(f"  … {run.error_count - 10} more errors")

    @staticmethod
    def _name(tenant: Tenant) -> str:
        return f"{tenant} (#{tenant.pk}, account {tenant.account_id})"


class _ProgressBar:
    """One line redrawn in place: users done of users seen, records, requests, time."""

    WIDTH = 30

    def __init__(self, out: Any) -> None:
        self.out = out
        self.started = time.monotonic()

    def update(self, run: SyncRun) -> None:
        total = max(run.users_seen, 1)
        filled = int(self.WIDTH * min(run.users_done / total, 1.0))
        records = run.total("created") + run.total("updated") + run.total("unchanged")
        line = (
            f"\r  [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{run.users_done:,}/{run.users_seen:,} users · {records:,} records · "
            f"{run.requests:,} requests · {_duration(time.monotonic() - self.started)}"
        )
        self.out.write(line, ending="")
        self.out.flush()

    def close(self) -> None:
        self.out.write("")
        sys.stdout.flush()


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
