"""A stateful fake of Zoom's OAuth and REST API on loopback, for the demo, tests and benchmarks.

    from zoomadmin.sandbox import SandboxServer, seed_account

    server = SandboxServer().start()
    account = seed_account(server.state, users=200, seed=1)
    # ZOOM_OAUTH_BASE_URL = server.url, ZOOM_API_BASE_URL = server.api_base_url,
    # OAuth app: DEFAULT_CLIENT_ID / DEFAULT_CLIENT_SECRET.

Modules: `state` (the data, tokens, stats), `records` (Zoom object shapes), `generator`
(deterministic seeding), `oauth` (/oauth/...), `api` (/v2/...), `config` (latency, limits,
faults), `control` (/_sandbox/...), `server` (HTTP).
"""

from __future__ import annotations

from .config import SandboxConfig, ScriptedFault
from .generator import seed_account
from .server import SandboxServer
from .state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Account, SandboxState

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "Account",
    "SandboxConfig",
    "SandboxServer",
    "SandboxState",
    "ScriptedFault",
    "seed_account",
]
