"""A user's live views (users.live): phone recordings, chat channels and chat messages, asked
of the sandbox Zoom when the page opens, a page at a time, never stored. Expected values come
from the sandbox's data; requests are counted at the sandbox."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from users import live
from users.mapping import pending_key
from users.models import ZoomUser
from zoomadmin.records.models import ZoomRecord
from zoomadmin.sandbox import records
from zoomadmin.sandbox.config import ScriptedFault
from zoomadmin.tenants.models import TenantMembership
from zoomadmin.zoom.client import add_months

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_ROUTE = "GET /v2/phone/users/{userId}/recordings"
CHANNELS_ROUTE = "GET /v2/chat/users/{userId}/channels"
MESSAGES_ROUTE = "GET /v2/chat/users/{userId}/messages"
DAY = 86_400


def url(name: str, user: ZoomRecord) -> str:
    return reverse(f"admin:users_zoomuser_{name}", args=[user.pk])


def route_count(sandbox: Any, route: str) -> int:
    return sandbox.state.stats.requests_by_route[route]


def table_rows(page: str) -> list[str]:
    body = page.split('<table id="result_list"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>\s*(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)


def active_user(tenant: Any, sandbox: Any) -> ZoomUser:
    account = sandbox.state.default_account
    return (
        ZoomUser.objects.filter(tenant=tenant, status="active", zoom_id__in=list(account.users))
        .exclude(zoom_id=account.owner_id)
        .order_by("email")
        .first()
    )


def give_phone_recordings(sandbox: Any, user: ZoomUser, days_ago: list[float]) -> list[dict]:
    """Make ``user`` a Zoom Phone user with one recording per entry (days before now), newest
    first as the sandbox keeps them."""
    account = sandbox.state.default_account
    account.phone_users.add(user.zoom_id)
    now = sandbox.state.now()
    calls = [
        records.make_phone_recording(
            recording_id=f"{index:032x}",
            user=account.users[user.zoom_id],
            other_name=f"Caller {index:03d}",
            other_number=f"+1415555{index:04d}",
            inbound=index % 2 == 0,
            when=now - ago * DAY,
            seconds=61 + index,
        )
        for index, ago in enumerate(days_ago)
    ]
    account.phone_recordings[user.zoom_id] = sorted(
        calls, key=lambda c: c["date_time"], reverse=True
    )
    return account.phone_recordings[user.zoom_id]


def staff_member(django_user_model: Any, tenant: Any, *codenames: str) -> Any:
    staff = django_user_model.objects.create_user(f"staff-{len(codenames)}", is_staff=True)
    for codename in codenames:
        staff.user_permissions.add(staff.user_permissions.model.objects.get(codename=codename))
    TenantMembership.objects.create(tenant=tenant, user=staff)
    return staff


# --- phone recordings ----------------------------------------------------------------------


def test_phone_recordings_of_the_last_month_are_those_zoom_holds(admin_client, tenant, sandbox):
    user = active_user(tenant, sandbox)
    calls = give_phone_recordings(sandbox, user, [0.5, 3, 12, 27, 40, 75])
    today = datetime.now(UTC).date()
    since = (add_months(today, -1) + timedelta(days=1)).isoformat()
    expected = [c for c in calls if c["date_time"][:10] >= since]
    before = route_count(sandbox, PHONE_ROUTE)

    response = admin_client.get(url("phone_recordings", user))

    page = response.content.decode()
    assert response.status_code == 200
    assert route_count(sandbox, PHONE_ROUTE) == before + 1
    rows = table_rows(page)
    assert len(rows) == len(expected) == 4
    for row, call in zip(rows, expected, strict=True):
        assert call["caller_name"] in row and call["callee_name"] in row
        stamp = call["date_time"].replace("T", " ").removesuffix("Z")
        assert stamp in row
    assert f"{len(expected)} of {len(expected)} recordings, {since} to {today}" in page
    assert "next-page" not in page
    assert "Next page" not in page


def test_phone_recordings_page_through_zoom_s_next_page_token(admin_client, tenant, sandbox):
    user = active_user(tenant, sandbox)
    calls = give_phone_recordings(sandbox, user, [i * 0.1 + 0.01 for i in range(130)])
    before = route_count(sandbox, PHONE_ROUTE)

    first = admin_client.get(url("phone_recordings", user))
    next_url = first.context["next_url"]
    second = admin_client.get(url("phone_recordings", user) + next_url)

    assert route_count(sandbox, PHONE_ROUTE) == before + 2
    assert "next_page_token=" in next_url and "Next page" in first.content.decode()
    shown = [r["id"] for r in first.context["result"].items + second.context["result"].items]
    assert len(first.context["result"].items) == live.PHONE_PAGE_SIZE
    assert shown == [c["id"] for c in calls]  # each once, in Zoom's order
    assert second.context["next_url"] == ""
    assert "First page" in second.content.decode()
    assert "130 recordings" in first.content.decode()


def test_a_user_without_zoom_phone_sees_zoom_s_answer_in_words(admin_client, tenant, sandbox):
    user = active_user(tenant, sandbox)
    sandbox.state.default_account.phone_users.discard(user.zoom_id)

    response = admin_client.get(url("phone_recordings", user))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"User does not exist: {user.zoom_id}." in page
    assert "Zoom Phone licence" in page
    assert 'id="result_list"' not in page


def test_zoom_unanswered_is_said_in_words_with_what_to_do(admin_client, tenant, sandbox):
    """Zoom answering 503 (after the client's retries) shows Zoom's status in words on the page,
    not an error page, and says nothing of a change: a live view only reads."""
    user = active_user(tenant, sandbox)
    give_phone_recordings(sandbox, user, [1])
    sandbox.config.script_fault(ScriptedFault("503", count=10, path_prefix="/v2/phone/users"))

    response = admin_client.get(url("phone_recordings", user))
    sandbox.config.clear_faults()

    page = response.content.decode()
    assert response.status_code == 200
    assert "503" in page and "open the page again" in page
    assert "Zoom may have done it" not in page and "re-sync" not in page
    assert 'id="result_list"' not in page


def test_a_missing_scope_is_shown_with_the_scope_to_add(admin_client, tenant, sandbox):
    user = active_user(tenant, sandbox)
    give_phone_recordings(sandbox, user, [1])
    message = "Invalid access token, does not contain scopes:[phone:read:list_recordings:admin]."
    sandbox.config.script_fault(
        ScriptedFault("refuse", status=400, code=4711, message=message, path_prefix="/v2/phone/")
    )

    response = admin_client.get(url("phone_recordings", user))

    page = response.content.decode()
    assert response.status_code == 200
    assert "code 4711" in page and message in page
    assert "lacks the scope phone:read:list_recordings:admin" in page


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),  # to before from
        ({"from": "{month_ago}", "to": "{tomorrow}"}, "to"),  # more than one month
        ({"from": "2026-02-30", "to": "{today}"}, "from"),  # not a date
        ({"from": "{half_year_ago}", "to": "{half_year_ago}"}, "from"),  # beyond six months
        ({"from": "{today}", "to": ""}, "to"),  # Zoom requires to with from
    ],
)
def test_bad_phone_ranges_are_form_errors_and_cost_no_request(
    admin_client, tenant, sandbox, zoom_requests, query, field
):
    user = active_user(tenant, sandbox)
    today = datetime.now(UTC).date()
    days = {
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "month_ago": add_months(today, -1),
        "half_year_ago": today - timedelta(days=live.LOOKBACK_DAYS + 1),
    }
    query = {k: v.format(**{n: d.isoformat() for n, d in days.items()}) for k, v in query.items()}
    before = zoom_requests()

    response = admin_client.get(url("phone_recordings", user), query)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert zoom_requests() == before
    assert response.context["result"] is None


def test_a_pending_user_has_no_live_view_and_zoom_is_not_asked(
    admin_client, tenant, sandbox, zoom_requests
):
    # As the sync keeps a user Zoom lists without an id (users.mapping.user_key).
    pending = ZoomUser.objects.create(
        tenant=tenant,
        zoom_id=pending_key("invited@example.org"),
        status="pending",
        synced_at=timezone.now(),
    )
    before = zoom_requests()

    for name in ("phone_recordings", "chat_channels"):
        page = admin_client.get(url(name, pending)).content.decode()
        assert "invitation is accepted" in page

    assert zoom_requests() == before


# --- chat channels and messages ------------------------------------------------------------


def test_chat_channels_are_those_zoom_lists_with_links_to_their_messages(
    admin_client, tenant, sandbox
):
    account = sandbox.state.default_account
    user = active_user(tenant, sandbox)
    channels = [account.channels[c] for c in account.user_channels[user.zoom_id]]
    before = route_count(sandbox, CHANNELS_ROUTE)

    response = admin_client.get(url("chat_channels", user))

    page = response.content.decode()
    assert route_count(sandbox, CHANNELS_ROUTE) == before + 1
    rows = table_rows(page)
    assert len(rows) == len(channels)
    for row, channel in zip(rows, channels, strict=True):
        assert channel["name"] in row and channel["id"] in row
        assert live.CHANNEL_TYPES[channel["type"]] in row
        assert f"{url('chat_messages', user)}?to_channel={channel['id']}" in row


def test_chat_channels_page_through_zoom_s_next_page_token(
    admin_client, tenant, sandbox, monkeypatch
):
    monkeypatch.setattr(live, "CHANNELS_PAGE_SIZE", 2)
    account = sandbox.state.default_account
    user = active_user(tenant, sandbox)
    expected = account.user_channels[user.zoom_id]
    assert len(expected) > 2

    seen, link, pages = [], "", 0
    while True:
        response = admin_client.get(url("chat_channels", user) + link)
        seen += [c["id"] for c in response.context["result"].items]
        pages += 1
        link = response.context["next_url"]
        if not link:
            break

    assert seen == expected
    assert pages == -(-len(expected) // 2)


def test_chat_messages_of_a_channel_in_a_range_are_those_zoom_holds(admin_client, tenant, sandbox):
    account = sandbox.state.default_account
    user = active_user(tenant, sandbox)
    channel_id = account.user_channels[user.zoom_id][0]
    today = datetime.now(UTC).date()
    start = today - timedelta(days=3)
    expected = [
        m
        for m in reversed(account.channel_messages[channel_id])
        if f"{start}T00:00:00Z" <= m["date_time"] <= f"{today}T23:59:59Z"
    ]
    assert expected
    before = route_count(sandbox, MESSAGES_ROUTE)

    response = admin_client.get(
        url("chat_messages", user),
        {"to_channel": channel_id, "from": start.isoformat(), "to": today.isoformat()},
    )

    assert route_count(sandbox, MESSAGES_ROUTE) == before + 1
    rows = table_rows(response.content.decode())
    assert len(rows) == len(expected)
    for row, message in zip(rows, expected, strict=True):
        assert message["sender_display_name"] in row and message["sender"] in row
        assert message["date_time"].replace("T", " ").removesuffix("Z") in row


def test_chat_messages_with_a_contact_and_across_pages(admin_client, tenant, sandbox, monkeypatch):
    monkeypatch.setattr(live, "MESSAGES_PAGE_SIZE", 2)
    account = sandbox.state.default_account
    ids = set(ZoomUser.objects.filter(tenant=tenant).values_list("zoom_id", flat=True))
    pair, conversation = next(
        (tuple(p), m) for p, m in account.direct_messages.items() if len(m) > 2 and p <= ids
    )
    user = ZoomUser.objects.get(tenant=tenant, zoom_id=pair[0])
    contact = account.users[pair[1]]
    today = datetime.now(UTC).date()
    start = today - timedelta(days=15)

    seen, link = [], f"?to_contact={contact['email']}&from={start}&to={today}"
    while link:
        response = admin_client.get(url("chat_messages", user) + link)
        seen += [m["id"] for m in response.context["result"].items]
        link = response.context["next_url"]

    assert seen == [m["id"] for m in reversed(conversation)]


def test_chat_messages_ask_for_one_conversation_before_asking_zoom(
    admin_client, tenant, sandbox, zoom_requests
):
    user = active_user(tenant, sandbox)
    channel_id = sandbox.state.default_account.user_channels[user.zoom_id][0]
    today = datetime.now(UTC).date()
    before = zoom_requests()

    opened = admin_client.get(url("chat_messages", user))
    both = admin_client.get(
        url("chat_messages", user), {"to_channel": channel_id, "to_contact": "a@example.org"}
    )
    too_old = admin_client.get(
        url("chat_messages", user),
        {"to_channel": channel_id, "from": (today - timedelta(days=200)).isoformat()},
    )
    spaces = admin_client.get(url("chat_messages", user), {"to_contact": "a b@example.org"})

    assert zoom_requests() == before
    assert opened.status_code == 200 and not opened.context["form"].errors
    assert 'name="to_channel"' in opened.content.decode()
    assert both.context["form"].non_field_errors()
    assert "from" in too_old.context["form"].errors
    assert "to_contact" in spaces.context["form"].errors


def test_a_damaged_page_link_costs_no_request(admin_client, tenant, sandbox, zoom_requests):
    user = active_user(tenant, sandbox)
    before = zoom_requests()

    response = admin_client.get(url("chat_channels", user), {"next_page_token": "x" * 600})

    assert response.status_code == 200
    assert "page link is damaged" in response.content.decode()
    assert zoom_requests() == before


def test_chat_refusals_are_shown_in_zoom_s_words(admin_client, tenant, sandbox):
    user = active_user(tenant, sandbox)
    message = (
        "Unauthorized request. You do not have permission to access this user's chat messages."
    )
    sandbox.config.script_fault(
        ScriptedFault("refuse", status=400, code=200, message=message, path_prefix="/v2/chat/")
    )

    refused = admin_client.get(url("chat_messages", user), {"to_channel": "nosuchchannel"})
    unknown = admin_client.get(url("chat_messages", user), {"to_channel": "nosuchchannel"})
    token = admin_client.get(url("chat_channels", user), {"next_page_token": "stale"})

    assert refused.status_code == unknown.status_code == token.status_code == 200
    assert escape(message) in refused.content.decode()
    assert "Edit permission for Chat Messages" in refused.content.decode()
    assert "Channel does not exist: nosuchchannel." in unknown.content.decode()
    assert "start again from the first page" in token.content.decode()


# --- who may see them ----------------------------------------------------------------------


def test_the_user_s_page_links_to_its_live_views(admin_client, client, django_user_model, tenant):
    user = ZoomUser.objects.filter(tenant=tenant, status="active").first()
    viewer = staff_member(django_user_model, tenant, "view_zoomuser")
    client.force_login(viewer)

    for who in (admin_client, client):  # the write form, the read-only page
        page = who.get(reverse("admin:users_zoomuser_change", args=[user.pk])).content.decode()
        for name in ("phone_recordings", "chat_channels", "chat_messages"):
            assert f'href="{url(name, user)}"' in page


def test_a_staff_member_of_the_tenant_with_view_permission_sees_them(
    client, django_user_model, tenant, sandbox
):
    user = active_user(tenant, sandbox)
    give_phone_recordings(sandbox, user, [2])
    client.force_login(staff_member(django_user_model, tenant, "view_zoomuser"))

    phone = client.get(url("phone_recordings", user))
    channels = client.get(url("chat_channels", user))

    assert phone.status_code == channels.status_code == 200
    assert len(phone.context["result"].items) == 1
    assert channels.context["result"].items


def test_without_view_permission_the_views_are_refused(
    client, django_user_model, tenant, sandbox, zoom_requests
):
    user = active_user(tenant, sandbox)
    client.force_login(staff_member(django_user_model, tenant))
    before = zoom_requests()

    for name in ("phone_recordings", "chat_channels", "chat_messages"):
        assert client.get(url(name, user)).status_code == 403

    assert zoom_requests() == before


def test_another_tenant_s_user_answers_404_and_reaches_no_zoom(
    client, django_user_model, tenant, other_customer, zoom_requests
):
    other_tenant = other_customer()
    foreign = ZoomUser.objects.filter(tenant=other_tenant, status="active").first()
    client.force_login(staff_member(django_user_model, tenant, "view_zoomuser"))
    before = zoom_requests()

    for name in ("phone_recordings", "chat_channels", "chat_messages"):
        assert client.get(url(name, foreign)).status_code == 404
        assert client.get(url(name, foreign), {"to_channel": "x"}).status_code == 404

    assert zoom_requests() == before


def test_no_token_reaches_the_page(admin_client, tenant, sandbox):
    user = active_user(tenant, sandbox)
    give_phone_recordings(sandbox, user, [1])
    pages = [
        admin_client.get(url("phone_recordings", user)).content.decode(),
        admin_client.get(url("chat_channels", user)).content.decode(),
    ]

    tokens = [t for t in sandbox.state.access_tokens if len(t) > 8]
    assert tokens
    assert not [t for t in tokens for page in pages if t in page]


def test_the_default_ranges_are_what_zoom_allows():
    today = date(2026, 3, 31)
    phone = live.PhoneRecordingsForm.from_query({}, today=today)
    messages = live.ChatMessagesForm.from_query({"to_channel": "c1"}, today=today)

    assert phone.is_valid() and messages.is_valid()
    assert (phone.cleaned_data["from"], phone.cleaned_data["to"]) == (date(2026, 3, 1), today)
    assert messages.cleaned_data["from"] == today - timedelta(days=live.MESSAGES_DEFAULT_DAYS - 1)


@pytest.mark.parametrize(
    "start, last",
    [
        ("2026-03-01", "2026-03-31"),
        ("2026-01-15", "2026-02-14"),
        ("2026-01-28", "2026-02-27"),
        ("2026-01-31", "2026-02-28"),  # February has no 31st: the month ends with it
        ("2028-01-31", "2028-02-29"),  # a leap year
        ("2026-03-31", "2026-04-30"),
        ("2026-12-15", "2027-01-14"),
    ],
)
def test_a_phone_range_may_reach_the_last_day_of_the_month_from_its_start(start, last):
    assert live.month_from(date.fromisoformat(start)) == date.fromisoformat(last)
    today = date.fromisoformat(last) + timedelta(days=5)  # within Zoom's six months
    ok = live.PhoneRecordingsForm.from_query({"from": start, "to": last}, today=today)
    assert ok.is_valid(), ok.errors
    beyond = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    refused = live.PhoneRecordingsForm.from_query({"from": start, "to": beyond}, today=today)
    assert not refused.is_valid() and "to" in refused.errors
