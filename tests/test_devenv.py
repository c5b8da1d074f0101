"""The development settings that ``scripts/run`` writes for the other shells
(``zoomadmin.devenv``): applied only where they belong, never over the environment, never in
production, never once their ``scripts/run`` is gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zoomadmin.devenv import DEFAULT_FILE, apply_dev_env, dev_env_path, read_dev_env

DATABASE = "sqlite:////tmp/run.sqlite3"


def write(path: Path, *, pid: int, **values: str) -> Path:
    lines = ["# Written by scripts/run", f"ZOOMADMIN_DEV_ENV_PID={pid}", f"DATABASE_URL={DATABASE}"]
    lines += [f"{name}={value}" for name, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder whose .zoomadmin-dev.env a live scripts/run (this process) wrote."""
    write(
        tmp_path / DEFAULT_FILE,
        pid=os.getpid(),
        ZOOM_API_BASE_URL="http://127.0.0.1:8765/v2",
        ZOOM_CLIENT_ID="sandbox-client-id",
        ZOOM_CLIENT_SECRET="sandbox-client-secret",
        DJANGO_SECRET_KEY="not-for-this-file",
    )
    return tmp_path


def test_a_shell_with_nothing_set_gets_what_the_running_scripts_run_chose(project):
    environ: dict[str, str] = {}

    applied = apply_dev_env(project, debug=True, environ=environ)

    assert environ == {
        "DATABASE_URL": DATABASE,
        "ZOOM_API_BASE_URL": "http://127.0.0.1:8765/v2",
        "ZOOM_CLIENT_ID": "sandbox-client-id",
        "ZOOM_CLIENT_SECRET": "sandbox-client-secret",
    }
    assert applied == environ  # nothing else: not the pid, not a name it may not set


def test_the_environment_wins(project):
    environ = {"ZOOM_CLIENT_ID": "my-app", "DATABASE_URL": DATABASE}

    apply_dev_env(project, debug=True, environ=environ)

    assert environ["ZOOM_CLIENT_ID"] == "my-app"
    assert environ["ZOOM_API_BASE_URL"] == "http://127.0.0.1:8765/v2"


def test_production_and_other_settings_modules_never_read_it_unless_named(project):
    production: dict[str, str] = {}
    tests = {"DJANGO_SETTINGS_MODULE": "tests.settings"}
    named = {"ZOOMADMIN_DEV_ENV": str(project / DEFAULT_FILE)}

    assert apply_dev_env(project, debug=False, environ=production) == {}
    assert apply_dev_env(project, debug=True, environ=tests) == {}
    assert apply_dev_env(project, debug=False, environ=named)["ZOOM_CLIENT_ID"]
    assert production == {} and tests == {"DJANGO_SETTINGS_MODULE": "tests.settings"}


def test_a_command_on_another_database_is_not_that_run(project):
    environ = {"DATABASE_URL": "postgres://postgres@127.0.0.1/test_zoomadmin"}

    assert apply_dev_env(project, debug=True, environ=environ) == {}
    assert "ZOOM_API_BASE_URL" not in environ


def test_a_file_left_by_a_killed_scripts_run_is_ignored_with_a_warning(tmp_path):
    write(tmp_path / DEFAULT_FILE, pid=dead_pid(), ZOOM_API_BASE_URL="http://127.0.0.1:8765/v2")
    environ: dict[str, str] = {}

    with pytest.warns(RuntimeWarning, match="no longer running"):
        assert apply_dev_env(tmp_path, debug=True, environ=environ) == {}
    assert environ == {}


def test_no_file_or_off_reads_nothing(tmp_path, project):
    (tmp_path / "elsewhere").mkdir()
    assert apply_dev_env(tmp_path / "elsewhere", debug=True, environ={}) == {}
    assert dev_env_path(project, {"ZOOMADMIN_DEV_ENV": "off"}) is None
    assert apply_dev_env(project, debug=True, environ={"ZOOMADMIN_DEV_ENV": "off"}) == {}
    assert dev_env_path(project, {"ZOOMADMIN_DEV_ENV": "other.env"}) == project / "other.env"
    assert read_dev_env(project / "missing.env") == {}
