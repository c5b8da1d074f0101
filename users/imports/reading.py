"""Reading a CSV file of Zoom users and checking every row, without asking Zoom (the dry run).

The file, as Excel's "CSV UTF-8" and other spreadsheets write it:

- UTF-8 text, with or without a byte-order mark; comma-separated, or semicolon- or
  tab-separated when its header has no comma (spreadsheets where the decimal mark is a comma
  write semicolons); blank lines are skipped;
- a header row naming the columns as Zoom names the fields of ``POST /users`` (SPEC §10):
  ``email`` and ``type`` are required, ``first_name``, ``last_name``, ``display_name``,
  ``dept``, ``job_title`` and ``password`` (autoCreate only) optional, as the add form has
  them; a name is read regardless of case, spaces and hyphens (``First Name``);
- ``type`` is Zoom's user type, by number or name (Users OpenAPI, ``user_info.type``: ``1``
  Basic, ``2`` Licensed, ``4`` Unassigned without Meetings Basic);
- at most ``MAX_ROWS`` rows and ``MAX_BYTES`` bytes.

A row will be created exactly when the add form would accept it (:class:`UserImportRowForm`),
its e-mail address is on no earlier row, and no user of the tenant is stored with it. Rows are
numbered as a spreadsheet numbers them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower

from users.forms import USER_TYPES, UserCreateForm
from users.models import ZoomUser
from zoomadmin.records.upsert import select_batches
from zoomadmin.tenants.models import Tenant

COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "display_name",
    "type",
    "dept",
    "job_title",
    "password",
)
REQUIRED_COLUMNS = ("email", "type")
MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024
TYPE_NAMES = {label.casefold(): str(value) for value, label in USER_TYPES} | {"unassigned": "4"}
TYPES_IN_WORDS = ", ".join(f"{value} {label}" for value, label in USER_TYPES)
# Users OpenAPI, POST /users: "These rate limits apply when you use the `create` value for the
# `action` field: 50 requests per day for Free accounts, 1,500 requests per day for Pro
# accounts, 10,000 requests per day for Business+ accounts."
INVITATIONS_PER_DAY = {"free": 50, "pro": 1_500, "business": 10_000}


class ImportFileError(Exception):
    """The file cannot be read as users, so nothing of it is imported; the message says why."""


class UserImportRowForm(UserCreateForm):
    """One row, checked by the add form's own fields and rules: the account and Zoom's way of
    creating are chosen once, for the whole file."""

    def __init__(self, data: dict[str, Any], *, action: str, no_tenants: Any) -> None:
        super().__init__({**data, "action": action}, tenants=no_tenants)
        del self.fields["tenant"]


@dataclass
class ImportRow:
    number: int
    #: The row's cells by column (the file's text, as read).
    values: dict[str, str]
    #: Why it will not be created, in words; empty: it will be.
    errors: list[str] = field(default_factory=list)
    #: What ``users.services.user_create`` is given for it (a row that passed).
    user_info: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def email(self) -> str:
        return self.values.get("email", "").strip()


@dataclass
class ImportPreview:
    columns: list[str]
    rows: list[ImportRow]
    #: What the administrator should know before confirming (Zoom's daily limits).
    notes: list[str] = field(default_factory=list)

    @property
    def good(self) -> list[ImportRow]:
        return [row for row in self.rows if row.ok]

    @property
    def bad(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.ok]


def preview(*, tenant: Tenant, action: str, data: bytes) -> ImportPreview:
    """Every row of the file ``data`` with what importing it into ``tenant`` would do; raises
    :class:`ImportFileError` for a file that cannot be read as users. Asks Zoom nothing."""
    columns, rows = read(data)
    stored = _stored(tenant, {row.email.lower() for row in rows if row.email})
    first_row: dict[str, int] = {}
    # Evaluated once: the add form counts its tenants, which would be a query per row.
    no_tenants = Tenant.objects.none()
    list(no_tenants)
    for row in rows:
        values = {**row.values, "type": _type_value(row.values.get("type", ""))}
        form = UserImportRowForm(values, action=action, no_tenants=no_tenants)
        if form.is_valid():
            row.user_info, row.changes = form.user_info(), form.changes()
        else:
            row.errors.extend(_form_errors(form, row.values))
        address = row.email.lower()
        if not address:
            continue
        if address in first_row:
            row.errors.append(f"duplicate: the same e-mail address as row {first_row[address]}")
        else:
            first_row[address] = row.number
            if address in stored:
                row.errors.append(
                    f"already a user of this Zoom account ({stored[address]}, as last synced)"
                )
    result = ImportPreview(columns=columns, rows=rows)
    cap = INVITATIONS_PER_DAY.get(tenant.plan)
    if action == "create" and cap is not None and len(result.good) > cap:
        result.notes.append(
            f"Zoom sends at most {cap:,} invitations (create) a day for a "
            f"{tenant.get_plan_display()} account: the job pauses when Zoom says the day's "
            "limit is reached and goes on by itself after it resets."
        )
    return result


def read(data: bytes) -> tuple[list[str], list[ImportRow]]:
    """The columns and the non-blank rows of the file ``data`` (a row's shape problems already
    among its errors); :class:`ImportFileError` when it cannot be read as users."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES:,} bytes: split it.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ImportFileError(
            f"The file is not UTF-8 text: line {line} holds a byte (0x{data[error.start]:02x}) "
            "that UTF-8 does not allow. Save it as “CSV UTF-8” (Excel: File → Save As) and "
            "upload it again."
        ) from None
    if not text.strip():
        raise ImportFileError("The file is empty.")
    # strict: a quote left open swallows the rest of the file, which is no row of users.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    columns: list[str] | None = None
    rows: list[ImportRow] = []
    try:
        for number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                columns = _columns(cells)
                continue
            if len(rows) == MAX_ROWS:
                raise ImportFileError(
                    f"The file has more than {MAX_ROWS:,} rows: split it into files of at "
                    f"most {MAX_ROWS:,}."
                )
            rows.append(_row(number, columns, cells))
    except csv.Error as error:
        raise ImportFileError(
            f"The file is not readable as CSV (line {reader.line_num}): {error}."
        ) from None
    if columns is None or not rows:
        raise ImportFileError("The file has a header but no rows.")
    return [name for name in columns if name], rows


def _delimiter(text: str) -> str:
    header = text.lstrip().split("\n", 1)[0]
    if "," not in header:
        for candidate in (";", "\t"):
            if candidate in header:
                return candidate
    return ","


def _columns(header: list[str]) -> list[str]:
    """The header's column names as Zoom's fields ("" for an unnamed column)."""
    names = [re.sub(r"[\s-]+", "_", cell.strip().lower()) for cell in header]
    unknown = [
        cell.strip()
        for cell, name in zip(header, names, strict=True)
        if name not in COLUMNS and name
    ]
    if unknown:
        raise ImportFileError(
            f"The header names columns that Zoom's users do not have: {', '.join(unknown)}. "
            f"The columns are {', '.join(COLUMNS)}."
        )
    twice = sorted({name for name in names if name and names.count(name) > 1})
    if twice:
        raise ImportFileError(f"The header names a column twice: {', '.join(twice)}.")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise ImportFileError(
            f"The header has no column {' and no column '.join(missing)} (required: "
            f"{', '.join(REQUIRED_COLUMNS)}). Is the first row the header?"
        )
    return names


def _row(number: int, columns: list[str], cells: list[str]) -> ImportRow:
    row = ImportRow(number=number, values={})
    for index, cell in enumerate(cells):
        name = columns[index] if index < len(columns) else ""
        if name:
            row.values[name] = cell
        elif cell.strip():
            row.errors.append(f"a value in column {index + 1}, which the header does not name")
    return row


def _type_value(text: str) -> str:
    """Zoom's user type as the form takes it: its number, also when the row names it."""
    text = text.strip()
    return TYPE_NAMES.get(text.casefold(), text)


def _form_errors(form: UserImportRowForm, values: dict[str, str]) -> list[str]:
    words = []
    for name, errors in form.errors.as_data().items():
        words.extend(_error_in_words(name, error, values.get(name, "").strip()) for error in errors)
    return words


def _error_in_words(name: str, error: ValidationError, value: str) -> str:
    if error.code == "required":
        return f"{name} is empty (required)"
    if name == "email" and error.code == "invalid":
        return f"bad email: {value!r} is not an e-mail address"
    if name == "type" and error.code == "invalid_choice":
        return f"unknown type {value!r}: Zoom's types are {TYPES_IN_WORDS} (number or name)"
    if error.code == "max_length":
        limit, length = error.params["limit_value"], error.params["show_value"]
        return f"{name} too long: {length} characters, Zoom takes at most {limit}"
    message = " ".join(error.messages)
    if name == "password":
        message = re.sub(r"\s*\([^)]*\)", "", message)  # it would quote part of the password
    return f"{name}: {message}"


def _stored(tenant: Tenant, addresses: set[str]) -> dict[str, str]:
    """Of ``addresses`` (lowercase), those of users stored as present for ``tenant``, with
    their status in words."""
    users = ZoomUser.objects.filter(tenant=tenant, deleted_at__isnull=True).annotate(
        address=Lower("email")
    )
    statuses = dict(ZoomUser.Status.choices)
    found: dict[str, str] = {}
    for chunk in select_batches(addresses):
        for address, status in users.filter(address__in=chunk).values_list("address", "status"):
            found[address] = statuses.get(status, status or "stored").lower()
    return found
