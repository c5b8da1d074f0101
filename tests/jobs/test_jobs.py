"""Bulk jobs: more than a handful of records go to the worker cluster; every record's outcome
is kept in Zoom's words; a restart never does a record twice; Zoom's account-wide limits pause
the job instead of failing its records; the pages are the tenant's only.

Tests run django-q2 tasks inline (``Q_CLUSTER["sync"]``), so a queued job has run when the
request that queued it returns.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from tests.admin_helpers import signed_in_member
from users.models import ZoomUser
from zoomadmin.jobs.models import BulkJob, BulkJobItem
from zoomadmin.jobs.operations import operation
from zoomadmin.jobs.runner import job_run, jobs_create
from zoomadmin.jobs.tasks import run_bulk_job
from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, seed_account
from zoomadmin.sandbox.api.users import ADMIN_ROLE, OWNER_ROLE
from zoomadmin.sandbox.config import ScriptedFault
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.tenants.models import Tenant, TenantMembership
from zoomadmin.tenants.services import tenant_connect_server_to_server
from zoomadmin.zoom import pacing

pytestmark = pytest.mark.django_db(transaction=True)

LIST_URL = reverse("admin:users_zoomuser_changelist")
STATUS_ROUTE = "PUT /v2/users/{userId}/status"


@pytest.fixture
def big(zoom_settings, admin_user):
    """A second sandbox account with 40 users, connected and synced: (tenant, account)."""
    account = seed_account(
        zoom_settings.state, users=40, meetings_per_user=0, pending_ratio=0, seed=5
    )
    tenant = tenant_connect_server_to_server(
        account_id=account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=admin_user,
    )
    assert tenant_sync(tenant=tenant, trigger="test").status == "succeeded"
    return tenant, account


def changeable(tenant: Tenant, account) -> list[ZoomUser]:
    ids = [
        user["id"]
        for user in account.users.values()
        if user["status"] == "active" and user["role_id"] not in (OWNER_ROLE, ADMIN_ROLE)
    ]
    return list(ZoomUser.objects.filter(tenant=tenant, zoom_id__in=ids).order_by("pk"))


def deactivate(client, users):
    return client.post(
        LIST_URL, {"action": "deactivate_users", "_selected_action": [u.pk for u in users]}
    )


def test_more_than_a_handful_becomes_a_job_with_a_page_of_outcomes(admin_client, big, sandbox):
    tenant, account = big
    users = changeable(tenant, account)[:25]
    owner = ZoomUser.objects.get(tenant=tenant, zoom_id=account.owner_id)
    response = deactivate(admin_client, [*users, owner])
    job = BulkJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:jobs_bulkjob_change", args=[job.pk])

    assert (job.status, job.total, job.succeeded, job.failed) == ("done", 26, 25, 1)
    assert all(account.users[u.zoom_id]["status"] == "inactive" for u in users)
    assert ZoomUser.objects.filter(pk__in=[u.pk for u in users], status="inactive").count() == 25
    refused = job.items.get(status=BulkJobItem.Status.FAILED)
    assert refused.object_pk == owner.pk
    # Users OpenAPI, PUT /users/{userId}/status, 400 code 200 for an owner or admin: so the
    # owner is refused here, without a request.
    assert "owner or admins" in refused.message
    assert job.requests >= 25

    page = admin_client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "Done" in body and "Retry the failed ones" in body
    assert body.count('class="item-succeeded"') == 25
    assert "owner or admins" in body
    progress = admin_client.get(reverse("admin:jobs_bulkjob_progress", args=[job.pk])).json()
    assert progress == {
        "status": "done",
        "status_display": "Done",
        "message": "",
        "total": 26,
        "succeeded": 25,
        "failed": 1,
        "percent": 100,
        "active": False,
    }


def test_retry_the_failed_ones_asks_zoom_again_for_those_only(admin_client, big, sandbox):
    tenant, account = big
    users = changeable(tenant, account)[:12]
    refused = users[0]
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            status=400,
            code=200,
            message="No privilege.",
            method="PUT",
            path_prefix=f"/v2/users/{refused.zoom_id}/",
        )
    )
    deactivate(admin_client, users)
    job = BulkJob.objects.get()
    assert (job.succeeded, job.failed) == (11, 1)
    assert "No privilege." in job.items.get(object_pk=refused.pk).message
    before = sandbox.state.stats.requests_by_route[STATUS_ROUTE]

    response = admin_client.post(reverse("admin:jobs_bulkjob_retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed) == ("done", 12, 0)
    assert sandbox.state.stats.requests_by_route[STATUS_ROUTE] == before + 1
    assert account.users[refused.zoom_id]["status"] == "inactive"
    assert job.items.get(object_pk=refused.pk).attempts == 2


def test_a_record_a_dead_worker_was_asking_zoom_about_is_never_asked_again(
    admin_user, big, sandbox
):
    tenant, account = big
    users = changeable(tenant, account)[:5]
    (job,) = jobs_create(
        actor=admin_user, operation="users.deactivate", records=users, title="Deactivate 5"
    )
    # The worker died after claiming the first record: the job's heartbeat went stale.
    job.items.filter(object_pk=users[0].pk).update(status=BulkJobItem.Status.RUNNING)
    stale = timezone.now() - timedelta(minutes=10)
    BulkJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=stale)

    ended = job_run(job_id=job.pk, concurrency=2)

    assert (ended.status, ended.succeeded, ended.failed) == ("done", 4, 1)
    interrupted = job.items.get(object_pk=users[0].pk)
    assert interrupted.status == BulkJobItem.Status.INTERRUPTED
    assert "Zoom may have done it" in interrupted.message
    assert account.users[users[0].zoom_id]["status"] == "active"  # not asked again
    assert all(account.users[u.zoom_id]["status"] == "inactive" for u in users[1:])


def test_a_job_another_worker_is_running_is_left_to_it(admin_user, big, sandbox):
    tenant, account = big
    users = changeable(tenant, account)[:3]
    (job,) = jobs_create(
        actor=admin_user, operation="users.deactivate", records=users, title="Deactivate 3"
    )
    BulkJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=timezone.now())
    before = sandbox.state.stats.requests_total
    assert job_run(job_id=job.pk) is None
    assert sandbox.state.stats.requests_total == before
    assert job.items.filter(status=BulkJobItem.Status.PENDING).count() == 3


def test_zoom_s_long_retry_after_pauses_the_job_and_schedules_its_resume(
    admin_user, big, sandbox, monkeypatch, tmp_path
):
    tenant, account = big
    users = changeable(tenant, account)[:6]
    (job,) = jobs_create(
        actor=admin_user, operation="users.deactivate", records=users, title="Deactivate 6"
    )
    sandbox.config.script_fault(ScriptedFault("429", retry_after=900, method="PUT"))

    run_bulk_job(job.pk)
    job.refresh_from_db()
    assert job.status == BulkJob.Status.PAUSED
    assert "resumes at" in job.message and "429" in job.message
    assert timedelta(minutes=14) < job.resumes_at - timezone.now() <= timedelta(minutes=15)
    assert not job.items.filter(status=BulkJobItem.Status.FAILED).exists()
    schedule = Schedule.objects.get(name=f"zoom-bulk-job-resume-{job.pk}")
    assert schedule.next_run == job.resumes_at

    # Fifteen minutes later, the account's budget is no longer pushed back.
    monkeypatch.setattr(pacing, "DEFAULT_DIRECTORY", tmp_path / "later")
    pacing.pacer_for.cache_clear()
    run_bulk_job(job.pk)  # the scheduled resume
    job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed) == ("done", 6, 0)
    assert all(account.users[u.zoom_id]["status"] == "inactive" for u in users)


def test_a_disconnected_tenant_fails_the_job_with_the_reason(admin_user, big, sandbox):
    tenant, account = big
    users = changeable(tenant, account)[:3]
    (job,) = jobs_create(
        actor=admin_user, operation="users.deactivate", records=users, title="Deactivate 3"
    )
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.REAUTHORIZATION_REQUIRED)
    ended = job_run(job_id=job.pk)
    assert ended.status == BulkJob.Status.FAILED
    assert "re-authoriz" in ended.message.lower()
    assert job.items.filter(status=BulkJobItem.Status.PENDING).count() == 3


def test_another_tenant_s_job_answers_404(client, django_user_model, admin_user, big, tenant):
    other_tenant, account = big
    (job,) = jobs_create(
        actor=admin_user,
        operation="users.deactivate",
        records=changeable(other_tenant, account)[:2],
        title="Deactivate 2",
    )
    signed_in_member(client, tenant, "view_bulkjob", "view_zoomuser", "change_zoomuser")
    for name in ("change", "progress"):
        assert client.get(reverse(f"admin:jobs_bulkjob_{name}", args=[job.pk])).status_code == 404
    assert client.post(reverse("admin:jobs_bulkjob_retry", args=[job.pk])).status_code == 404
    listing = client.get(reverse("admin:jobs_bulkjob_changelist"))
    assert listing.status_code == 200 and "Deactivate 2" not in listing.content.decode()


CALLS: dict[int, int] = {}


@operation("tests.slow_touch", model=ZoomUser, verb="Touch", done="Touched")
def slow_touch(*, tenant, client, actor, record) -> str:
    CALLS[record.pk] = CALLS.get(record.pk, 0) + 1
    time.sleep(0.02)
    return ""


def test_two_workers_on_one_job_never_do_a_record_twice(admin_user, big, sandbox):
    tenant, account = big
    users = list(ZoomUser.objects.filter(tenant=tenant))[:30]
    CALLS.clear()
    (job,) = jobs_create(actor=admin_user, operation="tests.slow_touch", records=users, title="t")
    first = threading.Thread(target=job_run, kwargs={"job_id": job.pk, "concurrency": 2})
    first.start()
    time.sleep(0.1)
    # A second task is handed the same job as if the first had died (its heartbeat stale).
    BulkJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    job_run(job_id=job.pk, concurrency=2)
    first.join()
    assert max(CALLS.values()) == 1
    # An item the "dead" worker had claimed when the second took over is left interrupted
    # (Zoom may have done it), never asked again: every record is done once or reported so.
    interrupted = set(
        job.items.filter(status=BulkJobItem.Status.INTERRUPTED).values_list("object_pk", flat=True)
    )
    assert set(CALLS) | interrupted == {u.pk for u in users}


def test_a_job_stopped_by_a_refused_authorization_can_be_retried_after_reconnecting(
    admin_client, admin_user, big, sandbox
):
    tenant, account = big
    users = changeable(tenant, account)[:3]
    (job,) = jobs_create(
        actor=admin_user, operation="users.deactivate", records=users, title="Deactivate 3"
    )
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.REAUTHORIZATION_REQUIRED)
    assert job_run(job_id=job.pk).status == BulkJob.Status.FAILED
    page = admin_client.get(reverse("admin:jobs_bulkjob_change", args=[job.pk]))
    assert "Retry the failed ones" in page.content.decode()
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.CONNECTED)
    admin_client.post(reverse("admin:jobs_bulkjob_retry", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.succeeded) == ("done", 3)
    assert all(account.users[u.zoom_id]["status"] == "inactive" for u in users)


def test_a_paused_inline_action_schedules_its_resume(admin_client, big, sandbox):
    tenant, account = big
    users = changeable(tenant, account)[:3]
    sandbox.config.script_fault(ScriptedFault("429", retry_after=900, method="PUT"))
    response = deactivate(admin_client, users)
    job = BulkJob.objects.get()
    assert job.status == BulkJob.Status.PAUSED
    assert Schedule.objects.filter(name=f"zoom-bulk-job-resume-{job.pk}").exists()
    words = [str(m) for m in response.wsgi_request._messages]
    assert not any(w.startswith("Deactivated 0") for w in words)
    assert any("resumes at" in w for w in words)


def test_job_pages_need_the_view_permission(client, django_user_model, admin_user, big):
    tenant, account = big
    (job,) = jobs_create(
        actor=admin_user,
        operation="users.deactivate",
        records=changeable(tenant, account)[:1],
        title="Deactivate 1",
    )
    member = django_user_model.objects.create_user("member", is_staff=True)
    TenantMembership.objects.create(tenant=tenant, user=member)
    client.force_login(member)
    for name in ("change", "progress"):
        url = reverse(f"admin:jobs_bulkjob_{name}", args=[job.pk])
        assert client.get(url).status_code == 403


def test_an_account_out_of_licenses_stops_the_job_instead_of_failing_every_record(
    admin_user, big, sandbox
):
    tenant, account = big
    basics = [u for u in changeable(tenant, account) if u.type == 1][:5]
    assert len(basics) >= 3
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            status=400,
            code=2034,
            message="Your request was not accepted because of insufficient licenses.",
            method="PATCH",
        )
    )
    (job,) = jobs_create(
        actor=admin_user,
        operation="users.change_type",
        records=basics,
        params={"type": 2},
        title="License",
    )
    before = sandbox.state.stats.requests_total
    ended = job_run(job_id=job.pk, concurrency=1)
    assert ended.status == BulkJob.Status.FAILED
    assert "insufficient licenses" in ended.message
    assert sandbox.state.stats.requests_total == before + 1  # the others were not asked
    assert job.items.filter(status=BulkJobItem.Status.PENDING).count() == len(basics)
