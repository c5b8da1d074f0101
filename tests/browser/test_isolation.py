"""A staff member of another tenant sees nothing of the first: its records are not on their
lists, and their direct URLs answer 404 without a request to Zoom."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from meetings.models import Meeting
from users.models import ZoomUser
from zoomadmin.sync.models import SyncRun

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_staff_user_of_the_other_tenant_sees_none_of_the_first(
    page, steps, tenant, other_tenant, other_account, other_staff, sandbox, zoom_requests
):
    first = sandbox.state.default_account
    sign_in(page, steps, other_staff.username)
    expect(page.locator("#zoom-dashboard")).to_contain_text(str(other_tenant))
    expect(page.locator("#zoom-dashboard")).not_to_contain_text(str(tenant))
    steps("the dashboard of the other tenant's staff")

    page.goto("/admin/users/zoomuser/")
    expect(page.locator("#changelist .paginator")).to_contain_text(
        f"{len(other_account.users)} Zoom users"
    )
    listed = set(page.locator("#result_list tbody th.field-email").all_inner_texts())
    assert listed == {u["email"] for u in other_account.users.values()}
    assert not listed & {u["email"] for u in first.users.values()}
    steps("their Zoom users")

    page.goto("/admin/meetings/meeting/")
    stored = Meeting.objects.filter(tenant=other_tenant, deleted_at__isnull=True)
    expect(page.locator("#changelist .paginator")).to_contain_text(f"{stored.count()} meetings")
    listed = {int(i) for i in page.locator("#result_list td.field-zoom_id").all_inner_texts()}
    assert listed and listed <= set(other_account.meetings)
    assert not listed & set(first.meetings)
    steps("their meetings")

    page.goto("/admin/tenants/tenant/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text(str(other_tenant))

    requests_before = zoom_requests()
    user = ZoomUser.objects.filter(tenant=tenant).first()
    meeting = Meeting.objects.filter(tenant=tenant).first()
    run = SyncRun.objects.filter(tenant=tenant).first()
    for url in (
        f"/admin/users/zoomuser/{user.pk}/change/",
        f"/admin/users/zoomuser/{user.pk}/phone-recordings/",
        f"/admin/meetings/meeting/{meeting.pk}/change/",
        f"/admin/meetings/meeting/{meeting.pk}/invitation/",
        f"/admin/tenants/tenant/{tenant.pk}/change/",
        f"/admin/sync/syncrun/{run.pk}/progress/",
    ):
        answer = page.goto(url)
        assert answer.status == 404, url
    steps("the first tenant's meeting, by its URL")
    assert zoom_requests() == requests_before
