"""The generic bulk upsert and deletion marking (zoomadmin.records.upsert), through Zoom users."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.records.conftest import zoom_example
from users.mapping import zoom_user_to_fields
from users.models import ZoomUser
from users.services import user_mark_deleted, users_mark_deleted, users_upsert
from zoomadmin.records.upsert import bulk_upsert, mark_deleted

pytestmark = pytest.mark.django_db


def listed_users(count: int, **changes) -> list[dict]:
    """``count`` users shaped like Zoom's "List users" example, ids u0…"""
    example = zoom_example("users")["users"][0]
    return [
        {**example, "id": f"u{i}", "email": f"user{i}@example.com", **changes} for i in range(count)
    ]


@contextmanager
def statements() -> Iterator[CaptureQueriesContext]:
    with CaptureQueriesContext(connection) as queries:
        yield queries


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]


def test_a_first_upsert_creates_every_record_with_its_columns(tenant, at):
    result = users_upsert(tenant=tenant, items=listed_users(3), synced_at=at(0))

    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    user = ZoomUser.objects.get(tenant=tenant, zoom_id="u1")
    assert (user.email, user.status, user.type) == ("user1@example.com", "active", 1)
    assert user.synced_at == at(0) and user.deleted_at is None and user.zoom_hash
    assert user.zoom_data["id"] == "u1"
    assert set(result.pks) == {("u0",), ("u1",), ("u2",)}


def test_a_second_upsert_of_the_same_data_issues_two_selects_and_no_write(tenant, at):
    users_upsert(tenant=tenant, items=listed_users(50), synced_at=at(0))

    with statements() as queries:
        result = users_upsert(tenant=tenant, items=listed_users(50), synced_at=at(10))

    assert (result.created, result.updated, result.unchanged) == (0, 0, 50)
    # The stored rows, and the invitations (pending users) these users may have accepted.
    assert writes(queries) == [] and len(queries) == 2
    assert set(ZoomUser.objects.values_list("synced_at", flat=True)) == {at(0)}


def test_a_changed_field_rewrites_only_that_record(tenant, at):
    users_upsert(tenant=tenant, items=listed_users(5), synced_at=at(0))
    before = {u.zoom_id: u.updated for u in ZoomUser.objects.all()}
    items = listed_users(5)
    items[2]["dept"] = "Sales"

    with statements() as queries:
        result = users_upsert(tenant=tenant, items=items, synced_at=at(10))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 4)
    assert len(writes(queries)) == 1
    changed = ZoomUser.objects.get(zoom_id="u2")
    assert changed.dept == "Sales" and changed.zoom_data["dept"] == "Sales"
    assert changed.synced_at == at(10) and changed.updated > before["u2"]
    others = ZoomUser.objects.exclude(zoom_id="u2")
    assert {u.zoom_id: u.updated for u in others} == {k: v for k, v in before.items() if k != "u2"}
    assert set(others.values_list("synced_at", flat=True)) == {at(0)}


def test_new_and_changed_records_are_written_together(tenant, at):
    users_upsert(tenant=tenant, items=listed_users(2), synced_at=at(0))
    items = listed_users(4)
    items[0]["status"] = "inactive"

    result = users_upsert(tenant=tenant, items=items, synced_at=at(1))

    assert (result.created, result.updated, result.unchanged) == (2, 1, 1)
    assert ZoomUser.objects.get(zoom_id="u0").status == "inactive"
    assert ZoomUser.objects.count() == 4


def test_a_key_listed_twice_is_written_once_with_its_last_payload(tenant, at):
    first, second = listed_users(1), listed_users(1, dept="Support")

    result = users_upsert(tenant=tenant, items=first + second, synced_at=at(0))

    assert result.created == 1
    assert ZoomUser.objects.get().dept == "Support"


def test_records_a_complete_listing_lacks_are_marked_deleted_and_revived_when_seen(tenant, at):
    users_upsert(tenant=tenant, items=listed_users(4), synced_at=at(0))

    marked = users_mark_deleted(tenant=tenant, seen_ids={"u0", "u2"}, deleted_at=at(5))

    assert marked == 2
    assert dict(ZoomUser.objects.values_list("zoom_id", "deleted_at")) == {
        "u0": None,
        "u1": at(5),
        "u2": None,
        "u3": at(5),
    }
    assert users_mark_deleted(tenant=tenant, seen_ids={"u0", "u2"}, deleted_at=at(6)) == 0

    result = users_upsert(tenant=tenant, items=listed_users(2), synced_at=at(10))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    revived = ZoomUser.objects.get(zoom_id="u1")
    assert revived.deleted_at is None and revived.synced_at == at(10)
    assert ZoomUser.objects.get(zoom_id="u3").deleted_at == at(5)


def test_a_listing_spares_records_stored_after_it_began(tenant, at):
    users_upsert(tenant=tenant, items=listed_users(1), synced_at=at(0))
    # A webhook stores a user created while the listing (begun at 5) was running.
    users_upsert(tenant=tenant, items=listed_users(2)[1:], synced_at=at(7))

    marked = users_mark_deleted(tenant=tenant, seen_ids=set(), deleted_at=at(5))

    assert marked == 1
    assert ZoomUser.objects.get(zoom_id="u1").deleted_at is None


def test_marking_is_limited_to_its_scope_and_one_record_can_be_marked(tenant, at):
    items = listed_users(4)
    items[0]["dept"] = items[1]["dept"] = "Sales"
    users_upsert(tenant=tenant, items=items, synced_at=at(0))

    assert (
        mark_deleted(
            ZoomUser, tenant=tenant, scope={"dept": "Sales"}, seen_keys={"u0"}, deleted_at=at(1)
        )
        == 1
    )
    assert user_mark_deleted(tenant=tenant, zoom_id="u3", deleted_at=at(2)) == 1

    deleted = set(
        ZoomUser.objects.filter(deleted_at__isnull=False).values_list("zoom_id", flat=True)
    )
    assert deleted == {"u1", "u3"}


def test_an_older_payload_never_overwrites_a_newer_state(tenant, at):
    users_upsert(tenant=tenant, items=listed_users(1, dept="New"), synced_at=at(10))

    with statements() as queries:
        result = users_upsert(tenant=tenant, items=listed_users(1, dept="Old"), synced_at=at(5))

    assert (result.stale, result.updated, result.pks) == (1, 0, {})
    assert writes(queries) == []
    assert ZoomUser.objects.get().dept == "New"


def test_an_older_payload_does_not_revive_a_newer_deletion(tenant, at):
    users_upsert(tenant=tenant, items=listed_users(1), synced_at=at(0))
    user_mark_deleted(tenant=tenant, zoom_id="u0", deleted_at=at(10))

    result = users_upsert(tenant=tenant, items=listed_users(1), synced_at=at(5))

    assert result.stale == 1
    assert ZoomUser.objects.get().deleted_at == at(10)


def test_an_older_deletion_does_not_mark_a_newer_state(tenant, at):
    users_upsert(tenant=tenant, items=listed_users(1), synced_at=at(10))

    assert user_mark_deleted(tenant=tenant, zoom_id="u0", deleted_at=at(5)) == 0


def test_a_newer_state_stored_while_a_listing_is_judged_is_not_marked(tenant, at, monkeypatch):
    from zoomadmin.records import upsert

    users_upsert(tenant=tenant, items=listed_users(1), synced_at=at(0))
    chunks = upsert._chunks

    def event_arrives_between_select_and_update(items, size):
        # A webhook's newer state, stored after mark_deleted chose its candidates.
        monkeypatch.setattr(upsert, "_chunks", chunks)
        users_upsert(tenant=tenant, items=listed_users(1, dept="New"), synced_at=at(10))
        return chunks(items, size)

    monkeypatch.setattr(upsert, "_chunks", event_arrives_between_select_and_update)
    marked = users_mark_deleted(tenant=tenant, seen_ids=set(), deleted_at=at(5))

    assert marked == 0
    assert ZoomUser.objects.get().deleted_at is None


def test_the_same_zoom_id_in_two_tenants_is_two_records(tenant, other_tenant, at):
    users_upsert(tenant=tenant, items=listed_users(2), synced_at=at(0))

    result = users_upsert(tenant=other_tenant, items=listed_users(2, dept="Other"), synced_at=at(0))
    users_mark_deleted(tenant=other_tenant, seen_ids=set(), deleted_at=at(1))

    assert result.created == 2
    assert ZoomUser.objects.filter(zoom_id="u0").count() == 2
    mine = ZoomUser.objects.filter(tenant=tenant)
    assert set(mine.values_list("dept", "deleted_at")) == {("Developers", None)}


def test_a_partial_payload_keeps_what_it_does_not_carry(tenant, at):
    detail = {**zoom_example("user"), "id": "u0", "email": "user0@example.com", "status": "active"}
    users_upsert(tenant=tenant, items=[detail], synced_at=at(0))
    # "List users" has no role_name, company, language, …: they are not news.
    listed = {key: detail[key] for key in zoom_example("users")["users"][0] if key in detail}

    with statements() as queries:
        unchanged = users_upsert(tenant=tenant, items=[listed], synced_at=at(5), partial=True)
    changed = users_upsert(
        tenant=tenant, items=[{**listed, "dept": "Sales"}], synced_at=at(6), partial=True
    )

    assert unchanged.unchanged == 1 and writes(queries) == []
    assert changed.updated == 1
    user = ZoomUser.objects.get()
    assert (user.dept, user.role_name) == ("Sales", "Admin")
    assert user.zoom_data == {**detail, "dept": "Sales"}


def test_a_complete_payload_clears_what_it_no_longer_carries(tenant, at):
    users_upsert(tenant=tenant, items=[{**zoom_example("user"), "id": "u0"}], synced_at=at(0))
    listed = {"id": "u0", "email": "jchill@example.com", "status": "active"}

    users_upsert(tenant=tenant, items=[listed], synced_at=at(1))

    user = ZoomUser.objects.get()
    assert (user.role_name, user.dept, user.type) == ("", "", None)
    assert user.zoom_data == listed


def test_keys_beyond_one_select_batch_are_handled_in_batches(tenant, at):
    many = listed_users(1000)
    users_upsert(tenant=tenant, items=many, synced_at=at(0))

    with statements() as queries:
        result = users_upsert(tenant=tenant, items=many, synced_at=at(1))
    marked = users_mark_deleted(
        tenant=tenant, seen_ids={f"u{i}" for i in range(0, 1000, 2)}, deleted_at=at(2)
    )

    # Two batches of stored rows, two of invitations these users may have accepted.
    assert result.unchanged == 1000 and writes(queries) == [] and len(queries) == 4
    assert marked == 500


def test_a_row_without_its_key_is_refused(tenant, at):
    row = zoom_user_to_fields(listed_users(1)[0])
    del row["zoom_id"]

    with pytest.raises(ValueError):
        bulk_upsert(ZoomUser, tenant=tenant, rows=[row], synced_at=at(0))


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="on SQLite no writer can come between a batch's SELECT and INSERT (one IMMEDIATE "
    "transaction)",
)
def test_the_conflict_update_never_overwrites_a_newer_row_a_concurrent_writer_stored(
    tenant, at, monkeypatch
):
    from zoomadmin.records import upsert

    users_upsert(tenant=tenant, items=listed_users(1, first_name="Newer"), synced_at=at(5))
    # This call's SELECT ran before that newer state was stored (an event between the two
    # statements): it sees no row, and its INSERT meets the newer one in the conflict clause.
    monkeypatch.setattr(upsert, "_stored_rows", lambda *args, **kwargs: {})

    users_upsert(tenant=tenant, items=listed_users(1, first_name="Older"), synced_at=at(1))

    user = ZoomUser.objects.get()
    assert (user.first_name, user.synced_at) == ("Newer", at(5))
