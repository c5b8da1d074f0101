"""The sandbox's own control API under `/_sandbox/`, for tests and benchmarks in other processes.

Not part of Zoom's API and never rate-limited, delayed or faulted. JSON in, JSON out:

    GET    /_sandbox/config             the knobs (SandboxConfig)
    PATCH  /_sandbox/config             change knobs: {"latency_seconds": 0.05, ...}
    GET    /_sandbox/faults             scripted faults still queued
    POST   /_sandbox/faults             queue one: {"action": "503", "count": 2, "path_prefix": "/v2/users"}
    DELETE /_sandbox/faults             clear the queue
    GET    /_sandbox/stats              request counts, refreshes, refresh-token reuses, 429s
    DELETE /_sandbox/stats              zero them
    POST   /_sandbox/reset              forget everything; with seed arguments, seed one account
    POST   /_sandbox/seed               seed one more account: {"users": 500, "seed": 1, ...}
    GET    /_sandbox/accounts           accounts with their owner and record counts
    POST   /_sandbox/tokens             a token pair without the OAuth dance: {"account_id", "user"}
    POST   /_sandbox/tokens/expire      expire access tokens: {"account_id"} or all
    POST   /_sandbox/deauthorize        {"account_id"}: the account uninstalls the app
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from .config import ScriptedFault
from .generator import seed_account
from .state import Account, Stats
from .web import ApiError, Request, Response

if TYPE_CHECKING:
    from .server import SandboxServer

SEED_ARGUMENTS = frozenset(inspect.signature(seed_account).parameters) - {"state"}


def handle(sandbox: SandboxServer, request: Request) -> Response:
    endpoint = ENDPOINTS.get((request.method, request.path.rstrip("/")))
    if endpoint is None:
        return Response.json(404, {"error": f"no control endpoint {request.method} {request.path}"})
    try:
        return endpoint(sandbox, request.json())
    except ApiError as error:
        return Response.json(400, {"error": error.message})
    except (TypeError, ValueError, KeyError) as error:
        return Response.json(400, {"error": str(error)})


def account_summary(account: Account) -> dict[str, Any]:
    owner = account.users.get(account.owner_id, {})
    return {
        "id": account.id,
        "name": account.name,
        "owner_id": account.owner_id,
        "owner_email": owner.get("email", ""),
        "counts": account.counts(),
    }


def get_config(sandbox: SandboxServer, body: dict) -> Response:
    return Response.json(200, sandbox.config.to_dict())


def update_config(sandbox: SandboxServer, body: dict) -> Response:
    sandbox.config.update(**body)
    return Response.json(200, sandbox.config.to_dict())


def list_faults(sandbox: SandboxServer, body: dict) -> Response:
    return Response.json(200, {"scripted": sandbox.config.scripted_faults()})


def add_fault(sandbox: SandboxServer, body: dict) -> Response:
    known = {f.name for f in fields(ScriptedFault)}
    fault = ScriptedFault(**{k: v for k, v in body.items() if k in known})
    sandbox.config.script_fault(fault)
    return Response.json(201, asdict(fault))


def clear_faults(sandbox: SandboxServer, body: dict) -> Response:
    sandbox.config.clear_faults()
    return Response.empty(204)


def get_stats(sandbox: SandboxServer, body: dict) -> Response:
    with sandbox.state.lock:
        return Response.json(200, sandbox.state.stats.to_dict())


def reset_stats(sandbox: SandboxServer, body: dict) -> Response:
    with sandbox.state.lock:
        sandbox.state.stats = Stats()
    return Response.empty(204)


def reset(sandbox: SandboxServer, body: dict) -> Response:
    sandbox.reset()
    if body:
        seed(sandbox, body)
    return list_accounts(sandbox, {})


def seed(sandbox: SandboxServer, body: dict) -> Response:
    unknown = set(body) - SEED_ARGUMENTS
    if unknown:
        raise ValueError(f"unknown seed arguments: {sorted(unknown)}")
    account = seed_account(sandbox.state, **body)
    return Response.json(201, account_summary(account))


def list_accounts(sandbox: SandboxServer, body: dict) -> Response:
    with sandbox.state.lock:
        accounts = [account_summary(a) for a in sandbox.state.accounts.values()]
    return Response.json(200, {"accounts": accounts})


def issue_tokens(sandbox: SandboxServer, body: dict) -> Response:
    state = sandbox.state
    with state.lock:
        account = (
            state.accounts[body["account_id"]] if "account_id" in body else state.default_account
        )
        if account is None:
            raise ValueError("no account: seed one first")
        user = account.find_user(body["user"]) if body.get("user") else None
        tokens = state.issue_tokens(
            account_id=account.id,
            user_id=user["id"] if user else "",
            ttl=sandbox.config.access_token_ttl_seconds,
        )
    return Response.json(200, {**tokens, "api_url": sandbox.url})


def expire_tokens(sandbox: SandboxServer, body: dict) -> Response:
    with sandbox.state.lock:
        expired = sandbox.state.expire_access_tokens(body.get("account_id"))
    return Response.json(200, {"expired": expired})


def deauthorize(sandbox: SandboxServer, body: dict) -> Response:
    with sandbox.state.lock:
        sandbox.state.deauthorize(body["account_id"])
    return Response.empty(204)


ENDPOINTS = {
    ("GET", "/_sandbox/config"): get_config,
    ("PATCH", "/_sandbox/config"): update_config,
    ("POST", "/_sandbox/config"): update_config,
    ("GET", "/_sandbox/faults"): list_faults,
    ("POST", "/_sandbox/faults"): add_fault,
    ("DELETE", "/_sandbox/faults"): clear_faults,
    ("GET", "/_sandbox/stats"): get_stats,
    ("DELETE", "/_sandbox/stats"): reset_stats,
    ("POST", "/_sandbox/reset"): reset,
    ("POST", "/_sandbox/seed"): seed,
    ("GET", "/_sandbox/accounts"): list_accounts,
    ("POST", "/_sandbox/tokens"): issue_tokens,
    ("POST", "/_sandbox/tokens/expire"): expire_tokens,
    ("POST", "/_sandbox/deauthorize"): deauthorize,
}
