"""The validator itself: it must catch what a drifting client or sandbox would get wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.contract.validator import relative_path, undocumented_fields, validate_exchange

BASE = "http://127.0.0.1:8765/v2"
AUTH = {"Authorization": "Bearer test-token"}


def _request(method: str, path: str, **kwargs: Any) -> requests.PreparedRequest:
    kwargs.setdefault("headers", AUTH)
    return requests.Request(method, BASE + path, **kwargs).prepare()


def _response(status: int, body: Any = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = b"" if body is None else json.dumps(body).encode()
    if body is not None:
        response.headers["Content-Type"] = "application/json;charset=UTF-8"
    return response


USER = {"id": "KDcuGIm1QgePTO8WbOqwIQ", "email": "jchill@example.com", "type": 1}


def test_a_conforming_exchange_has_no_problems() -> None:
    request = _request("GET", "/users", params={"status": "active", "page_size": 300})
    response = _response(200, {"page_size": 300, "next_page_token": "", "users": [USER]})

    assert validate_exchange(request, response, base_url=BASE) == []


def test_a_deleted_resource_answers_204_without_a_body() -> None:
    request = _request("DELETE", "/meetings/85746065", params={"occurrence_id": "1648194360000"})

    assert validate_exchange(request, _response(204), base_url=BASE) == []


def test_schema_violations_in_a_response_name_the_field() -> None:
    request = _request("GET", "/users")
    response = _response(200, {"page_size": "300", "users": [{**USER, "type": 3}]})

    problems = validate_exchange(request, response, base_url=BASE)

    assert "response:   at page_size: '300' is not of type 'integer'" in problems
    assert "response:   at users/0/type: 3 is not one of [1, 2, 4, 99]" in problems


def test_fields_the_description_never_names_are_reported() -> None:
    request = _request("GET", "/users/me")
    response = _response(200, {**USER, "favourite_colour": "blue"})

    assert validate_exchange(request, response, base_url=BASE) == [
        "response: fields not in the description: favourite_colour"
    ]


def test_undocumented_fields_are_found_through_all_of_and_arrays() -> None:
    schema = {
        "allOf": [
            {"properties": {"page_size": {"type": "integer"}}},
            {"properties": {"users": {"items": {"properties": {"id": {}}}}}},
        ]
    }

    found = undocumented_fields({"page_size": 1, "users": [{"id": 1, "x": 2}, {"y": 3}]}, schema)

    assert list(found) == ["users/*/x", "users/*/y"]


def test_invalid_query_parameters_and_request_bodies_are_reported() -> None:
    request = _request(
        "POST",
        "/users/me/meetings",
        json={"topic": "Weekly", "type": "scheduled"},
    )

    problems = validate_exchange(request, _response(201, {"id": 85746065}), base_url=BASE)

    assert "request:   at type: 'scheduled' is not of type 'integer'" in problems


def test_a_request_without_credentials_is_reported() -> None:
    request = _request("GET", "/users", headers={})

    problems = validate_exchange(request, _response(200, {"users": []}), base_url=BASE)

    assert problems and problems[0].startswith("request: SecurityValidationError")


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/meetings/85746065", {"code": 3001, "message": "Meeting does not exist."}, []),
        (
            "/meetings/85746065",
            {"code": 1001, "message": "User does not exist."},
            ["response: error code 1001 is not among those documented for 404: [3001]"],
        ),
        (
            "/meetings/85746065",
            {"error": "not found"},
            [
                "response: error body is not {\"code\": int, \"message\": str}: {'error': 'not found'}"
            ],
        ),
    ],
)
def test_error_bodies_carry_a_documented_code(
    path: str, body: dict[str, Any], expected: list[str]
) -> None:
    problems = validate_exchange(_request("GET", path), _response(404, body), base_url=BASE)

    assert problems == expected


def test_a_status_the_operation_does_not_list_is_reported() -> None:
    response = _response(500, {"code": 500, "message": "oops"})

    problems = validate_exchange(_request("GET", "/users"), response, base_url=BASE)

    assert problems == ["response: ResponseNotFound: Unknown response http status: 500"]


def test_paths_outside_the_descriptions_are_reported() -> None:
    problems = validate_exchange(_request("GET", "/rooms"), _response(200, {}), base_url=BASE)

    assert problems == ["no operation in the descriptions matches GET /rooms"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            BASE + "/meetings/%252Fab%252F%252Fc/recordings",
            "/meetings/%252Fab%252F%252Fc/recordings",
        ),
        ("http://127.0.0.1:8765/oauth/token", None),
        ("http://127.0.0.1:9999/v2/users", None),
    ],
)
def test_relative_path_keeps_the_encoding_and_rejects_other_hosts(
    url: str, expected: str | None
) -> None:
    assert relative_path(url, BASE) == expected
