"""The sync in django-q2's worker processes: a prompt stop, and the runs of workers that are gone.

**Stopping.** django-q2 stops a cluster gracefully (SIGINT or SIGTERM to ``qcluster``): it hands
out no more tasks and waits for each worker to finish the task it runs, which for a sync can be
the better part of an hour (``ZOOM_SYNC_TASK_SECONDS``): ``qcluster`` seemed to ignore SIGTERM.
Its workers ignore SIGINT and die at once of SIGTERM, leaving their run *running*. So each
worker (django-q2's ``post_spawn`` signal, ``zoomadmin.sync.tasks.worker_started``) asks its
running sync to stop when its cluster stops (``watch_cluster_stop``) or when a signal reaches
the worker itself (``install_stop_handlers``): the walk begins nothing more, its threads finish
the request they are in, what was listed is written, and the run ends *interrupted*, its
continuation left in the broker for the next start. The cluster then stops within seconds. A
second signal to a worker ends it at once. After SIGTERM, whose senders (systemd, a container
runtime, ``kill -- -PGID``) usually stop every process of the cluster, the worker also ends by
itself ``STOP_GRACE_SECONDS`` later: with its sentinel gone it would wait for ever. (django-q2's
own ``qcluster`` process may then hang: its sentinel, killed by SIGTERM, can leave a shared lock
held. SIGINT to the whole process group, which is what Ctrl-C sends and systemd's
``KillSignal=SIGINT`` does, or SIGTERM to the ``qcluster`` process alone, stops it cleanly.)

**Runs of workers that are gone.** Once its walk began, a run's heartbeat moves every second
while its worker lives (``zoomadmin.sync.engine``). A worker that was killed (SIGKILL, a crash,
a power cut) leaves its run *running*, and the next claim of its tenant would wait ``ZOOM_SYNC_STALE_SECONDS`` (five minutes) before taking over. When a worker starts,
``interrupted_runs_recognize`` watches the running runs for ``START_WINDOW_SECONDS``: a run
whose heartbeat did not move in that time belongs to a worker that is gone, wherever it ran,
and is marked interrupted then, for its continuation to be queued. (A run whose heartbeat never
moved is still asking Zoom before its walk, for a token or the recordings check, which a slow
Zoom can stretch: the claim's ``ZOOM_SYNC_STALE_SECONDS`` decides about it.)
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from types import FrameType
from typing import Any

from django.db.models import F
from django.utils import timezone

from zoomadmin.sync.models import SyncRun

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 8.0
# Many times the heartbeat's period (a second), for a slow write or a busy database.
START_WINDOW_SECONDS = 15.0

STOPPED_MESSAGE = "Stopped with its worker ({done}); the next sync continues where it stopped."
GONE_MESSAGE = (
    "Its worker is gone (its heartbeat stopped {silent} s before a worker started); the next "
    "sync continues where it stopped."
)

_stop = threading.Event()
_signals = 0  # stop signals this worker received


def stop_requested() -> bool:
    """Whether this worker process was asked to stop (the sync then stops too)."""
    return _stop.is_set()


def request_stop() -> None:
    _stop.set()


def clear_stop() -> None:
    """For tests, which ask a stop in their own process."""
    global _signals
    _signals = 0
    _stop.clear()


def install_stop_handlers() -> None:
    """In a worker's main thread: SIGINT and SIGTERM stop the running sync (module docstring)."""
    if threading.current_thread() is not threading.main_thread():
        # django-q2's sync mode runs a task inline in the caller's thread (a web request's,
        # under test), and sends post_spawn there: Python takes handlers in the main thread only.
        return
    signal.signal(signal.SIGINT, _on_stop_signal)
    signal.signal(signal.SIGTERM, _on_stop_signal)


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    global _signals
    _signals += 1
    if _signals > 1:
        os._exit(128 + signum)  # asked twice: at once
    _stop.set()
    logger.info(
        "Worker %s asked to stop (%s): a running sync stops after the requests in flight",
        os.getpid(),
        signal.Signals(signum).name,
    )
    if signum == signal.SIGTERM:
        timer = threading.Timer(STOP_GRACE_SECONDS, os._exit, args=(128 + signum,))
        timer.daemon = True
        timer.start()


def cluster_stop_event(frame: FrameType | None = None) -> Any | None:
    """The event by which django-q2's ``qcluster`` process tells its sentinel to stop (on its
    SIGTERM or SIGINT), as seen from a worker: the sentinel forked the worker, so the worker's
    stack still holds the sentinel's frames (django-q2 forks wherever the system can). None
    where it is not found (another start method, another django-q2): then only a signal to the
    worker itself stops its sync early."""
    frame = frame or sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        kind = type(owner)
        if (kind.__module__, kind.__name__) == ("django_q.cluster", "Sentinel"):
            return getattr(owner, "stop_event", None)
        frame = frame.f_back
    return None


def watch_cluster_stop(event: Any, *, every: float = 0.5) -> threading.Thread:
    """A thread asking the running sync to stop once ``event`` (``cluster_stop_event``) is
    set: ``kill PID`` of ``qcluster`` then stops a sync as promptly as a signal to its worker."""

    def watch() -> None:
        while not _stop.is_set():
            if event.is_set():
                logger.info("Worker %s: its cluster is stopping; a running sync stops", os.getpid())
                _stop.set()
                return
            time.sleep(every)

    thread = threading.Thread(target=watch, name="zoom-sync-cluster-stop", daemon=True)
    thread.start()
    return thread


def interrupted_runs_recognize(
    *, window: float = START_WINDOW_SECONDS, sleep: Callable[[float], None] = time.sleep
) -> list[SyncRun]:
    """Mark interrupted every running run whose heartbeat did not move for ``window`` seconds,
    watching for that long at most; the runs marked (by this call: another worker starting at
    the same time marks each run once)."""
    window_delta = timedelta(seconds=window)
    # A run that never beat is still asking Zoom before its walk (a token, a slow answer):
    # the claim's ZOOM_SYNC_STALE_SECONDS decides about it.
    running = SyncRun.objects.filter(
        status=SyncRun.Status.RUNNING, heartbeat_at__gt=F("started_at")
    )
    watched = dict(running.values_list("pk", "heartbeat_at"))
    now = timezone.now()
    silent_long = {pk: beat for pk, beat in watched.items() if now - beat > window_delta}
    marked = _mark_gone(silent_long)
    rest = {pk: beat for pk, beat in watched.items() if pk not in silent_long}
    if rest:
        sleep(window)
        now = timezone.now()
        marked += _mark_gone({pk: beat for pk, beat in rest.items() if now - beat > window_delta})
    return marked


def _mark_gone(beats: dict) -> list[SyncRun]:
    marked = []
    for pk, beat in beats.items():
        now = timezone.now()
        message = GONE_MESSAGE.format(silent=round((now - beat).total_seconds()))
        # Only if its heartbeat is still the one seen: a live worker's moved meanwhile.
        updated = SyncRun.objects.filter(
            pk=pk, status=SyncRun.Status.RUNNING, heartbeat_at=beat
        ).update(status=SyncRun.Status.INTERRUPTED, finished_at=now, message=message)
        if updated:
            run = SyncRun.objects.get(pk=pk)
            logger.warning("Sync run %s of tenant %s: %s", run.pk, run.tenant_id, message)
            marked.append(run)
    return marked
