"""A CSV export downloaded from a record list, and a change made in Zoom that reaches the
admin by the sandbox's webhook: the person only reloads the page."""

from __future__ import annotations

import csv
import io

import pytest
import requests
from playwright.sync_api import expect

from meetings.models import Meeting
from webhooks.models import WebhookEvent
from zoomadmin.sync.models import SyncRun

from .conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def downloaded_rows(download) -> list[dict[str, str]]:
    text = download.path().read_text(encoding="utf-8-sig")  # Excel's byte-order mark
    return list(csv.DictReader(io.StringIO(text)))


def test_exporting_the_filtered_user_list_downloads_its_rows_as_csv(
    signed_in, steps, tenant, sandbox
):
    page = signed_in
    account = sandbox.state.default_account
    active = {u["email"] for u in account.users.values() if u["status"] == "active"}

    page.goto("/admin/users/zoomuser/")
    page.locator("#changelist-filter").get_by_role("link", name="Active", exact=True).click()
    expect(page.locator("#changelist .paginator")).to_contain_text(f"{len(active)} Zoom users")
    steps("the active users")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value

    assert download.suggested_filename.startswith("zoomusers-")
    assert download.suggested_filename.endswith(".csv")
    rows = downloaded_rows(download)
    assert {row["email"] for row in rows} == active
    by_email = {u["email"]: u for u in account.users.values()}
    for row in rows:
        user = by_email[row["email"]]
        assert (row["first name"], row["last name"]) == (user["first_name"], user["last_name"])
        assert row["tenant"] == str(tenant)


def test_a_meeting_changed_in_zoom_shows_in_the_admin_after_its_webhook(
    signed_in, steps, tenant, sandbox, live_webhooks
):
    page = signed_in
    account = sandbox.state.default_account
    meeting = next(m for m in account.meetings.values() if m["type"] == 2)
    stored = Meeting.objects.get(tenant=tenant, zoom_id=meeting["id"])
    page.goto(f"/admin/meetings/meeting/{stored.pk}/change/")
    expect(page.locator("#id_topic")).to_have_value(meeting["topic"])
    steps("the meeting's page")
    runs = SyncRun.objects.count()

    # Someone changes the meeting in Zoom (its API, with a token of the account).
    with sandbox.state.lock:
        token = sandbox.state.issue_tokens(account_id=account.id)["access_token"]
    answer = requests.patch(
        f"{sandbox.api_base_url}/meetings/{meeting['id']}",
        json={"topic": "Moved to Thursday", "duration": 50},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 204
    wait_for(
        lambda: WebhookEvent.objects.filter(event="meeting.updated", status="processed").exists(),
        what="the meeting.updated event to be processed",
    )

    page.reload()
    expect(page.locator("#id_topic")).to_have_value(account.meetings[meeting["id"]]["topic"])
    expect(page.locator("#id_duration")).to_have_value("50")
    steps("the same page reloaded")
    assert SyncRun.objects.count() == runs  # no sync: the webhook alone
