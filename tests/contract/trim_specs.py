"""Cut Zoom's published OpenAPI descriptions down to the operations zoomadmin calls.

Zoom publishes one OpenAPI 3.0 document per product (Meetings, Users, Team Chat, Phone); together
they weigh about 5 MB and take openapi-core many seconds to load. The contract tests only need the
operations of SPEC §7, so this script keeps, per document:

- the header (``openapi``, ``info``, ``externalDocs``, ``servers``);
- the kept operations, verbatim, with any path-level ``parameters``;
- every ``#/components/...`` object they reference (followed transitively), and the security
  schemes their ``security`` requirements name, with the OAuth scope table narrowed to the scopes
  those operations list (the full table is a few hundred entries of ``"scope": "scope"``).

Usage (from the repository root)::

    .venv/bin/python tests/contract/trim_specs.py /work/shared/zoom-api

writes ``tests/contract/zoom-api/<same relative path>`` as minified JSON. The output is a pure
function of the input, so ``test_trimmed_specs_match_sources`` can re-run it and compare.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

OUTPUT_DIR = Path(__file__).resolve().parent / "zoom-api"

# Document (relative to the source folder) -> {path: methods}. The SPEC §7 endpoints.
OPERATIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "users/endpoints.json": {
        "/users": ("get", "post"),
        "/users/{userId}": ("get", "patch", "delete"),
        "/users/{userId}/status": ("put",),
    },
    "meetings/Meetings.json": {
        "/users/{userId}/meetings": ("get", "post"),
        "/meetings/{meetingId}": ("get", "patch", "delete"),
        "/meetings/{meetingId}/status": ("put",),
        "/meetings/{meetingId}/invitation": ("get",),
        "/users/{userId}/webinars": ("get", "post"),
        "/webinars/{webinarId}": ("get", "patch", "delete"),
        "/meetings/{meetingId}/registrants": ("get", "post"),
        "/meetings/{meetingId}/registrants/status": ("put",),
        "/webinars/{webinarId}/registrants": ("get", "post"),
        "/webinars/{webinarId}/registrants/status": ("put",),
        "/meetings/{meetingId}/recordings": ("get", "delete"),
        "/meetings/{meetingId}/recordings/{recordingId}": ("delete",),
        "/meetings/{meetingId}/registrants/{registrantId}": ("get",),
        "/webinars/{webinarId}/registrants/{registrantId}": ("get",),
        "/users/{userId}/recordings": ("get",),
        "/past_webinars/{webinarId}/participants": ("get",),
        "/past_webinars/{webinarId}/instances": ("get",),
    },
    "team-chat/endpoints.json": {
        "/chat/users/{userId}/channels": ("get",),
        "/chat/users/{userId}/messages": ("get",),
    },
    "phone/zoom-phone-api-openapi.json": {
        "/phone/users/{userId}/recordings": ("get",),
    },
}

HEADER_KEYS = ("openapi", "info", "externalDocs", "servers")
PATH_ITEM_SHARED_KEYS = ("summary", "description", "parameters", "servers")


def _refs(node: Any) -> set[str]:
    """Every local ``$ref`` inside ``node``."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                found.add(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _place(target: dict[str, Any], ref: str, value: Any) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _security_schemes(
    document: dict[str, Any], requirements: list[dict[str, list[str]]]
) -> dict[str, Any]:
    """The named schemes, with OAuth flows listing only the scopes the requirements use."""
    schemes = document.get("components", {}).get("securitySchemes", {})
    used: dict[str, set[str]] = {}
    for requirement in requirements:
        for name, scopes in requirement.items():
            used.setdefault(name, set()).update(scopes)
    kept: dict[str, Any] = {}
    for name in sorted(used):
        scheme = json.loads(json.dumps(schemes[name]))
        for flow in scheme.get("flows", {}).values():
            if "scopes" in flow:
                flow["scopes"] = {k: v for k, v in flow["scopes"].items() if k in used[name]}
        kept[name] = scheme
    return kept


def trim(document: dict[str, Any], operations: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """The part of ``document`` that ``operations`` need, in the document's own order."""
    out: dict[str, Any] = {key: document[key] for key in HEADER_KEYS if key in document}
    paths: dict[str, Any] = {}
    for path, methods in operations.items():
        item = document["paths"][path]
        missing = [m for m in methods if m not in item]
        if missing:
            raise KeyError(f"{path}: no {', '.join(missing)} operation in the source")
        paths[path] = {
            key: value
            for key, value in item.items()
            if key in methods or key in PATH_ITEM_SHARED_KEYS
        }
    out["paths"] = paths

    referenced: dict[str, Any] = {}  # mirrors the document: {"components": {...}}
    pending = _refs(paths)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        value = _resolve(document, ref)
        _place(referenced, ref, value)
        pending |= _refs(value) - seen

    requirements = list(document.get("security", []))
    for item in paths.values():
        for key, operation in item.items():
            if key not in PATH_ITEM_SHARED_KEYS:
                requirements.extend(operation.get("security", []))
    schemes = _security_schemes(document, requirements)
    if schemes:
        referenced.setdefault("components", {})["securitySchemes"] = schemes
    if "security" in document:
        out["security"] = document["security"]
    if referenced:
        out["components"] = referenced["components"]
    return out


def dump(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def trimmed_documents(source_dir: Path) -> dict[str, str]:
    """Relative path -> the trimmed document's text, as written to disk."""
    result = {}
    for relative, operations in OPERATIONS.items():
        with open(source_dir / relative, encoding="utf-8") as handle:
            document = json.load(handle)
        result[relative] = dump(trim(document, operations))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source_dir", type=Path, help="folder holding Zoom's published documents")
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR)
    args = parser.parse_args(argv)
    for relative, text in trimmed_documents(args.source_dir).items():
        target = args.output / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"{target}: {len(text.encode()) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
