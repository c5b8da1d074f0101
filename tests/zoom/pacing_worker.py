"""A separate process sending paced requests to the sandbox (used by test_pacing.py).

    python pacing_worker.py '{"base_url": ..., "token": ..., "pacer": {...}, "key": ..., ...}'

Prints "ready" once imported, waits for a line on stdin (so that every process and thread starts
together), sends its requests and prints {"ok": n, "rate_limited": n} as JSON.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from zoomadmin.zoom.auth import StaticTokenProvider
from zoomadmin.zoom.client import ZoomClient
from zoomadmin.zoom.errors import ZoomRateLimited
from zoomadmin.zoom.pacing import FileLockPacer, NullPacer, Pacer, RedisPacer


def build_pacer(spec: dict[str, Any]) -> Pacer:
    if spec["kind"] == "file":
        return FileLockPacer(spec["directory"])
    if spec["kind"] == "redis":
        return RedisPacer(spec["url"])
    return NullPacer()


def send(client: ZoomClient, count: int) -> dict[str, int]:
    result = {"ok": 0, "rate_limited": 0}
    for _ in range(count):
        try:
            client.get_me()
            result["ok"] += 1
        except ZoomRateLimited:
            result["rate_limited"] += 1
    return result


def main() -> None:
    job = json.loads(sys.argv[1])
    client = ZoomClient(
        base_url=job["base_url"],
        token_provider=StaticTokenProvider(job["token"]),
        pacer=build_pacer(job["pacer"]),
        pacing_key=job["key"],
        rate_per_second=job["rate"],
        max_retries=0,
    )
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps(send(client, job["count"])), flush=True)


if __name__ == "__main__":
    main()
