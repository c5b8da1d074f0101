"""Writes change the sandbox's state, answer what Zoom answers, and are announced to listeners."""

from __future__ import annotations

from tests.sandbox.conftest import Api


def active_member(account) -> dict:
    return next(
        u
        for u in account.users.values()
        if u["status"] == "active" and u["type"] == 2 and u["role_name"] == "Member"
    )


def test_create_user_with_action_create_makes_a_pending_user(api: Api, events) -> None:
    response = api.post(
        "/users",
        {
            "action": "create",
            "user_info": {"email": "Ann.Lee@example.org", "type": 1, "first_name": "Ann"},
        },
    )

    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"id", "first_name", "last_name", "email", "type"}
    assert api.get(f"/users/{created['id']}").json()["status"] == "pending"
    pending = api.get("/users", status="pending").json()["users"]
    # Listed without its id (Users OpenAPI, users[].id: "The API does not return this value
    # for users with the pending status"), by its email.
    assert created["email"] in {u["email"] for u in pending}
    assert not [u for u in pending if "id" in u]
    assert [e[0] for e in events] == ["user.created"]
    assert events[0][2]["creation_type"] == "create"


def test_create_user_with_a_taken_email_answers_409_code_1005(api: Api, account) -> None:
    taken = account.users[account.owner_id]["email"]

    response = api.post(
        "/users", {"action": "autoCreate", "user_info": {"email": taken, "type": 1}}
    )

    assert response.status_code == 409
    assert response.json() == {"code": 1005, "message": f'Email "{taken}" has already been used.'}


def test_update_user_changes_fields_and_reports_old_values(api: Api, account, events) -> None:
    user = active_member(account)

    response = api.patch(f"/users/{user['id']}", {"dept": "Research", "unknown_field": 1})

    assert response.status_code == 204
    assert api.get(f"/users/{user['id']}").json()["dept"] == "Research"
    name, _, payload = events[0]
    assert name == "user.updated"
    assert payload["object"] == {"id": user["id"], "dept": "Research"}
    assert payload["old_object"]["id"] == user["id"]


def test_status_deactivate_and_activate(api: Api, account, events) -> None:
    user = active_member(account)

    deactivated = api.put(f"/users/{user['id']}/status", {"action": "deactivate"})
    assert deactivated.status_code == 200
    assert api.get(f"/users/{user['id']}").json()["status"] == "inactive"
    api.put(f"/users/{user['id']}/status", {"action": "activate"})

    assert api.get(f"/users/{user['id']}").json()["status"] == "active"
    assert [e[0] for e in events] == ["user.deactivated", "user.activated"]


def test_delete_user_transfers_meetings_when_asked(api: Api, account, events) -> None:
    user = active_member(account)
    owner = account.users[account.owner_id]
    meeting_ids = {m["id"] for m in account.meetings_of(user["id"]) if m["type"] in (2, 3, 8)}
    assert meeting_ids

    response = api.delete(
        f"/users/{user['id']}",
        action="delete",
        transfer_email=owner["email"],
        transfer_meeting="true",
    )

    assert response.status_code == 204
    assert api.get(f"/users/{user['id']}").status_code == 404
    owner_meetings = api.get(f"/users/{owner['id']}/meetings", page_size=300).json()["meetings"]
    assert meeting_ids <= {m["id"] for m in owner_meetings}
    assert events[-1][0] == "user.deleted"


def test_delete_user_defaults_to_disassociate(api: Api, account, events) -> None:
    user = active_member(account)

    assert api.delete(f"/users/{user['id']}").status_code == 204
    assert events[-1][0] == "user.disassociated"


def test_the_owner_stays_and_admins_are_not_disassociated(api: Api, account) -> None:
    admin = active_member(account)
    admin["role_id"], admin["role_name"] = "1", "Admin"

    owner_deleted = api.delete(f"/users/{account.owner_id}", action="delete")
    admin_disassociated = api.delete(f"/users/{admin['id']}")
    admin_deactivated = api.put(f"/users/{admin['id']}/status", {"action": "deactivate"})

    assert (owner_deleted.status_code, owner_deleted.json()["code"]) == (400, 200)
    assert admin_disassociated.json() == {
        "code": 1117,
        "message": "You can not disassociate an Admin user.",
    }
    assert (admin_deactivated.status_code, admin_deactivated.json()["code"]) == (400, 200)
    assert api.delete(f"/users/{admin['id']}", action="delete").status_code == 204


def test_meeting_lifecycle(api: Api, account, events) -> None:
    host = active_member(account)

    created = api.post(
        f"/users/{host['id']}/meetings",
        {"topic": "Planning", "type": 2, "start_time": "2030-05-01T09:00:00Z", "duration": 45},
    )
    assert created.status_code == 201
    meeting = created.json()
    assert meeting["host_id"] == host["id"]
    assert meeting["start_time"] == "2030-05-01T09:00:00Z"

    assert api.patch(f"/meetings/{meeting['id']}", {"topic": "Planning v2"}).status_code == 204
    assert api.get(f"/meetings/{meeting['id']}").json()["topic"] == "Planning v2"
    assert "Planning v2" in api.get(f"/meetings/{meeting['id']}/invitation").json()["invitation"]
    assert api.delete(f"/meetings/{meeting['id']}").status_code == 204
    assert api.get(f"/meetings/{meeting['id']}").status_code == 404
    assert api.put(f"/meetings/{meeting['id']}/status", {"action": "recover"}).status_code == 204
    assert api.get(f"/meetings/{meeting['id']}").status_code == 200

    assert [e[0] for e in events] == [
        "meeting.created",
        "meeting.updated",
        "meeting.deleted",
        "meeting.recovered",
    ]
    assert events[1][2]["old_object"]["topic"] == "Planning"


def test_ending_a_started_meeting(api: Api, account, events) -> None:
    meeting = next(m for m in account.meetings.values() if m["type"] == 2)
    meeting["status"] = "started"

    assert api.put(f"/meetings/{meeting['id']}/status", {"action": "end"}).status_code == 204

    assert api.get(f"/meetings/{meeting['id']}").json()["status"] == "waiting"
    assert events[0][0] == "meeting.ended"


def test_meeting_writes_past_the_per_user_daily_cap_answer_429(sandbox, api: Api, account) -> None:
    sandbox.config.update(meeting_writes_per_user_per_day=2)
    host = active_member(account)
    path = f"/users/{host['id']}/meetings"

    statuses = [api.post(path, {"topic": f"m{n}"}).status_code for n in range(3)]

    assert statuses == [201, 201, 429]
    assert api.post(path, {"topic": "again"}).json() == {
        "code": 429,
        "message": (
            "You have exceeded the daily rate limit (2) of Meeting Create/Update API requests "
            "permitted for this particular user. You may resume these requests at GMT 00:00:00."
        ),
    }


def test_webinar_lifecycle(api: Api, account, events) -> None:
    host = active_member(account)

    created = api.post(f"/users/{host['id']}/webinars", {"topic": "Launch", "type": 5})
    webinar_id = created.json()["id"]

    assert created.status_code == 201
    assert api.get(f"/webinars/{webinar_id}").json()["topic"] == "Launch"
    assert api.patch(f"/webinars/{webinar_id}", {"agenda": "Demo"}).status_code == 204
    assert api.delete(f"/webinars/{webinar_id}").status_code == 204
    assert api.get(f"/webinars/{webinar_id}").status_code == 404
    assert [e[0] for e in events] == ["webinar.created", "webinar.updated", "webinar.deleted"]


def test_registrants_are_added_then_approved_denied_and_cancelled(
    api: Api, account, events
) -> None:
    host = active_member(account)
    meeting = api.post(
        f"/users/{host['id']}/meetings", {"topic": "Open day", "settings": {"approval_type": 1}}
    ).json()
    path = f"/meetings/{meeting['id']}/registrants"

    added = [
        api.post(path, {"first_name": name, "email": f"{name}@example.org"}).json()
        for name in ("ann", "bob")
    ]
    assert {r["id"] for r in added} == {meeting["id"]}
    assert len(api.get(path, status="pending").json()["registrants"]) == 2

    def status(action: str, email: str) -> int:
        body = {"action": action, "registrants": [{"email": email}]}
        return api.put(f"{path}/status", body).status_code

    assert status("approve", "ann@example.org") == 204
    assert status("deny", "bob@example.org") == 204
    assert [r["email"] for r in api.get(path).json()["registrants"]] == ["ann@example.org"]
    assert status("cancel", "ann@example.org") == 204
    assert api.get(path).json()["registrants"] == []
    assert len(api.get(path, status="denied").json()["registrants"]) == 2
    assert [e[0] for e in events][1:] == [
        "meeting.registration_created",
        "meeting.registration_created",
        "meeting.registration_approved",
        "meeting.registration_denied",
        "meeting.registration_cancelled",
    ]


def test_adding_a_registrant_without_registration_answers_code_3000(api: Api, account) -> None:
    meeting = next(m for m in account.meetings.values() if m["settings"]["approval_type"] == 2)

    response = api.post(
        f"/meetings/{meeting['id']}/registrants", {"first_name": "A", "email": "a@example.org"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == 3000


def test_deleting_recordings_moves_them_to_the_trash(api: Api, account, events) -> None:
    recording = next(iter(account.recordings.values()))

    assert api.delete(f"/meetings/{recording['id']}/recordings").status_code == 204

    assert api.get(f"/meetings/{recording['id']}/recordings").status_code == 404
    trash = api.get(f"/users/{recording['host_id']}/recordings", trash="true").json()
    assert recording["id"] in {r["id"] for r in trash["meetings"]}
    assert events[0][0] == "recording.trashed"
    assert events[0][2]["account_id"] == account.id


def test_a_status_call_takes_at_most_30_registrants(api: Api, account) -> None:
    # Meetings OpenAPI, PUT /meetings/{meetingId}/registrants/status: "registrants":
    # {"maximum": 30, "type": "array", "description": "List of registrants."}.
    meeting_id = next(m for m, regs in account.registrants.items() if regs)
    many = [{"email": f"guest{n}@example.org"} for n in range(31)]

    response = api.put(
        f"/meetings/{meeting_id}/registrants/status", {"action": "approve", "registrants": many}
    )

    assert response.status_code == 400
    assert response.json()["code"] == 300


def test_get_a_registrant_answers_what_the_listing_shows(api: Api, account) -> None:
    # Meetings OpenAPI, GET /meetings/{meetingId}/registrants/{registrantId}: "Retrieve details
    # on a specific user who has registered for the meeting."
    meeting_id, registrants = next((m, regs) for m, regs in account.registrants.items() if regs)
    registrant = next(iter(registrants.values()))
    path = f"/meetings/{meeting_id}/registrants"

    fetched = api.get(f"{path}/{registrant['id']}").json()
    listed = api.get(path, status=registrant["status"]).json()["registrants"]

    assert fetched in listed
    assert api.get(f"{path}/unknownRegistrant0000").status_code == 404


def test_deleting_one_recording_file_keeps_the_others(api: Api, account, events) -> None:
    # Meetings OpenAPI, DELETE /meetings/{meetingId}/recordings/{recordingId}: "Delete a
    # specific recording file from a meeting or webinar."; 204 "The recording file was
    # successfully deleted."
    recording = next(r for r in account.recordings.values() if len(r["recording_files"]) > 1)
    gone, *kept = [f["id"] for f in recording["recording_files"]]
    path = f"/meetings/{recording['id']}/recordings"

    assert api.delete(f"{path}/{gone}", action="trash").status_code == 204

    after = api.get(path).json()
    assert [f["id"] for f in after["recording_files"]] == kept
    assert after["recording_count"] == len(kept)
    assert api.delete(f"{path}/{gone}").json()["code"] == 3301
    assert events[0][0] == "recording.trashed"
    assert [f["id"] for f in events[0][2]["object"]["recording_files"]] == [gone]
