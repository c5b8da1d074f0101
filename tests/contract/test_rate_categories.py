"""Rate-limit categories: every operation zoomadmin calls is counted (by the client's pacer) and
limited (by the sandbox) in the category of Zoom's published "Rate Limit Label" (each
operation's description in ``tests/contract/zoom-api/``, FACTS.md §5)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from zoomadmin.sandbox.api.routing import ROUTES
from zoomadmin.zoom.client import request_category

SPECS = Path(__file__).resolve().parent / "zoom-api"
LABEL = re.compile(r"Rate Limit Label[^A-Z]*([A-Z][A-Za-z-]+)")


def published_labels() -> list[tuple[str, str, str]]:
    found = []
    for document in sorted(SPECS.glob("*/*.json")):
        for template, item in json.loads(document.read_text())["paths"].items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "description" in operation:
                    label = LABEL.search(operation["description"])
                    if label:
                        found.append((method.upper(), template, label.group(1)))
    return found


LABELS = published_labels()


def test_every_operation_zoomadmin_calls_has_a_published_label():
    assert len(LABELS) >= 30


@pytest.mark.parametrize(("method", "template", "label"), LABELS)
def test_the_client_counts_each_request_in_its_published_category(method, template, label):
    path = re.sub(r"\{[^}]+\}", "abc123", template)
    assert request_category(method, path) == label.lower()


@pytest.mark.parametrize(("method", "template", "label"), LABELS)
def test_the_sandbox_limits_each_request_in_its_published_category(method, template, label):
    route = next(r for r in ROUTES if r.method == method and r.template == template)
    assert route.category == label.title()
