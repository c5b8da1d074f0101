"""The small request/response vocabulary shared by the sandbox's OAuth, API and control handlers.

Handlers are plain functions from a `Request` to a `Response`; only `server.py` knows about
sockets. Zoom's REST errors all have one shape, `{"code": <int>, "message": "<text>"}` (plus an
`errors` list for validation failures, code 300), which `ApiError` renders.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"


@dataclass(slots=True)
class Request:
    method: str
    path: str  # percent-decoded once, without the query string
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes = b""

    def json(self) -> dict[str, Any]:
        """The JSON object body; `{}` when there is none. Anything else is Zoom's code 300."""
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ApiError(400, 300, "Request Body should be a valid JSON object.")
        return data

    def form(self) -> dict[str, str]:
        """Form fields, with query parameters as a fallback (Zoom's token endpoint takes both)."""
        fields = dict(self.query)
        content_type = self.headers.get("Content-Type", "")
        if self.body and "json" not in content_type:
            fields.update(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return fields


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Close the connection without answering (a dropped connection, as a flaky network does).
    drop: bool = False
    # A body too large to hold (a recording file): written chunk by chunk instead of `body`;
    # its handler sets Content-Length in `headers`.
    stream: Iterable[bytes] | None = None

    @classmethod
    def json(cls, status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(data, separators=(",", ":")).encode()
        return cls(status, body, {"Content-Type": JSON_CONTENT_TYPE, **(headers or {})})

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status)

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(302, headers={"Location": location})

    @classmethod
    def dropped(cls) -> Response:
        return cls(0, drop=True)


class ApiError(Exception):
    """A Zoom REST error: HTTP status, Zoom error code and message."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return Response.json(self.status, body, self.headers)


def validation_error(*fields: str) -> ApiError:
    """Zoom's answer to a body that fails validation: 400, code 300, one entry per field."""
    return ApiError(
        400,
        300,
        "Validation Failed.",
        errors=[{"field": name, "message": "Invalid field."} for name in fields],
    )
