"""A request budget per Zoom account, shared by every thread and worker process that calls it.

Zoom's rate limits are per account and per second (e.g. Pro: 20/s for Medium endpoints), shared by
all apps and workers on the account. A pacer hands out evenly spaced send slots: each call reserves
the next free slot, ``slot = max(now, next_slot)``, moves ``next_slot`` to ``slot + 1/rate`` and
sleeps until its slot. Callers are thereby spread ``1/rate`` apart, so the rate is approached but
never passed, whatever the number of callers (no bursts as with a token bucket).

- :class:`FileLockPacer` keeps ``next_slot`` in one small file per key, reserved under an ``fcntl``
  lock: correct across threads and processes of one host. The files live in a directory of the
  user's own (mode 0700, never a symbolic link), not in the world-writable temporary directory.
- :class:`RedisPacer` reserves in one Lua script on Redis, with Redis' clock: correct across hosts.
- :class:`NullPacer` never waits.

``defer(key, seconds)`` pushes a key's next slot at least ``seconds`` away, for every caller: when
Zoom answers 429, the budget it counts (one account, one category) is exhausted for all of
them, not for the one thread that happened to be answered.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import redis

DEFAULT_DIRECTORY = Path(tempfile.gettempdir()) / f"zoomadmin-pacing-{os.getuid()}"


class PacerBusy(Exception):
    """The budget has no slot within the caller's ``max_wait`` (a long 429 pushed it back)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no request slot for {seconds:.0f} s")
        self.seconds = seconds


class Pacer(Protocol):
    def wait(self, key: str, rate_per_second: float, *, max_wait: float | None = None) -> float:
        """Block until this caller's slot for ``key``; return the seconds waited. Raise
        PacerBusy, reserving nothing, when that would be more than ``max_wait`` seconds."""
        ...

    def defer(self, key: str, seconds: float) -> None:
        """No slot for ``key`` before ``seconds`` from now, whoever asks."""
        ...


class NullPacer:
    """No budget: for tools and tests that must not wait."""

    def wait(self, key: str, rate_per_second: float, *, max_wait: float | None = None) -> float:
        return 0.0

    def defer(self, key: str, seconds: float) -> None:
        pass


class FileLockPacer:
    """Slots reserved in ``<directory>/<key>.slot`` under an exclusive ``flock``.

    Each call opens the file anew, so the lock excludes other threads of this process as well as
    other processes. The slot is wall-clock time (``time.time()``), the only clock that processes
    share.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else DEFAULT_DIRECTORY
        _private_directory(self.directory)

    def path_for(self, key: str) -> Path:
        # A readable prefix for humans, a hash so that any key makes a safe, distinct file name.
        readable = re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:40]
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        return self.directory / f"{readable}-{digest}.slot"

    # The file holds the next free slot (bytes 0-31) and, after a 429, the moment before which
    # nobody may send (bytes 32-63); both are wall-clock seconds.

    def wait(self, key: str, rate_per_second: float, *, max_wait: float | None = None) -> float:
        interval = _interval(rate_per_second)
        waited = 0.0
        while True:
            with self._locked(key) as fd:
                now = time.time()
                slot = max(now, _parse_float(os.pread(fd, 32, 0)), self._deferred(fd))
                if max_wait is not None and slot - now > max_wait:
                    raise PacerBusy(slot - now)
                os.pwrite(fd, repr(slot + interval).encode().ljust(32), 0)
            slept = _sleep_until(slot, now)
            waited += slept
            if not slept:
                return waited
            # A 429 while this caller slept pushed everyone back, this caller included.
            with self._locked(key) as fd:
                if self._deferred(fd) <= time.time():
                    return waited

    def defer(self, key: str, seconds: float) -> None:
        with self._locked(key) as fd:
            until = time.time() + max(seconds, 0.0)
            if until > self._deferred(fd):
                os.pwrite(fd, repr(until).encode().ljust(32), 32)

    @staticmethod
    def _deferred(fd: int) -> float:
        return _parse_float(os.pread(fd, 32, 32))

    @contextmanager
    def _locked(self, key: str) -> Iterator[int]:
        # O_NOFOLLOW: a symbolic link planted at the file's name is refused, not followed.
        fd = os.open(self.path_for(key), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield fd
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class RedisPacer:
    """Slots reserved atomically by a Lua script, timed by the Redis server's clock."""

    # Returns the delay as a string: Redis turns Lua numbers into integers, which would drop the
    # fractions of a second that matter here. The key expires once its slot has passed.
    SCRIPT = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
    local interval = tonumber(ARGV[1])
    local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'),
                          tonumber(redis.call('GET', KEYS[2]) or '0'))
    local max_wait = tonumber(ARGV[2])
    if max_wait >= 0 and slot - now > max_wait then
        return 'busy ' .. string.format('%.6f', slot - now)
    end
    local ttl = math.ceil((slot + interval - now) * 1000) + 1000
    redis.call('SET', KEYS[1], string.format('%.6f', slot + interval), 'PX', ttl)
    return string.format('%.6f', slot - now)
    """

    # KEYS[2] holds the moment before which nobody may send (after a 429).
    DEFER_SCRIPT = """
    local t = redis.call('TIME')
    local later = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
    if later > tonumber(redis.call('GET', KEYS[2]) or '0') then
        redis.call('SET', KEYS[2], string.format('%.6f', later), 'PX',
                   math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
    end
    return 0
    """
    DEFERRED_SCRIPT = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
    return string.format('%.6f', tonumber(redis.call('GET', KEYS[2]) or '0') - now)
    """

    PREFIX = "zoomadmin:pacing:"

    def __init__(self, redis_url: str, *, prefix: str | None = None) -> None:
        self.redis = redis.Redis.from_url(redis_url)
        self.prefix = self.PREFIX if prefix is None else prefix
        self._reserve = self.redis.register_script(self.SCRIPT)
        self._defer = self.redis.register_script(self.DEFER_SCRIPT)
        self._remaining = self.redis.register_script(self.DEFERRED_SCRIPT)

    def wait(self, key: str, rate_per_second: float, *, max_wait: float | None = None) -> float:
        keys = self._keys(key)
        args = [_interval(rate_per_second), -1 if max_wait is None else max_wait]
        waited = 0.0
        while True:
            answer = self._reserve(keys=keys, args=args)
            answer = answer.decode() if isinstance(answer, bytes) else str(answer)
            if answer.startswith("busy "):
                raise PacerBusy(float(answer.split()[1]))
            delay = float(answer)
            if delay <= 0:
                return waited
            time.sleep(delay)
            waited += delay
            # A 429 while this caller slept pushed everyone back, this caller included.
            if float(self._remaining(keys=keys)) <= 0:
                return waited

    def defer(self, key: str, seconds: float) -> None:
        self._defer(keys=self._keys(key), args=[max(seconds, 0.0)])

    def _keys(self, key: str) -> list[str]:
        return [self.prefix + key, self.prefix + key + ":deferred"]


@functools.cache
def pacer_for(redis_url: str) -> Pacer:
    """A RedisPacer on ``redis_url`` (shared by every host), or a FileLockPacer when it is empty.

    One pacer per process and URL: a RedisPacer owns a connection pool, worth sharing by all
    clients."""
    return RedisPacer(redis_url) if redis_url else FileLockPacer()


def _private_directory(directory: Path) -> None:
    """Create ``directory`` for this user alone, or check that it is: a directory (not a link)
    owned by this user that nobody else may write to. Another local user must not be able to
    plant files there, or slow this user's requests down by writing far-future slots."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise PermissionError(
            f"{directory} is not a private directory of this user; remove it or choose another"
        )


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
