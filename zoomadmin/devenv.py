"""The development settings ``scripts/run`` chose, for every ``manage.py`` command beside it.

``scripts/run`` decides where Zoom is for its run (the sandbox's URLs, the sandbox app's client id
and secret, a development webhook secret token) and exports that to the processes it starts. A
command typed in another shell inherits none of it: ``manage.py zoom_sync --all`` there would ask
the real Zoom about tenants connected to the sandbox. So ``scripts/run`` also writes what it
chose to ``.zoomadmin-dev.env`` in the project (git-ignored, readable by its owner only), and
the settings apply it (``apply_dev_env``), under these rules:

- never over a variable set in the environment, and only the names in ``NAMES``;
- only for the product's own settings module (``zoomadmin.settings``, as ``manage.py`` and
  ``scripts/run`` use it) with ``DJANGO_DEBUG`` on: a production start (``DJANGO_DEBUG=0``), the
  tests' settings or a deployment's own module never read it, unless ``ZOOMADMIN_DEV_ENV``
  names the file explicitly;
- only for the database of that run: a command whose ``DATABASE_URL`` names another database
  (a test's) is not part of it;
- only while the ``scripts/run`` that wrote it runs (its pid, ``ZOOMADMIN_DEV_ENV_PID``): it
  deletes the file when it stops, and a file left behind by one that was killed is ignored,
  with a warning.

``ZOOMADMIN_DEV_ENV`` names another file (each test run of ``scripts/run`` has its own), or is
``off``. The file holds ``NAME=value`` lines; ``#`` starts a comment line.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import MutableMapping
from pathlib import Path

DEFAULT_FILE = ".zoomadmin-dev.env"
# What scripts/run may choose for its run; nothing else in the file is applied.
NAMES = frozenset(
    {
        "DATABASE_URL",
        "REDIS_URL",
        "ZOOM_API_BASE_URL",
        "ZOOM_OAUTH_BASE_URL",
        "ZOOM_CLIENT_ID",
        "ZOOM_CLIENT_SECRET",
        "ZOOM_WEBHOOK_SECRET_TOKEN",
    }
)
PID_NAME = "ZOOMADMIN_DEV_ENV_PID"
OFF = frozenset({"0", "off", "no", "false"})
PRODUCT_SETTINGS = "zoomadmin.settings"


def dev_env_path(base_dir: Path, environ: MutableMapping[str, str]) -> Path | None:
    """The file this process would read (None: ``ZOOMADMIN_DEV_ENV=off``)."""
    named = environ.get("ZOOMADMIN_DEV_ENV", "").strip()
    if named.lower() in OFF:
        return None
    path = Path(named or DEFAULT_FILE)
    return path if path.is_absolute() else base_dir / path


def read_dev_env(path: Path) -> dict[str, str]:
    """The ``NAME=value`` lines of ``path`` ({} when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return {}
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def apply_dev_env(
    base_dir: Path, *, debug: bool, environ: MutableMapping[str, str] = os.environ
) -> dict[str, str]:
    """Set, in ``environ``, what the running ``scripts/run`` chose and the environment does not
    say (see the module docstring); returns what was set."""
    explicit = environ.get("ZOOMADMIN_DEV_ENV", "").strip().lower() not in {"", *OFF}
    settings_module = environ.get("DJANGO_SETTINGS_MODULE", PRODUCT_SETTINGS)
    if not explicit and (not debug or settings_module != PRODUCT_SETTINGS):
        return {}
    path = dev_env_path(base_dir, environ)
    values = read_dev_env(path) if path is not None else {}
    if not values:
        return {}
    if not _writer_runs(values.get(PID_NAME, "")):
        warnings.warn(
            f"{path} was left by a scripts/run that is no longer running: ignored "
            "(delete it, or start scripts/run again).",
            RuntimeWarning,
            stacklevel=2,
        )
        return {}
    database = environ.get("DATABASE_URL", "")
    if database and database != values.get("DATABASE_URL", ""):
        return {}  # another database: not that run
    chosen = {
        name: value
        for name, value in values.items()
        if name in NAMES and value and not environ.get(name)
    }
    environ.update(chosen)
    return chosen


def _writer_runs(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # another user's process took the pid: not ours
    return True
