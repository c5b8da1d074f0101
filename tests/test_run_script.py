"""`scripts/run`, the README's first command, as a user runs it: a real shell, real processes.

It starts the sandbox Zoom only when no Zoom app is configured anywhere, and never overrides a
Zoom setting that is set: otherwise a deployment whose Zoom app lives in the admin would send
every tenant's refresh token to the sandbox. With the sandbox it serves a populated admin: an
admin login printed once, two sandbox accounts of which one is a tenant, synced; a
``manage.py`` command typed in another shell uses the same Zoom and database (the file
``ZOOMADMIN_DEV_ENV`` names); SIGTERM stops all of it within 10 seconds, during a sync too,
and leaves nothing running or listening.

Each test has its own database (a copy of one migrated once) and its own ``ZOOMADMIN_DEV_ENV``
file, so a developer's ``scripts/run`` in the same checkout is left alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import requests

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


def shell_environment(tmp_path: Path) -> dict[str, str]:
    """A user's shell: no Zoom or zoomadmin variable, no database chosen, the product's settings;
    this test's file of development settings (where scripts/run writes it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "ZOOMADMIN_"))}
    for name in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env.update(DJANGO_DEBUG="1", ZOOMADMIN_DEV_ENV=str(tmp_path / "dev.env"))
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A database migrated once, that each test copies (a migration takes seconds)."""
    database = tmp_path_factory.mktemp("migrated") / "run.sqlite3"
    env = {**shell_environment(database.parent), "DATABASE_URL": f"sqlite:///{database}"}
    manage(env, "migrate", "--noinput")
    return database


def environment(tmp_path: Path, migrated: Path | None = None, **extra: str) -> dict[str, str]:
    database = tmp_path / "run.sqlite3"
    if migrated is not None:
        for suffix in ("", "-wal"):
            if Path(f"{migrated}{suffix}").exists():
                shutil.copy(f"{migrated}{suffix}", f"{database}{suffix}")
    env = shell_environment(tmp_path)
    env.update(DATABASE_URL=f"sqlite:///{database}", **extra)
    return env


def manage(env: dict[str, str], *args: str, stdin: str = "") -> str:
    python = str(ROOT / ".venv" / "bin" / "python")
    done = subprocess.run(
        [python, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return done.stdout


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


def test_run_starts_no_sandbox_when_the_zoom_app_is_configured_in_the_admin(tmp_path, migrated):
    web, sandbox = free_port(), free_port()
    env = environment(
        tmp_path, migrated, ZOOMADMIN_ADDR=f"127.0.0.1:{web}", ZOOMADMIN_SANDBOX_PORT=str(sandbox)
    )
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


def test_run_with_the_sandbox_asked_for_keeps_the_zoom_urls_that_are_set(tmp_path, migrated):
    web, sandbox = free_port(), free_port()
    env = environment(
        tmp_path,
        migrated,
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


# --- the first run with the sandbox, as the README describes it ------------------------------


def query(database: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(database, timeout=30)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def wait_until(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.2)
    return result


def sandbox_get(port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sandbox/{path}", timeout=5) as answer:
        return json.load(answer)


def sandbox_patch(port: int, **config) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_sandbox/config",
        data=json.dumps(config).encode(),
        method="PATCH",
    )
    urllib.request.urlopen(request, timeout=5).close()


def processes_on(database: Path) -> list[int]:
    """Every process of this machine whose environment names ``database`` (Linux)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if str(database).encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def sign_in(web: int, username: str, password: str) -> requests.Session:
    session = requests.Session()
    login = f"http://127.0.0.1:{web}/admin/login/"
    page = session.get(login, timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    answer = session.post(
        login,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    return session


def test_first_run_serves_two_sandbox_accounts_shares_its_zoom_and_stops_in_seconds(
    tmp_path, migrated
):
    web, sandbox = free_port(), free_port()
    env = environment(
        tmp_path,
        migrated,
        ZOOMADMIN_ADDR=f"127.0.0.1:{web}",
        ZOOMADMIN_SANDBOX_PORT=str(sandbox),
        ZOOMADMIN_SANDBOX_USERS="3",
    )
    database, dev_env = tmp_path / "run.sqlite3", tmp_path / "dev.env"
    log = tmp_path / "run.log"

    process = run_until_serving(env, web, log)
    try:
        output = log.read_text()
        # The admin login, made once and printed once.
        password = re.search(r"Created superuser 'admin' with password (\S+)", output).group(1)
        # Two sandbox accounts; the first connected as the one tenant through the OAuth
        # screens, its owner consenting (the grant is theirs), and synced.
        accounts = sandbox_get(sandbox, "accounts")["accounts"]
        assert len(accounts) == 2
        assert query(database, "SELECT account_id, connection FROM tenants_tenant") == [
            (accounts[0]["id"], "oauth")
        ]
        assert f"signed in to the sandbox as {accounts[0]['owner_email']}" in output
        assert f"Sandbox account {accounts[1]['id']} ({accounts[1]['name']}) is not connected" in (
            output
        )
        wait_until(
            lambda: (
                query(database, "SELECT status, trigger FROM sync_syncrun")
                == [("succeeded", "connect")]
            ),
            "the first sync, queued by the connect",
        )
        tenants = sign_in(web, "admin", password).get(
            f"http://127.0.0.1:{web}/admin/tenants/tenant/", timeout=10
        )
        assert accounts[0]["name"] in tenants.text

        # Another shell, with nothing set: its manage.py uses this run's Zoom and database.
        assert dev_env.stat().st_mode & 0o077 == 0  # the owner's alone
        other_shell = shell_environment(tmp_path)
        assert f"Zoom is at http://127.0.0.1:{sandbox}/v2" in manage(other_shell, "zoom_app")
        requests_before = sandbox_get(sandbox, "stats")["requests_total"]
        synced = manage(other_shell, "zoom_sync", "--all")
        assert accounts[0]["name"] in synced
        assert sandbox_get(sandbox, "stats")["requests_total"] > requests_before
        assert [s for (s,) in query(database, "SELECT status FROM sync_syncrun")] == [
            "succeeded",
            "succeeded",
        ]

        # A sync of many seconds, queued from the other shell, running when SIGTERM comes.
        sandbox_patch(sandbox, latency_seconds=0.3)
        manage(other_shell, "zoom_sync", "--all", "--async", "--full")
        wait_until(
            lambda: query(
                database,
                "SELECT id FROM sync_syncrun WHERE status = 'running' "
                "AND heartbeat_at > started_at",
            ),
            "the third sync to run",
        )
    except BaseException:
        stop(process)
        raise

    asked = time.monotonic()
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        stop(process)
        raise AssertionError(f"scripts/run did not stop within 15 s:\n{log.read_text()}") from None
    took = time.monotonic() - asked

    assert took < 10, f"stopped in {took:.1f} s"
    assert not listening(web) and not listening(sandbox)
    assert processes_on(database) == [], "a process of the run is still there"
    assert not dev_env.exists()  # the other shells no longer use the sandbox
    # The sync was stopped, not cut off: the next one continues it.
    last = query(database, "SELECT status, message FROM sync_syncrun ORDER BY id DESC LIMIT 1")
    assert last[0][0] == "interrupted" and last[0][1].startswith("Stopped with its worker")
