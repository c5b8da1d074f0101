"""The writes a bulk job can make, declared by the apps that own the records.

Each app lists its operations in ``<app>/operations.py`` (imported by its ``AppConfig.ready``)
with the :func:`operation` decorator. A job stores only the operation's name and plain
parameters, so a worker process finds the same function by name; a name that no app
declared is refused.

An operation does one record::

    @operation("users.deactivate", model=ZoomUser)
    def deactivate(*, tenant, client, actor, record, **params) -> str | None: ...

or, with ``batch_size``, up to that many records of one ``batch_key`` (one meeting's
registrants, in one ``PUT …/registrants/status``)::

    @operation("registrants.approve", model=MeetingRegistrant, batch_size=30,
               batch_key=lambda registrant: registrant.meeting_id)
    def approve(*, tenant, client, actor, records, **params) -> Mapping[int, str | None]: ...

or, with ``rows=True``, one row that is not a record yet (a CSV line of users to create): the
job's item carries the row as plain JSON (``BulkJobItem.payload``), and ``model`` only names
whose permission (``permission``: "change", or "add" for creating) a retry takes::

    @operation("users.import_create", model=ZoomUser, rows=True, permission="add", ...)
    def import_create(*, tenant, client, actor, row, **params) -> str | None: ...

It returns a note for the record or row (or ``None``), by record pk for a batch; a
``ZoomError`` it raises is the record's (or the whole batch's) failure in Zoom's words, and
:class:`OperationRefused` a refusal made here, without a request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


class OperationRefused(Exception):
    """An operation declines a record without asking Zoom (Zoom would refuse it by design:
    a pending user cannot be deactivated, an owner cannot be). Its message is the reason."""


@dataclass(frozen=True)
class Operation:
    name: str
    model: type[models.Model]
    run: Callable[..., Any]
    #: What an administrator reads: "Deactivate", "Approve".
    verb: str
    #: Past tense, for the outcome: "Deactivated".
    done: str
    batch_size: int = 1
    batch_key: Callable[[Any], Any] | None = None
    select_related: tuple[str, ...] = ()
    #: Works on the items' own rows (``payload``), not on stored records of ``model``.
    rows: bool = False
    #: The permission on ``model`` that doing (and retrying) it takes.
    permission: str = "change"
    #: Safe to do again from the start when a worker died in the middle (it makes no change in
    #: Zoom, e.g. an archive copy): such an item is done again, not marked interrupted.
    repeatable: bool = False
    #: At most this many records at once (0: as many as the tenant's request budget can use);
    #: for work whose cost is not the request (a download's bytes).
    concurrency: int = 0

    @property
    def subject(self) -> str:
        """The keyword the operation is handed what it does by: ``record`` or ``row``."""
        return "row" if self.rows else "record"


OPERATIONS: dict[str, Operation] = {}


def operation(
    name: str,
    *,
    model: type[models.Model],
    verb: str,
    done: str,
    batch_size: int = 1,
    batch_key: Callable[[Any], Any] | None = None,
    select_related: tuple[str, ...] = (),
    rows: bool = False,
    permission: str = "change",
    repeatable: bool = False,
    concurrency: int = 0,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    if rows and batch_size != 1:
        raise ValueError(f"operation {name!r}: an operation on rows does one row at a time")

    def register(run: Callable[..., Any]) -> Callable[..., Any]:
        if name in OPERATIONS and OPERATIONS[name].run is not run:
            raise ValueError(f"operation {name!r} is declared twice")
        OPERATIONS[name] = Operation(
            name=name,
            model=model,
            run=run,
            verb=verb,
            done=done,
            batch_size=batch_size,
            batch_key=batch_key,
            select_related=select_related,
            rows=rows,
            permission=permission,
            repeatable=repeatable,
            concurrency=concurrency,
        )
        return run

    return register


def get_operation(name: str) -> Operation:
    try:
        return OPERATIONS[name]
    except KeyError:
        raise LookupError(f"no operation {name!r} is declared") from None
