"""Zoom's webhook signature and URL-validation challenge, as pure functions.

Zoom signs every event notification (FACTS.md §3.2, developers.zoom.us/docs/api/webhooks/):

    message   = "v0:" + <x-zm-request-timestamp header> + ":" + <raw request body>
    signature = "v0=" + hex(HMAC-SHA256(key=<the app's secret token>, message))

sent as ``x-zm-signature``. The URL-validation challenge (``endpoint.url_validation``, §3.3) is
answered with ``{"plainToken": …, "encryptedToken": hex(HMAC-SHA256(secret, plainToken))}``.
Zoom states no replay window; this project allows ``MAX_SKEW_SECONDS`` either way.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

MAX_SKEW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verifying_secret(
    secrets: Sequence[str], *, timestamp: str, signature: str, body: bytes, now: float
) -> str | None:
    """The secret token that signed ``body``, or None: a timestamp that is not whole seconds
    within ``MAX_SKEW_SECONDS`` of ``now``, or no secret's signature equal to ``signature``
    (compared in constant time)."""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return None
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return None
    found = None
    for secret in secrets:
        # Every secret is tried, found or not: the time taken says nothing about which.
        if hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode()):
            found = found or secret
    return found


def challenge_answer(secret: str, plain_token: str) -> dict[str, str]:
    encrypted = hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}
