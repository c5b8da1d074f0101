"""Check HTTP exchanges with Zoom against Zoom's published OpenAPI descriptions.

The descriptions are the trimmed copies in ``tests/contract/zoom-api/`` (see ``SOURCES.md``):
Zoom's Users, Meetings, Team Chat and Phone documents, each declaring the server
``https://api.zoom.us/v2``. An exchange sent to any base URL (the sandbox's
``http://127.0.0.1:PORT/v2``) is re-addressed onto that server, then openapi-core checks

- the request: path parameters, query parameters, JSON body, and that credentials are sent;
- the response: the status is one the operation lists, and the JSON body fits its schema.

Zoom documents its error bodies only in prose (each error response's description lists
"**Error Code:** `3001`" lines, and the errors page says the body is ``{"code", "message"}``),
so for 4xx responses this module also checks that shape and that the code is one the
description lists, when it lists any.

Zoom's schemas never set ``additionalProperties: false``, so a misspelt field would pass the
schema check; responses are therefore also checked for fields the description does not name
anywhere (through ``allOf``/``oneOf``/``anyOf``), which catches a sandbox inventing fields.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

SPEC_DIR = Path(__file__).resolve().parent / "zoom-api"
SPEC_FILES = (
    "users/endpoints.json",
    "meetings/Meetings.json",
    "team-chat/endpoints.json",
    "phone/zoom-phone-api-openapi.json",
)
ZOOM_SERVER = "https://api.zoom.us/v2"
_ERROR_CODE = re.compile(r"\*\*Error Code:\*\*\s*`(\d+)`")
_MAX_DETAIL = 300  # jsonschema quotes whole instances; a wrong meeting body would fill a screen


@dataclass(frozen=True)
class Operation:
    spec_file: str
    method: str
    template: str
    responses: dict[str, Any]


@dataclass(frozen=True)
class Contract:
    """The loaded descriptions and an index from (method, path) to their operation."""

    apps: dict[str, OpenAPI]
    operations: tuple[tuple[re.Pattern[str], Operation], ...]

    def find(self, method: str, path: str) -> Operation | None:
        for pattern, operation in self.operations:
            if operation.method == method and pattern.fullmatch(path):
                return operation
        return None


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


@functools.cache
def load_contract(spec_dir: Path = SPEC_DIR) -> Contract:
    """Load (and check) each description once per process: openapi-core is slow to build them."""
    apps: dict[str, OpenAPI] = {}
    operations: list[tuple[re.Pattern[str], Operation]] = []
    for spec_file in SPEC_FILES:
        with open(spec_dir / spec_file, encoding="utf-8") as handle:
            document = json.load(handle)
        apps[spec_file] = OpenAPI.from_dict(document)
        for template, item in document["paths"].items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "responses" in operation:
                    operations.append(
                        (
                            _template_pattern(template),
                            Operation(spec_file, method, template, operation["responses"]),
                        )
                    )
    return Contract(apps=apps, operations=tuple(operations))


class _ZoomAddressedRequest(RequestsOpenAPIRequest):
    """A recorded request, seen as if it had been sent to ``https://api.zoom.us/v2``."""

    def __init__(self, request: requests.PreparedRequest, relative_path: str) -> None:
        super().__init__(request)
        self._relative_path = relative_path

    @property
    def host_url(self) -> str:
        return "https://api.zoom.us"

    @property
    def path(self) -> str:
        return "/v2" + self._relative_path


def relative_path(url: str, base_url: str) -> str | None:
    """The path of ``url`` under ``base_url`` (still percent-encoded), or None if outside it."""
    base = urlsplit(base_url.rstrip("/"))
    target = urlsplit(url)
    if (target.scheme, target.netloc) != (base.scheme, base.netloc):
        return None
    if not target.path.startswith(base.path + "/"):
        return None
    return target.path[len(base.path) :]


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _describe(error: Exception) -> Iterator[str]:
    """One line for the error, then one per JSON-schema violation with its location."""
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if not schema_errors:
        yield _truncate(f"{type(error).__name__}: {error}")
        return
    yield type(error).__name__ + (f" ({error.name})" if hasattr(error, "name") else "")
    for schema_error in schema_errors:
        where = "/".join(str(p) for p in schema_error.absolute_path) or "(root)"
        yield _truncate(f"  at {where}: {schema_error.message}")


def _documented_properties(schema: Any) -> dict[str, list[Any]] | None:
    """Field name -> the schemas describing it, merged through allOf/oneOf/anyOf.

    None when the schema names no fields or is a free-form map (``additionalProperties``).
    """
    if not isinstance(schema, dict) or schema.get("additionalProperties") not in (None, False):
        return None
    fields: dict[str, list[Any]] | None = None
    if "properties" in schema:
        fields = {name: [sub] for name, sub in schema["properties"].items()}
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            part_fields = _documented_properties(part)
            if part_fields is None:
                continue
            fields = fields if fields is not None else {}
            for name, subs in part_fields.items():
                fields.setdefault(name, []).extend(subs)
    return fields


def _item_schemas(schema: Any) -> list[Any]:
    if not isinstance(schema, dict):
        return []
    found = [schema["items"]] if "items" in schema else []
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            found.extend(_item_schemas(part))
    return found


def undocumented_fields(data: Any, schema: Any, path: str = "") -> Iterator[str]:
    """Paths (list indices as ``*``) of fields in ``data`` that ``schema`` never names."""
    if isinstance(data, dict):
        fields = _documented_properties(schema)
        if fields is None:
            return
        for name, value in data.items():
            if name not in fields:
                yield f"{path}{name}"
            else:
                yield from undocumented_fields(value, {"allOf": fields[name]}, f"{path}{name}/")
    elif isinstance(data, list):
        items = _item_schemas(schema)
        if items:
            seen: set[str] = set()
            for value in data:
                for found in undocumented_fields(value, {"allOf": items}, f"{path}*/"):
                    if found not in seen:
                        seen.add(found)
                        yield found


def _undocumented_problems(operation: Operation, response: requests.Response) -> Iterator[str]:
    documented = operation.responses.get(str(response.status_code), {})
    media = documented.get("content", {}).get("application/json")
    if media is None or "schema" not in media:
        return
    try:
        body = response.json()
    except ValueError:
        return  # openapi-core reports a body that does not parse
    fields = sorted(undocumented_fields(body, media["schema"]))
    if fields:
        yield "fields not in the description: " + ", ".join(fields)


def _error_body_problems(operation: Operation, response: requests.Response) -> Iterator[str]:
    documented = operation.responses.get(str(response.status_code), {})
    if "content" in documented:
        return  # the description gives a schema; openapi-core already checked it
    try:
        body = response.json()
    except ValueError:
        yield f"error body is not JSON: {_truncate(response.text)!r}"
        return
    if not (
        isinstance(body, dict)
        and isinstance(body.get("code"), int)
        and isinstance(body.get("message"), str)
    ):
        yield f'error body is not {{"code": int, "message": str}}: {_truncate(str(body))}'
        return
    listed = {int(code) for code in _ERROR_CODE.findall(documented.get("description", ""))}
    if listed and body["code"] not in listed:
        yield (
            f"error code {body['code']} is not among those documented for "
            f"{response.status_code}: {sorted(listed)}"
        )


def validate_exchange(
    request: requests.PreparedRequest,
    response: requests.Response,
    *,
    base_url: str,
    contract: Contract | None = None,
) -> list[str]:
    """Mismatches between one exchange and Zoom's description; empty when it conforms."""
    contract = contract or load_contract()
    method = (request.method or "").lower()
    path = relative_path(request.url or "", base_url)
    if path is None:
        return [f"{request.url} is not under the API base URL {base_url}"]
    operation = contract.find(method, path)
    if operation is None:
        return [f"no operation in the descriptions matches {method.upper()} {path}"]

    app = contract.apps[operation.spec_file]
    openapi_request = _ZoomAddressedRequest(request, path)
    openapi_response = RequestsOpenAPIResponse(response)
    problems: list[str] = []
    with warnings.catch_warnings():
        # openapi-core cannot check oauth2 schemes and says so; the apiKey scheme Zoom lists
        # beside it (the Authorization header) is still checked.
        warnings.filterwarnings("ignore", "Unsupported scheme type")
        for error in app.iter_request_errors(openapi_request):
            problems.extend("request: " + line for line in _describe(error))
        for error in app.iter_response_errors(openapi_request, openapi_response):
            problems.extend("response: " + line for line in _describe(error))
    if 400 <= response.status_code < 500:
        problems.extend("response: " + line for line in _error_body_problems(operation, response))
    problems.extend("response: " + line for line in _undocumented_problems(operation, response))
    return problems


def format_problems(
    exchanges: list[tuple[requests.PreparedRequest, requests.Response, list[str]]],
) -> str:
    """A report naming each non-conforming exchange (operation, status) and its problems."""
    lines = []
    for request, response, problems in exchanges:
        lines.append(f"{request.method} {request.url} -> {response.status_code}")
        lines.extend(f"    {problem}" for problem in problems)
    return "\n".join(lines)
