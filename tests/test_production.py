"""Running it for real (README "Running in production"), as an operator does: real processes.

- ``manage.py check --deploy --fail-level WARNING`` passes with the production settings the
  README lists, and fails on each unsafe one;
- gunicorn serves the app with those settings: static files through whitenoise (the hashed
  names collectstatic wrote, cached for ever, compressed), HTTPS behind a proxy that sets
  ``X-Forwarded-Proto`` (plain HTTP redirected, ``/healthz`` exempt), and a log of one line per
  refused request (404, 403) with no traceback;
- the development secret-key warning is said once per start, not by every process started.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

ROOT = Path(django_settings.BASE_DIR)
HOST = "zoomadmin.example.com"
SECRET_KEY = "x7Kp2vQ9mZr4Lw8Nf3Ht6Yb1Jc5Gd0Sa-Ue7Ri2Oq9Pz4Mx8Vn3Wk6Lt1Hy5Bg0Fd_CsQ"


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict[str, str]:
    """The environment of a production deployment (as the README documents it), with its
    static files collected once."""
    static_root = tmp_path_factory.mktemp("static")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ZOOM_", "ZOOMADMIN_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="zoomadmin.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
        DJANGO_STATIC_ROOT=str(static_root),
        ZOOM_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('db') / 'check.sqlite3'}",
    )
    manage(env, "collectstatic", "--noinput")
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return manage(env, "check", "--deploy", "--fail-level", "WARNING")


def test_check_deploy_passes_with_the_production_settings(production):
    result = check_deploy(production)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"DJANGO_SECRET_KEY": "short-key"}, "security.W009"),
        ({"DJANGO_DEBUG": "1"}, "security.W018"),
        ({"ZOOM_ENCRYPTION_KEYS": ""}, "zoomadmin.W001"),
        ({"DJANGO_SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"ZOOM_API_BASE_URL": "http://127.0.0.1:8765/v2"}, "zoomadmin.E004"),
    ],
    ids=["short secret key", "DEBUG on", "no encryption keys", "no HTTPS redirect", "sandbox"],
)
def test_check_deploy_fails_on_an_unsafe_setting(production, change, expected):
    result = check_deploy({**production, **change})

    assert result.returncode != 0
    assert expected in result.stderr


def test_check_deploy_fails_until_the_static_files_are_collected(production, tmp_path):
    env = {**production, "DJANGO_STATIC_ROOT": str(tmp_path / "empty")}

    result = check_deploy(env)

    assert result.returncode != 0
    assert "zoomadmin.W002" in result.stderr
    assert manage(env, "collectstatic", "--noinput").returncode == 0
    assert check_deploy(env).returncode == 0


def test_production_refuses_to_start_without_a_secret_key(production):
    result = manage({**production, "DJANGO_SECRET_KEY": ""}, "check")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


# --- gunicorn -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """This test's database, for the server to share."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def gunicorn(production, tmp_path_factory, django_db_setup):
    """gunicorn with two workers on the tests' database, its log (stderr) in a file."""
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {**production, "DATABASE_URL": database_url()}
    with log.open("w") as stream:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "zoomadmin.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--forwarded-allow-ips",
                "127.0.0.1",
            ],
            cwd=ROOT,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{base}/healthz", headers={"Host": HOST}, timeout=5)
            break
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                raise AssertionError(log.read_text()) from None
            time.sleep(0.1)
    yield base, log
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def behind_the_proxy(base: str, path: str, **kwargs) -> requests.Response:
    """A request as the HTTPS proxy forwards it (README: the proxy sets X-Forwarded-Proto)."""
    headers = {"Host": HOST, "X-Forwarded-Proto": "https", **kwargs.pop("headers", {})}
    return requests.get(
        f"{base}{path}", headers=headers, allow_redirects=False, timeout=10, **kwargs
    )


def staff_session(settings) -> str:
    """A signed-in staff user with no permissions: the admin's add page refuses them (403)."""
    settings.SECRET_KEY = SECRET_KEY  # the server's: it signs the session and its user hash
    user = get_user_model().objects.create_user(username="no-rights", is_staff=True)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key


@pytest.mark.django_db(transaction=True)
def test_gunicorn_logs_a_refused_request_once_in_one_line_without_a_traceback(gunicorn, settings):
    base, log = gunicorn
    cookies = {"sessionid": staff_session(settings)}
    start = log.stat().st_size

    forbidden = behind_the_proxy(base, "/admin/users/zoomuser/add/", cookies=cookies)
    missing = behind_the_proxy(base, "/admin/no-such-page/", cookies=cookies)
    unknown = behind_the_proxy(base, "/no/such/page/")
    time.sleep(0.5)  # the workers' log lines reach the file
    with log.open() as stream:
        stream.seek(start)
        logged = stream.read()

    assert (forbidden.status_code, missing.status_code, unknown.status_code) == (403, 404, 404)
    for path, reason in [
        ("/admin/users/zoomuser/add/", "Forbidden (Permission denied)"),
        ("/admin/no-such-page/", "Not Found"),
        ("/no/such/page/", "Not Found"),
    ]:
        lines = [line for line in logged.splitlines() if path in line]
        assert len(lines) == 1, logged
        assert f"WARNING django.request: {reason}: {path}" in lines[0]
    assert "Traceback" not in logged
    assert len(logged.splitlines()) == 3, logged


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_the_collected_static_files_through_whitenoise(gunicorn, production):
    base, _ = gunicorn
    manifest = json.loads((Path(production["DJANGO_STATIC_ROOT"]) / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]

    login = behind_the_proxy(base, "/admin/login/")
    served = behind_the_proxy(base, f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})

    assert login.status_code == 200
    assert f"/static/{hashed}" in login.text  # pages link the content-hashed name
    assert served.status_code == 200
    assert served.headers["Content-Encoding"] == "gzip"
    assert "immutable" in served.headers["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_gunicorn_behind_an_https_proxy_redirects_plain_http_but_not_health_probes(gunicorn):
    base, _ = gunicorn
    plain = requests.get(
        f"{base}/admin/login/", headers={"Host": HOST}, allow_redirects=False, timeout=10
    )
    probe = requests.get(f"{base}/healthz", headers={"Host": HOST}, timeout=10)
    secure = behind_the_proxy(base, "/admin/login/")

    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://{HOST}/admin/login/"
    assert probe.status_code == 200 and probe.json()["status"] == "ok"
    assert secure.status_code == 200
    assert "max-age=31536000" in secure.headers["Strict-Transport-Security"]
    assert "Secure" in secure.headers["Set-Cookie"]  # the CSRF cookie of the login form


# --- the development key warning ------------------------------------------------------------


def test_the_development_key_warning_is_said_once_by_a_process_and_the_ones_it_starts(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "ZOOMADMIN_")) and k != "PYTHONWARNINGS"
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'dev.sqlite3'}"
    # A process that reads the settings and starts two more that do (as runserver's reloader
    # and a cluster's spawned workers do).
    script = (
        "import subprocess, sys, zoomadmin.settings\n"
        "for _ in range(2):\n"
        "    subprocess.run([sys.executable, '-c', 'import zoomadmin.settings'], check=True)\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr.count("DJANGO_SECRET_KEY is not set") == 1
