"""Importing Zoom users from a CSV file: a dry run that reports every row and asks Zoom
nothing, then one bulk job that creates exactly the rows that passed, each row's outcome in
Zoom's words, never a row twice; the signed-in user's tenants only.

Expected values come from the sandbox's data (who Zoom holds before and after), never from the
code under test. Django-q2 runs tasks inline in the tests, so a confirmed import has run when
the confirmation's response arrives.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.admin_helpers import signed_in_member
from users.imports import reading, services
from users.imports.reading import preview
from users.imports.services import ImportPlan, user_import_start
from users.models import ZoomUser
from zoomadmin.jobs.models import BulkJob, BulkJobItem
from zoomadmin.jobs.runner import job_run
from zoomadmin.sandbox import seed_account
from zoomadmin.tenants.models import TenantMembership, ZoomWrite

pytestmark = pytest.mark.django_db(transaction=True)

IMPORT_URL = reverse("admin:users_zoomuser_import")
LIST_URL = reverse("admin:users_zoomuser_changelist")
CREATE_ROUTE = "POST /v2/users"


def csv_file(text: str, *, encoding: str = "utf-8", name: str = "users.csv") -> Any:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def upload(client: Any, tenant: Any, content: Any, action: str = "custCreate") -> Any:
    if isinstance(content, str):
        content = csv_file(content)
    return client.post(IMPORT_URL, {"tenant": tenant.pk, "action": action, "file": content})


def confirm(client: Any, response: Any) -> Any:
    return client.post(IMPORT_URL, {"plan": response.context["plan"]})


def outcomes(response: Any) -> dict[int, list[str]]:
    """The preview's rows: row number -> its errors (empty: will be created)."""
    return {row.number: row.errors for row, _ in response.context["rows"]}


def member_email(sandbox: Any) -> str:
    """The e-mail of a user the sandbox account holds (and the synced tenant stores)."""
    account = sandbox.state.default_account
    return next(user["email"] for user in account.users.values() if user["status"] == "active")


def zoom_emails(sandbox: Any) -> set[str]:
    return set(sandbox.state.default_account.emails)


MIXED = (
    "email,first_name,last_name,type,dept\n"  # row 1
    "ada@example.com,Ada,Lovelace,2,Engineering\n"  # 2 good
    "not-an-email,Bad,Email,1,\n"  # 3 bad email
    "grace@example.com,Grace,Hopper,Pro,\n"  # 4 unknown type
    "alan@example.com,Alan,Turing,Basic,Research\n"  # 5 good (a type name)
    "\n"  # 6 blank: skipped
    "ADA@example.com,Ada,Again,1,\n"  # 7 duplicate of row 2
    "{member},Already,Here,1,\n"  # 8 already a user of the account
    "long@example.com," + "x" * 65 + ",Long,1,\n"  # 9 first_name too long
    ",No,Email,1,\n"  # 10 missing the required email
    "edsger@example.com,Edsger,Dijkstra,,\n"  # 11 missing the required type
    "barbara@example.com,Barbara,Liskov,licensed,Research\n"  # 12 good
)


def mixed(sandbox: Any) -> str:
    return "\ufeff" + MIXED.replace("{member}", member_email(sandbox))  # Excel's BOM


# --- the dry run ---------------------------------------------------------------------------


def test_the_dry_run_reports_every_bad_row_and_asks_zoom_nothing(
    admin_client, tenant, sandbox, zoom_requests
):
    before, emails = zoom_requests(), zoom_emails(sandbox)
    response = upload(admin_client, tenant, mixed(sandbox))
    assert response.status_code == 200
    assert zoom_requests() == before
    assert zoom_emails(sandbox) == emails
    assert not BulkJob.objects.exists() and not ZoomWrite.objects.exists()

    rows = outcomes(response)
    assert sorted(rows) == [2, 3, 4, 5, 7, 8, 9, 10, 11, 12]
    assert [number for number, errors in rows.items() if not errors] == [2, 5, 12]
    assert rows[3] == ["bad email: 'not-an-email' is not an e-mail address"]
    assert rows[4][0].startswith("unknown type 'Pro'")
    assert rows[7] == ["duplicate: the same e-mail address as row 2"]
    assert rows[8] == ["already a user of this Zoom account (active, as last synced)"]
    assert rows[9] == ["first_name too long: 65 characters, Zoom takes at most 64"]
    assert rows[10] == ["email is empty (required)"]
    assert rows[11] == ["type is empty (required)"]
    context = response.context
    assert (context["total"], context["good"], context["bad"]) == (10, 3, 7)
    body = response.content.decode()
    assert "Create 3 users in Zoom" in body
    assert body.count('class="row-bad"') == 7 and body.count('class="row-good"') == 3
    assert "bad email" in body and "duplicate" in body


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("first_name,last_name,type\nAda,Lovelace,1\n", "no column email"),
        ("email,first_name\nada@example.com,Ada\n", "no column type"),
        ("email,type,shoe_size\nada@example.com,1,42\n", "do not have: shoe_size"),
        ("email,type,email\na@example.com,1,b@example.com\n", "names a column twice: email"),
        (
            csv_file("email,type,first_name\nzoe@example.com,1,Zoë\n", encoding="latin-1"),
            "not UTF-8",
        ),
        ("", "file is empty"),  # Django's own words: "The submitted file is empty."
        ("\ufeff\n\n", "The file is empty."),
        ("email,type\n", "no rows"),
        ('email,type\n"ada@example.com,1\n', "not readable as CSV"),
    ],
    ids=[
        "no-email",
        "no-type",
        "unknown-column",
        "twice",
        "latin-1",
        "empty",
        "bom-only",
        "header-only",
        "open-quote",
    ],
)
def test_a_file_that_is_not_users_is_refused_whole_with_zero_requests(
    admin_client, tenant, zoom_requests, content, words
):
    before = zoom_requests()
    response = upload(admin_client, tenant, content)
    assert response.status_code == 200
    assert "plan" not in response.context
    assert any(words in error for error in response.context["form"].errors["file"])
    assert zoom_requests() == before
    assert not BulkJob.objects.exists()


def test_more_rows_than_the_cap_are_refused(admin_client, tenant, zoom_requests, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    before = zoom_requests()
    rows = "".join(f"user{n}@example.com,1\n" for n in range(4))
    response = upload(admin_client, tenant, "email,type\n" + rows)
    assert "more than 3 rows" in " ".join(response.context["form"].errors["file"])
    three = upload(admin_client, tenant, "email,type\n" + rows.rsplit("user3", 1)[0])
    assert three.context["good"] == 3
    assert zoom_requests() == before and not BulkJob.objects.exists()


def test_semicolons_spreadsheet_headers_and_a_trailing_empty_column_are_read(
    admin_client, tenant, zoom_requests
):
    before = zoom_requests()
    text = "Email;First Name;Last-Name;Type;\nada@example.com;Ada;Lovelace;2;\n"
    response = upload(admin_client, tenant, text)
    (row, cells) = response.context["rows"][0]
    assert row.ok and row.user_info == {
        "email": "ada@example.com",
        "type": 2,
        "first_name": "Ada",
        "last_name": "Lovelace",
    }
    assert response.context["columns"] == ["email", "first_name", "last_name", "type"]
    assert zoom_requests() == before


def test_more_invitations_than_zoom_sends_a_day_are_announced(admin_client, tenant, zoom_requests):
    # Users OpenAPI, POST /users: with action "create", "50 requests per day for Free accounts".
    tenant.plan = "free"
    tenant.save(update_fields=["plan"])
    before = zoom_requests()
    rows = "".join(f"invitee{n}@example.com,1\n" for n in range(51))
    response = upload(admin_client, tenant, "email,type\n" + rows, action="create")
    assert response.context["good"] == 51
    assert any("at most 50 invitations" in note for note in response.context["notes"])
    fewer = upload(admin_client, tenant, "email,type\n" + rows, action="custCreate")
    assert fewer.context["notes"] == []
    assert zoom_requests() == before


def test_a_preview_too_large_to_post_back_is_refused_before_it_is_shown(
    admin_client, tenant, settings, zoom_requests
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 + 100  # the margin and 100 bytes
    before = zoom_requests()
    response = upload(admin_client, tenant, "email,type\nada@example.com,1\n")
    assert "plan" not in response.context
    assert "too much to confirm at once" in " ".join(response.context["form"].errors["file"])
    assert zoom_requests() == before


@pytest.mark.parametrize(
    ("cells", "action"),
    [
        ({"email": "x" * 120 + "@example.com"}, "create"),
        ({"last_name": "x" * 65}, "create"),
        ({"display_name": "x" * 129}, "create"),
        ({"type": "3"}, "create"),
        ({"type": "99"}, "create"),  # None: not a type the add form offers
        ({}, "autoCreate"),  # autoCreate without a password
        ({"password": "short1A"}, "autoCreate"),
        ({"password": "Abcdefgh"}, "autoCreate"),
        ({"password": "Sunflower7Q"}, "create"),  # a password with create
    ],
)
def test_a_row_the_add_form_refuses_is_refused(admin_client, tenant, cells, action):
    add_form = {"tenant": tenant.pk, "action": action, "email": "ok@example.com", "type": "1"}
    refused = admin_client.post(reverse("admin:users_zoomuser_add"), {**add_form, **cells})
    assert refused.status_code == 200 and refused.context["form"].errors  # the add form's word

    row = {"email": "ok@example.com", "type": "1", **cells}
    names = list(row)
    text = ",".join(names) + "\n" + ",".join(row[name] for name in names) + "\n"
    response = upload(admin_client, tenant, text, action=action)
    ((only, _),) = response.context["rows"]
    assert not only.ok and response.context["good"] == 0
    assert "Sunflower7Q" not in response.content.decode()


# --- confirming ----------------------------------------------------------------------------


def test_confirm_creates_exactly_the_good_rows_in_zoom(admin_client, tenant, sandbox):
    account = sandbox.state.default_account
    emails = zoom_emails(sandbox)
    creates = sandbox.state.stats.requests_by_route[CREATE_ROUTE]
    checked = upload(admin_client, tenant, mixed(sandbox))
    response = confirm(admin_client, checked)

    job = BulkJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:jobs_bulkjob_change", args=[job.pk])
    assert zoom_emails(sandbox) - emails == {
        "ada@example.com",
        "alan@example.com",
        "barbara@example.com",
    }
    assert sandbox.state.stats.requests_by_route[CREATE_ROUTE] == creates + 3
    created = {email: account.find_user(email) for email in zoom_emails(sandbox) - emails}
    # As the file says (type by number or name), and as Zoom then holds them.
    assert {e: (u["first_name"], u["type"], u.get("dept", "")) for e, u in created.items()} == {
        "ada@example.com": ("Ada", 2, "Engineering"),
        "alan@example.com": ("Alan", 1, "Research"),
        "barbara@example.com": ("Barbara", 2, "Research"),
    }
    for email, user in created.items():
        stored = ZoomUser.objects.get(tenant=tenant, zoom_id=user["id"])
        assert (stored.email, stored.type, stored.dept, stored.status) == (
            email,
            user["type"],
            user.get("dept", ""),
            user["status"],
        )
    assert (job.status, job.total, job.succeeded, job.failed) == ("done", 3, 3, 0)
    assert job.title == "Import 3 users from users.csv"
    assert sorted(job.items.values_list("object_repr", flat=True)) == [
        "Row 12: barbara@example.com",
        "Row 2: ada@example.com",
        "Row 5: alan@example.com",
    ]
    # Audited, as every write: one create and one change (dept) per row that has a dept.
    writes = ZoomWrite.objects.filter(tenant=tenant)
    assert sorted(writes.values_list("method", flat=True)) == ["PATCH"] * 3 + ["POST"] * 3

    page = admin_client.get(response["Location"])
    body = page.content.decode()
    assert "<th>Row</th>" in body and body.count('class="item-succeeded"') == 3


def test_a_row_zoom_refuses_is_reported_in_zoom_s_words_and_the_others_are_created(
    admin_client, tenant, sandbox
):
    # An address Zoom knows from another account, which this tenant's mirror cannot know.
    other = seed_account(sandbox.state, users=2, meetings_per_user=0, seed=9)
    taken = next(iter(other.users.values()))["email"]
    text = f"email,type\nfirst@example.com,1\n{taken},1\nthird@example.com,2\n"
    checked = upload(admin_client, tenant, text)
    assert checked.context["good"] == 3  # the dry run cannot know
    confirm(admin_client, checked)

    job = BulkJob.objects.get()
    assert (job.status, job.succeeded, job.failed) == ("done", 2, 1)
    refused = job.items.get(status=BulkJobItem.Status.FAILED)
    assert refused.object_repr == f"Row 3: {taken}"
    # Users OpenAPI, POST /users, 409 code 1005: Email "$email" has already been used.
    assert "409" in refused.message and "1005" in refused.message
    assert f'Email "{taken}" has already been used.' in refused.message
    account = sandbox.state.default_account
    assert account.find_user("first@example.com") and account.find_user("third@example.com")
    assert taken.lower() not in account.emails


def test_invitations_are_pending_and_autocreate_passwords_never_show_or_rest_in_plain(
    admin_client, tenant, sandbox
):
    password = "Sunflower7Q"
    checked = upload(
        admin_client, tenant, f"email,type,password\nauto@example.com,1,{password}\n", "autoCreate"
    )
    assert password not in checked.content.decode()
    assert password not in checked.context["plan"]
    confirm(admin_client, checked)
    item = BulkJobItem.objects.get()
    assert item.status == BulkJobItem.Status.SUCCEEDED
    assert password not in str(item.payload)
    assert sandbox.state.default_account.find_user("auto@example.com")["status"] == "active"
    write = ZoomWrite.objects.get(method="POST")
    assert password not in str([write.asked, write.answer, write.message])

    invited = upload(admin_client, tenant, "email,type\ninvitee@example.com,1\n", "create")
    confirm(admin_client, invited)
    job = BulkJob.objects.latest("pk")
    # Users OpenAPI, POST /users, action "create": the user gets Zoom's confirmation e-mail
    # and stays pending until they accept.
    assert sandbox.state.default_account.find_user("invitee@example.com")["status"] == "pending"
    assert "pending" in job.items.get().message


def test_confirming_the_same_preview_twice_starts_one_job(admin_client, tenant, sandbox):
    creates = sandbox.state.stats.requests_by_route[CREATE_ROUTE]
    checked = upload(admin_client, tenant, "email,type\none@example.com,1\ntwo@example.com,1\n")
    first = confirm(admin_client, checked)
    second = confirm(admin_client, checked)
    assert BulkJob.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert sandbox.state.stats.requests_by_route[CREATE_ROUTE] == creates + 2


def test_a_tampered_foreign_or_stale_preview_is_refused_with_zero_requests(
    admin_client, django_user_model, tenant, zoom_requests, monkeypatch
):
    checked = upload(admin_client, tenant, "email,type\none@example.com,1\n")
    plan = checked.context["plan"]
    before = zoom_requests()
    tampered = admin_client.post(IMPORT_URL, {"plan": plan[:-8] + "AAAAAAAA"}, follow=True)
    assert "cannot be read" in tampered.content.decode()
    other = Client()  # the fixtures' client is admin_client itself
    other.force_login(django_user_model.objects.create_superuser("other", "o@example.com", "pw"))
    foreign = other.post(IMPORT_URL, {"plan": plan}, follow=True)
    assert "another user" in foreign.content.decode()
    monkeypatch.setattr(services, "PLAN_MAX_AGE", timedelta(0))
    stale = admin_client.post(IMPORT_URL, {"plan": plan}, follow=True)
    assert "more than an hour old" in stale.content.decode()
    assert not BulkJob.objects.exists() and zoom_requests() == before


# --- a restart ----------------------------------------------------------------------------


def test_a_worker_restart_never_creates_a_row_twice(admin_user, tenant, sandbox):
    text = "".join(f"restart{n}@example.com,1\n" for n in range(5))
    checked = preview(tenant=tenant, action="custCreate", data=f"email,type\n{text}".encode())
    plan = ImportPlan.of(
        checked, user=admin_user, tenant=tenant, action="custCreate", filename="r.csv"
    )
    job, new = user_import_start(actor=admin_user, tenant=tenant, plan=plan)
    assert new
    items = list(job.items.order_by("pk"))
    # The worker died while Zoom was asked about the first row: its heartbeat went stale.
    BulkJobItem.objects.filter(pk=items[0].pk).update(status=BulkJobItem.Status.RUNNING)
    stale = timezone.now() - timedelta(minutes=10)
    BulkJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=stale)
    creates = sandbox.state.stats.requests_by_route[CREATE_ROUTE]

    ended = job_run(job_id=job.pk, concurrency=2)

    assert (ended.status, ended.succeeded, ended.failed) == ("done", 4, 1)
    interrupted = job.items.get(pk=items[0].pk)
    assert interrupted.status == BulkJobItem.Status.INTERRUPTED
    assert sandbox.state.stats.requests_by_route[CREATE_ROUTE] == creates + 4
    account = sandbox.state.default_account
    assert account.find_user("restart0@example.com") is None  # not asked again
    assert all(account.find_user(f"restart{n}@example.com") for n in range(1, 5))
    # A second task handed the finished job asks Zoom nothing.
    assert job_run(job_id=job.pk) is None
    assert sandbox.state.stats.requests_by_route[CREATE_ROUTE] == creates + 4


# --- tenants and permissions --------------------------------------------------------------


@pytest.fixture
def other_tenant(other_customer):
    return other_customer(meetings_per_user=0)


@pytest.fixture
def staff(client, django_user_model, tenant):
    member = signed_in_member(client, tenant, "view_zoomuser", "add_zoomuser", "view_bulkjob")
    return member


def test_staff_import_into_their_own_tenant_only(
    client, staff, tenant, other_tenant, sandbox, zoom_requests
):
    page = client.get(IMPORT_URL)
    assert list(page.context["form"].fields["tenant"].queryset) == [tenant]
    assert page.context["form"].fields["tenant"].initial == tenant.pk
    listing = client.get(LIST_URL).content.decode()
    assert IMPORT_URL in listing and "Import CSV" in listing

    before = zoom_requests()
    foreign = upload(client, other_tenant, "email,type\nnew@example.com,1\n")
    assert "tenant" in foreign.context["form"].errors and "plan" not in foreign.context
    assert zoom_requests() == before and not BulkJob.objects.exists()


def test_a_preview_of_a_tenant_the_user_left_answers_404_with_zero_requests(
    client, staff, tenant, other_tenant, sandbox, zoom_requests
):
    membership = TenantMembership.objects.create(tenant=other_tenant, user=staff)
    checked = upload(client, other_tenant, "email,type\nnew@example.com,1\n")
    assert checked.context["good"] == 1
    membership.delete()
    before = zoom_requests()
    assert confirm(client, checked).status_code == 404
    assert zoom_requests() == before and not BulkJob.objects.exists()
    assert other_tenant.bulk_jobs.count() == 0


def test_staff_who_may_add_users_may_retry_an_import_s_refused_rows(
    client, staff, tenant, other_tenant, sandbox
):
    taken = ZoomUser.objects.filter(tenant=other_tenant).first().email  # Zoom knows it
    confirm(client, upload(client, tenant, f"email,type\nfresh@example.com,1\n{taken},1\n"))
    job = BulkJob.objects.get()
    assert (job.succeeded, job.failed) == (1, 1)
    page = client.get(reverse("admin:jobs_bulkjob_change", args=[job.pk]))
    assert "Retry the failed ones" in page.content.decode()
    creates = sandbox.state.stats.requests_by_route[CREATE_ROUTE]
    assert client.post(reverse("admin:jobs_bulkjob_retry", args=[job.pk])).status_code == 302
    assert sandbox.state.stats.requests_by_route[CREATE_ROUTE] == creates + 1  # that row only
    job.refresh_from_db()
    assert (job.succeeded, job.failed) == (1, 1)
    assert "has already been used" in job.items.get(status="failed").message


def test_importing_takes_the_add_permission(client, django_user_model, tenant, zoom_requests):
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(viewer.user_permissions.model.objects.get(codename="view_zoomuser"))
    TenantMembership.objects.create(tenant=tenant, user=viewer)
    client.force_login(viewer)
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, tenant, "email,type\nnew@example.com,1\n").status_code == 403
    assert "Import CSV" not in client.get(LIST_URL).content.decode()
