"""The pages around the records scale too: the lists and pages of bulk jobs and their items,
of the writes to Zoom, of sync runs, of webhook events and of a tenant's members (and the
progress JSON a job's and a run's pages poll) cost the same number of SQL queries with 5 rows
as with 500, and at most ten, for a superuser and for a tenant's staff member with every
permission; a job's page shows the progress of an import of 10,000 rows and its first items,
not all of them; and a staff member's lists hold their tenant's rows only.

The audit entries of a tenant have no admin of their own: the tenant's page shows them, and
``tests/records/test_list_scale.py`` counts its queries.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.admin_helpers import change_url, changelist_url
from tests.tenants.factories import make_tenant
from webhooks.models import WebhookEvent
from zoomadmin.jobs.admin import ITEMS_PER_PAGE
from zoomadmin.jobs.models import BulkJob, BulkJobItem
from zoomadmin.sync.models import SyncRun
from zoomadmin.tenants.models import TenantMembership, ZoomWrite

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
# The page's SQL: Django's session and user, the permissions, the scoping's membership, the
# page's rows (keys, rows and count) and what the page shows with them.
LIMIT = 10
_numbers = itertools.count(1)


class Rows:
    """One tenant's rows of every kind, grown in bulk: ``anchor`` rows (an import job whose
    items grow with every ``grow(n)``, a sync run, an event, a write, a member) and ``n`` more
    of every kind around them."""

    def __init__(self, tenant) -> None:
        self.tenant = tenant
        self.user = self._users(1)[0]
        self.member = TenantMembership.objects.create(tenant=tenant, user=self.user)
        self.job = BulkJob.objects.create(
            tenant=tenant,
            created_by=self.user,
            operation="users.import_create",
            title="Import of users.csv",
            status=BulkJob.Status.RUNNING,
            started_at=T0,
        )
        self._items(self.job, 1)
        self.run = SyncRun.objects.create(
            tenant=tenant,
            status=SyncRun.Status.PARTIAL,
            started_at=T0,
            heartbeat_at=T0 + timedelta(minutes=5),
            finished_at=T0 + timedelta(minutes=5),
            counts={"users": {"created": 3, "updated": 1}, "meetings": {"unchanged": 7}},
            errors=[{"kind": "meetings", "parent": "u1", "message": "Zoom said no"}],
            error_count=1,
            users_seen=4,
            users_done=3,
        )
        self.event = self._events(1)[0]
        self.write = self._writes(1)[0]

    def _users(self, n: int) -> list:
        return get_user_model().objects.bulk_create(
            get_user_model()(username=f"u{next(_numbers)}", email=f"u{i}@example.com", password="!")
            for i in range(n)
        )

    def _items(self, job: BulkJob, n: int) -> None:
        statuses = itertools.cycle(BulkJobItem.Status.values)
        BulkJobItem.objects.bulk_create(
            BulkJobItem(
                job=job,
                object_repr=f"row {next(_numbers)}: x{i}@a.example",
                payload={"email": f"x{i}@a.example"},
                status=next(statuses),
                message="User already exists" if i % 3 else "",
                finished_at=T0 + timedelta(seconds=i),
            )
            for i in range(n)
        )
        BulkJob.objects.filter(pk=job.pk).update(
            total=F("total") + n, succeeded=F("succeeded") + n // 2, failed=F("failed") + n // 5
        )

    def _events(self, n: int) -> list[WebhookEvent]:
        return WebhookEvent.objects.bulk_create(
            WebhookEvent(
                tenant=self.tenant,
                account_id=self.tenant.account_id,
                event="meeting.updated",
                event_ts=1_700_000_000_000 + i,
                object_id=str(i),
                dedupe_key=f"event-{next(_numbers)}",
                payload={"account_id": self.tenant.account_id, "object": {"id": i}},
                status=WebhookEvent.Status.PROCESSED,
            )
            for i in range(n)
        )

    def _writes(self, n: int) -> list[ZoomWrite]:
        return ZoomWrite.objects.bulk_create(
            ZoomWrite(
                tenant=self.tenant,
                user=self.user,
                kind="meeting",
                zoom_id=str(80_000_000_000 + i),
                object_repr=f"Meeting {i}",
                action="update",
                method="PATCH",
                path=f"/meetings/{80_000_000_000 + i}",
                asked={"topic": f"Meeting {i}"},
                outcome=ZoomWrite.Outcome.SUCCEEDED,
                status=204,
            )
            for i in range(n)
        )

    def grow(self, n: int) -> None:
        self._items(self.job, n)
        users = self._users(n)
        TenantMembership.objects.bulk_create(
            TenantMembership(tenant=self.tenant, user=user) for user in users
        )
        BulkJob.objects.bulk_create(
            BulkJob(
                tenant=self.tenant,
                created_by=user,
                operation="users.deactivate",
                title=f"Deactivate {i}",
                status=BulkJob.Status.DONE,
                total=10,
                succeeded=9,
                failed=1,
            )
            for i, user in enumerate(users)
        )
        SyncRun.objects.bulk_create(
            SyncRun(
                tenant=self.tenant,
                status=SyncRun.Status.SUCCEEDED,
                started_at=T0 - timedelta(hours=i + 1),
                heartbeat_at=T0 - timedelta(hours=i),
                finished_at=T0 - timedelta(hours=i),
                counts={"users": {"created": i}},
            )
            for i in range(n)
        )
        self._events(n)
        self._writes(n)


@pytest.fixture
def rows(db) -> Rows:
    return Rows(make_tenant("pages"))


@pytest.fixture
def other_rows(db) -> Rows:
    other = Rows(make_tenant("elsewhere"))
    other.grow(3)
    # An event of an account that is no tenant: a superuser's only.
    WebhookEvent.objects.create(
        account_id="acct-nobody", event="meeting.created", dedupe_key="unrouted-1"
    )
    return other


KINDS = [BulkJob, BulkJobItem, ZoomWrite, SyncRun, WebhookEvent, TenantMembership]
PAGES = {
    **{
        f"{model._meta.model_name} list": lambda rows, model=model: changelist_url(model)
        for model in KINDS
    },
    "job page": lambda rows: change_url(rows.job),
    "job page, failed items": lambda rows: f"{change_url(rows.job)}?status=failed",
    "job page, last items": lambda rows: f"{change_url(rows.job)}?p=999999",
    "job progress": lambda rows: reverse("admin:jobs_bulkjob_progress", args=[rows.job.pk]),
    "job item page": lambda rows: change_url(rows.job.items.first()),
    "write page": lambda rows: change_url(rows.write),
    "sync run page": lambda rows: change_url(rows.run),
    "sync run progress": lambda rows: reverse("admin:sync_syncrun_progress", args=[rows.run.pk]),
    "event page": lambda rows: change_url(rows.event),
    "member page": lambda rows: change_url(rows.member),
}


def _queries(client, url: str) -> tuple[int, str]:
    client.get(url)  # caches (content types, permissions) filled once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), response.content.decode()


@pytest.mark.parametrize("role", ["superuser", "staff"])
@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_costs_the_same_queries_at_5_and_at_500_rows(request, rows, other_rows, role, page):
    client = request.getfixturevalue(f"{role}_client")
    rows.grow(5)
    url = PAGES[page](rows)
    few, _ = _queries(client, url)
    rows.grow(495)
    many, _ = _queries(client, url)
    assert few == many, f"{page}: {few} queries with 5 rows, {many} with 500"
    assert many <= LIMIT, f"{page}: {many} queries"


@pytest.mark.parametrize("role", ["superuser", "staff"])
def test_an_import_of_10000_rows_shows_its_progress_and_first_items(request, rows, role):
    client = request.getfixturevalue(f"{role}_client")
    url = change_url(rows.job)
    rows._items(rows.job, 4)
    few, _ = _queries(client, url)
    rows._items(rows.job, 9_995)
    many, page = _queries(client, url)
    assert few == many <= LIMIT
    job = BulkJob.objects.get(pk=rows.job.pk)
    assert job.total == 10_000
    assert f"<strong>{job.done_count}</strong> of {job.total} done" in page
    assert f'value="{job.percent}"' in page  # the progress bar
    shown = re.findall(r'<tr class="item-(\w+)">', page)
    assert len(shown) == ITEMS_PER_PAGE
    first = rows.job.items.order_by("pk")[:ITEMS_PER_PAGE]
    assert all(item.object_repr in page for item in first)
    assert f"page 1 of {10_000 // ITEMS_PER_PAGE}" in page

    failed = client.get(url, {"status": "failed"}).content.decode()
    assert set(re.findall(r'<tr class="item-(\w+)">', failed)) == {"failed"}


def _own(model, tenant):
    path = "job__tenant" if model is BulkJobItem else "tenant"
    return model.objects.filter(**{path: tenant}).count()


@pytest.mark.parametrize("model", KINDS, ids=[m._meta.model_name for m in KINDS])
def test_a_staff_members_lists_hold_their_tenants_rows_only(
    superuser_client, staff_client, rows, other_rows, model
):
    rows.grow(5)
    listing = staff_client.get(changelist_url(model))
    cl = listing.context["cl"]
    assert cl.result_count == _own(model, rows.tenant)
    assert len(cl.result_list) == min(cl.result_count, cl.list_per_page)
    every = superuser_client.get(changelist_url(model)).context["cl"]
    assert every.result_count == model.objects.count() > cl.result_count


@pytest.mark.parametrize(
    "page",
    ["job page", "job progress", "job item page", "write page", "sync run page"]
    + ["sync run progress", "event page", "member page"],
)
def test_a_staff_member_never_reaches_another_tenants_pages(staff_client, other_rows, page):
    assert staff_client.get(PAGES[page](other_rows)).status_code == 404


def test_a_staff_member_never_reaches_an_unrouted_event(staff_client, other_rows):
    unrouted = WebhookEvent.objects.get(tenant=None)
    assert staff_client.get(change_url(unrouted)).status_code == 404


FILTERED = [BulkJob, ZoomWrite, SyncRun, WebhookEvent]


@pytest.mark.parametrize("model", FILTERED, ids=[m._meta.model_name for m in FILTERED])
def test_the_tenant_filter_links_a_few_tenants_searches_many_and_hides_for_one(
    superuser_client, staff_client, rows, other_rows, model
):
    few = superuser_client.get(changelist_url(model)).content.decode()
    for tenant in (rows.tenant, other_rows.tenant):
        assert f"tenant__id__exact={tenant.pk}" in few
    assert "tenant__id__exact=" not in staff_client.get(changelist_url(model)).content.decode()
    theirs = staff_client.get(changelist_url(model), {"tenant__id__exact": other_rows.tenant.pk})
    assert list(theirs.context["cl"].result_list) == []

    for n in range(10):
        make_tenant(f"more{n}")
    many = superuser_client.get(changelist_url(model)).content.decode()
    select = re.search(r'<select name="tenant__id__exact"[^>]*>', many).group(0)
    assert "admin-autocomplete" in select and 'data-field-name="tenant"' in select
    assert "select2" in many  # the admin's autocomplete script is on the page


@pytest.mark.parametrize(
    "model, column, code",
    [
        (WebhookEvent, "event", "user.updated"),
        (BulkJob, "operation", "users.import_create"),
        (BulkJobItem, "job__operation", "users.import_create"),
    ],
)
def test_fixed_codes_are_filtered_by_links_that_read_nothing(
    superuser_client, rows, model, column, code
):
    """The events this app acts on and the declared bulk operations are links of their own
    (no distinct values of every row read, no text to type)."""
    with CaptureQueriesContext(connection) as captured:
        page = superuser_client.get(changelist_url(model)).content.decode()
    assert f"{column}__exact={code}" in page
    distinct = [q["sql"] for q in captured.captured_queries if "DISTINCT" in q["sql"]]
    assert not distinct, distinct
    chosen = superuser_client.get(changelist_url(model), {f"{column}__exact": code})
    shown = chosen.context["cl"].result_list
    field = column.split("__")[-1]
    owner = (lambda row: row.job) if column.startswith("job__") else (lambda row: row)
    assert all(getattr(owner(row), field) == code for row in shown)
