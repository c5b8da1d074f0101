"""A request budget per Zoom account, shared by every thread and worker process that calls it.

Zoom's rate limits are per account and per second (e.g. Pro: 20/s for Medium endpoints), shared by
all apps and workers on the account. A pacer hands out evenly spaced send slots: each call reserves
the next free slot, ``slot = max(now, next_slot)``, moves ``next_slot`` to ``slot + 1/rate`` and
sleeps until its slot. Callers are thereby spread ``1/rate`` apart, so the rate is approached but
never passed, whatever the number of callers (no bursts as with a token bucket).

- :class:`FileLockPacer` keeps ``next_slot`` in one small file per key, reserved under an ``fcntl``
  lock: correct across threads and processes of one host.
- :class:`RedisPacer` reserves in one Lua script on Redis, with Redis' clock: correct across hosts.
- :class:`NullPacer` never waits.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Protocol

import redis

DEFAULT_DIRECTORY = Path(tempfile.gettempdir()) / "zoomadmin-pacing"


class Pacer(Protocol):
    def wait(self, key: str, rate_per_second: float) -> float:
        """Block until this caller's slot for ``key``; return the seconds waited."""
        ...


class NullPacer:
    """No budget: for tools and tests that must not wait."""

    def wait(self, key: str, rate_per_second: float) -> float:
        return 0.0


class FileLockPacer:
    """Slots reserved in ``<directory>/<key>.slot`` under an exclusive ``flock``.

    Each call opens the file anew, so the lock excludes other threads of this process as well as
    other processes. The slot is wall-clock time (``time.time()``), the only clock that processes
    share.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else DEFAULT_DIRECTORY
        self.directory.mkdir(parents=True, exist_ok=True)

    def path_for(self, key: str) -> Path:
        # A readable prefix for humans, a hash so that any key makes a safe, distinct file name.
        readable = re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:40]
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        return self.directory / f"{readable}-{digest}.slot"

    def wait(self, key: str, rate_per_second: float) -> float:
        interval = _interval(rate_per_second)
        fd = os.open(self.path_for(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                now = time.time()
                slot = max(now, _parse_float(os.pread(fd, 64, 0)))
                record = repr(slot + interval).encode()
                os.pwrite(fd, record.ljust(32), 0)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        return _sleep_until(slot, now)


class RedisPacer:
    """Slots reserved atomically by a Lua script, timed by the Redis server's clock."""

    # Returns the delay as a string: Redis turns Lua numbers into integers, which would drop the
    # fractions of a second that matter here. The key expires once its slot has passed.
    SCRIPT = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
    local interval = tonumber(ARGV[1])
    local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
    local ttl = math.ceil((slot + interval - now) * 1000) + 1000
    redis.call('SET', KEYS[1], string.format('%.6f', slot + interval), 'PX', ttl)
    return string.format('%.6f', slot - now)
    """

    def __init__(self, redis_url: str, *, prefix: str = "zoomadmin:pacing:") -> None:
        self.redis = redis.Redis.from_url(redis_url)
        self.prefix = prefix
        self._reserve = self.redis.register_script(self.SCRIPT)

    def wait(self, key: str, rate_per_second: float) -> float:
        delay = float(self._reserve(keys=[self.prefix + key], args=[_interval(rate_per_second)]))
        if delay > 0:
            time.sleep(delay)
        return max(delay, 0.0)


@functools.cache
def pacer_for(redis_url: str) -> Pacer:
    """A RedisPacer on ``redis_url`` (shared by every host), or a FileLockPacer when it is empty.

    One pacer per process and URL: a RedisPacer owns a connection pool, worth sharing by all
    clients."""
    return RedisPacer(redis_url) if redis_url else FileLockPacer()


def _interval(rate_per_second: float) -> float:
    if rate_per_second <= 0:
        raise ValueError(f"rate_per_second must be positive, not {rate_per_second!r}")
    return 1.0 / rate_per_second


def _parse_float(raw: bytes) -> float:
    try:
        return float(raw.strip() or 0)
    except ValueError:
        return 0.0  # an unreadable file only loses the previous reservation


def _sleep_until(slot: float, now: float) -> float:
    delay = slot - now
    if delay > 0:
        time.sleep(delay)
    return max(delay, 0.0)
