"""Changes made in Zoom from the admin, as a person makes them: a meeting added for a host, a
user offboarded with a successor through the confirmation page, and a bulk deactivation that
runs as a background job followed on its page. Each is checked in the sandbox, Zoom's side."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import pick_autocomplete
from users.models import ZoomUser
from zoomadmin.jobs.models import BulkJob
from zoomadmin.records.admin import INLINE_MAX
from zoomadmin.sandbox.api.users import ADMIN_ROLE, OWNER_ROLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def members(account, *, status: str = "active") -> list[dict]:
    """The sandbox account's users of ``status`` that are neither its owner nor an admin (whom
    Zoom lets nobody deactivate or disassociate), in e-mail order."""
    return sorted(
        (
            u
            for u in account.users.values()
            if u["status"] == status and u["role_id"] not in (OWNER_ROLE, ADMIN_ROLE)
        ),
        key=lambda u: u["email"],
    )


def test_a_meeting_added_in_the_admin_is_created_in_zoom(signed_in, steps, tenant, sandbox):
    page = signed_in
    account = sandbox.state.default_account
    host = members(account)[0]
    zone = "Europe/Berlin"
    start = (datetime.now(ZoneInfo(zone)) + timedelta(days=7)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )

    page.goto("/admin/meetings/meeting/")
    page.get_by_role("link", name="Add meeting").click()
    expect(page).to_have_url(re.compile(r"/admin/meetings/meeting/add/$"))
    pick_autocomplete(page, "host", host["email"].split("@")[0], host["email"])
    page.fill("#id_topic", "Quarterly review (browser test)")
    page.select_option("#id_type", label="Scheduled")
    page.fill("#id_start_time", start.strftime("%Y-%m-%dT%H:%M:%S"))
    page.fill("#id_duration", "45")
    page.select_option("#id_timezone", zone)
    page.fill("#id_agenda", "Numbers, then plans.")
    steps("the add meeting form, filled in")
    page.get_by_role("button", name="Create in Zoom").click()

    expect(page.locator(".messagelist")).to_contain_text("Zoom created “Quarterly review")
    steps("the new meeting's page")
    created = [m for m in account.meetings.values() if m["topic"].startswith("Quarterly review")]
    assert len(created) == 1
    meeting = created[0]
    assert meeting["host_id"] == host["id"]
    assert meeting["duration"] == 45
    assert meeting["timezone"] == zone
    assert meeting["agenda"] == "Numbers, then plans."
    assert meeting["start_time"] == start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    expect(page.locator("#content")).to_contain_text(str(meeting["id"]))


def test_offboarding_a_user_hands_their_meetings_to_the_successor_chosen_on_the_confirmation_page(
    signed_in, steps, tenant, sandbox
):
    page = signed_in
    account = sandbox.state.default_account
    candidates = members(account)
    leaving = next(u for u in candidates if list(account.meetings_of(u["id"])))
    successor = next(u for u in candidates if u["id"] != leaving["id"])
    handed_over = {m["id"] for m in account.meetings_of(leaving["id"])}

    page.goto("/admin/users/zoomuser/")
    row = page.locator("#result_list tbody tr", has_text=leaving["email"])
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "offboard_users")
    steps("the user chosen, and the action")
    page.get_by_role("button", name="Go").click()

    expect(page.locator("#content h1")).to_have_text("Disassociate or delete users")
    expect(page.locator("#content-main")).to_contain_text(leaving["email"])
    page.check("input[name=mode][value=disassociate]")
    pick_autocomplete(page, "transfer_to", successor["email"].split("@")[0], successor["email"])
    page.check("#id_transfer_meeting")
    page.check("#id_transfer_recording")
    steps("the confirmation page, successor chosen")
    page.get_by_role("button", name="Do it in Zoom").click()

    expect(page).to_have_url(re.compile(r"/admin/users/zoomuser/"))
    messages = page.locator(".messagelist")
    expect(messages).to_contain_text("Disassociated or deleted 1 Zoom user.")
    expect(messages).to_contain_text(f"handed over to {successor['first_name']}")
    steps("back on the list")
    # Zoom's side: the user left the account; their meetings are the successor's.
    assert leaving["id"] not in account.users
    assert {m["host_id"] for m in account.meetings.values() if m["id"] in handed_over} == {
        successor["id"]
    }
    assert ZoomUser.objects.get(tenant=tenant, zoom_id=leaving["id"]).deleted_at is not None


def test_deactivating_many_users_runs_a_background_job_followed_to_done(
    signed_in, steps, tenant, sandbox
):
    page = signed_in
    account = sandbox.state.default_account
    chosen = members(account)
    assert len(chosen) > INLINE_MAX, "the seed has too few members for a background job"

    page.goto("/admin/users/zoomuser/?status__exact=active")
    for user in chosen:
        page.locator("#result_list tbody tr", has_text=user["email"]).locator(
            "input.action-select"
        ).check()
    page.select_option("select[name=action]", "deactivate_users")
    expect(page.locator(".action-counter")).to_contain_text(f"{len(chosen)} of")
    steps("the users chosen")
    page.get_by_role("button", name="Go").click()

    job = BulkJob.objects.get()
    expect(page).to_have_url(re.compile(rf"/admin/jobs/bulkjob/{job.pk}/change/$"))
    expect(page.locator("#job-status")).to_have_text("Done")
    expect(page.locator("#job-bar")).to_have_attribute("value", "100")
    expect(page.locator("#job-counts")).to_contain_text(
        f"{len(chosen)} of {len(chosen)} done: {len(chosen)} succeeded, 0 refused"
    )
    expect(page.locator("#result_list tbody tr")).to_have_count(len(chosen))
    steps("the job's page, done")
    assert {account.users[u["id"]]["status"] for u in chosen} == {"inactive"}
