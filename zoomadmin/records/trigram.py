"""Trigram indexes (PostgreSQL's ``pg_trgm``) under the admin's word search.

The admin matches a word in a text column with Django's ``icontains``, which Django sends to
PostgreSQL as ``UPPER("table"."column"::text) LIKE UPPER('%word%')``. No B-tree serves a
pattern that starts with a wildcard, so without help a search reads the whole list (at best
its covering index) to find and count its matches. A GIN index of that very expression with
``gin_trgm_ops`` serves it: PostgreSQL reads the rows holding the word's trigrams, and an ``OR``
of several columns becomes a ``BitmapOr`` of their indexes.

``TrigramIndexes`` is the migration operation that makes them. It changes no model state (the
indexes are PostgreSQL's alone) and does nothing on another database. ``pg_trgm`` is a trusted
extension (PostgreSQL 13+): the database's owner may create it, which the operation does when it
is missing. When it cannot (an older server, a role that may not, a server without the
contrib package), the operation makes no index and logs why; the search then reads every row
of the list, as before. Migrating backwards and forwards again makes them once the extension
exists.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import DatabaseError, transaction
from django.db.migrations.operations.base import Operation

logger = logging.getLogger(__name__)

EXTENSION = "pg_trgm"


def index_name(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"[:63]


def trigram_available(connection) -> bool:
    """Whether ``pg_trgm`` is installed in ``connection``'s PostgreSQL database."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [EXTENSION])
        return cursor.fetchone() is not None


def _create_extension(schema_editor) -> bool:
    connection = schema_editor.connection
    if schema_editor.collect_sql:  # sqlmigrate: show what would run
        schema_editor.execute(f"CREATE EXTENSION IF NOT EXISTS {EXTENSION}")
        return True
    if trigram_available(connection):
        return True
    try:
        with transaction.atomic(using=connection.alias):  # a savepoint: the migration goes on
            schema_editor.execute(f"CREATE EXTENSION IF NOT EXISTS {EXTENSION}")
    except DatabaseError as error:
        logger.warning(
            "PostgreSQL's %s extension could not be created (%s): the admin's word search "
            "reads every row of the list. Once a superuser has run CREATE EXTENSION %s in "
            "this database, migrate this app backwards and forwards to make the indexes.",
            EXTENSION,
            str(error).strip(),
            EXTENSION,
        )
        return False
    return True


class TrigramIndexes(Operation):
    """GIN trigram indexes of ``UPPER(column::text)`` for each ``(model_name, field_name)``
    of ``columns`` (PostgreSQL only; then the tables are analyzed, which gives the planner
    the statistics of the indexed expressions)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, columns: Sequence[tuple[str, str]]) -> None:
        self.columns = [tuple(column) for column in columns]

    def deconstruct(self) -> tuple[str, list, dict]:
        return self.__class__.__name__, [self.columns], {}

    def state_forwards(self, app_label: str, state) -> None:
        pass

    def _targets(self, app_label: str, state) -> list[tuple[str, str]]:
        targets = []
        for model_name, field_name in self.columns:
            opts = state.apps.get_model(app_label, model_name)._meta
            targets.append((opts.db_table, opts.get_field(field_name).column))
        return targets

    def database_forwards(self, app_label: str, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor != "postgresql" or not _create_extension(schema_editor):
            return
        quote = schema_editor.quote_name
        targets = self._targets(app_label, to_state)
        for table, column in targets:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(index_name(table, column))} ON {quote(table)} "
                f"USING gin (UPPER({quote(column)}::text) gin_trgm_ops)"
            )
        for table in dict.fromkeys(table for table, _ in targets):
            schema_editor.execute(f"ANALYZE {quote(table)}")

    def database_backwards(self, app_label: str, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        for table, column in self._targets(app_label, from_state):
            schema_editor.execute(f"DROP INDEX IF EXISTS {quote(index_name(table, column))}")

    def describe(self) -> str:
        names = ", ".join(f"{model}.{field}" for model, field in self.columns)
        return f"Trigram indexes (PostgreSQL) of {names}"

    @property
    def migration_name_fragment(self) -> str:
        return "trigram_indexes"
