"""Runtime knobs of the sandbox: latency, rate limits, token lifetimes and injected faults.

Everything here can be changed while the server runs, in process (`server.config.update(...)`)
or over HTTP (`/_sandbox/config`, `/_sandbox/faults`), so a benchmark or a test in another process
can slow the sandbox down, throttle it or make it fail the way Zoom sometimes does.

Faults come in two kinds:

* random faults, drawn per API request from a seeded RNG (`error_rate`, `throttle_rate`,
  `stall_rate`, `drop_rate`), so a run with the same seed and the same request order fails
  the same way;
* scripted faults, a queue of "the next K requests [whose path starts with P] answer X", for
  tests that need one precise failure at one precise moment.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# What a scripted or random fault does to one request.
SERVER_ERRORS = ("500", "502", "503", "504")
# "refuse" answers with a Zoom error of the fault's choosing (status, code, message, field
# errors), for a refusal that the sandbox's own rules would not give (a plan's restriction).
FAULT_ACTIONS = (*SERVER_ERRORS, "429", "drop", "stall", "refuse")


@dataclass(slots=True)
class ScriptedFault:
    """Answer the next `count` matching requests with `action`.

    `path_prefix` matches the request path (e.g. "/v2/users" or "/oauth/token"); `method`
    ("" = any) narrows it further. A "stall" waits `stall_seconds` and then answers normally;
    a "429" carries `Retry-After: retry_after`; "drop" closes the connection without answering.
    """

    action: str
    count: int = 1
    path_prefix: str = "/v2/"
    method: str = ""
    stall_seconds: float = 5.0
    retry_after: int = 1
    # What a "refuse" answers: Zoom's error body {"code", "message", "errors"} with `status`.
    status: int = 400
    code: int = 300
    message: str = "Validation Failed."
    errors: tuple[dict[str, str], ...] = ()

    def __post_init__(self) -> None:
        self.action = str(self.action)
        if self.action not in FAULT_ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}; one of {FAULT_ACTIONS}")
        if self.count < 1:
            raise ValueError("count must be at least 1")
        self.method = self.method.upper()

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path_prefix) and (not self.method or self.method == method)


@dataclass(slots=True, frozen=True)
class Fault:
    """One fault chosen for one request."""

    action: str
    stall_seconds: float = 0.0
    retry_after: int = 1
    refusal: dict[str, Any] | None = None


# Zoom's per-second limits per account, by plan and category (developers.zoom.us/docs/api/
# rate-limits/: Free 4/2/1, Pro 30/20/10, Business and higher 80/60/40 for Light/Medium/Heavy).
PLAN_LIMITS: dict[str, dict[str, float]] = {
    "free": {"Light": 4, "Medium": 2, "Heavy": 1},
    "pro": {"Light": 30, "Medium": 20, "Heavy": 10},
    "business": {"Light": 80, "Medium": 60, "Heavy": 40},
}


@dataclass
class SandboxConfig:
    """The sandbox's knobs. Zero means "off" for every rate, limit and latency."""

    # Seconds added to every request (OAuth and API), to mimic a distant server.
    latency_seconds: float = 0.0
    # Requests per second per Zoom account (token bucket, burst = rate); Zoom counts per account.
    rate_limit_per_second: float = 0.0
    # Requests per second per Zoom account and category ("Light", "Medium", "Heavy"), as Zoom
    # counts them; e.g. PLAN_LIMITS["pro"]. Overrides rate_limit_per_second for those named.
    rate_limits: dict[str, float] = field(default_factory=dict)
    # Requests per UTC day per Zoom account.
    daily_limit: int = 0
    # Whether the app holds the scope of "List recordings of an account" (else refused, 4711).
    account_recordings_scope: bool = True
    # Zoom's per-user cap on meeting/webinar creates and updates per UTC day.
    meeting_writes_per_user_per_day: int = 100
    access_token_ttl_seconds: int = 3600
    authorization_code_ttl_seconds: int = 300
    page_token_ttl_seconds: int = 900
    # Which Zoom user consents on /oauth/authorize (email or id); "" = owner of the first account.
    consent_user: str = ""
    # Show a sign-in and consent page on /oauth/authorize (sandbox.consent), where a person picks
    # the account and the user to authorize as, instead of consenting at once. Off for tests and
    # scripts; `manage.py zoom_sandbox` turns it on. `?sandbox_user=` and consent_user still
    # consent at once.
    consent_page: bool = False
    # Account ids whose refresh-token grants are refused (the app was deauthorized); "*" = all.
    refuse_refresh: list[str] = field(default_factory=list)
    # Random faults on /v2 requests: probabilities per request, drawn from a seeded RNG.
    fault_seed: int = 0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    stall_rate: float = 0.0
    stall_seconds: float = 5.0
    drop_rate: float = 0.0
    # Event notifications (zoomadmin.sandbox.webhooks): where to send them ("" = nowhere), the
    # secret token that signs them, Zoom's retry delays after a 5xx or no answer (5, 20, 60
    # minutes), and, to test a receiver, a share of duplicate deliveries and a random delay.
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_retry_delays: list[float] = field(default_factory=lambda: [300.0, 1200.0, 3600.0])
    webhook_duplicate_rate: float = 0.0
    webhook_max_delay_seconds: float = 0.0
    # Recording downloads (zoomadmin.sandbox.downloads): serve this many bytes more (or, below
    # zero, fewer) than a file's listed file_size, as when Zoom's listing and its storage
    # disagree; and serve at most this many bytes a second (0: as fast as the socket goes).
    download_size_delta: int = 0
    download_bytes_per_second: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._scripted: deque[ScriptedFault] = deque()
        self._rng = random.Random(self.fault_seed)

    # --- knobs -----------------------------------------------------------------------------

    def update(self, **changes: Any) -> None:
        """Change knobs by name; unknown names and values of the wrong type raise ValueError."""
        known = {f.name: f for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown sandbox setting {name!r}")
            current = getattr(self, name)
            try:
                if isinstance(current, list) and name == "webhook_retry_delays":
                    value = [float(item) for item in value]
                elif isinstance(current, list):
                    value = [str(item) for item in value]
                elif isinstance(current, dict):
                    value = {str(key): float(rate) for key, rate in dict(value).items()}
                elif isinstance(current, bool):
                    value = bool(value)
                else:
                    value = type(current)(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"bad value for {name!r}: {value!r}") from exc
            setattr(self, name, value)
            if name == "fault_seed":
                with self._lock:
                    self._rng = random.Random(value)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def reset(self) -> None:
        """Back to the defaults, with no scripted faults queued."""
        defaults = SandboxConfig()
        for f in fields(self):
            setattr(self, f.name, getattr(defaults, f.name))
        with self._lock:
            self._scripted.clear()
            self._rng = random.Random(self.fault_seed)

    def refresh_refused(self, account_id: str) -> bool:
        return "*" in self.refuse_refresh or account_id in self.refuse_refresh

    # --- faults ----------------------------------------------------------------------------

    def script_fault(self, fault: ScriptedFault) -> None:
        with self._lock:
            self._scripted.append(fault)

    def scripted_faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(fault) for fault in self._scripted]

    def clear_faults(self) -> None:
        with self._lock:
            self._scripted.clear()

    def draw_fault(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any: the first matching scripted one, else a random one."""
        with self._lock:
            for scripted in self._scripted:
                if scripted.matches(method, path):
                    scripted.count -= 1
                    if scripted.count == 0:
                        self._scripted.remove(scripted)
                    refusal = None
                    if scripted.action == "refuse":
                        refusal = {"status": scripted.status, "code": scripted.code}
                        refusal.update(message=scripted.message, errors=list(scripted.errors))
                    return Fault(
                        scripted.action, scripted.stall_seconds, scripted.retry_after, refusal
                    )
            if not path.startswith("/v2/"):
                return None
            # One draw per request keeps the fault sequence a function of the seed and the
            # request count alone, whichever rates are set.
            roll = self._rng.random()
        for action, rate in (
            ("5xx", self.error_rate),
            ("429", self.throttle_rate),
            ("stall", self.stall_rate),
            ("drop", self.drop_rate),
        ):
            if roll < rate:
                if action == "5xx":
                    # Spread server errors over the statuses Zoom's edge answers with.
                    action = SERVER_ERRORS[int(roll / rate * len(SERVER_ERRORS))]
                return Fault(action, self.stall_seconds)
            roll -= rate
        return None
