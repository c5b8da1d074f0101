"""The dashboard of the admin index: per Zoom account (tenant) the signed-in user may see, what
needs a look, each figure linked to the filtered list behind it.

- connection: the tenant's status, Zoom's reason and a Reconnect link when it needs one;
- sync: the last finished run and the running one (its progress polled live through the sync
  run admin's progress JSON, ``zoomadmin.sync.progress``);
- users by Zoom type and status;
- license use: licensed seats in use (licensed users, active or pending: Zoom counts a pending
  user's license, "The number of users with a pending activation meeting license", Users API
  ``GET /users/summary``) and the licensed users idle for 30, 60 and 90 days
  (``users.idle``). The plan's seat count is not in anything the sync reads (user listings
  carry no plan), so seats free are shown as unknown rather than guessed;
- meetings and webinars starting in each of the next four weeks (from the start of today);
- registrants waiting for approval; webhook events of the last seven days, the failed ones
  and when the last arrived; bulk jobs of the last 30 days that failed or had refusals.

Cost: a fixed number of grouped queries for all the shown tenants together (one per kind of
record), whatever the number of tenants and records; nothing asks Zoom. A section the user
has no view permission for is left out, with its query. At most ``MAX_TENANTS`` tenants are
shown (the tenant list has the others).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import models
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from meetings.models import Meeting, MeetingRegistrant, Webinar, WebinarRegistrant
from users.idle import IDLE_DAYS, idle_q
from users.models import ZoomUser
from webhooks.models import WebhookEvent
from zoomadmin.jobs.models import BulkJob
from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.progress import run_is_stalled, run_percent
from zoomadmin.tenants.admin import reconnect_url
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.scoping import is_superuser, tenants_for

MAX_TENANTS = 20
WEEKS = 4
WEBHOOK_RECENT_DAYS = 7
JOBS_RECENT_DAYS = 30

TYPE_NAMES = dict(ZoomUser.Type.choices)
STATUS_NAMES = dict(ZoomUser.Status.choices)
STATUS_ORDER = [*ZoomUser.Status.values, ""]
LICENSED = ZoomUser.Type.LICENSED
HOLDS_A_SEAT = (ZoomUser.Status.ACTIVE, ZoomUser.Status.PENDING)


@dataclass(frozen=True)
class Figure:
    """A number, what it counts, the list behind it (None: no list to show) and its bar's
    width in percent of the largest figure of its chart."""

    label: str
    count: int
    url: str | None = None
    width: int = 0
    css: str = ""


@dataclass(frozen=True)
class RunSummary:
    pk: int
    kind: str
    status: str
    status_display: str
    started_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None
    users_seen: int
    users_done: int
    percent: int | None
    stalled: bool
    message: str
    error_count: int
    url: str
    progress_url: str


@dataclass(frozen=True)
class SyncPanel:
    last: RunSummary | None
    current: RunSummary | None
    runs_url: str


@dataclass(frozen=True)
class TypeRow:
    label: str
    total: int
    url: str
    statuses: list[Figure]  # widths in percent of this row's total (a stacked bar)
    width: int  # the row's bar, in percent of the largest row


@dataclass(frozen=True)
class UsersPanel:
    total: int
    url: str
    rows: list[TypeRow]


@dataclass(frozen=True)
class LicensePanel:
    seats_used: Figure
    active: Figure
    pending: Figure
    seats_total: int | None  # unknown: nothing the sync reads carries the plan's seats
    idle: list[Figure]

    @property
    def seats_free(self) -> int | None:
        if self.seats_total is None:
            return None
        return max(0, self.seats_total - self.seats_used.count)


@dataclass(frozen=True)
class WeekRow:
    first: date
    last: date
    meetings: Figure | None
    webinars: Figure | None


@dataclass(frozen=True)
class WebhookPanel:
    recent: Figure
    failed: Figure
    last_at: datetime | None


@dataclass
class TenantDashboard:
    tenant: Tenant
    url: str | None
    reconnect_url: str | None = None
    sync_url: str | None = None
    sync: SyncPanel | None = None
    users: UsersPanel | None = None
    licenses: LicensePanel | None = None
    weeks: list[WeekRow] | None = None
    registrants: list[Figure] | None = None
    webhooks: WebhookPanel | None = None
    jobs: list[Figure] | None = None


@dataclass
class Dashboard:
    tenants: list[TenantDashboard] = field(default_factory=list)
    more_tenants: int = 0
    tenants_url: str | None = None
    unrouted: Figure | None = None
    generated_at: datetime | None = None


def dashboard_for(user: Any, *, now: datetime | None = None) -> Dashboard:
    """Everything the dashboard shows ``user``, in a fixed number of queries."""
    now = now or timezone.now()
    may = _Permissions(user)
    board = Dashboard(generated_at=now)
    if may.view(Tenant):
        board.tenants_url = reverse("admin:tenants_tenant_changelist")
    tenants = list(_tenants(user, with_runs=may.view(SyncRun))[: MAX_TENANTS + 1])
    if len(tenants) > MAX_TENANTS:
        tenants = tenants[:MAX_TENANTS]
        board.more_tenants = tenants_for(user).count() - MAX_TENANTS
    if is_superuser(user):
        board.unrouted = _unrouted()
    if not tenants:
        return board
    ids = [tenant.pk for tenant in tenants]
    boards = {tenant.pk: _tenant_board(tenant, may) for tenant in tenants}
    if may.view(SyncRun):
        _add_sync(boards, tenants, now)
    if may.view(ZoomUser):
        _add_users(boards, ids, now)
    if may.view(Meeting) or may.view(Webinar):
        _add_weeks(boards, ids, now, meetings=may.view(Meeting), webinars=may.view(Webinar))
    if may.view(MeetingRegistrant) or may.view(WebinarRegistrant):
        _add_registrants(boards, ids, may)
    if may.view(WebhookEvent):
        _add_webhooks(boards, ids, now)
    if may.view(BulkJob):
        _add_jobs(boards, ids, now)
    board.tenants = [boards[pk] for pk in ids]
    return board


class _Permissions:
    """The model admins' default rule: view or change permission (a superuser has all)."""

    def __init__(self, user: Any) -> None:
        self.user = user

    def view(self, model: type[models.Model]) -> bool:
        meta = model._meta
        return any(
            self.user.has_perm(f"{meta.app_label}.{action}_{meta.model_name}")
            for action in ("view", "change")
        )

    def change(self, model: type[models.Model]) -> bool:
        meta = model._meta
        return self.user.has_perm(f"{meta.app_label}.change_{meta.model_name}")


def changelist_url(model: type[models.Model], params: Mapping[str, Any] | None = None) -> str:
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _width(count: int, largest: int) -> int:
    if not count or not largest:
        return 0
    return max(1, round(100 * count / largest))


def _tenants(user: Any, *, with_runs: bool) -> models.QuerySet[Tenant]:
    tenants = tenants_for(user).order_by("name", "account_id")
    if not with_runs:
        return tenants
    runs = SyncRun.objects.filter(tenant=OuterRef("pk")).order_by("-started_at", "-pk")
    return tenants.annotate(
        current_run_id=Subquery(runs.filter(status=SyncRun.Status.RUNNING).values("pk")[:1]),
        last_run_id=Subquery(runs.exclude(status=SyncRun.Status.RUNNING).values("pk")[:1]),
    )


def _tenant_board(tenant: Tenant, may: _Permissions) -> TenantDashboard:
    board = TenantDashboard(
        tenant=tenant,
        url=reverse("admin:tenants_tenant_change", args=[tenant.pk]) if may.view(Tenant) else None,
    )
    if tenant.status == Tenant.Status.REAUTHORIZATION_REQUIRED and may.change(Tenant):
        board.reconnect_url = reconnect_url(tenant)
    if tenant.is_connected and may.change(Tenant):
        board.sync_url = reverse("admin:tenants_tenant_sync", args=[tenant.pk])
    return board


def _run_summary(run: SyncRun, now: datetime) -> RunSummary:
    return RunSummary(
        pk=run.pk,
        kind=run.get_kind_display(),
        status=run.status,
        status_display=run.get_status_display(),
        started_at=run.started_at,
        heartbeat_at=run.heartbeat_at,
        finished_at=run.finished_at,
        users_seen=run.users_seen,
        users_done=run.users_done,
        percent=run_percent(run),
        stalled=run_is_stalled(run, now=now),
        message=run.message,
        error_count=run.error_count,
        url=reverse("admin:sync_syncrun_change", args=[run.pk]),
        progress_url=reverse("admin:sync_syncrun_progress", args=[run.pk]),
    )


def _add_sync(boards: dict[int, TenantDashboard], tenants: list[Tenant], now: datetime) -> None:
    wanted = [pk for tenant in tenants for pk in (tenant.current_run_id, tenant.last_run_id) if pk]
    runs = SyncRun.objects.in_bulk(wanted)
    for tenant in tenants:
        current, last = runs.get(tenant.current_run_id), runs.get(tenant.last_run_id)
        boards[tenant.pk].sync = SyncPanel(
            last=_run_summary(last, now) if last else None,
            current=_run_summary(current, now) if current else None,
            runs_url=changelist_url(SyncRun, {"tenant__id__exact": tenant.pk}),
        )


def _add_users(boards: dict[int, TenantDashboard], ids: list[int], now: datetime) -> None:
    idle = {f"idle{days}": Count("pk", filter=idle_q(days, now=now)) for days in IDLE_DAYS}
    groups = (
        ZoomUser.objects.filter(tenant_id__in=ids, deleted_at__isnull=True)
        .values("tenant_id", "type", "status")
        .annotate(n=Count("pk"), **idle)
        .order_by()
    )
    by_tenant: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for group in groups:
        by_tenant[group["tenant_id"]].append(group)
    for pk in ids:
        board = boards[pk]
        board.users = _users_panel(pk, by_tenant[pk])
        board.licenses = _license_panel(pk, by_tenant[pk])


def _users_panel(tenant_id: int, groups: list[dict[str, Any]]) -> UsersPanel:
    base = {"tenant__id__exact": tenant_id, "in_zoom": "yes"}
    counts: dict[int | None, dict[str, int]] = defaultdict(dict)
    for group in groups:
        counts[group["type"]][group["status"]] = group["n"]
    totals = {user_type: sum(by_status.values()) for user_type, by_status in counts.items()}
    largest = max(totals.values(), default=0)
    rows = []
    for user_type in sorted(counts, key=lambda t: (t is None, t)):
        by_type = {**base, "type__exact": user_type}
        if user_type is None:
            by_type = {**base, "type__isnull": "True"}
        statuses = [
            Figure(
                label=STATUS_NAMES.get(status, "Unknown"),
                count=counts[user_type][status],
                url=changelist_url(ZoomUser, {**by_type, "status__exact": status})
                if status
                else None,
                width=_width(counts[user_type][status], totals[user_type]),
                css=f"status-{status or 'unknown'}",
            )
            for status in STATUS_ORDER
            if counts[user_type].get(status)
        ]
        rows.append(
            TypeRow(
                label=TYPE_NAMES.get(user_type, "Unknown type"),
                total=totals[user_type],
                url=changelist_url(ZoomUser, by_type),
                statuses=statuses,
                width=_width(totals[user_type], largest),
            )
        )
    return UsersPanel(total=sum(totals.values()), url=changelist_url(ZoomUser, base), rows=rows)


def _license_panel(tenant_id: int, groups: list[dict[str, Any]]) -> LicensePanel:
    licensed = {
        group["status"]: group
        for group in groups
        if group["type"] == LICENSED and group["status"] in HOLDS_A_SEAT
    }
    empty: dict[str, int] = defaultdict(int)
    active = licensed.get(ZoomUser.Status.ACTIVE, empty)
    pending = licensed.get(ZoomUser.Status.PENDING, empty)
    base = {"tenant__id__exact": tenant_id, "in_zoom": "yes", "type__exact": LICENSED}
    active_params = {**base, "status__exact": ZoomUser.Status.ACTIVE}
    used = active["n"] + pending["n"]
    return LicensePanel(
        seats_used=Figure("Licensed seats in use", used),
        active=Figure("active", active["n"], changelist_url(ZoomUser, active_params)),
        pending=Figure(
            "pending (invited)",
            pending["n"],
            changelist_url(ZoomUser, {**base, "status__exact": ZoomUser.Status.PENDING}),
        ),
        seats_total=None,
        idle=[
            Figure(
                label=f"{days}+ days",
                count=active[f"idle{days}"],
                url=changelist_url(ZoomUser, {**active_params, "idle": days}),
                width=_width(active[f"idle{days}"], active["n"]),
            )
            for days in IDLE_DAYS
        ],
    )


def week_starts(now: datetime) -> list[datetime]:
    """The bounds of the next ``WEEKS`` weeks, from the start of today (local time)."""
    today = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    return [today + timedelta(days=7 * week) for week in range(WEEKS + 1)]


def _add_weeks(
    boards: dict[int, TenantDashboard],
    ids: list[int],
    now: datetime,
    *,
    meetings: bool,
    webinars: bool,
) -> None:
    bounds = week_starts(now)
    counted = {
        model: _per_week(model, ids, bounds) if wanted else None
        for model, wanted in ((Meeting, meetings), (Webinar, webinars))
    }
    for pk in ids:
        figures = {
            model: _week_figures(model, pk, bounds, counts.get(pk, {}))
            if counts is not None
            else [None] * WEEKS
            for model, counts in counted.items()
        }
        boards[pk].weeks = [
            WeekRow(
                first=bounds[week].date(),
                last=(bounds[week + 1] - timedelta(days=1)).date(),
                meetings=figures[Meeting][week],
                webinars=figures[Webinar][week],
            )
            for week in range(WEEKS)
        ]


def _per_week(
    model: type[Meeting | Webinar], ids: list[int], bounds: list[datetime]
) -> dict[int, dict[str, int]]:
    weeks = {
        f"week{week}": Count(
            "pk", filter=Q(start_time__gte=bounds[week], start_time__lt=bounds[week + 1])
        )
        for week in range(WEEKS)
    }
    rows = (
        model.objects.filter(
            tenant_id__in=ids,
            deleted_at__isnull=True,
            start_time__gte=bounds[0],
            start_time__lt=bounds[-1],
        )
        .values("tenant_id")
        .annotate(**weeks)
        .order_by()
    )
    return {row["tenant_id"]: row for row in rows}


def _week_figures(
    model: type[Meeting | Webinar],
    tenant_id: int,
    bounds: list[datetime],
    counts: Mapping[str, int],
) -> list[Figure]:
    values = [counts.get(f"week{week}", 0) for week in range(WEEKS)]
    largest = max(values)
    return [
        Figure(
            label=str(model._meta.verbose_name_plural),
            count=values[week],
            url=changelist_url(
                model,
                {
                    "tenant__id__exact": tenant_id,
                    "in_zoom": "yes",
                    "start_time__gte": bounds[week].isoformat(),
                    "start_time__lt": bounds[week + 1].isoformat(),
                },
            ),
            width=_width(values[week], largest),
        )
        for week in range(WEEKS)
    ]


def _add_registrants(boards: dict[int, TenantDashboard], ids: list[int], may: _Permissions) -> None:
    kinds = [
        (model, label)
        for model, label in (
            (MeetingRegistrant, "Meeting registrants waiting for approval"),
            (WebinarRegistrant, "Webinar registrants waiting for approval"),
        )
        if may.view(model)
    ]
    pending = {model: _count_by_tenant(_pending_registrants(model, ids)) for model, _ in kinds}
    for pk in ids:
        boards[pk].registrants = [
            Figure(
                label=label,
                count=pending[model].get(pk, 0),
                url=changelist_url(
                    model,
                    {"tenant__id__exact": pk, "in_zoom": "yes", "status__exact": "pending"},
                ),
            )
            for model, label in kinds
        ]


def _pending_registrants(
    model: type[MeetingRegistrant | WebinarRegistrant], ids: list[int]
) -> models.QuerySet:
    return model.objects.filter(
        tenant_id__in=ids, status=model.Status.PENDING, deleted_at__isnull=True
    )


def _count_by_tenant(queryset: models.QuerySet) -> dict[int, int]:
    rows = queryset.values("tenant_id").annotate(n=Count("pk")).order_by()
    return {row["tenant_id"]: row["n"] for row in rows}


def _add_webhooks(boards: dict[int, TenantDashboard], ids: list[int], now: datetime) -> None:
    since = now - timedelta(days=WEBHOOK_RECENT_DAYS)
    rows = (
        WebhookEvent.objects.filter(tenant_id__in=ids)
        .values("tenant_id")
        .annotate(
            recent=Count("pk", filter=Q(received_at__gte=since)),
            failed=Count("pk", filter=Q(status=WebhookEvent.Status.FAILED)),
            last_at=Max("received_at"),
        )
        .order_by()
    )
    found = {row["tenant_id"]: row for row in rows}
    for pk in ids:
        row = found.get(pk, {})
        base = {"tenant__id__exact": pk}
        boards[pk].webhooks = WebhookPanel(
            recent=Figure(
                f"in the last {WEBHOOK_RECENT_DAYS} days",
                row.get("recent", 0),
                changelist_url(WebhookEvent, {**base, "received_at__gte": since.isoformat()}),
            ),
            failed=Figure(
                "failed",
                row.get("failed", 0),
                changelist_url(WebhookEvent, {**base, "status__exact": WebhookEvent.Status.FAILED}),
            ),
            last_at=row.get("last_at"),
        )


def _add_jobs(boards: dict[int, TenantDashboard], ids: list[int], now: datetime) -> None:
    since = now - timedelta(days=JOBS_RECENT_DAYS)
    rows = (
        BulkJob.objects.filter(tenant_id__in=ids, created__gte=since)
        .values("tenant_id")
        .annotate(
            # Not "failed": that is a column of the job, which the second filter reads.
            failed_jobs=Count("pk", filter=Q(status=BulkJob.Status.FAILED)),
            refused_jobs=Count("pk", filter=Q(status=BulkJob.Status.DONE, failed__gt=0)),
        )
        .order_by()
    )
    found = {row["tenant_id"]: row for row in rows}
    for pk in ids:
        row = found.get(pk, {})
        base = {"tenant__id__exact": pk, "created__gte": since.isoformat()}
        boards[pk].jobs = [
            Figure(
                "failed",
                row.get("failed_jobs", 0),
                changelist_url(BulkJob, {**base, "status__exact": BulkJob.Status.FAILED}),
            ),
            Figure(
                "done with records Zoom refused",
                row.get("refused_jobs", 0),
                changelist_url(
                    BulkJob, {**base, "status__exact": BulkJob.Status.DONE, "failed__gt": 0}
                ),
            ),
        ]


def _unrouted() -> Figure:
    status = WebhookEvent.Status.UNROUTED
    count = WebhookEvent.objects.filter(tenant__isnull=True, status=status).count()
    return Figure(
        "webhook events for Zoom accounts that are no tenant",
        count,
        changelist_url(WebhookEvent, {"status__exact": status}),
    )
