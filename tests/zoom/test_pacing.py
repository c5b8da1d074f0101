"""Pacing: threads and processes sharing one budget never exceed the account's rate.

The sandbox enforces a per-account token bucket at RATE requests per second; the clients pace
themselves at the same RATE through a shared pacer. Every client runs without retries, so any 429
would surface; the tests assert that none was sent (counts, never timings).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.zoom.pacing_worker import build_pacer, send
from zoomadmin.sandbox import ScriptedFault
from zoomadmin.zoom.auth import StaticTokenProvider
from zoomadmin.zoom.client import ZoomClient
from zoomadmin.zoom.errors import ZoomRateLimited
from zoomadmin.zoom.pacing import FileLockPacer, NullPacer, RedisPacer, pacer_for

RATE = 25.0
THREADS, PER_THREAD = 3, 10
PROCESSES, PER_PROCESS = 2, 10
REDIS_URL = "redis://127.0.0.1:6379/0"
WORKER = Path(__file__).with_name("pacing_worker.py")


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


def run_load(
    sandbox, token: str, pacer_spec: dict[str, Any], *, processes: int, threads: int = THREADS
) -> dict[str, int]:
    """`threads` threads here and `processes` worker processes, all started together."""
    key = f"test-{uuid.uuid4().hex}"
    job = {
        "base_url": sandbox.api_base_url,
        "token": token,
        "pacer": pacer_spec,
        "key": key,
        "rate": RATE,
        "count": PER_PROCESS,
    }
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), json.dumps(job)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"

    client = ZoomClient(
        base_url=sandbox.api_base_url,
        token_provider=StaticTokenProvider(token),
        pacer=build_pacer(pacer_spec),
        pacing_key=key,
        rate_per_second=RATE,
        max_retries=0,
    )
    results: list[dict[str, int]] = []
    senders = [
        threading.Thread(target=lambda: results.append(send(client, PER_THREAD)))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    for worker in workers:
        out, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0
        results.append(json.loads(out))
    return {
        "ok": sum(r["ok"] for r in results),
        "rate_limited": sum(r["rate_limited"] for r in results),
    }


def test_threads_and_processes_sharing_a_file_lock_pacer_stay_under_the_limit(
    sandbox, tokens, tmp_path
):
    sandbox.config.update(rate_limit_per_second=RATE)
    spec = {"kind": "file", "directory": str(tmp_path)}

    totals = run_load(sandbox, tokens["access_token"], spec, processes=PROCESSES)

    assert totals == {"ok": THREADS * PER_THREAD + PROCESSES * PER_PROCESS, "rate_limited": 0}
    assert sandbox.state.stats.rate_limited == 0


@pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")
def test_threads_and_processes_sharing_a_redis_pacer_stay_under_the_limit(sandbox, tokens):
    sandbox.config.update(rate_limit_per_second=RATE)
    spec = {"kind": "redis", "url": REDIS_URL}

    totals = run_load(sandbox, tokens["access_token"], spec, processes=PROCESSES)

    assert totals == {"ok": THREADS * PER_THREAD + PROCESSES * PER_PROCESS, "rate_limited": 0}
    assert sandbox.state.stats.rate_limited == 0


def test_the_same_load_without_a_pacer_is_rate_limited(sandbox, tokens):
    # Shows that the load above does exceed the limit when nothing paces it.
    sandbox.config.update(rate_limit_per_second=RATE)

    totals = run_load(sandbox, tokens["access_token"], {"kind": "none"}, processes=0, threads=8)

    assert totals["rate_limited"] > 0


class CountingPacer(NullPacer):
    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []

    def wait(self, key: str, rate_per_second: float, *, max_wait: float | None = None) -> float:
        self.calls.append((key, rate_per_second))
        return 0.0


def test_every_attempt_waits_for_a_slot_retries_included(sandbox, make_client):
    pacer = CountingPacer()
    client = make_client(pacer=pacer, pacing_key="tenant-1", rate_per_second=5.0)
    sandbox.config.script_fault(ScriptedFault("503", count=2))

    client.get_me()

    assert pacer.calls == [("tenant-1", 5.0)] * 3


def test_file_lock_pacer_reserves_one_interval_per_call(tmp_path):
    pacer = FileLockPacer(tmp_path)
    before = time.time()

    for _ in range(5):
        pacer.wait("tenant-1", 1000.0)

    # Five back-to-back reservations end at least five intervals after the first one began.
    assert float(pacer.path_for("tenant-1").read_text()) >= before + 5 / 1000.0
    assert not pacer.path_for("tenant-2").exists()


def test_pacer_for_picks_redis_when_a_redis_url_is_given():
    assert isinstance(pacer_for(""), FileLockPacer)
    assert isinstance(pacer_for(REDIS_URL), RedisPacer)
    assert pacer_for(REDIS_URL) is pacer_for(REDIS_URL)  # one connection pool per process


class _Timed(requests.Session):
    """A session that notes when each request left and what came back (observation only)."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[float, float, int]] = []  # (sent, answered, status)
        self._lock = threading.Lock()

    def request(self, *args, **kwargs):
        sent = time.monotonic()
        response = super().request(*args, **kwargs)
        with self._lock:
            self.log.append((sent, time.monotonic(), response.status_code))
        return response


@pytest.mark.parametrize("kind", ["file", "redis"])
def test_a_429_pushes_the_accounts_budget_back_for_every_thread(sandbox, tokens, tmp_path, kind):
    # Zoom's limits are per account: after a 429 with Retry-After, no thread of the account
    # may send before it has passed (only those already on their way).
    session = _Timed()
    client = ZoomClient(
        base_url=sandbox.api_base_url,
        token_provider=StaticTokenProvider(tokens["access_token"]),
        pacer=FileLockPacer(tmp_path) if kind == "file" else RedisPacer(REDIS_URL),
        pacing_key=f"account-{uuid.uuid4()}",
        rates={"light": 200.0, "medium": 200.0},
        session=session,
    )
    threads = 6
    sandbox.config.script_fault(ScriptedFault("429", retry_after=1, path_prefix="/v2/users/me"))
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda _: [client.get_me() for _ in range(10)], range(threads)))

    (answered_429,) = [answered for _, answered, status in session.log if status == 429]
    sent_too_early = [
        sent for sent, _, _ in session.log if answered_429 < sent < answered_429 + 0.95
    ]
    # Only a thread already past the pacer while the 429 was being read may still send.
    assert len(sent_too_early) < threads
    assert len(session.log) == threads * 10 + 1  # every call succeeded, one of them retried


def test_the_file_pacer_keeps_its_files_in_a_private_directory(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # like /tmp: anyone could plant files or links there
    with pytest.raises(PermissionError):
        FileLockPacer(shared)

    private = FileLockPacer(tmp_path / "private")
    assert (tmp_path / "private").stat().st_mode & 0o777 == 0o700
    target = tmp_path / "elsewhere"
    private.path_for("account").symlink_to(target)
    with pytest.raises(OSError):
        private.wait("account", 100.0)  # a planted link is refused, never followed
    assert not target.exists()


@pytest.mark.parametrize("kind", ["file", "redis"])
def test_a_budget_pushed_back_for_minutes_is_refused_at_once_not_slept_on(
    sandbox, tokens, tmp_path, kind
):
    pacer = FileLockPacer(tmp_path) if kind == "file" else RedisPacer(REDIS_URL)
    client = ZoomClient(
        base_url=sandbox.api_base_url,
        token_provider=StaticTokenProvider(tokens["access_token"]),
        pacer=pacer,
        pacing_key=f"account-{uuid.uuid4()}",
        rates={"light": 100.0, "medium": 100.0},
        max_retry_after=120,
    )
    pacer.defer(f"{client.pacing_key}:light", 600)  # Zoom asked for ten minutes

    started = time.monotonic()
    with pytest.raises(ZoomRateLimited) as caught:
        client.get_me()

    assert time.monotonic() - started < 5 and client.request_count == 0
    assert caught.value.retry_after == pytest.approx(600, abs=5)
    assert client.list_users(status="active")  # another category's budget is untouched
