"""Deterministic, realistic data for a sandbox Zoom account.

`seed_account(state, users=500, seed=1)` fills one account with users (owner, a few admins,
members; licensed and basic; mostly active, some inactive and pending), their scheduled and
recurring meetings spread over the past and next six months, webinars of licensed users,
registrants where registration is on, cloud recordings of recent past meetings, past webinar
participants, Zoom Phone recordings and Team Chat channels and messages.

The same seed, the same anchor day and the same prior state give the same data, ids included.
Times are relative to `anchor` (default: today, 00:00 UTC), so data seeded today is identical
all day. Seeding 2,000 users with 10 meetings each takes a second or two: everything is built
with plain dictionaries and one `random.Random`.
"""

from __future__ import annotations

import base64
import random
import time
from typing import Any

from . import records
from .state import Account, SandboxState, utc_day

DAY = 86_400

FIRST_NAMES = (
    "Ada Alan Alice Amara Ana Andre Anya Ari Beatriz Ben Carla Carlos Chen Chloe Dana Daniel "
    "David Diego Elena Emma Eric Farah Felix Fatima Grace Hana Hugo Ines Isaac Ivan Jada James "
    "Jin Jonas Julia Kai Kenji Lara Leo Lina Lucas Maya Mei Mia Miguel Nadia Nina Noah Olga "
    "Omar Paula Priya Rafael Rosa Sami Sara Sofia Tariq Theo Uma Victor Yara Yusuf Zoe"
).split()
LAST_NAMES = (
    "Abe Adams Ahmed Alvarez Baker Becker Brown Chen Cohen Costa Dubois Eriksen Fischer Garcia "
    "Gupta Hansen Haddad Ito Jansen Johnson Kim Kowalski Kumar Larsen Lee Lopez Martin Meyer "
    "Moreau Muller Nakamura Nguyen Novak Okafor Olsen Park Patel Perez Petrov Popescu Rossi "
    "Santos Sato Schmidt Silva Singh Smith Suzuki Tanaka Taylor Torres Wagner Walker Wang "
    "Weber Williams Wilson Yamamoto Young Zhang"
).split()
DEPARTMENTS = {
    "Engineering": ("Software Engineer", "Senior Engineer", "Engineering Manager", "SRE"),
    "Sales": ("Account Executive", "Sales Engineer", "Sales Manager"),
    "Marketing": ("Marketing Manager", "Content Strategist", "Designer"),
    "Support": ("Support Engineer", "Support Lead"),
    "Finance": ("Accountant", "Controller", "Financial Analyst"),
    "HR": ("HR Partner", "Recruiter"),
    "Operations": ("Operations Manager", "Office Manager"),
    "Legal": ("Counsel", "Paralegal"),
    "Product": ("Product Manager", "UX Researcher"),
}
TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)
COMPANIES = (
    "Northwind Traders",
    "Contoso",
    "Fabrikam",
    "Tailspin Toys",
    "Wide World Importers",
    "Adventure Works",
    "Litware",
    "Proseware",
    "Woodgrove Bank",
    "Fourth Coffee",
)
CODENAMES = "Atlas Borealis Cobalt Delta Ember Falcon Granite Helix Iris Juniper Kestrel".split()
TOPICS = (
    "{dept} weekly sync",
    "{dept} all-hands",
    "1:1 {first} / {other}",
    "Project {codename} kickoff",
    "Project {codename} status",
    "Customer call: {company}",
    "Interview: {job}",
    "Quarterly planning",
    "Design review: {codename}",
    "Sprint retrospective",
    "Office hours",
)
WEBINAR_TOPICS = (
    "Product launch: {codename}",
    "{company} customer webinar",
    "Getting started with {codename}",
    "Quarterly town hall",
)
MESSAGES = (
    "Morning all!",
    "Can someone review my PR?",
    "Notes from today's call are in the doc.",
    "Moving the sync to 3pm.",
    "Thanks, that fixed it.",
    "Who owns the {codename} launch checklist?",
    "Reminder: timesheets due Friday.",
    "Great demo today 🎉",
    "I'm out tomorrow, ping me on mobile if urgent.",
    "Link to the recording?",
)
EXTERNAL_DOMAINS = ("example.org", "example.net", "mail.example.com")


def seed_account(
    state: SandboxState,
    *,
    account_id: str | None = None,
    name: str | None = None,
    users: int = 50,
    meetings_per_user: int = 10,
    webinars_per_licensed_user: int = 1,
    registrant_ratio: float = 0.2,
    recording_ratio: float = 0.1,
    inactive_ratio: float = 0.05,
    pending_ratio: float = 0.03,
    seed: int = 1,
    anchor: float | None = None,
) -> Account:
    """Create and fill one account; returns it. The first user is the owner (an admin)."""
    with state.lock:
        rng = random.Random(f"zoomadmin-sandbox:{seed}:{account_id}:{len(state.accounts)}")
        builder = _AccountBuilder(state, rng, anchor=anchor)
        account = builder.account(account_id, name)
        state.add_account(account)
        builder.users(account, users, inactive_ratio=inactive_ratio, pending_ratio=pending_ratio)
        builder.meetings(account, meetings_per_user, registrant_ratio, recording_ratio)
        builder.webinars(account, webinars_per_licensed_user, registrant_ratio)
        builder.phone(account)
        builder.chat(account)
        return account


class _AccountBuilder:
    """The steps of `seed_account`, sharing one RNG and one clock."""

    def __init__(self, state: SandboxState, rng: random.Random, *, anchor: float | None) -> None:
        self.state = state
        self.rng = rng
        # "Now" for the data is the anchor itself, so the data does not depend on the hour.
        self.anchor = self.now = anchor if anchor is not None else utc_day(time.time()) * DAY

    # --- helpers ---------------------------------------------------------------------------

    def new_id(self, length: int = 22) -> str:
        return self.state.new_id(length, self.rng)

    def new_uuid(self) -> str:
        # Zoom meeting UUIDs are base64 of 16 bytes; some start with "/" or contain "//", which
        # is what forces clients to double-encode them in paths.
        return base64.b64encode(self.rng.randbytes(16)).decode()

    def file_id(self) -> str:
        hex_id = self.rng.randbytes(16).hex()
        return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"

    def password(self) -> str:
        return "".join(self.rng.choices("abcdefghjkmnpqrstuvwxyz23456789", k=8))

    def topic_words(self, account: Account, host: dict) -> dict[str, str]:
        return {
            "dept": host["dept"] or "Team",
            "first": host["first_name"],
            "other": self.rng.choice(FIRST_NAMES),
            "codename": self.rng.choice(CODENAMES),
            "company": self.rng.choice([c for c in COMPANIES if c != account.name]),
            "job": self.rng.choice(DEPARTMENTS.get(host["dept"], ("Engineer",))),
        }

    def slot(self, low_days: int, high_days: int) -> float:
        """A start time on a quarter hour between `low_days` and `high_days` from the anchor."""
        day = self.rng.randrange(low_days, high_days)
        minute = self.rng.randrange(8 * 4, 18 * 4) * 15  # office hours, UTC
        return self.anchor + day * DAY + minute * 60

    # --- steps -----------------------------------------------------------------------------

    def account(self, account_id: str | None, name: str | None) -> Account:
        name = name or self.rng.choice(COMPANIES)
        slug = "".join(ch for ch in name.lower() if ch.isalnum())
        domains = {a.domain for a in self.state.accounts.values()}
        domain, n = f"{slug}.example.com", 1
        while domain in domains:
            n += 1
            domain = f"{slug}{n}.example.com"
        return Account(
            id=account_id or self.new_id(),
            number=self.rng.randrange(10_000_000, 99_999_999),
            name=name,
            domain=domain,
        )

    def users(
        self, account: Account, count: int, *, inactive_ratio: float, pending_ratio: float
    ) -> None:
        rng = self.rng
        departments = list(DEPARTMENTS)
        taken: set[str] = set()
        for index in range(count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local, n = f"{first}.{last}".lower(), 1
            while local in taken:
                n += 1
                local = f"{first}.{last}{n}".lower()
            taken.add(local)
            dept = rng.choice(departments)
            owner = index == 0
            roll = rng.random()
            status = "active"
            if not owner and roll < pending_ratio:
                status = "pending"
            elif not owner and roll < pending_ratio + inactive_ratio:
                status = "inactive"
            created = self.anchor - rng.randrange(30, 5 * 365) * DAY - rng.randrange(DAY)
            user = records.make_user(
                account=account,
                user_id=self.new_id(),
                email=f"{local}@{account.domain}",
                first_name=first,
                last_name=last,
                user_type=2 if owner or rng.random() < 0.6 else 1,
                status=status,
                created_at=created,
                pmi=rng.randrange(2_000_000_000, 9_999_999_999),
                role_id="0" if owner else ("1" if rng.random() < 0.03 else "2"),
                dept=dept,
                job_title=rng.choice(DEPARTMENTS[dept]),
                timezone=rng.choice(TIMEZONES),
                location=rng.choice(("HQ", "Remote", "Berlin office", "Singapore office")),
                phone_number=f"+1415555{rng.randrange(1000, 9999)}",
                employee_unique_id=f"E{index + 1:05d}",
                last_login_time=self.now - rng.randrange(0, 60 * DAY),
                last_client_version=f"6.{rng.randrange(0, 4)}.{rng.randrange(0, 12)}",
            )
            account.add_user(user)
            if owner:
                account.owner_id = user["id"]
            if status == "active" and user["type"] == 2 and rng.random() < 0.3:
                account.phone_users.add(user["id"])

    def hosts(self, account: Account) -> list[dict]:
        return [u for u in account.users.values() if u["status"] != "pending"]

    def meetings(
        self, account: Account, per_user: int, registrant_ratio: float, recording_ratio: float
    ) -> None:
        rng = self.rng
        for host in self.hosts(account):
            for _ in range(per_user):
                roll = rng.random()
                meeting_type = 2 if roll < 0.75 else (8 if roll < 0.92 else 3)
                start = self.slot(-180, 180) if meeting_type != 3 else None
                registration = meeting_type != 3 and rng.random() < registrant_ratio
                meeting = records.make_meeting(
                    meeting_id=self.state.new_meeting_id(rng),
                    uuid=self.new_uuid(),
                    host=host,
                    topic=rng.choice(TOPICS).format(**self.topic_words(account, host)),
                    meeting_type=meeting_type,
                    start_time=start,
                    duration=rng.choice((15, 30, 30, 45, 60, 60, 90, 120)),
                    timezone=host["timezone"],
                    created_at=min(start or self.now, self.now) - rng.randrange(1, 30) * DAY,
                    password=self.password(),
                    agenda=rng.choice(("", "", "Agenda in the calendar invite.")),
                    approval_type=rng.choice((0, 1)) if registration else 2,
                    auto_recording=rng.choice(("none", "none", "cloud", "local")),
                    occurrences=rng.randrange(4, 13),
                )
                if meeting_type == 2 and rng.random() < 0.01:
                    meeting["status"] = "started"  # a few are in progress, for "live" listings
                account.add_meeting(meeting)
                if registration:
                    self.registrants(account, meeting)
                past = start is not None and self.anchor - 180 * DAY <= start < self.now
                if past and rng.random() < recording_ratio:
                    self.recording(account, meeting, start)

    def registrants(self, account: Account, meeting: dict) -> None:
        rng = self.rng
        manual = meeting["settings"]["approval_type"] == 1
        statuses = ("approved", "pending", "denied") if manual else ("approved",)
        weights = (6, 3, 1) if manual else (1,)
        regs: dict[str, dict] = {}
        for _ in range(rng.randrange(1, 11)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            registrant = records.make_registrant(
                registrant_id=self.new_id(),
                meeting=meeting,
                email=f"{first}.{last}{rng.randrange(100)}@{rng.choice(EXTERNAL_DOMAINS)}".lower(),
                first_name=first,
                last_name=last,
                status=rng.choices(statuses, weights)[0],
                create_time=self.now - rng.randrange(1, 60) * DAY,
                pin_code=rng.randrange(100_000, 999_999),
                extra={
                    "org": rng.choice(COMPANIES),
                    "country": rng.choice(("US", "DE", "FR", "JP", "BR", "IN")),
                    "no_of_employees": rng.choice(("", "1-20", "21-50", "51-100", "1,001-5,000")),
                },
            )
            regs[registrant["id"]] = registrant
        account.registrants[meeting["id"]] = regs

    def recording(self, account: Account, meeting: dict, start: float) -> None:
        rng = self.rng
        instance_uuid = meeting["uuid"] if meeting["type"] == 2 else self.new_uuid()
        minutes = max(5, meeting.get("duration", 60) - rng.randrange(0, 15))
        kinds = sorted(rng.sample(range(len(records.RECORDING_KINDS)), rng.randrange(1, 5)))
        files = [
            records.make_recording_file(
                file_id=self.file_id(),
                instance_uuid=instance_uuid,
                start=start,
                minutes=minutes,
                kind=kind,
            )
            for kind in kinds
        ]
        account.add_recording(
            records.make_recording(
                account_id=account.id,
                meeting=meeting,
                instance_uuid=instance_uuid,
                start=start,
                files=files,
            )
        )

    def webinars(self, account: Account, per_user: int, registrant_ratio: float) -> None:
        rng = self.rng
        users = list(account.users.values())
        for host in self.hosts(account):
            # About half the licensed users have the webinar add-on (drawn apart from the main
            # sequence, so the rest of the data does not depend on it); only they hold webinars.
            addon = random.Random(f"zoomadmin-sandbox:webinar:{host['id']}").random() < 0.5
            if host["type"] != 2 or not (addon or host["id"] == account.owner_id):
                continue
            account.webinar_users.add(host["id"])
            for _ in range(per_user):
                recurring = rng.random() < 0.2
                start = self.slot(-180, 180)
                registration = rng.random() < max(registrant_ratio, 0.5)
                webinar = records.make_meeting(
                    meeting_id=self.state.new_meeting_id(rng),
                    uuid=self.new_uuid(),
                    host=host,
                    topic=rng.choice(WEBINAR_TOPICS).format(**self.topic_words(account, host)),
                    meeting_type=9 if recurring else 5,
                    start_time=start,
                    duration=rng.choice((45, 60, 90)),
                    timezone=host["timezone"],
                    created_at=min(start, self.now) - rng.randrange(7, 60) * DAY,
                    password=self.password(),
                    approval_type=rng.choice((0, 1)) if registration else 2,
                    occurrences=rng.randrange(2, 6),
                )
                account.add_meeting(webinar)
                if registration:
                    self.registrants(account, webinar)
                if start < self.now:
                    self.instances(account, webinar, start, users)

    def instances(self, account: Account, webinar: dict, start: float, users: list) -> None:
        """The webinar's instances that ended before the anchor, with who attended each: a
        one-off's one, each past weekly occurrence of a recurring one (its own UUID: "Each
        webinar instance will generate its own UUID"). The first is drawn from the main
        sequence, the later ones from one of their own, so the rest of the data does not
        depend on them."""
        weeks = range(1, len(webinar.get("occurrences") or ()))
        later = [start + week * 7 * DAY for week in weeks]
        duration = 60 * webinar.get("duration", 60)
        ended = [start, *(when for when in later if when + duration <= self.now)]
        rng, own = self.rng, random.Random(f"zoomadmin-sandbox:instances:{webinar['id']}")
        for index, when in enumerate(ended):
            uuid = webinar["uuid"] if index == 0 else base64.b64encode(own.randbytes(16)).decode()
            account.add_webinar_instance(
                webinar["id"],
                uuid=uuid,
                start_time=records.iso(when),
                participants=self.participants(account, webinar, when, users, rng),
            )
            rng = own

    def participants(
        self, account: Account, webinar: dict, start: float, users: list, rng: random.Random
    ) -> list[dict]:
        registrants = [
            r
            for r in account.registrants.get(webinar["id"], {}).values()
            if r["status"] == "approved"
        ]
        people: list[dict[str, Any]] = []
        for registrant in registrants:
            name = f"{registrant['first_name']} {registrant['last_name']}"
            people.append(
                {"name": name, "email": registrant["email"], "registrant_id": registrant["id"]}
            )
        for user in rng.sample(users, min(len(users), rng.randrange(3, 25))):
            people.append(
                {"name": user["display_name"], "email": user["email"], "user": user["id"]}
            )
        participants = []
        for person in people:
            join = start + rng.randrange(0, 10) * 60
            participants.append(
                records.make_participant(
                    participant_id=self.state.new_id(22, rng),
                    name=person["name"],
                    email=person["email"],
                    join=join,
                    minutes=rng.randrange(5, webinar.get("duration", 60) + 1),
                    user_id=person.get("user", ""),
                    registrant_id=person.get("registrant_id", ""),
                    internal="user" in person,
                )
            )
        return participants

    def phone(self, account: Account) -> None:
        rng = self.rng
        for user_id, user in account.users.items():
            if user_id not in account.phone_users:
                continue
            calls = [
                records.make_phone_recording(
                    recording_id=self.new_id(32),
                    user=user,
                    other_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    other_number=f"+1{rng.randrange(200, 999)}555{rng.randrange(1000, 9999)}",
                    inbound=rng.random() < 0.5,
                    when=self.now - rng.randrange(60, 90 * DAY),
                    seconds=rng.randrange(20, 1800),
                )
                for _ in range(rng.randrange(0, 7))
            ]
            account.phone_recordings[user_id] = sorted(
                calls, key=lambda c: c["date_time"], reverse=True
            )

    def chat(self, account: Account) -> None:
        rng = self.rng
        users = [u for u in account.users.values() if u["status"] == "active"]
        if not users:
            return
        by_dept: dict[str, list[dict]] = {}
        for user in users:
            by_dept.setdefault(user["dept"], []).append(user)
        channels: list[tuple[dict, list[dict]]] = [
            (records.make_channel(channel_id=self.new_id(), name="general", channel_type=3), users),
            (records.make_channel(channel_id=self.new_id(), name="random", channel_type=3), users),
        ]
        for dept, members in sorted(by_dept.items()):
            channel = records.make_channel(
                channel_id=self.new_id(), name=dept.lower(), channel_type=1
            )
            channels.append((channel, members))
        for codename in rng.sample(CODENAMES, 3):
            members = rng.sample(users, min(len(users), rng.randrange(3, 16)))
            channel = records.make_channel(
                channel_id=self.new_id(), name=f"proj-{codename.lower()}", channel_type=1
            )
            channels.append((channel, members))
        for channel, members in channels:
            account.channels[channel["id"]] = channel
            for member in members:
                account.user_channels.setdefault(member["id"], []).append(channel["id"])
            account.channel_messages[channel["id"]] = self.conversation(members, 20, 60)
        for user in rng.sample(users, max(1, len(users) // 5)):
            contact = rng.choice(users)
            if contact is not user:
                pair = frozenset((user["id"], contact["id"]))
                account.direct_messages[pair] = self.conversation([user, contact], 3, 11)

    def conversation(self, members: list[dict], low: int, high: int) -> list[dict]:
        """Messages among `members` over the last two weeks, oldest first; some are today."""
        rng = self.rng
        count = rng.randrange(low, high)
        moments = sorted(self.now - rng.randrange(60, 14 * DAY) for _ in range(count))
        moments.append(self.now + rng.randrange(60, 600))  # just after 00:00 UTC today
        return [
            records.make_message(
                message_id=self.file_id(),
                sender=rng.choice(members),
                text=rng.choice(MESSAGES).format(codename=rng.choice(CODENAMES)),
                when=when,
            )
            for when in moments
        ]
