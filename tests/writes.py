"""Counting the rows a piece of code writes to synced tables (the no-op re-sync promise).

``count_rows_written()`` wraps every query of the default connection and adds up the rows that
INSERT, UPDATE and DELETE statements on synced tables report (``cursor.rowcount``): an UPDATE
that matches nothing writes nothing. Used by the tests and the benchmark.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+["`]?(\w+)["`]?', re.IGNORECASE)


def synced_tables() -> set[str]:
    from zoomadmin.tenants.services import synced_data_models

    return {model._meta.db_table for model in synced_data_models()}


class RowsWritten(Counter):
    """Rows written per table."""

    @property
    def total(self) -> int:
        return sum(self.values())


@contextmanager
def count_rows_written(
    tables: set[str] | None = None, *, using: str = DEFAULT_DB_ALIAS
) -> Iterator[RowsWritten]:
    """Count rows written to ``tables`` (default: every synced table) inside the block."""
    watched = synced_tables() if tables is None else tables
    written = RowsWritten()

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict):
        result = execute(sql, params, many, context)
        match = _WRITE.match(sql)
        if match and match.group(1) in watched:
            rowcount = context["cursor"].rowcount
            written[match.group(1)] += max(rowcount, 0)
        return result

    with connections[using].execute_wrapper(wrapper):
        yield written
