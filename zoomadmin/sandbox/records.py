"""Zoom objects in the shapes Zoom's API returns them, and the projections its list calls use.

Field names, types and enums follow Zoom's published OpenAPI descriptions: "Get a user" and
"List users" (Users API), "Get a meeting", "List meetings", "Get a webinar", "List webinars",
"List meeting registrants", "Get meeting recordings", "List past webinar participants"
(Meetings API), "Get user's recordings" (Phone API), "List user's channels" and "List user's
chat messages" (Team Chat API). The generator and the API handlers both build records here, so a
seeded meeting and one created through `POST /users/{userId}/meetings` look alike.
"""

from __future__ import annotations

import time
from typing import Any

# Links in records point at a reserved domain: they look like Zoom's and lead nowhere.
WEB_BASE = "https://sandbox.zoom.example"

WEBINAR_TYPES = frozenset({5, 6, 9})
RECURRING_TYPES = frozenset({3, 6, 8, 9})

ROLE_NAMES = {"0": "Owner", "1": "Admin", "2": "Member"}

USER_LIST_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "display_name",
    "email",
    "type",
    "pmi",
    "timezone",
    "verified",
    "dept",
    "created_at",
    "user_created_at",
    "last_login_time",
    "last_client_version",
    "status",
    "role_id",
    "employee_unique_id",
    "group_ids",
    "im_group_ids",
)
MEETING_LIST_FIELDS = (
    "uuid",
    "id",
    "host_id",
    "topic",
    "type",
    "start_time",
    "duration",
    "timezone",
    "agenda",
    "created_at",
    "join_url",
)
WEBINAR_LIST_FIELDS = (*MEETING_LIST_FIELDS, "is_simulive")
# What `meeting.*` webhook objects carry (Zoom's examples): the meeting without its settings.
MEETING_EVENT_FIELDS = (*MEETING_LIST_FIELDS, "host_email", "password", "occurrences")


def iso(timestamp: float) -> str:
    """Zoom's date-time format: `2021-07-13T21:44:51Z` (UTC, no fractions)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def iso_date(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp))


def project(record: dict, names: tuple[str, ...]) -> dict:
    return {name: record[name] for name in names if name in record}


# --- Users ---------------------------------------------------------------------------------


def make_user(
    *,
    account: Any,
    user_id: str,
    email: str,
    first_name: str,
    last_name: str,
    user_type: int,
    status: str,
    created_at: float,
    pmi: int,
    role_id: str = "2",
    dept: str = "",
    job_title: str = "",
    timezone: str = "UTC",
    language: str = "en-US",
    location: str = "",
    phone_number: str = "",
    employee_unique_id: str = "",
    last_login_time: float | None = None,
    last_client_version: str = "",
) -> dict:
    """A user as "Get a user" returns it."""
    user = {
        "id": user_id,
        "first_name": first_name,
        "last_name": last_name,
        "display_name": f"{first_name} {last_name}".strip(),
        "email": email,
        "type": user_type,
        "role_name": ROLE_NAMES.get(role_id, "Member"),
        "pmi": pmi,
        "use_pmi": False,
        "personal_meeting_url": f"{WEB_BASE}/j/{pmi}",
        "timezone": timezone,
        "verified": 0 if status == "pending" else 1,
        "dept": dept,
        "created_at": iso(created_at),
        "user_created_at": iso(created_at),
        "pic_url": "",
        "cms_user_id": "",
        "jid": f"{user_id.lower()}@xmpp.zoom.example",
        "group_ids": [],
        "im_group_ids": [],
        "account_id": account.id,
        "account_number": account.number,
        "language": language,
        "phone_country": "US" if phone_number else "",
        "phone_number": phone_number,
        "phone_numbers": (
            [{"code": "+1", "country": "US", "label": "Office", "number": phone_number}]
            if phone_number
            else []
        ),
        "status": status,
        "job_title": job_title,
        "company": account.name,
        "location": location,
        "login_types": [100],
        "role_id": role_id,
        "employee_unique_id": employee_unique_id,
        "cluster": "us06",
        "custom_attributes": [],
    }
    if last_login_time is not None and status != "pending":
        user["last_login_time"] = iso(last_login_time)
        user["last_client_version"] = last_client_version
    return user


def user_list_item(user: dict) -> dict:
    """An item of ``GET /users``. Users OpenAPI, ``users[].id``: "The API does **not** return
    this value for users with the `pending` status."."""
    item = project(user, USER_LIST_FIELDS)
    if user["status"] == "pending":
        del item["id"]
    return item


def user_event_object(user: dict) -> dict:
    return project(user, ("id", "first_name", "last_name", "display_name", "email", "type"))


# --- Meetings and webinars -----------------------------------------------------------------


def meeting_settings(*, approval_type: int, auto_recording: str, webinar: bool) -> dict:
    """The settings Zoom returns with a meeting or webinar (the commonly used subset)."""
    settings: dict[str, Any] = {
        "host_video": True,
        "approval_type": approval_type,
        "audio": "both",
        "auto_recording": auto_recording,
        "enforce_login": False,
        "enforce_login_domains": "",
        "alternative_hosts": "",
        "close_registration": False,
        "show_share_button": True,
        "allow_multiple_devices": True,
        "registrants_confirmation_email": True,
        "registrants_email_notification": True,
        "meeting_authentication": False,
        "contact_name": "",
        "contact_email": "",
        "global_dial_in_countries": ["US"],
    }
    if approval_type != 2:
        settings["registration_type"] = 1
    if webinar:
        settings.update(
            panelists_video=True,
            practice_session=False,
            hd_video=False,
            on_demand=False,
            post_webinar_survey=False,
            registrants_restrict_number=0,
            question_and_answer={"enable": True},
            email_language="en-US",
            panelists_invitation_email_notification=True,
            attendees_and_panelists_reminder_email_notification={"enable": True, "type": 1},
        )
    else:
        settings.update(
            participant_video=False,
            cn_meeting=False,
            in_meeting=False,
            join_before_host=False,
            jbh_time=0,
            mute_upon_entry=False,
            watermark=False,
            use_pmi=False,
            waiting_room=True,
            encryption_type="enhanced_encryption",
            approved_or_denied_countries_or_regions={"enable": False},
            breakout_room={"enable": False},
            alternative_hosts_email_notification=True,
            email_notification=True,
            private_meeting=False,
            host_save_video_order=False,
            device_testing=False,
            focus_mode=False,
            continuous_meeting_chat={"enable": False},
        )
    return settings


def weekly_occurrences(first_start: float, duration: int, count: int) -> list[dict]:
    """Occurrences of a weekly meeting; Zoom's occurrence id is the start in epoch milliseconds."""
    return [
        {
            "occurrence_id": str(int(first_start + week * 7 * 86_400) * 1000),
            "start_time": iso(first_start + week * 7 * 86_400),
            "duration": duration,
            "status": "available",
        }
        for week in range(count)
    ]


def make_meeting(
    *,
    meeting_id: int,
    uuid: str,
    host: dict,
    topic: str,
    meeting_type: int,
    start_time: float | None,
    duration: int,
    timezone: str,
    created_at: float,
    password: str,
    agenda: str = "",
    approval_type: int = 2,
    auto_recording: str = "none",
    occurrences: int = 8,
    settings: dict | None = None,
) -> dict:
    """A meeting (types 1, 2, 3, 8) or webinar (5, 6, 9) as "Get a meeting/webinar" returns it."""
    webinar = meeting_type in WEBINAR_TYPES
    join_path = "w" if webinar else "j"
    base_settings = meeting_settings(
        approval_type=approval_type, auto_recording=auto_recording, webinar=webinar
    )
    if settings:
        base_settings.update(settings)
    meeting: dict[str, Any] = {
        "uuid": uuid,
        "id": meeting_id,
        "host_id": host["id"],
        "host_email": host["email"],
        "topic": topic,
        "type": meeting_type,
        "timezone": timezone,
        "agenda": agenda,
        "created_at": iso(created_at),
        "start_url": f"{WEB_BASE}/s/{meeting_id}?zak=sandbox",
        "join_url": f"{WEB_BASE}/{join_path}/{meeting_id}?pwd={password}",
        "password": password,
        "settings": base_settings,
        "creation_source": "open_api",
    }
    if webinar:
        meeting.update(is_simulive=False, encrypted_passcode=password, h323_passcode=password)
    else:
        meeting.update(
            status="waiting",
            pre_schedule=False,
            pstn_password=password,
            encrypted_password=password,
            h323_password=password,
        )
    if meeting_type in (8, 9) and start_time is not None:
        meeting["recurrence"] = {
            "type": 2,
            "repeat_interval": 1,
            # Zoom numbers weekdays from Sunday = 1; strftime's %w from Sunday = 0.
            "weekly_days": str(int(time.strftime("%w", time.gmtime(start_time))) + 1),
            "end_times": occurrences,
        }
        meeting["occurrences"] = weekly_occurrences(start_time, duration, occurrences)
    if meeting_type not in (3, 6) and start_time is not None:
        meeting["start_time"] = iso(start_time)
        meeting["duration"] = duration
    elif meeting_type in (3, 6):
        meeting["duration"] = duration
    if approval_type != 2:
        meeting["registration_url"] = registration_url(uuid)
    return meeting


def registration_url(uuid: str) -> str:
    return f"{WEB_BASE}/meeting/register/{uuid.strip('=/+').replace('/', '')}"


def meeting_list_item(meeting: dict) -> dict:
    names = WEBINAR_LIST_FIELDS if meeting["type"] in WEBINAR_TYPES else MEETING_LIST_FIELDS
    item = project(meeting, names)
    if "agenda" in item:
        # Meetings OpenAPI, List meetings / List webinars, ``agenda``: "…truncated to 250
        # characters" in the list; "Get a meeting" has it whole.
        item["agenda"] = item["agenda"][:250]
    return item


def meeting_event_object(meeting: dict) -> dict:
    return project(meeting, MEETING_EVENT_FIELDS)


def registration_open(meeting: dict) -> bool:
    return meeting["settings"].get("approval_type", 2) != 2


def invitation_text(meeting: dict, host: dict) -> str:
    """The invitation "Get meeting invitation" returns, in Zoom's layout (lines end in CRLF, as
    in the published example)."""
    when = ""
    if "start_time" in meeting:
        start = time.strptime(meeting["start_time"], "%Y-%m-%dT%H:%M:%SZ")
        when = f"Time: {time.strftime('%b %d, %Y %I:%M %p', start)} UTC\n"
    number = str(meeting["id"])
    spaced = f"{number[:3]} {number[3:7]} {number[7:]}"
    text = (
        f"{host['display_name']} is inviting you to a scheduled Zoom meeting.\n\n"
        f"Topic: {meeting['topic']}\n{when}\n"
        f"Join Zoom Meeting\n{meeting['join_url']}\n\n"
        f"Meeting ID: {spaced}\nPasscode: {meeting.get('password', '')}\n"
    )
    return text.replace("\n", "\r\n")


# --- Registrants ---------------------------------------------------------------------------

REGISTRANT_FIELDS = (
    "address",
    "city",
    "country",
    "zip",
    "state",
    "phone",
    "industry",
    "org",
    "job_title",
    "purchasing_time_frame",
    "role_in_purchase_process",
    "no_of_employees",
    "comments",
)


def make_registrant(
    *,
    registrant_id: str,
    meeting: dict,
    email: str,
    first_name: str,
    last_name: str,
    status: str,
    create_time: float,
    pin_code: int,
    extra: dict | None = None,
) -> dict:
    """A registrant as "List meeting registrants" returns it."""
    registrant: dict[str, Any] = {
        "id": registrant_id,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        **{name: "" for name in REGISTRANT_FIELDS},
        "custom_questions": [],
        "status": status,
        "create_time": iso(create_time),
        "join_url": f"{meeting['join_url'].split('?')[0]}?tk={registrant_id}",
    }
    if meeting["type"] not in WEBINAR_TYPES:
        registrant["participant_pin_code"] = pin_code
    for name, value in (extra or {}).items():
        if (name in REGISTRANT_FIELDS and isinstance(value, str)) or (
            name == "custom_questions" and isinstance(value, list)
        ):
            registrant[name] = value
    return registrant


def registrant_event_object(meeting: dict, registrant: dict) -> dict:
    """`meeting.registration_*` object: the meeting, with the registrant inside."""
    obj = project(meeting, ("uuid", "id", "host_id", "topic", "type", "start_time", "duration"))
    obj["timezone"] = meeting.get("timezone", "UTC")
    obj["registrant"] = project(
        registrant,
        ("id", "first_name", "last_name", "email", "join_url", "participant_pin_code", "status"),
    )
    return obj


# --- Cloud recordings ----------------------------------------------------------------------

# (file_type, file_extension, recording_type, bytes per minute)
RECORDING_KINDS = (
    ("MP4", "MP4", "shared_screen_with_speaker_view", 6_000_000),
    ("M4A", "M4A", "audio_only", 480_000),
    ("CHAT", "TXT", "chat_file", 400),
    ("TRANSCRIPT", "VTT", "audio_transcript", 2_000),
)


def make_recording_file(
    *, file_id: str, instance_uuid: str, start: float, minutes: int, kind: int
) -> dict:
    file_type, extension, recording_type, per_minute = RECORDING_KINDS[kind]
    recording_file = {
        "id": file_id,
        "meeting_id": instance_uuid,
        "recording_start": iso(start),
        "recording_end": iso(start + minutes * 60),
        "file_type": file_type,
        "file_extension": extension,
        "file_size": per_minute * minutes,
        "download_url": f"{WEB_BASE}/rec/download/{file_id}",
        "status": "completed",
        "recording_type": recording_type,
    }
    if file_type in ("MP4", "M4A"):
        recording_file["play_url"] = f"{WEB_BASE}/rec/play/{file_id}"
    return recording_file


def recording_list_item(recording: dict) -> dict:
    """A recording as "List all recordings" shows it: without the meeting passcode."""
    return {name: value for name, value in recording.items() if name != "password"}


def make_recording(
    *, account_id: str, meeting: dict, instance_uuid: str, start: float, files: list[dict]
) -> dict:
    """A meeting's cloud recording as "Get meeting recordings" returns it."""
    return {
        "uuid": instance_uuid,
        "id": meeting["id"],
        "account_id": account_id,
        "host_id": meeting["host_id"],
        "topic": meeting["topic"],
        "type": str(meeting["type"]),
        "start_time": iso(start),
        "duration": meeting.get("duration", 60),
        "total_size": sum(f["file_size"] for f in files),
        "recording_count": len(files),
        "password": meeting.get("password", ""),
        "recording_play_passcode": instance_uuid.strip("=/+")[:32],
        "recording_files": files,
    }


# --- Past webinar participants, phone recordings, chat -------------------------------------


def make_participant(
    *,
    participant_id: str,
    name: str,
    email: str,
    join: float,
    minutes: int,
    user_id: str = "",
    registrant_id: str = "",
    internal: bool = False,
) -> dict:
    participant = {
        "id": participant_id,
        "name": name,
        "user_id": user_id or participant_id,
        "user_email": email,
        "join_time": iso(join),
        "leave_time": iso(join + minutes * 60),
        "duration": minutes * 60,
        "failover": False,
        "status": "in_meeting",
        "internal_user": internal,
    }
    if registrant_id:
        participant["registrant_id"] = registrant_id
    return participant


def make_phone_recording(
    *,
    recording_id: str,
    user: dict,
    other_name: str,
    other_number: str,
    inbound: bool,
    when: float,
    seconds: int,
) -> dict:
    own_name = user["display_name"]
    own_number = user.get("phone_number") or "+14155550100"
    caller, callee = ((other_name, other_number), (own_name, own_number))
    if not inbound:
        caller, callee = callee, caller
    return {
        "id": recording_id,
        "call_id": str(int(when * 1000)) + recording_id[:4].encode().hex(),
        "call_log_id": recording_id[::-1],
        "caller_name": caller[0],
        "caller_number": caller[1],
        # 1 = an internal extension (the user's own), 2 = an outside number.
        "caller_number_type": 2 if inbound else 1,
        "callee_name": callee[0],
        "callee_number": callee[1],
        "callee_number_type": 1 if inbound else 2,
        "direction": "inbound" if inbound else "outbound",
        "date_time": iso(when),
        "duration": seconds,
        "download_url": f"{WEB_BASE}/v2/phone/recording/download/{recording_id}",
    }


def make_channel(*, channel_id: str, name: str, channel_type: int) -> dict:
    return {
        "id": channel_id,
        "jid": f"{channel_id.lower()}@conference.xmpp.zoom.example",
        "name": name,
        "type": channel_type,
        "channel_url": f"{WEB_BASE}/launch/chat/v2/{channel_id}",
        "channel_settings": {
            "add_member_permissions": 1,
            "new_members_can_see_previous_messages_files": True,
            "posting_permissions": 1,
            "mention_all_permissions": 1,
            "allow_to_add_external_users": 0,
        },
    }


def make_message(*, message_id: str, sender: dict, text: str, when: float) -> dict:
    return {
        "id": message_id,
        "message": text,
        "message_type": "plain_text_message",
        "sender": sender["email"],
        "sender_display_name": sender["display_name"],
        "date_time": iso(when),
        "timestamp": int(when * 1000),
        "status": "Normal",
    }
