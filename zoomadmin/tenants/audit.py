"""Writes to Zoom, each one audited.

Every change this app asks Zoom for (a user created, a meeting deleted, a registrant approved)
goes through :func:`zoom_write`, which makes the one request and then records a ``ZoomWrite``
whatever happened: who asked, the tenant, the object, the action, the query and body as sent
with secret values masked (passcodes, passwords, host keys), and Zoom's answer or error.

The record is written in a transaction of its own (``durable``): a write to Zoom is never made
inside a caller's transaction, whose rollback would lose both the audit and, worse, a refresh
token Zoom rotated during the call (``zoomadmin.tenants.tokens``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db import transaction

from zoomadmin.tenants.models import Tenant, ZoomWrite
from zoomadmin.zoom.client import RawResponse, ZoomClient, api_path
from zoomadmin.zoom.errors import ZoomError, ZoomRateLimited

_T = TypeVar("_T")

# Parts of a key that mark its value secret (Zoom's "password" is a meeting's passcode or an
# autoCreate user's password; "host_key" claims host controls; a meeting's "start_url" "should
# not be shared with anyone other than the host … anyone with this URL will be able to log in
# to the Zoom Client as the host"; a registrant's "participant_pin_code" is "used to
# authenticate audio participants").
SECRET_PARTS = ("password", "passcode", "host_key", "secret", "token", "start_url", "pin_code")
MASK = "********"


class ReadBackFailed(Exception):
    """Zoom accepted a write, but reading the result back failed: ``record`` shows what was
    asked, and a re-sync shows what Zoom holds. Not a failure of the write."""

    def __init__(self, record: Any, error: ZoomError) -> None:
        super().__init__(
            f"Zoom accepted it, but reading {record} back failed ({error}): shown as asked; "
            "re-sync to see what Zoom holds."
        )
        self.record = record
        self.error = error


def masked(value: Any) -> Any:
    """``value`` with the value of every secret-named key replaced by a mask, at any depth."""
    if isinstance(value, Mapping):
        return {
            key: MASK if is_secret(str(key)) and item not in (None, "") else masked(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [masked(item) for item in value]
    return value


def is_secret(key: str) -> bool:
    """Whether a key of Zoom's JSON names a secret (``SECRET_PARTS``)."""
    lowered = key.lower()
    return any(part in lowered for part in SECRET_PARTS)


def zoom_write(
    call: Callable[[], _T],
    *,
    tenant: Tenant,
    actor: Any,
    kind: str,
    zoom_id: str,
    label: str,
    action: str,
    method: str,
    path: str,
    query: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
    zoom_id_of_answer: Callable[[Any], str] | None = None,
) -> _T:
    """Make the Zoom request ``call`` (the one described by ``method``, ``path``, ``query`` and
    ``body``), record it, and return its answer; a ``ZoomError`` is recorded and raised.
    ``zoom_id_of_answer`` names the object a create made, from Zoom's answer."""
    asked = {name: masked(dict(part)) for name, part in (("query", query), ("body", body)) if part}
    entry = ZoomWrite(
        tenant=tenant,
        user=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        zoom_id=str(zoom_id),
        object_repr=label[:300],
        action=action,
        method=method,
        path=path[:500],
        asked=asked,
    )
    try:
        answer = call()
    except ZoomError as error:
        refused = (
            error.status is not None
            and 400 <= error.status < 500
            and not isinstance(error, ZoomRateLimited)
        )
        entry.outcome = ZoomWrite.Outcome.REFUSED if refused else ZoomWrite.Outcome.FAILED
        entry.status = error.status
        entry.code = error.code
        entry.message = str(error)
        entry.answer = {"errors": masked(error.errors)} if error.errors else {}
        _save(entry)
        raise
    entry.outcome = ZoomWrite.Outcome.SUCCEEDED
    entry.answer = masked(answer) if isinstance(answer, Mapping) else {}
    if zoom_id_of_answer is not None:
        entry.zoom_id = zoom_id_of_answer(answer)
    _save(entry)
    return answer


def _save(entry: ZoomWrite) -> None:
    with transaction.atomic(durable=True):
        entry.save()


def audited_raw_request(
    *,
    client: ZoomClient,
    tenant: Tenant,
    actor: Any,
    method: str,
    path: str,
    query: Mapping[str, Any] | None = None,
    body: Any = None,
) -> RawResponse:
    """A superuser's raw request (SPEC §7 "any endpoint"), whatever Zoom answers, recorded like
    every write: the path must lie under the API base (``zoom.client.api_path``), else
    ``UnsafeApiPath`` and no request."""
    api_path(path)
    entry = ZoomWrite(
        tenant=tenant,
        user=actor if getattr(actor, "pk", None) else None,
        kind="raw request",
        object_repr=f"{method} {path}"[:300],
        action="raw request",
        method=method,
        path=path[:500],
        asked={
            name: masked(part if isinstance(part, Mapping) else {"json": part})
            for name, part in (("query", query), ("body", body))
            if part
        },
    )
    try:
        answer = client.raw_request(method, path, params=query or None, json=body)
    except ZoomError as error:
        entry.outcome = ZoomWrite.Outcome.FAILED
        entry.message = str(error)
        _save(entry)
        raise
    entry.status = answer.status
    if answer.ok:
        entry.outcome = ZoomWrite.Outcome.SUCCEEDED
    elif 400 <= answer.status < 500 and answer.status != 429:
        entry.outcome = ZoomWrite.Outcome.REFUSED
    else:
        entry.outcome = ZoomWrite.Outcome.FAILED
    if isinstance(answer.body, Mapping):
        entry.code = answer.body.get("code") if isinstance(answer.body.get("code"), int) else None
        entry.message = str(answer.body.get("message") or "")[:2000] if not answer.ok else ""
        entry.answer = masked(dict(answer.body)) if not answer.ok else {}
    _save(entry)
    return answer
