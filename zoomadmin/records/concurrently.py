"""Index changes that leave a table open to writes while they run.

A plain ``CREATE INDEX`` on PostgreSQL blocks every write to its table until the index is
built, and in a migration's transaction any lock is held to its end: on a table of millions of
rows (webhook events, registrants) the receiver's inserts and the sync's upserts would wait for
minutes, and Zoom gives up on a delivery after three seconds. ``Concurrently(AddIndex(…))`` and
``Concurrently(RemoveIndex(…))`` build or drop the index ``CONCURRENTLY`` on PostgreSQL (Django's
``AddIndexConcurrently`` and ``RemoveIndexConcurrently``, which need a migration with
``atomic = False``) and run as they are elsewhere. ``OnPostgreSQL(sql, operation)`` runs other
SQL on PostgreSQL (a unique index built concurrently, then made the constraint) for the state
of ``operation``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex, RemoveIndex
from django.db.migrations.operations.base import Operation


class OnPostgreSQL(Operation):
    """``postgresql`` on PostgreSQL and ``operation`` elsewhere, both for the state of
    ``operation``."""

    reversible = True

    def __init__(self, postgresql: Operation, operation: Operation) -> None:
        self.postgresql = postgresql
        self.operation = operation

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.postgresql, self.operation], {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        self.operation.state_forwards(app_label, state)

    def _chosen(self, schema_editor: Any) -> Operation:
        return (
            self.postgresql if schema_editor.connection.vendor == "postgresql" else self.operation
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._chosen(schema_editor).database_forwards(
            app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._chosen(schema_editor).database_backwards(
            app_label, schema_editor, from_state, to_state
        )

    def describe(self) -> str:
        return self.operation.describe()

    @property
    def migration_name_fragment(self) -> str:
        return self.operation.migration_name_fragment


def Concurrently(operation: AddIndex | RemoveIndex) -> OnPostgreSQL:  # noqa: N802 - an operation
    """``operation``, built or dropped without blocking writes on PostgreSQL."""
    if isinstance(operation, AddIndex):
        return OnPostgreSQL(AddIndexConcurrently(operation.model_name, operation.index), operation)
    if isinstance(operation, RemoveIndex):
        return OnPostgreSQL(
            RemoveIndexConcurrently(operation.model_name, operation.name), operation
        )
    raise TypeError(f"not an index operation: {operation!r}")
