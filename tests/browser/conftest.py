"""Browser tests: the admin as a person uses it, in Debian's Chromium driven by Playwright.

The app runs on pytest-django's ``live_server`` (a real HTTP server on loopback, with a
transactional database), Zoom is the sandbox (``sandbox_server`` of tests/conftest.py, seeded
small), and a tenant is connected and synced as in the write tests (tests/users/conftest.py).
Every test signs in through the real login page.

``page``
    A fresh browser context (no cookies) of 1366×768, its base URL the live server.
``steps``
    ``steps("what the person sees")`` keeps a screenshot of the page (the whole page, so
    anything wider than the window shows) under ``artifacts/screenshots/<test>/`` and checks
    that nothing is cut off at that width (no horizontal scrolling of the page, no table wider
    than the box it sits in) and that no token or client secret of the sandbox is in the page
    or its URL.
``signed_in``
    ``page`` signed in as the superuser of the tenant fixture (``root`` / ``pw``).

Chromium: ``/usr/bin/chromium`` (Debian's package ``chromium``; another binary with
``ZOOMADMIN_CHROMIUM``). Playwright's own browser download is never used. Without Chromium the
tests are skipped with the reason, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import SANDBOX_SEED_ARGS
from tests.users import conftest as users_fixtures
from zoomadmin.sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    Account,
    SandboxServer,
    seed_account,
)
from zoomadmin.sync.runs import tenant_sync
from zoomadmin.tenants.models import Tenant, TenantMembership
from zoomadmin.tenants.services import tenant_connect_server_to_server

# The write tests' fixtures (a superuser; a tenant of the sandbox, connected and synced; the
# sandbox's request count; Zoom paced for tests), reused as they are.
admin_user = users_fixtures.admin_user
tenant = users_fixtures.tenant
zoom_requests = users_fixtures.zoom_requests
fast_zoom = users_fixtures.fast_zoom

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(
    os.environ.get("ZOOMADMIN_SCREENSHOTS", "") or ROOT / "artifacts" / "screenshots"
)
CHROMIUM = os.environ.get("ZOOMADMIN_CHROMIUM", "") or "/usr/bin/chromium"
# Without the background-networking flags Chromium reaches out to Google's services at start,
# which a closed network (CI) refuses; Chromium's own sandbox does not start as root (CI).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}
PASSWORD = "pw"  # tests/users/conftest.py's admin_user

# Big enough for a bulk action that runs as a background job (more than INLINE_MAX = 10
# active members), small enough for a sync in about a second.
BROWSER_SEED_ARGS: dict[str, Any] = {
    **SANDBOX_SEED_ARGS,
    "users": 18,
    "meetings_per_user": 2,
    "inactive_ratio": 0.05,
    "pending_ratio": 0.05,
}

expect.set_options(timeout=15_000)


# --- Chromium and the page ---------------------------------------------------------------


def chromium_executable() -> str:
    """Chromium's path; skips the test without it (fails instead in CI)."""
    found = shutil.which(CHROMIUM)
    if found:
        return found
    reason = (
        f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install chromium) "
        "or point ZOOMADMIN_CHROMIUM at a Chromium or Chrome binary"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Chromium for the tests of this folder, closed after the last of them.

    Playwright's synchronous API keeps an asyncio loop marked running on this thread, which
    Django takes for an async context and refuses the ORM in; the tests here run no async
    code, so Django's guard is lifted while the browser runs, and only then."""
    executable = chromium_executable()
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def screenshot_root() -> Path:
    """The screenshots of this run (the previous run's are removed)."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    _taken_this_run.append(SCREENSHOTS)
    return SCREENSHOTS


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(
        viewport=VIEWPORT, base_url=live_server.url, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


# Per table: its width against the box that shows it (the nearest ancestor that clips or
# scrolls sideways, else the window). Hidden tables are skipped.
OVERFLOW_JS = """() => {
  const root = document.documentElement;
  const found = [];
  if (root.scrollWidth > root.clientWidth + 1) {
    found.push("the page is " + root.scrollWidth + "px wide");
  }
  for (const table of document.querySelectorAll("table")) {
    const width = table.getBoundingClientRect().width;
    if (!width) continue;
    let box = table.parentElement;
    while (box && box !== document.body && getComputedStyle(box).overflowX === "visible") {
      box = box.parentElement;
    }
    const room = box && box !== document.body ? box.clientWidth : root.clientWidth;
    const right = table.getBoundingClientRect().right;
    if (width > room + 1 || right > root.clientWidth + 1) {
      const name = table.id || (table.closest("[id]") || {}).id || "a table";
      found.push(name + " is " + Math.round(width) + "px wide in " + room + "px");
    }
  }
  return found;
}"""


class Steps:
    """Numbered screenshots of one test's steps, each checked to fit the window and to show no
    secret."""

    def __init__(self, page: Page, directory: Path, secrets: Callable[[], set[str]]) -> None:
        self.page = page
        self.directory = directory
        self.secrets = secrets
        self.taken: list[Path] = []

    def __call__(self, name: str, *, page: Page | None = None) -> Path:
        """The screenshot of ``page`` (the test's page unless another tab is named)."""
        page = page or self.page
        page.wait_for_load_state()
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = self.directory / f"{len(self.taken) + 1:02d}-{slug}.png"
        page.screenshot(path=path, full_page=True)
        self.taken.append(path)
        cut_off = page.evaluate(OVERFLOW_JS)
        assert not cut_off, f"{name} ({page.url}) does not fit 1366px: {cut_off}; see {path}"
        shown = page.url + page.content()
        assert not [secret for secret in self.secrets() if secret in shown], f"a secret in {name}"
        return path


@pytest.fixture
def steps(page: Page, screenshot_root: Path, sandbox: SandboxServer, request: Any) -> Steps:
    directory = screenshot_root / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    directory.mkdir(parents=True, exist_ok=True)

    def secrets() -> set[str]:
        """Every token the sandbox issued so far, and its app's client secret."""
        state = sandbox.state
        with state.lock:
            tokens = {*state.access_tokens, *state.refresh_tokens, *state.rotated_refresh_tokens}
        return {*tokens, DEFAULT_CLIENT_SECRET}

    return Steps(page, directory, secrets)


def sign_in(page: Page, steps: Steps, username: str, password: str = PASSWORD) -> None:
    """Through the real login page, to the admin's home page."""
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    steps(f"sign in as {username}")
    page.click("input[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin/$"))


@pytest.fixture
def signed_in(page: Page, steps: Steps, tenant: Tenant, admin_user: Any) -> Page:
    sign_in(page, steps, admin_user.username)
    return page


def pick_autocomplete(page: Page, field: str, search: str, choice: str) -> None:
    """Choose ``choice`` in the admin's autocomplete (select2) of the form field ``field``."""
    page.click(f"#id_{field} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", search)
    option = page.locator(".select2-results__option", has_text=choice)
    option.first.click()
    expect(page.locator(f"#select2-id_{field}-container")).to_contain_text(choice)


# --- the sandbox and the tenants -------------------------------------------------------------


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxServer:
    """The session's sandbox, reset, with one account of ``BROWSER_SEED_ARGS``."""
    sandbox_server.reset()
    sandbox_server.state.listeners.clear()
    seed_account(sandbox_server.state, **BROWSER_SEED_ARGS)
    return sandbox_server


@pytest.fixture
def other_account(sandbox: SandboxServer) -> Account:
    """A second Zoom account in the sandbox (a few users), not connected."""
    return seed_account(sandbox.state, name="Bravo Logistics", users=5, meetings_per_user=1, seed=2)


@pytest.fixture
def other_tenant(other_account: Account, tenant: Tenant, admin_user: Any) -> Tenant:
    """The second account connected (Server-to-Server) and synced, beside ``tenant``."""
    other = tenant_connect_server_to_server(
        account_id=other_account.id,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        user=admin_user,
    )
    assert tenant_sync(tenant=other, trigger="test").status == "succeeded"
    return other


@pytest.fixture
def other_staff(other_tenant: Tenant, django_user_model: Any) -> Any:
    """A staff member of the second tenant only, with every model permission (so what they
    may not see answers 404, not 403)."""
    user = django_user_model.objects.create_user(
        username="bravo-staff", password=PASSWORD, is_staff=True, email="staff@bravo.example"
    )
    user.user_permissions.set(Permission.objects.all())
    TenantMembership.objects.create(tenant=other_tenant, user=user)
    return user


WEBHOOK_SECRET = "browser-webhook-secret"


@pytest.fixture
def live_webhooks(live_server: Any, sandbox: SandboxServer, settings: Any) -> Iterator[None]:
    """The sandbox sends its changes to the live server's /webhooks/zoom/, signed with a
    secret token the app knows, as Zoom would."""
    settings.ZOOM_WEBHOOK_SECRET_TOKENS = [WEBHOOK_SECRET]
    sandbox.webhooks.attach()
    sandbox.config.update(
        webhook_url=f"{live_server.url}/webhooks/zoom/", webhook_secret=WEBHOOK_SECRET
    )
    yield
    sandbox.config.update(webhook_url="")


def wait_for(condition: Callable[[], Any], *, seconds: float = 15, what: str = "") -> Any:
    """Poll ``condition`` (database or sandbox state) until it is true."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


_taken_this_run: list[Path] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _taken_this_run:
        terminalreporter.write_line(f"browser test screenshots: {SCREENSHOTS}")
