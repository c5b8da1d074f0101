"""The sandbox's event notifications, sent the way Zoom sends them.

Every change the sandbox announces (``state.emit``: its API's writes, its control knobs) is
POSTed as JSON to ``config.webhook_url``, in Zoom's envelope (FACTS.md §3.5: ``{"event",
"event_ts" (ms), "payload": {"account_id", …}}``; ``app_deauthorized`` legacy-shaped, its
``event_ts`` inside the payload), with Zoom's headers (§3.1, §3.2): ``x-zm-request-timestamp``
(seconds), ``x-zm-signature`` = ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` under
``config.webhook_secret``, ``x-zm-request-id``, ``user-agent: Zoom Marketplace/1.0a``.

Zoom's delivery rules (§3.4): an answer other than 200/204 within three seconds fails the
delivery; only a 5xx or no answer is retried, three times, at +5, +20 and +60 minutes
(``config.webhook_retry_delays``, shorter for tests), then the event is dropped; a 3xx or 4xx is
not retried. For testing the receiver, deliveries can be duplicated
(``webhook_duplicate_rate``) and held back by a random delay up to ``webhook_max_delay_seconds``
(so they arrive out of order).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from .config import SandboxConfig
from .state import SandboxState

USER_AGENT = "Zoom Marketplace/1.0a"
# Zoom: "respond with a 200 or 204 … within three seconds".
ANSWER_WITHIN_SECONDS = 3.0


def envelope(event: str, payload: dict[str, Any], now: float) -> dict[str, Any]:
    if event == "app_deauthorized":
        return {"event": event, "payload": dict(payload)}
    return {"event": event, "event_ts": int(now * 1000), "payload": dict(payload)}


def signed_headers(secret: str, body: bytes, now: float) -> dict[str, str]:
    timestamp = str(int(now))
    message = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "x-zm-request-timestamp": timestamp,
        "x-zm-signature": signature,
    }


class WebhookSender:
    """Listens to the sandbox's changes and delivers them (a thread of its own)."""

    def __init__(self, state: SandboxState, config: SandboxConfig) -> None:
        self.state = state
        self.config = config
        self._due: list[tuple[float, int, dict[str, Any], str, int]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._rng = random.Random(7)
        self.attach()

    def attach(self) -> None:
        """Listen to the sandbox's changes (again, after the listeners were cleared)."""
        if self not in self.state.listeners:
            self.state.listeners.append(self)

    def __call__(self, event: str, account_id: str, payload: dict[str, Any]) -> None:
        if not self.config.webhook_url:
            return
        now = time.time()
        body = envelope(event, payload, now)
        copies = 2 if self._rng.random() < self.config.webhook_duplicate_rate else 1
        request_id = str(uuid.uuid4())
        with self._wake:
            for _ in range(copies):
                delay = self._rng.uniform(0, self.config.webhook_max_delay_seconds)
                heapq.heappush(self._due, (now + delay, next(self._seq), body, request_id, 0))
            self._start()
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def pending(self) -> int:
        with self._wake:
            return len(self._due)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopped = False
            self._thread = threading.Thread(
                target=self._run, name="zoom-sandbox-webhooks", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._due or self._due[0][0] > time.time()):
                    timeout = self._due[0][0] - time.time() if self._due else None
                    self._wake.wait(timeout=timeout)
                if self._stopped:
                    return
                _, _, body, request_id, attempt = heapq.heappop(self._due)
            if self._deliver(body, request_id):
                continue
            delays = self.config.webhook_retry_delays
            if attempt < len(delays):
                with self._wake:
                    due = time.time() + delays[attempt]
                    heapq.heappush(self._due, (due, next(self._seq), body, request_id, attempt + 1))
            else:
                with self.state.lock:
                    self.state.stats.webhooks_dropped += 1

    def _deliver(self, body: dict[str, Any], request_id: str) -> bool:
        """Whether the delivery is done (answered, or refused in a way Zoom does not retry)."""
        data = json.dumps(body).encode()
        headers = signed_headers(self.config.webhook_secret, data, time.time())
        headers["x-zm-request-id"] = request_id
        request = urllib.request.Request(
            self.config.webhook_url, data=data, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=ANSWER_WITHIN_SECONDS) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError):
            status = None  # no answer in time, refused, reset: Zoom retries
        with self.state.lock:
            self.state.stats.webhooks_sent += 1
            self.state.stats.webhook_answers[str(status)] += 1
        # Zoom retries only a 5xx or no answer; a 3xx or 4xx is final.
        return status is not None and status < 500
