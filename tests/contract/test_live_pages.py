"""The live views' page-at-a-time calls (``ZoomClient.*_page``), each exchange held to Zoom's
published description by the ``zoom`` fixture (see ``conftest.py``): the page sizes the live
views ask for, the ``next_page_token`` they carry back, and the refusals they show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from users.live import CHANNELS_PAGE_SIZE, MESSAGES_PAGE_SIZE, PHONE_PAGE_SIZE
from zoomadmin.sandbox import records
from zoomadmin.sandbox.state import Account
from zoomadmin.zoom.client import ZoomClient
from zoomadmin.zoom.errors import ZoomNotFound


def test_phone_recording_pages_match_the_description(zoom: ZoomClient, account: Account) -> None:
    user_id = next(iter(account.phone_users))
    now = datetime.now(UTC)
    account.phone_recordings[user_id] = [
        records.make_phone_recording(
            recording_id=f"{n:032x}",
            user=account.users[user_id],
            other_name="Ada Lovelace",
            other_number="+14155550123",
            inbound=n % 2 == 0,
            when=(now - timedelta(hours=n + 1)).timestamp(),
            seconds=30,
        )
        for n in range(PHONE_PAGE_SIZE + 5)
    ]
    today = now.date()

    first = zoom.phone_recordings_page(
        user_id, from_=today - timedelta(days=20), to=today, page_size=PHONE_PAGE_SIZE
    )
    second = zoom.phone_recordings_page(
        user_id,
        from_=today - timedelta(days=20),
        to=today,
        page_size=PHONE_PAGE_SIZE,
        next_page_token=first["next_page_token"],
    )

    assert len(first["recordings"]) == PHONE_PAGE_SIZE and first["next_page_token"]
    assert len(second["recordings"]) == 5 and second["next_page_token"] == ""


def test_a_user_without_zoom_phone_is_refused_as_described(
    zoom: ZoomClient, account: Account
) -> None:
    without = next(
        u for u, user in account.users.items() if u not in account.phone_users and user["id"]
    )

    with pytest.raises(ZoomNotFound) as refused:
        zoom.phone_recordings_page(without, page_size=PHONE_PAGE_SIZE)

    assert refused.value.code == 1001


def test_chat_pages_match_the_description(zoom: ZoomClient, account: Account) -> None:
    user_id, channel_ids = next(iter(account.user_channels.items()))
    now = datetime.now(UTC)

    channels = zoom.user_channels_page(user_id, page_size=CHANNELS_PAGE_SIZE)
    small = zoom.user_channels_page(user_id, page_size=1)
    following = zoom.user_channels_page(
        user_id, page_size=1, next_page_token=small["next_page_token"]
    )
    messages = zoom.user_chat_messages_page(
        user_id,
        to_channel=channel_ids[0],
        from_=now - timedelta(days=14),
        to=now,
        page_size=MESSAGES_PAGE_SIZE,
    )

    assert [c["id"] for c in channels["channels"]] == channel_ids
    assert following["channels"][0]["id"] == channel_ids[1]
    assert messages["messages"]
