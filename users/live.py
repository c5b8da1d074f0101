"""A user's live views: Zoom Phone recordings, Team Chat channels and chat messages.

Fetched from Zoom when the page opens, one page at a time, never stored
(``zoomadmin.records.live``). What Zoom publishes and these forms check before asking, so
that bad input costs no request:

- "Get user's recordings" (Phone API, ``GET /phone/users/{userId}/recordings``, scope
  ``phone:read:list_recordings:admin``): ``from`` and ``to`` "should be a month as the
  response only includes one month's worth of data at once. The month defined should fall
  within the last six months"; ``to`` is "Required only when the ``from`` parameter is
  specified"; ``page_size`` at most 300, though an answer holds at most 100 recordings.
  Prerequisites: "A Business or Enterprise account", "A Zoom Phone license".
- "List user's channels" (Team Chat API, ``GET /chat/users/{userId}/channels``, scope
  ``team_chat:read:list_user_channels:admin``): ``page_size`` at most 1000.
- "List user's chat messages" (``GET /chat/users/{userId}/messages``, scope
  ``team_chat:read:list_user_messages:admin``): "You must provide either the ``to_contact`` or
  the ``to_channel`` query parameter"; ``from``/``to`` in ``yyyy-MM-dd'T'HH:mm:ss'Z'``; Zoom
  refuses anything older than six months ("Only provide past chat messages in recent 6
  months"); ``page_size`` at most 50.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone

from users.mapping import PENDING_PREFIX
from users.models import ZoomUser
from zoomadmin.records.live import LiveForm, LivePage
from zoomadmin.zoom.client import ZoomClient, add_months

PHONE_SCOPE = "phone:read:list_recordings:admin"
CHANNELS_SCOPE = "team_chat:read:list_user_channels:admin"
MESSAGES_SCOPE = "team_chat:read:list_user_messages:admin"

# Rows per page: a page a person reads, within each listing's maximum (phone: 300 asked, at
# most 100 answered; channels: 1000; messages: 50).
PHONE_PAGE_SIZE = 100
CHANNELS_PAGE_SIZE = 100
MESSAGES_PAGE_SIZE = 50
# Zoom serves phone recordings and chat messages of the last six months; counted short (180
# days, not the calendar's 181 to 184) so that Zoom's own count never refuses a day offered.
LOOKBACK_DAYS = 180
# What the chat messages page shows when opened without a range: the last week.
MESSAGES_DEFAULT_DAYS = 7

# Zoom's codes that a hint makes plain (the Phone and Team Chat API descriptions).
PHONE_HINTS = {
    1001: "Zoom Phone knows only users with a Zoom Phone licence (on a Business or Enterprise "
    "account): this user has none, or is no longer in Zoom.",
    2001: "Zoom Phone is not part of this Zoom account.",  # "Account does not exist."
    2031: "Zoom Phone is not enabled for this Zoom account.",  # other Phone endpoints' code
}
MESSAGES_HINTS = {
    200: "For an account-level app, Zoom shows chat messages only on behalf of a user whose "
    "role has the Edit permission for Chat Messages.",
    1001: "Zoom knows no contact of that e-mail address or ID.",
    4130: "This user is not a member of that channel (see the user's chat channels).",
}
# "type" of "List user's channels".
CHANNEL_TYPES = {
    0: "Unknown",
    1: "Private",
    2: "Private, members of this account only",
    3: "Public",
    4: "Instant (group chat)",
    5: "Public, open to other accounts",
}

_CONVERSATION_ID = RegexValidator(
    r"^[A-Za-z0-9._@+=-]+$", "An e-mail address or a Zoom ID has no spaces or slashes."
)


def today() -> date:
    """Zoom's dates are UTC days."""
    return timezone.now().astimezone(UTC).date()


def unavailable(user: ZoomUser) -> str:
    """Why Zoom cannot be asked about ``user`` at all ("" when it can)."""
    if user.zoom_id.startswith(PENDING_PREFIX):
        return (
            "Zoom gives a pending user an ID only once the invitation is accepted; until then "
            "the user has no phone recordings or chats."
        )
    return ""


class _DateRangeForm(LiveForm):
    """``from`` and ``to`` (Zoom's names), UTC days, both included."""

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        day = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(label="From (UTC day)", widget=day)
        self.fields["to"] = forms.DateField(label="To (UTC day, included)", widget=day)
        self.order_fields(["to_channel", "to_contact", "from", "to"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        earliest = self.today - timedelta(days=LOOKBACK_DAYS)
        if start and start < earliest:
            self.add_error(
                "from", f"Zoom keeps the last six months: {earliest:%Y-%m-%d} at the earliest."
            )
        if start and end and end < start:
            self.add_error("to", "To comes before From.")
        return data


def month_from(start: date) -> date:
    """The last day of the month that begins on ``start`` (Mar 1 -> Mar 31, Jan 15 -> Feb 14;
    where the next month is too short for the day, its last day: Jan 31 -> Feb 28, Mar 31 ->
    Apr 30): the longest range Zoom answers phone recordings for."""
    same_day = add_months(start, 1)
    if same_day.day < start.day:  # clamped: no such day next month
        return same_day
    return same_day - timedelta(days=1)


class PhoneRecordingsForm(_DateRangeForm):
    def default(self, name: str) -> str:
        if name == "from":  # the month that ends today
            return (add_months(self.today, -1) + timedelta(days=1)).isoformat()
        if name == "to":
            return self.today.isoformat()
        return ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end and end > month_from(start) and "to" not in self.errors:
            self.add_error(
                "to",
                "Zoom answers one month at a time: with this From, "
                f"{month_from(start):%Y-%m-%d} at the latest.",
            )
        return data

    def fetch_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"from_": data["from"], "to": data["to"], "next_page_token": data["next_page_token"]}


class ChatMessagesForm(_DateRangeForm):
    to_channel = forms.CharField(
        label="Channel ID",
        required=False,
        max_length=128,
        validators=[_CONVERSATION_ID],
        help_text="From the user's chat channels.",
    )
    to_contact = forms.CharField(
        label="Contact",
        required=False,
        max_length=128,
        validators=[_CONVERSATION_ID],
        help_text="The e-mail address or Zoom user ID of the person chatted with.",
    )

    def default(self, name: str) -> str:
        if name == "from":
            return (self.today - timedelta(days=MESSAGES_DEFAULT_DAYS - 1)).isoformat()
        if name == "to":
            return self.today.isoformat()
        return ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        channel, contact = data.get("to_channel"), data.get("to_contact")
        if bool(channel) == bool(contact) and not {"to_channel", "to_contact"} & set(self.errors):
            self.add_error(
                None,
                "Give a channel or a contact, one of them: Zoom lists the messages of one "
                "conversation at a time.",
            )
        return data

    def fetch_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "to_channel": data["to_channel"] or None,
            "to_contact": data["to_contact"] or None,
            "from_": data["from"],
            "to": data["to"],
            "next_page_token": data["next_page_token"],
        }


def phone_recordings_fetch(
    *, client: ZoomClient, user: ZoomUser, from_: date, to: date, next_page_token: str = ""
) -> LivePage:
    """One page of the user's Zoom Phone recordings between two UTC days."""
    answer = client.phone_recordings_page(
        user.zoom_id,
        from_=from_,
        to=to,
        page_size=PHONE_PAGE_SIZE,
        next_page_token=next_page_token,
    )
    page = LivePage.from_answer(
        answer, "recordings", covered=(_day(answer.get("from"), from_), _day(answer.get("to"), to))
    )
    for item in page.items:
        item["when"] = _moment(item.get("date_time"))
        item["length"] = _length(item.get("duration"))
    return page


def chat_channels_fetch(
    *, client: ZoomClient, user: ZoomUser, next_page_token: str = ""
) -> LivePage:
    """One page of the Team Chat channels the user is a member of."""
    answer = client.user_channels_page(
        user.zoom_id, page_size=CHANNELS_PAGE_SIZE, next_page_token=next_page_token
    )
    page = LivePage.from_answer(answer, "channels")
    for item in page.items:
        item["type_name"] = CHANNEL_TYPES.get(item.get("type"), str(item.get("type", "")))
    return page


def chat_messages_fetch(
    *,
    client: ZoomClient,
    user: ZoomUser,
    to_channel: str | None,
    to_contact: str | None,
    from_: date,
    to: date,
    next_page_token: str = "",
) -> LivePage:
    """One page of the user's chat messages in one channel or with one contact, between the
    start of ``from_`` and the end of ``to`` (UTC)."""
    answer = client.user_chat_messages_page(
        user.zoom_id,
        to_channel=to_channel,
        to_contact=to_contact,
        from_=datetime.combine(from_, time.min, tzinfo=UTC),
        to=datetime.combine(to, time(23, 59, 59), tzinfo=UTC),
        page_size=MESSAGES_PAGE_SIZE,
        next_page_token=next_page_token,
    )
    page = LivePage.from_answer(answer, "messages")
    for item in page.items:
        item["when"] = _moment(item.get("date_time"))
        # A file's download_url may carry a token (``jwt=``): only names and sizes are shown.
        item["file_list"] = [
            {"name": f.get("file_name", ""), "size": f.get("file_size")}
            for f in item.get("files") or ()
        ] or (
            [{"name": item["file_name"], "size": item.get("file_size")}]
            if item.get("file_name")
            else []
        )
    return page


def _day(value: Any, default: date) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return default


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _length(seconds: Any) -> str:
    if not isinstance(seconds, int):
        return ""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}:{rest:02d}"
