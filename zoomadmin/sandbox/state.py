"""The sandbox's memory: Zoom accounts and their data, the OAuth app, tokens, cursors and stats.

Records are kept in the shape Zoom's API returns them ("Get a user", "Get a meeting", ...), so a
handler answers with a projection of what it stores; `records.py` builds them. One re-entrant
lock (`state.lock`) guards everything: handlers run under it, which keeps every request atomic and
the code simple, and the work done under it is a few dictionary operations.

Changes are announced to `state.listeners` as `(event_name, account_id, payload)`, where the
payload is what Zoom puts under `payload` in a webhook (`account_id`, `operator`, `object`, ...).
Listeners run with the lock held: they must return quickly and must not call back into the state.
"""

from __future__ import annotations

import logging
import math
import random
import secrets
import string
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_CLIENT_ID = "sandbox-client-id"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"
# Classic scopes of an account-level (admin-managed) app that may do everything SPEC §7 lists.
DEFAULT_SCOPES = (
    "user:read:admin user:write:admin meeting:read:admin meeting:write:admin "
    "webinar:read:admin webinar:write:admin recording:read:admin recording:write:admin "
    "report:read:admin phone:read:admin chat_channel:read:admin chat_message:read:admin"
)

Listener = Callable[[str, str, dict[str, Any]], None]

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


# --- OAuth ---------------------------------------------------------------------------------


@dataclass(slots=True)
class OAuthApp:
    client_id: str
    client_secret: str
    scope: str = DEFAULT_SCOPES


@dataclass(slots=True)
class AuthorizationCode:
    client_id: str
    account_id: str
    user_id: str
    redirect_uri: str
    expires_at: float
    code_challenge: str = ""
    code_challenge_method: str = ""


@dataclass(slots=True)
class Grant:
    """One authorization of the app by a user (authorization_code flow), with its refresh token."""

    id: int
    client_id: str
    account_id: str
    user_id: str
    scope: str
    refresh_token: str


@dataclass(slots=True)
class AccessToken:
    client_id: str
    account_id: str
    # The consenting user; for Server-to-Server tokens, the account owner (what `me` means).
    user_id: str
    scope: str
    expires_at: float
    grant_id: int | None = None  # None for account_credentials (no refresh token)


@dataclass(slots=True)
class PageCursor:
    """What a `next_page_token` stands for: where the next page starts in which listing."""

    listing: tuple
    offset: int
    expires_at: float


# --- Accounts ------------------------------------------------------------------------------


@dataclass
class Account:
    """One Zoom account and everything in it, with the indexes the API needs."""

    id: str
    number: int
    name: str
    domain: str
    owner_id: str = ""
    users: dict[str, dict] = field(default_factory=dict)  # id -> "Get a user" shape
    emails: dict[str, str] = field(default_factory=dict)  # lower-case email -> user id
    phone_users: set[str] = field(default_factory=set)  # users with a Zoom Phone licence
    # Licensed users with the webinar add-on; any other user's webinars are refused (code 200).
    webinar_users: set[str] = field(default_factory=set)
    # Pending users whose invitation expired: no longer listed, and "Get a user" answers 400
    # code 1120 (Users OpenAPI, GET /users/{userId}).
    expired_invitations: set[str] = field(default_factory=set)
    # Meetings and webinars share Zoom's id space; both live in `meetings`, told apart by type.
    meetings: dict[int, dict] = field(default_factory=dict)
    meetings_by_host: dict[str, dict[int, None]] = field(default_factory=dict)
    deleted_meetings: dict[int, dict] = field(default_factory=dict)  # for action "recover"
    registrants: dict[int, dict[str, dict]] = field(default_factory=dict)  # meeting id -> id -> r.
    recordings: dict[int, dict] = field(default_factory=dict)  # meeting id -> latest instance
    recordings_by_uuid: dict[str, int] = field(default_factory=dict)
    recordings_by_host: dict[str, dict[int, None]] = field(default_factory=dict)
    trashed_recordings: dict[int, dict] = field(default_factory=dict)
    # Webinar id -> its ended instances, oldest first ("List past webinar instances": uuid,
    # start_time), each with the "participants" of "List webinar participants".
    webinar_instances: dict[int, list[dict]] = field(default_factory=dict)
    phone_recordings: dict[str, list[dict]] = field(default_factory=dict)  # user id -> newest first
    channels: dict[str, dict] = field(default_factory=dict)
    user_channels: dict[str, list[str]] = field(default_factory=dict)
    channel_messages: dict[str, list[dict]] = field(default_factory=dict)  # oldest first
    direct_messages: dict[frozenset[str], list[dict]] = field(default_factory=dict)

    # Users

    def add_user(self, user: dict) -> None:
        self.users[user["id"]] = user
        self.emails[user["email"].lower()] = user["id"]

    def find_user(self, key: str) -> dict | None:
        """A user by id or email, as Zoom's `{userId}` path parameter accepts both."""
        user = self.users.get(key)
        if user is None and "@" in key:
            user_id = self.emails.get(key.lower())
            user = self.users.get(user_id) if user_id else None
        return user

    def remove_user(self, user_id: str) -> dict:
        user = self.users.pop(user_id)
        self.emails.pop(user["email"].lower(), None)
        self.phone_users.discard(user_id)
        return user

    # Meetings and webinars

    def add_meeting(self, meeting: dict) -> None:
        self.meetings[meeting["id"]] = meeting
        self.meetings_by_host.setdefault(meeting["host_id"], {})[meeting["id"]] = None

    def remove_meeting(self, meeting_id: int) -> dict:
        meeting = self.meetings.pop(meeting_id)
        self.meetings_by_host.get(meeting["host_id"], {}).pop(meeting_id, None)
        return meeting

    def meetings_of(self, host_id: str) -> list[dict]:
        return [self.meetings[mid] for mid in self.meetings_by_host.get(host_id, ())]

    def move_meeting(self, meeting_id: int, new_host: dict) -> None:
        meeting = self.remove_meeting(meeting_id)
        meeting["host_id"] = new_host["id"]
        meeting["host_email"] = new_host["email"]
        self.add_meeting(meeting)

    # Cloud recordings

    def add_recording(self, recording: dict) -> None:
        meeting_id = recording["id"]
        self.recordings[meeting_id] = recording
        self.recordings_by_uuid[recording["uuid"]] = meeting_id
        self.recordings_by_host.setdefault(recording["host_id"], {})[meeting_id] = None

    def remove_recording(self, meeting_id: int) -> dict:
        recording = self.recordings.pop(meeting_id)
        self.recordings_by_uuid.pop(recording["uuid"], None)
        self.recordings_by_host.get(recording["host_id"], {}).pop(meeting_id, None)
        return recording

    def move_recording(self, meeting_id: int, new_host: dict) -> None:
        recording = self.remove_recording(meeting_id)
        recording["host_id"] = new_host["id"]
        self.add_recording(recording)

    def recordings_of(self, host_id: str) -> list[dict]:
        return [self.recordings[mid] for mid in self.recordings_by_host.get(host_id, ())]

    # Past webinar instances

    def add_webinar_instance(
        self, webinar_id: int, *, uuid: str, start_time: str, participants: list[dict]
    ) -> dict:
        """Record that an instance of the webinar took place and ended (a test, the seed)."""
        instance = {"uuid": uuid, "start_time": start_time, "participants": participants}
        held = self.webinar_instances.setdefault(webinar_id, [])
        held.append(instance)
        held.sort(key=lambda i: i["start_time"])
        return instance

    def webinar_instance(self, key: str) -> dict | None:
        """An ended instance by its UUID, or a webinar's latest by the webinar's ID."""
        if key.isdigit():
            held = self.webinar_instances.get(int(key))
            return held[-1] if held else None
        return next(
            (i for held in self.webinar_instances.values() for i in held if i["uuid"] == key),
            None,
        )

    def counts(self) -> dict[str, int]:
        kinds = Counter(
            "webinar" if m["type"] in (5, 6, 9) else "meeting" for m in self.meetings.values()
        )
        return {
            "users": len(self.users),
            "meetings": kinds["meeting"],
            "webinars": kinds["webinar"],
            "registrants": sum(len(r) for r in self.registrants.values()),
            "recordings": len(self.recordings),
            "webinar_participants": sum(
                len(i["participants"]) for held in self.webinar_instances.values() for i in held
            ),
            "phone_recordings": sum(len(r) for r in self.phone_recordings.values()),
            "channels": len(self.channels),
            "chat_messages": sum(len(m) for m in self.channel_messages.values())
            + sum(len(m) for m in self.direct_messages.values()),
        }


# --- Stats and limits ----------------------------------------------------------------------


@dataclass
class Stats:
    """What the sandbox has seen, for tests and benchmarks (`/_sandbox/stats`)."""

    requests_total: int = 0
    requests_by_account: Counter = field(default_factory=Counter)
    requests_by_route: Counter = field(default_factory=Counter)  # "GET /v2/users/{userId}"
    responses_by_status: Counter = field(default_factory=Counter)
    tokens_issued: Counter = field(default_factory=Counter)  # by grant type
    token_refreshes: int = 0
    refresh_token_reuses: int = 0  # a previously rotated refresh token came back
    rate_limited: int = 0  # 429s sent, whatever the reason
    faults_injected: Counter = field(default_factory=Counter)
    webhooks_sent: int = 0  # deliveries tried, retries included
    webhook_answers: Counter = field(default_factory=Counter)  # by status ("None": no answer)
    webhooks_dropped: int = 0  # given up after Zoom's three retries
    # Every request to a download URL or to the storage it redirects to (sandbox.downloads):
    # {"host", "path", "query", "authorization" (sent or not), "status"}, the last 1,000.
    download_requests: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests_total": self.requests_total,
            "requests_by_account": dict(self.requests_by_account),
            "requests_by_route": dict(self.requests_by_route),
            "responses_by_status": {str(k): v for k, v in self.responses_by_status.items()},
            "tokens_issued": dict(self.tokens_issued),
            "token_refreshes": self.token_refreshes,
            "refresh_token_reuses": self.refresh_token_reuses,
            "rate_limited": self.rate_limited,
            "faults_injected": dict(self.faults_injected),
            "webhooks_sent": self.webhooks_sent,
            "webhook_answers": dict(self.webhook_answers),
            "webhooks_dropped": self.webhooks_dropped,
            "download_requests": list(self.download_requests),
        }


class AccountLimits:
    """Per-account request budgets: a token bucket (burst = rate) and a per-UTC-day count."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # account -> (tokens, updated_at)
        self._daily: Counter = Counter()  # (account, day) -> requests

    def take(self, account_id: str, rate: float, now: float) -> float:
        """Spend one token; returns 0.0, or the seconds until a token will be available."""
        tokens, updated_at = self._buckets.get(account_id, (rate, now))
        tokens = min(rate, tokens + (now - updated_at) * rate)
        if tokens < 1.0:
            self._buckets[account_id] = (tokens, now)
            return (1.0 - tokens) / rate
        self._buckets[account_id] = (tokens - 1.0, now)
        return 0.0

    def count_day(self, account_id: str, day: int) -> int:
        """Count one request on UTC day `day` (days since the epoch); returns the day's total."""
        key = (account_id, day)
        self._daily[key] += 1
        return self._daily[key]


# --- The state -----------------------------------------------------------------------------


class SandboxState:
    """All sandbox data. Create it empty, then seed accounts with `generator.seed_account`."""

    def __init__(self, *, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.listeners: list[Listener] = []
        self._seed = seed
        self._init_data()

    def _init_data(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.apps: dict[str, OAuthApp] = {
            DEFAULT_CLIENT_ID: OAuthApp(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        }
        self.codes: dict[str, AuthorizationCode] = {}
        self.grants: dict[int, Grant] = {}
        self.refresh_tokens: dict[str, int] = {}  # current refresh token -> grant id
        self.rotated_refresh_tokens: dict[str, int] = {}  # spent refresh token -> grant id
        self.access_tokens: dict[str, AccessToken] = {}
        self.cursors: dict[str, PageCursor] = {}
        self.meeting_ids: set[int] = set()  # Zoom meeting/webinar ids are unique across accounts
        self.meeting_writes: Counter = Counter()  # (host id, UTC day) -> creates and updates
        self.limits = AccountLimits()
        self.stats = Stats()
        # Signs the storage URLs that recording downloads redirect to (sandbox.downloads).
        self.download_secret = secrets.token_bytes(32)
        # Ids of objects created through the API; seeded so a scripted test run repeats itself.
        self.rng = random.Random(self._seed)
        self._next_grant_id = 1

    def reset(self) -> None:
        """Forget every account, token and count; listeners stay registered."""
        with self.lock:
            self._init_data()

    @staticmethod
    def now() -> float:
        return time.time()

    @property
    def default_account(self) -> Account | None:
        """The first account seeded: the one the OAuth consent screen picks by default."""
        return next(iter(self.accounts.values()), None)

    def add_account(self, account: Account) -> None:
        if account.id in self.accounts:
            raise ValueError(f"account {account.id} exists")
        self.accounts[account.id] = account

    # --- events ----------------------------------------------------------------------------

    def emit(self, event: str, account_id: str, payload: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(event, account_id, payload)
            except Exception:
                # A broken listener must not turn a successful API call into a 500.
                logger.exception("sandbox listener failed on %s", event)

    # --- ids -------------------------------------------------------------------------------

    def new_id(self, length: int = 22, rng: random.Random | None = None) -> str:
        """A Zoom-looking opaque id (users, registrants, channels)."""
        rng = rng or self.rng
        return "".join(rng.choices(_ID_ALPHABET, k=length))

    def new_meeting_id(self, rng: random.Random | None = None) -> int:
        rng = rng or self.rng
        while True:
            meeting_id = rng.randrange(81_000_000_000, 99_999_999_999)
            if meeting_id not in self.meeting_ids:
                self.meeting_ids.add(meeting_id)
                return meeting_id

    # --- OAuth tokens ----------------------------------------------------------------------

    def issue_tokens(
        self,
        *,
        account_id: str | None = None,
        user_id: str = "",
        client_id: str = DEFAULT_CLIENT_ID,
        with_refresh_token: bool = True,
        grant: Grant | None = None,
        ttl: int = 3600,
    ) -> dict[str, Any]:
        """Mint an access token (and, for user flows, a new refresh token for `grant`).

        Returns Zoom's token response fields except `api_url`, which only the server knows.
        Tests may call it directly for a token without the OAuth dance; the account defaults
        to the first one, the user to its owner.
        """
        account = self.accounts[account_id] if account_id else self.default_account
        if account is None:
            raise LookupError("the sandbox has no account: seed one first")
        account_id = account.id
        user_id = user_id or account.owner_id
        scope = self.apps[client_id].scope if client_id in self.apps else DEFAULT_SCOPES
        response: dict[str, Any] = {"token_type": "bearer", "expires_in": ttl, "scope": scope}
        if with_refresh_token:
            if grant is None:
                grant = Grant(self._next_grant_id, client_id, account_id, user_id, scope, "")
                self._next_grant_id += 1
                self.grants[grant.id] = grant
            if grant.refresh_token:
                del self.refresh_tokens[grant.refresh_token]
                self.rotated_refresh_tokens[grant.refresh_token] = grant.id
            grant.refresh_token = secrets.token_urlsafe(48)
            self.refresh_tokens[grant.refresh_token] = grant.id
            response["refresh_token"] = grant.refresh_token
        if len(self.access_tokens) > 10_000:
            now = self.now()
            self.access_tokens = {t: a for t, a in self.access_tokens.items() if a.expires_at > now}
        access_token = secrets.token_urlsafe(48)
        self.access_tokens[access_token] = AccessToken(
            client_id=client_id,
            account_id=account_id,
            user_id=grant.user_id if grant else user_id,
            scope=scope,
            expires_at=self.now() + ttl,
            grant_id=grant.id if grant else None,
        )
        response["access_token"] = access_token
        return response

    def revoke_grant(self, grant_id: int) -> None:
        grant = self.grants.pop(grant_id, None)
        if grant is None:
            return
        self.refresh_tokens.pop(grant.refresh_token, None)
        for token, access in list(self.access_tokens.items()):
            if access.grant_id == grant_id:
                del self.access_tokens[token]

    def expire_access_tokens(self, account_id: str | None = None) -> int:
        """Make access tokens (all, or one account's) expired now; returns how many."""
        expired = 0
        now = self.now()
        for access in self.access_tokens.values():
            if account_id is None or access.account_id == account_id:
                access.expires_at = min(access.expires_at, now - 1)
                expired += 1
        return expired

    def deauthorize(self, account_id: str, client_id: str = DEFAULT_CLIENT_ID) -> None:
        """The account uninstalled the app: every grant and token dies; `app_deauthorized` fires."""
        for grant in [g for g in self.grants.values() if g.account_id == account_id]:
            if grant.client_id == client_id:
                self.revoke_grant(grant.id)
        for token, access in list(self.access_tokens.items()):
            if access.account_id == account_id and access.client_id == client_id:
                del self.access_tokens[token]
        account = self.accounts[account_id]
        self.emit(
            "app_deauthorized",
            account_id,
            {
                "account_id": account_id,
                "user_id": account.owner_id,
                "signature": secrets.token_hex(32),
                "deauthorization_time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "client_id": client_id,
                "event_ts": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            },
        )

    # --- pagination ------------------------------------------------------------------------

    def open_cursor(self, listing: tuple, offset: int, ttl: float) -> str:
        now = self.now()
        if len(self.cursors) > 50_000:
            self.cursors = {t: c for t, c in self.cursors.items() if c.expires_at > now}
        token = secrets.token_urlsafe(24)
        self.cursors[token] = PageCursor(listing, offset, now + ttl)
        return token

    def cursor_offset(self, token: str, listing: tuple) -> int | None:
        """Where `token` continues `listing`; None for an unknown, expired or foreign token."""
        cursor = self.cursors.get(token)
        if cursor is None or cursor.listing != listing or cursor.expires_at < self.now():
            return None
        return cursor.offset

    # --- per-user meeting cap --------------------------------------------------------------

    def count_meeting_write(self, host_id: str, cap: int) -> bool:
        """Count a meeting/webinar create or update by `host_id`; False once the day's cap is hit."""
        key = (host_id, utc_day(self.now()))
        if cap and self.meeting_writes[key] >= cap:
            return False
        self.meeting_writes[key] += 1
        return True


def utc_day(timestamp: float) -> int:
    return math.floor(timestamp / 86_400)
