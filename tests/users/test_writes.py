"""User writes from the admin: Zoom first, then the mirror; bad input costs no request; a
refusal shows Zoom's words and changes nothing; every write is audited, secrets masked.

Expected values come from the sandbox's data (what Zoom holds after the write), never from the
functions under test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from meetings.models import CloudRecording, Meeting
from tests.admin_helpers import action_post, messages_of, rows_of, signed_in_member
from users.models import ZoomUser
from zoomadmin.sandbox.api.users import ADMIN_ROLE, OWNER_ROLE
from zoomadmin.sandbox.config import ScriptedFault
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.tenants.audit import MASK
from zoomadmin.tenants.models import TenantMembership, ZoomWrite

pytestmark = pytest.mark.django_db(transaction=True)

ADD_URL = reverse("admin:users_zoomuser_add")
LIST_URL = reverse("admin:users_zoomuser_changelist")


def change_url(user: ZoomUser) -> str:
    return reverse("admin:users_zoomuser_change", args=[user.pk])


def account(sandbox):
    return sandbox.state.default_account


def members(sandbox) -> list[dict]:
    """Sandbox users an administrator may change: active, neither owner nor admin."""
    return [
        user
        for user in account(sandbox).users.values()
        if user["status"] == "active" and user["role_id"] not in (OWNER_ROLE, ADMIN_ROLE)
    ]


def stored(user_id: str) -> ZoomUser:
    return ZoomUser.objects.get(zoom_id=user_id)


def mirror() -> list[list[dict[str, Any]]]:
    """Every stored user, every column: compared before and after a refused write."""
    return rows_of(ZoomUser)


def change_form(user: ZoomUser, **changes: Any) -> dict[str, Any]:
    data = user.zoom_data
    form = {
        "first_name": data.get("first_name", ""),
        "last_name": data.get("last_name", ""),
        "display_name": data.get("display_name", ""),
        "type": str(user.type),
        "dept": data.get("dept", ""),
        "job_title": data.get("job_title", ""),
        "company": data.get("company", ""),
        "location": data.get("location", ""),
        "timezone": data.get("timezone", ""),
        "language": data.get("language", ""),
        "manager": data.get("manager", ""),
        "pmi": str(data.get("pmi", "")),
    }
    if data.get("use_pmi"):
        form["use_pmi"] = "on"
    form.update(changes)
    return form


# --- add ---------------------------------------------------------------------------------


def test_add_creates_the_user_in_zoom_and_stores_what_zoom_holds(admin_client, tenant, sandbox):
    response = admin_client.post(
        ADD_URL,
        {
            "tenant": tenant.pk,
            "action": "custCreate",
            "email": "new.hire@example.com",
            "first_name": "New",
            "last_name": "Hire",
            "type": "2",
            "dept": "Sales",
            "job_title": "Account executive",
        },
    )
    assert response.status_code == 302, response.content.decode()
    in_zoom = account(sandbox).find_user("new.hire@example.com")
    assert in_zoom is not None and in_zoom["status"] == "active"
    assert (in_zoom["type"], in_zoom["dept"], in_zoom["job_title"]) == (
        2,
        "Sales",
        "Account executive",
    )
    user = stored(in_zoom["id"])
    assert response["Location"] == change_url(user)
    assert (user.type, user.status, user.dept, user.job_title) == (
        in_zoom["type"],
        in_zoom["status"],
        in_zoom["dept"],
        in_zoom["job_title"],
    )
    writes = ZoomWrite.objects.filter(tenant=tenant).order_by("pk")
    assert [(w.method, w.outcome) for w in writes] == [
        ("POST", ZoomWrite.Outcome.SUCCEEDED),
        ("PATCH", ZoomWrite.Outcome.SUCCEEDED),
    ]
    assert writes[1].zoom_id == in_zoom["id"]


def test_an_invited_user_is_stored_as_the_sync_lists_it_and_a_sync_keeps_one_row(
    admin_client, tenant, sandbox
):
    # Users OpenAPI, POST /users, action "create": "The user receives an email from Zoom
    # containing a confirmation link" (pending until then); GET /users lists pending users
    # without an id.
    response = admin_client.post(
        ADD_URL,
        {"tenant": tenant.pk, "action": "create", "email": "invitee@example.com", "type": "1"},
    )
    assert response.status_code == 302
    assert account(sandbox).find_user("invitee@example.com")["status"] == "pending"
    rows = ZoomUser.objects.filter(email="invitee@example.com")
    assert [(row.zoom_id, row.status) for row in rows] == [("email:invitee@example.com", "pending")]
    tenant_sync(tenant=tenant, trigger="test", full=True)
    assert ZoomUser.objects.filter(email="invitee@example.com", deleted_at=None).count() == 1


def test_the_autocreate_password_is_never_stored_in_the_audit(admin_client, tenant, sandbox):
    password = "Sunflower7Q"
    response = admin_client.post(
        ADD_URL,
        {
            "tenant": tenant.pk,
            "action": "autoCreate",
            "email": "auto@example.com",
            "type": "1",
            "password": password,
        },
    )
    assert response.status_code == 302
    write = ZoomWrite.objects.get(method="POST")
    assert write.asked["body"]["user_info"]["password"] == MASK
    assert password not in json.dumps([write.asked, write.answer, write.message])


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "x" * 120 + "@example.com"}, "email"),
        ({"first_name": "x" * 65}, "first_name"),
        ({"last_name": "x" * 65}, "last_name"),
        ({"display_name": "x" * 129}, "display_name"),
        ({"type": "3"}, "type"),
        ({"type": "99"}, "type"),
        ({"action": "magicCreate"}, "action"),
        ({"action": "autoCreate"}, "password"),  # autoCreate without a password
        ({"action": "autoCreate", "password": "short1A"}, "password"),
        ({"action": "autoCreate", "password": "alllowercase1"}, "password"),
        ({"action": "autoCreate", "password": "Abcdefgh"}, "password"),  # no number
        ({"password": "Sunflower7Q"}, "password"),  # a password with create
        ({"tenant": ""}, "tenant"),
        ({"email": ""}, "email"),
    ],
)
def test_an_invalid_add_form_costs_no_request(admin_client, tenant, zoom_requests, fields, field):
    data = {"tenant": tenant.pk, "action": "create", "email": "ok@example.com", "type": "1"}
    before, rows = zoom_requests(), mirror()
    response = admin_client.post(ADD_URL, {**data, **fields})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert zoom_requests() == before
    assert mirror() == rows


def test_an_email_zoom_already_knows_is_refused_with_zoom_s_words(admin_client, tenant, sandbox):
    taken = members(sandbox)[0]["email"]
    rows = mirror()
    response = admin_client.post(
        ADD_URL, {"tenant": tenant.pk, "action": "custCreate", "email": taken, "type": "1"}
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    # Users OpenAPI, POST /users, 409 code 1005: Email "$email" has already been used.
    assert "409" in errors and "1005" in errors and "has already been used" in errors
    assert mirror() == rows
    assert ZoomWrite.objects.get().outcome == ZoomWrite.Outcome.REFUSED


# --- change ------------------------------------------------------------------------------


def test_change_sends_only_what_changed_and_stores_what_zoom_then_holds(
    admin_client, tenant, sandbox
):
    target = members(sandbox)[0]
    user = stored(target["id"])
    response = admin_client.post(
        change_url(user),
        change_form(user, job_title="Head of IT", timezone="Europe/Berlin", dept="IT"),
    )
    assert response.status_code == 302, response.context["form"].errors
    in_zoom = account(sandbox).users[target["id"]]
    assert (in_zoom["job_title"], in_zoom["timezone"], in_zoom["dept"]) == (
        "Head of IT",
        "Europe/Berlin",
        "IT",
    )
    user.refresh_from_db()
    assert (user.job_title, user.timezone, user.dept) == (
        in_zoom["job_title"],
        in_zoom["timezone"],
        in_zoom["dept"],
    )
    write = ZoomWrite.objects.get()
    assert write.method == "PATCH"
    assert set(write.asked["body"]) == {"job_title", "timezone", "dept"}


def test_an_unchanged_form_asks_zoom_nothing(admin_client, tenant, sandbox, zoom_requests):
    user = stored(members(sandbox)[0]["id"])
    before = zoom_requests()
    response = admin_client.post(change_url(user), change_form(user))
    assert response.status_code == 302
    assert zoom_requests() == before
    assert not ZoomWrite.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"first_name": "x" * 65}, "first_name"),
        ({"job_title": "x" * 129}, "job_title"),
        ({"company": "x" * 256}, "company"),
        ({"location": "x" * 257}, "location"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"manager": "x" * 257}, "manager"),
        ({"pmi": "123456789"}, "pmi"),  # 9 digits
        ({"pmi": "12345678901"}, "pmi"),  # 11 digits
        ({"pmi": "abc"}, "pmi"),
        ({"host_key": "12345"}, "host_key"),
        ({"host_key": "12345678901"}, "host_key"),
        ({"host_key": "12ab56"}, "host_key"),
        ({"type": "7"}, "type"),
    ],
)
def test_an_invalid_change_form_costs_no_request(
    admin_client, tenant, sandbox, zoom_requests, fields, field
):
    user = stored(members(sandbox)[0]["id"])
    before, rows = zoom_requests(), mirror()
    response = admin_client.post(change_url(user), change_form(user, **fields))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert zoom_requests() == before
    assert mirror() == rows


REFUSALS = [
    pytest.param(
        ScriptedFault(
            "refuse",
            status=400,
            code=300,
            message="Validation Failed.",
            errors=({"field": "job_title", "message": "Contains an invalid word."},),
            method="PATCH",
        ),
        "Contains an invalid word.",
        id="400-field-errors",
    ),
    pytest.param(
        ScriptedFault("refuse", status=404, code=1001, message="User does not exist: x."),
        "User does not exist",
        id="404",
    ),
    pytest.param(
        ScriptedFault("refuse", status=400, code=200, message="No privilege.", method="PATCH"),
        "No privilege.",
        id="400-no-privilege",
    ),
    pytest.param(ScriptedFault("429", retry_after=600, method="PATCH"), "429", id="429"),
    pytest.param(ScriptedFault("503", count=5, method="PATCH"), "503", id="5xx"),
    pytest.param(
        ScriptedFault("stall", count=3, stall_seconds=1.5, method="PATCH"),
        "could not be reached",
        id="timeout",
    ),
]


@pytest.mark.parametrize(("fault", "words"), REFUSALS)
def test_a_refused_change_shows_zoom_s_message_and_changes_nothing(
    admin_client, tenant, sandbox, settings, fault, words
):
    settings.ZOOM_HTTP_TIMEOUT_SECONDS = 0.5
    target = members(sandbox)[0]
    user = stored(target["id"])
    rows = mirror()
    fault.path_prefix = "/v2/users/"
    sandbox.config.script_fault(fault)
    response = admin_client.post(change_url(user), change_form(user, job_title="Boss"))
    sandbox.config.clear_faults()
    assert response.status_code == 200
    form = response.context["form"]
    assert words in " ".join([*form.non_field_errors(), *form.errors.get("job_title", [])])
    if fault.errors:
        assert form.errors["job_title"] == ["Contains an invalid word."]
    in_zoom = account(sandbox).users[target["id"]]["job_title"]
    user.refresh_from_db()
    assert user.job_title == in_zoom  # the mirror never diverges from Zoom
    if fault.action == "stall":
        # The request reached Zoom, which applied it; the answer came too late. Read back.
        assert in_zoom == "Boss"
        assert "may have made the change" in " ".join(form.non_field_errors())
    else:
        assert in_zoom != "Boss"
        assert mirror() == rows
    write = ZoomWrite.objects.get()
    assert write.outcome in (ZoomWrite.Outcome.REFUSED, ZoomWrite.Outcome.FAILED)
    assert words in write.message or fault.errors


def test_a_write_refreshing_the_token_is_not_inside_a_transaction(admin_client, tenant, sandbox):
    # The token endpoint rotates credentials; a write view wrapped in a transaction would
    # refuse to refresh (TokenRefreshInTransaction) or roll the new token back.
    sandbox.state.expire_access_tokens()
    credential = tenant.s2s_credential
    credential.expires_at = None
    credential.access_token = ""
    credential.save()
    user = stored(members(sandbox)[0]["id"])
    response = admin_client.post(change_url(user), change_form(user, job_title="Token"))
    assert response.status_code == 302, response.context["form"].errors
    assert account(sandbox).users[user.zoom_id]["job_title"] == "Token"


# --- actions -----------------------------------------------------------------------------


def post_action(client, action: str, users: list[ZoomUser], **extra: Any):
    return action_post(client, LIST_URL, action, users, **extra)


def test_deactivate_does_each_user_and_reports_zoom_s_refusal(admin_client, tenant, sandbox):
    targets = [stored(u["id"]) for u in members(sandbox)[:3]]
    refused = targets.pop()
    sandbox.config.script_fault(
        ScriptedFault(
            "refuse",
            status=400,
            code=200,
            message="No privilege.",
            method="PUT",
            path_prefix=f"/v2/users/{refused.zoom_id}/status",
        )
    )
    owner = stored(account(sandbox).owner_id)
    status_route = "PUT /v2/users/{userId}/status"
    before = sandbox.state.stats.requests_by_route[status_route]
    response = post_action(admin_client, "deactivate_users", [*targets, refused, owner])
    assert response.status_code == 302
    for user in targets:
        assert account(sandbox).users[user.zoom_id]["status"] == "inactive"
        user.refresh_from_db()
        assert user.status == "inactive"
    refused.refresh_from_db()
    assert refused.status == account(sandbox).users[refused.zoom_id]["status"] == "active"
    words = messages_of(response)
    assert "Deactivated 2 Zoom users." in words
    assert any(str(refused) in w and "No privilege." in w for w in words)
    # Users OpenAPI, PUT /users/{userId}/status, 400 code 200: "Zoom Room and Admin users'
    # status cannot be activated or deactivated": not even asked for the owner.
    assert any(str(owner) in w and "owner or admins" in w for w in words)
    assert sandbox.state.stats.requests_by_route[status_route] == before + 2  # refused by fault

    response = post_action(admin_client, "activate_users", targets)
    assert all(account(sandbox).users[u.zoom_id]["status"] == "active" for u in targets)
    assert "Activated 2 Zoom users." in messages_of(response)


def test_change_license_type_asks_for_the_type_then_changes_it_in_zoom(
    admin_client, tenant, sandbox
):
    basics = [stored(u["id"]) for u in members(sandbox) if u["type"] == 1][:2]
    assert basics, "the seeded account has Basic users"
    response = post_action(admin_client, "change_license_type", basics)
    assert response.status_code == 200
    assert 'name="post" value="yes"' in response.content.decode()
    response = post_action(admin_client, "change_license_type", basics, post="yes", type="2")
    assert response.status_code == 302
    for user in basics:
        assert account(sandbox).users[user.zoom_id]["type"] == 2
        user.refresh_from_db()
        assert user.type == 2
    assert [w.action for w in ZoomWrite.objects.all()] == ["change license type"] * len(basics)


def test_offboarding_hands_meetings_to_the_successor_and_nothing_is_lost(
    admin_client, tenant, sandbox
):
    state = account(sandbox)
    leaving_id = next(u["id"] for u in members(sandbox) if state.meetings_of(u["id"]))
    successor_id = next(u["id"] for u in members(sandbox) if u["id"] != leaving_id)
    moved = {m["id"] for m in state.meetings_of(leaving_id) if m["type"] in (2, 3, 8)}
    leaving = stored(leaving_id)
    page = post_action(admin_client, "offboard_users", [leaving])
    assert page.status_code == 200
    assert 'name="post" value="yes"' in page.content.decode()
    response = post_action(
        admin_client,
        "offboard_users",
        [leaving],
        post="yes",
        mode="delete",
        transfer_to=stored(successor_id).pk,
        transfer_meeting="on",
    )
    assert response.status_code == 302, response.context["form"].errors
    assert "Disassociated or deleted 1 Zoom user." in messages_of(response)
    assert state.find_user(leaving.email) is None
    in_zoom = {m["id"] for m in state.meetings_of(successor_id)}
    assert moved and moved <= in_zoom
    leaving.refresh_from_db()
    assert leaving.deleted_at is not None
    for meeting in Meeting.objects.filter(zoom_id__in=moved):
        assert meeting.deleted_at is None
        assert meeting.host_zoom_id == successor_id
    assert ZoomWrite.objects.get().asked["query"]["transfer_email"] == stored(successor_id).email


def test_offboarding_refuses_a_hand_over_to_the_leaving_user_without_a_request(
    admin_client, tenant, sandbox, zoom_requests
):
    leaving = stored(members(sandbox)[0]["id"])
    before = zoom_requests()
    response = post_action(
        admin_client,
        "offboard_users",
        [leaving],
        post="yes",
        mode="disassociate",
        transfer_to=leaving.pk,
        transfer_meeting="on",
    )
    assert response.status_code == 200
    assert "transfer_to" in response.context["form"].errors
    assert zoom_requests() == before


def test_offboarding_without_a_successor_marks_what_zoom_deleted(admin_client, tenant, sandbox):
    state = account(sandbox)
    leaving = stored(next(u["id"] for u in members(sandbox) if state.meetings_of(u["id"])))
    response = admin_client.post(
        LIST_URL,
        {
            "action": "offboard_users",
            "_selected_action": [leaving.pk],
            "post": "yes",
            "mode": "delete",
        },
    )
    assert response.status_code == 302
    assert state.find_user(leaving.email) is None
    leaving.refresh_from_db()
    assert leaving.deleted_at is not None
    assert not Meeting.objects.filter(host=leaving, deleted_at=None).exists()


# --- tenants -----------------------------------------------------------------------------


def test_another_tenant_s_user_answers_404_and_reaches_no_zoom(
    client, django_user_model, tenant, sandbox, other_customer, zoom_requests
):
    other_tenant = other_customer()
    other = sandbox.state.accounts[other_tenant.account_id]
    signed_in_member(client, tenant, "view_zoomuser", "change_zoomuser", "add_zoomuser")
    foreign = ZoomUser.objects.filter(tenant=other_tenant, status="active").first()
    before = zoom_requests()
    assert client.get(change_url(foreign)).status_code == 404
    assert client.post(change_url(foreign), change_form(foreign, dept="X")).status_code == 404
    response = post_action(client, "deactivate_users", [foreign])
    assert zoom_requests() == before
    assert other.users[foreign.zoom_id]["status"] == "active"
    assert not ZoomWrite.objects.exists()
    add = client.post(
        ADD_URL,
        {"tenant": other_tenant.pk, "action": "custCreate", "email": "a@b.co", "type": "1"},
    )
    assert "tenant" in add.context["form"].errors
    assert zoom_requests() == before
    assert response.status_code in (200, 302)


def test_handed_over_recordings_stay_present_under_the_successor_after_a_sync(
    admin_client, tenant, sandbox
):
    state = account(sandbox)
    leaving_id = next(u["id"] for u in members(sandbox) if state.recordings_of(u["id"]))
    successor = stored(next(u["id"] for u in members(sandbox) if u["id"] != leaving_id))
    recorded = {str(r["uuid"]) for r in state.recordings_of(leaving_id)}
    response = post_action(
        admin_client,
        "offboard_users",
        [stored(leaving_id)],
        post="yes",
        mode="delete",
        transfer_to=successor.pk,
        transfer_recording="on",
    )
    assert response.status_code == 302
    assert recorded <= {str(r["uuid"]) for r in state.recordings_of(successor.zoom_id)}
    rows = CloudRecording.objects.filter(tenant=tenant, zoom_id__in=recorded)
    assert rows.count() == len(recorded)
    assert {(r.host_zoom_id, r.deleted_at) for r in rows} == {(successor.zoom_id, None)}
    tenant_sync(tenant=tenant, trigger="test", full=True)
    assert not rows.filter(deleted_at__isnull=False).exists()
    assert ZoomWrite.objects.filter(method="GET").count() == 0  # no listing was needed


def test_a_delete_whose_answer_was_lost_is_recognised_as_done(admin_client, tenant, sandbox):
    leaving = stored(members(sandbox)[0]["id"])
    # An earlier DELETE reached Zoom but its answer was lost; the one sent again is answered
    # 404 (code 1001): only a GET can tell that the user is gone rather than unknown.
    account(sandbox).remove_user(leaving.zoom_id)
    response = post_action(
        admin_client, "offboard_users", [leaving], post="yes", mode="disassociate"
    )
    assert response.status_code == 302
    leaving.refresh_from_db()
    assert leaving.deleted_at is not None
    words = messages_of(response)
    assert any("no longer had this user" in w for w in words), words


def test_an_accepted_write_whose_read_back_fails_shows_what_was_asked(
    admin_client, tenant, sandbox
):
    user = stored(members(sandbox)[0]["id"])
    sandbox.config.script_fault(
        ScriptedFault("503", count=3, method="GET", path_prefix=f"/v2/users/{user.zoom_id}")
    )
    response = post_action(admin_client, "deactivate_users", [user])
    assert account(sandbox).users[user.zoom_id]["status"] == "inactive"
    user.refresh_from_db()
    assert user.status == "inactive"
    words = messages_of(response)
    assert "Deactivated 1 Zoom user." in words
    assert any("reading" in w and "back failed" in w for w in words)


def test_pending_users_are_not_sent_what_zoom_refuses_them(
    admin_client, tenant, sandbox, zoom_requests
):
    response = admin_client.post(
        ADD_URL,
        {"tenant": tenant.pk, "action": "create", "email": "later@example.com", "type": "1"},
    )
    assert response.status_code == 302
    pending = ZoomUser.objects.get(email="later@example.com")
    before = zoom_requests()
    response = post_action(admin_client, "deactivate_users", [pending])
    assert any("pending user" in w for w in messages_of(response))
    # Users OpenAPI, DELETE /users/{userId}: "To delete pending user in the account, use
    # `disassociate`."
    response = post_action(admin_client, "offboard_users", [pending], post="yes", mode="delete")
    assert "mode" in response.context["form"].errors
    assert zoom_requests() == before


@pytest.mark.parametrize("password", ["X12345678a", "Aabcdefgh1", "Zz1aaaaaaaa", "Ab987654321"])
def test_passwords_with_zoom_s_refused_runs_cost_no_request(
    admin_client, tenant, zoom_requests, password
):
    before = zoom_requests()
    response = admin_client.post(
        ADD_URL,
        {
            "tenant": tenant.pk,
            "action": "autoCreate",
            "email": "runs@example.com",
            "type": "1",
            "password": password,
        },
    )
    assert "password" in response.context["form"].errors
    assert zoom_requests() == before


def test_re_sync_takes_the_change_permission(client, django_user_model, tenant, sandbox):
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(viewer.user_permissions.model.objects.get(codename="view_zoomuser"))
    TenantMembership.objects.create(tenant=tenant, user=viewer)
    client.force_login(viewer)
    page = client.get(LIST_URL).content.decode()
    assert 'value="resync_users"' not in page
