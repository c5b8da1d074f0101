"""The trigram indexes under the admin's word search (``zoomadmin.records.trigram``): on
PostgreSQL each searched text column has one that serves the SQL Django sends for
``icontains``, the admin's search of several columns included; the migration never fails for
want of the ``pg_trgm`` extension; and nothing of it reaches SQLite."""

from __future__ import annotations

import logging

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import ProgrammingError, connection
from django.db.migrations.state import ProjectState

from meetings.models import MeetingRegistrant
from zoomadmin.records.lists import search_records
from zoomadmin.records.models import ZoomRecord
from zoomadmin.records.trigram import TrigramIndexes, index_name, trigram_available

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's"
)

# Every text column a list searches by word (its admin's search_fields, "icontains").
SEARCHED = [
    ("users", "zoomuser", ["email", "first_name", "last_name", "display_name"]),
    ("meetings", "meeting", ["topic", "host_email", "host_zoom_id"]),
    ("meetings", "webinar", ["topic", "host_email", "host_zoom_id"]),
    ("meetings", "meetingregistrant", ["email", "first_name", "last_name"]),
    ("meetings", "webinarregistrant", ["email", "first_name", "last_name"]),
    ("meetings", "cloudrecording", ["topic"]),
    ("meetings", "webinarparticipant", ["name", "email"]),
]


def _plan(queryset) -> str:
    """The plan of ``queryset`` with every scan but a bitmap one disabled: a column without an
    index that serves the condition shows a (disabled, still chosen) sequential scan."""
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
    return queryset.explain()


def test_the_indexes_cover_every_word_searched_column():
    for app_label, model_name, columns in SEARCHED:
        model = apps.get_model(app_label, model_name)
        fields = admin.site.get_model_admin(model).search_fields
        words = {name for name in fields if name[:1] not in "=^@" and "__" not in name}
        assert words == set(columns), model_name


@on_postgresql
@pytest.mark.django_db
def test_djangos_icontains_is_served_by_each_columns_trigram_index():
    assert trigram_available(connection)
    for app_label, model_name, columns in SEARCHED:
        model = apps.get_model(app_label, model_name)
        for column in columns:
            plan = _plan(model.objects.filter(**{f"{column}__icontains": "Ada Lovelace"}))
            expected = index_name(model._meta.db_table, model._meta.get_field(column).column)
            assert f"Bitmap Index Scan on {expected}" in plan, plan


@on_postgresql
@pytest.mark.django_db
def test_the_admins_search_of_several_columns_is_one_bitmap_of_their_indexes():
    fields = admin.site.get_model_admin(MeetingRegistrant).search_fields
    queryset, _ = search_records(MeetingRegistrant.objects.all(), fields, "lovelace@example")
    plan = _plan(queryset)
    assert "BitmapOr" in plan and "Seq Scan" not in plan, plan
    for column in ("email", "first_name", "last_name"):
        assert index_name("meetings_meetingregistrant", column) in plan


def _leading_columns(model) -> list[list[str]]:
    """The fields of each index and unique constraint of ``model``, in order."""
    meta = model._meta
    found = [list(index.fields) for index in meta.indexes]
    found += [list(c.fields) for c in meta.constraints if getattr(c, "fields", None)]
    found += [[f.name] for f in meta.fields if f.db_index or f.unique]
    return [[name.lstrip("-") for name in fields] for fields in found]


def test_a_search_by_zoom_id_has_an_index_that_leads_with_it():
    """``=zoom_id`` (and ``=meeting_zoom_id``) of every list of Zoom records, in the whole
    table (a superuser's) or in a staff member's tenants, is served by an index that starts
    with that column: one on (tenant, zoom_id) or (tenant, meeting, zoom_id), as the unique
    keys are, would be read from end to end."""
    for model in apps.get_models():
        if not issubclass(model, ZoomRecord):
            continue
        fields = getattr(admin.site._registry.get(model), "search_fields", ())
        for name in (name[1:] for name in fields if name[:1] == "=" and "__" not in name):
            indexes = _leading_columns(model)
            assert [name] in [columns[:1] for columns in indexes], (model, name)


# --- the migration without the extension -----------------------------------------------------


class _Cursor:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, params=None):
        pass

    def fetchone(self):
        return None  # pg_trgm is not installed


class _PostgreSQL:
    vendor = "postgresql"
    alias = "default"

    def cursor(self):
        return _Cursor()


class _Editor:
    """A schema editor of a PostgreSQL database whose role may not create ``pg_trgm``."""

    collect_sql = False
    connection = _PostgreSQL()

    def __init__(self, *, may_create: bool) -> None:
        self.may_create = may_create
        self.executed: list[str] = []

    def quote_name(self, name: str) -> str:
        return f'"{name}"'

    def execute(self, sql: str, params=()) -> None:
        if sql.startswith("CREATE EXTENSION") and not self.may_create:
            raise ProgrammingError('permission denied to create extension "pg_trgm"')
        self.executed.append(sql)


OPERATION = TrigramIndexes([("meetingregistrant", "email"), ("meetingregistrant", "last_name")])


@pytest.mark.django_db
def test_the_migration_skips_the_indexes_when_the_extension_cannot_be_created(caplog):
    state = ProjectState.from_apps(apps)
    editor = _Editor(may_create=False)
    with caplog.at_level(logging.WARNING, logger="zoomadmin.records.trigram"):
        OPERATION.database_forwards("meetings", editor, state, state)
    assert editor.executed == []  # no index, and no exception
    assert "pg_trgm" in caplog.text and "every row" in caplog.text


@pytest.mark.django_db
def test_the_migration_makes_the_indexes_once_the_extension_is_there():
    state = ProjectState.from_apps(apps)
    editor = _Editor(may_create=True)
    OPERATION.database_forwards("meetings", editor, state, state)
    assert editor.executed == [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        'CREATE INDEX IF NOT EXISTS "meetings_meetingregistrant_email_trgm" ON '
        '"meetings_meetingregistrant" USING gin (UPPER("email"::text) gin_trgm_ops)',
        'CREATE INDEX IF NOT EXISTS "meetings_meetingregistrant_last_name_trgm" ON '
        '"meetings_meetingregistrant" USING gin (UPPER("last_name"::text) gin_trgm_ops)',
        'ANALYZE "meetings_meetingregistrant"',
    ]
    backwards = _Editor(may_create=True)
    OPERATION.database_backwards("meetings", backwards, state, state)
    assert backwards.executed == [
        'DROP INDEX IF EXISTS "meetings_meetingregistrant_email_trgm"',
        'DROP INDEX IF EXISTS "meetings_meetingregistrant_last_name_trgm"',
    ]


@pytest.mark.django_db
def test_nothing_of_it_reaches_another_database():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's case")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE '%trgm%'")
        assert cursor.fetchall() == []
