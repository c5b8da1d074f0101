"""`scripts/run`, the README's first command, as a user runs it: a real shell, real processes.

It starts the sandbox Zoom only when no Zoom app is configured anywhere, and never overrides a
Zoom setting that is set: otherwise a deployment whose Zoom app lives in the admin would send
every tenant's refresh token to the sandbox.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / "python").exists(), reason="scripts/run needs .venv"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "ZOOMADMIN_"))}
    env.pop("REDIS_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the product's settings, as the README runs them
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}", DJANGO_DEBUG="1", **extra)
    return env


def manage(env: dict[str, str], *args: str, stdin: str = "") -> None:
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run(
        [python, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )


def run_until_serving(env: dict[str, str], web_port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        ["bash", "scripts/run"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"scripts/run stopped:\n{log.read_text()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{web_port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise AssertionError(f"scripts/run did not serve within 120 s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_run_starts_no_sandbox_when_the_zoom_app_is_configured_in_the_admin(tmp_path):
    web, sandbox = free_port(), free_port()
    env = environment(
        tmp_path, ZOOMADMIN_ADDR=f"127.0.0.1:{web}", ZOOMADMIN_SANDBOX_PORT=str(sandbox)
    )
    manage(env, "migrate", "--noinput")
    code = (
        "from allauth.socialaccount.models import SocialApp\n"
        "app = SocialApp.objects.create(provider='zoom', name='Zoom', client_id='real-app', "
        "secret='a-real-secret')\napp.sites.add(1)\n"
    )
    manage(env, "shell", "-c", code)
    log = tmp_path / "run.log"

    process = run_until_serving(env, web, log)
    try:
        assert not listening(sandbox), log.read_text()
        output = log.read_text()
        assert "configured in the admin" in output
        assert "Connected sandbox account" not in output
    finally:
        stop(process)


def test_run_with_the_sandbox_asked_for_keeps_the_zoom_urls_that_are_set(tmp_path):
    web, sandbox = free_port(), free_port()
    env = environment(
        tmp_path,
        ZOOMADMIN_ADDR=f"127.0.0.1:{web}",
        ZOOMADMIN_SANDBOX="1",
        ZOOMADMIN_SANDBOX_PORT=str(sandbox),
        ZOOMADMIN_SANDBOX_USERS="3",
        ZOOM_OAUTH_BASE_URL="https://zoom.us",
        ZOOM_API_BASE_URL="https://api.zoom.us/v2",
    )
    log = tmp_path / "run.log"

    process = run_until_serving(env, web, log)
    try:
        assert listening(sandbox)
        output = log.read_text()
        assert "ZOOM_OAUTH_BASE_URL is https://zoom.us" in output
        assert "Connected sandbox account" not in output
    finally:
        stop(process)
