"""`manage.py zoom_demo`: make a fresh install usable at once against the sandbox Zoom.

Makes sure there is an admin login (``manage.py zoom_superuser``) and connects the first account
of a running sandbox (``manage.py zoom_sandbox``; ``--accounts N``: the first N, ``0``: all)
through the OAuth screens a person goes through: the admin's "Connect a Zoom account" and its
confirmation, the sandbox's sign-in and consent page, where the account's owner allows, and the
callback, where allauth exchanges the code for tokens and the tenant is made; its first sync is
then queued (``ZOOM_SYNC_ON_CONNECT``). The app's side runs in this process through Django's
request handling, with the superuser signed in; the sandbox's side is real HTTP. The other
accounts are left for "Connect a Zoom account" in the browser, so that connecting a second
tenant can be tried. Safe to run again: the superuser is left alone and an account that is
already a tenant is left as it is.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client, override_settings
from django.urls import reverse

from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.tasks import enqueue_tenant_sync
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.tokens import client_for_tenant
from zoomadmin.zoom.errors import ZoomError

CONNECT = "/accounts/zoom/login/?process=connect"
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
MESSAGE = re.compile(r'<li class="(?:error|warning|info|success)">(.*?)</li>', re.S)


class Command(BaseCommand):
    help = "Make sure of a superuser and connect the sandbox Zoom's first account as a tenant."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sandbox-url",
            default=settings.ZOOM_OAUTH_BASE_URL,
            help="the running sandbox (default: ZOOM_OAUTH_BASE_URL)",
        )
        parser.add_argument(
            "--accounts",
            type=int,
            default=1,
            help="connect this many of the sandbox's accounts (0: all); the others are left "
            "for “Connect a Zoom account”",
        )
        parser.add_argument(
            "--host",
            default="127.0.0.1:8000",
            help="the address the admin is served on: Zoom redirects back to it "
            "(default: 127.0.0.1:8000)",
        )
        parser.add_argument("--no-sync", action="store_true", help="do not queue a first sync")

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._superuser()
        sandbox_url = options["sandbox_url"].rstrip("/")
        if sandbox_url != settings.ZOOM_OAUTH_BASE_URL:
            raise CommandError(
                f"ZOOM_OAUTH_BASE_URL is {settings.ZOOM_OAUTH_BASE_URL}, not the sandbox at "
                f"{sandbox_url}: the OAuth screens would be another Zoom's."
            )
        try:
            response = requests.get(f"{sandbox_url}/_sandbox/accounts", timeout=10)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise CommandError(
                f"No sandbox answers at {sandbox_url} ({exc.__class__.__name__}); "
                "start it with `python manage.py zoom_sandbox`."
            ) from exc
        accounts = response.json()["accounts"]
        count = options["accounts"] or len(accounts)
        known = {t.account_id: t for t in Tenant.objects.all()}
        for account in accounts[:count]:
            tenant = known.get(account["id"])
            if (
                tenant is not None
                and tenant.status == Tenant.Status.CONNECTED
                and _still_authorized(tenant)
            ):
                self.stdout.write(f"Sandbox account {account['id']} is the tenant {tenant}.")
                continue
            with override_settings(
                ZOOM_SYNC_ON_CONNECT=settings.ZOOM_SYNC_ON_CONNECT and not options["no_sync"]
            ):
                tenant = self._connect(user, account, host=options["host"])
            first = not SyncRun.objects.filter(tenant=tenant).exists()
            if first and not options["no_sync"] and not settings.ZOOM_SYNC_ON_CONNECT:
                enqueue_tenant_sync(tenant.pk, trigger="demo")
            self.stdout.write(
                f"Connected sandbox account {account['id']} as tenant {tenant} through the "
                f"OAuth screens, signed in to the sandbox as {account['owner_email']}."
            )
        for account in accounts[count:]:
            if account["id"] not in known:
                self.stdout.write(
                    f"Sandbox account {account['id']} ({account['name']}) is not connected: "
                    "connect it with “Connect a Zoom account” on the tenant list, signing in "
                    f"to the sandbox as its owner {account['owner_email']}."
                )

    def _connect(self, user: Any, account: dict[str, Any], *, host: str) -> Tenant:
        """The connect flow as a person's browser follows it, the account's owner consenting."""
        client = Client(HTTP_HOST=host)
        client.force_login(user)
        try:
            start = client.post(CONNECT)  # "Continue to Zoom" on allauth's confirmation page
            authorize = self._redirect(start, "the confirmation page")
            page = requests.get(authorize, allow_redirects=False, timeout=10)
            if page.status_code != 200 or account["owner_email"] not in unescape(page.text):
                raise CommandError(
                    f"The sandbox's sign-in page did not list {account['owner_email']} "
                    f"(HTTP {page.status_code})."
                )
            form = {name: unescape(value) for name, value in HIDDEN_INPUT.findall(page.text)}
            form.update(sandbox_user=account["owner_email"], decision="allow")
            allowed = requests.post(
                authorize.split("?", 1)[0], data=form, allow_redirects=False, timeout=10
            )
            callback = urlsplit(self._redirect(allowed, "the sandbox's consent page"))
            finished = client.get(f"{callback.path}?{callback.query}")
            tenant = Tenant.objects.filter(account_id=account["id"]).first()
            landed = finished.headers.get("Location", "") if finished.status_code == 302 else ""
            if tenant is None or landed != reverse("admin:tenants_tenant_change", args=[tenant.pk]):
                said = _messages(client, landed) if landed else f"HTTP {finished.status_code}"
                raise CommandError(f"Connecting sandbox account {account['id']} failed: {said}")
            return tenant
        finally:
            client.logout()

    @staticmethod
    def _redirect(response: Any, where: str) -> str:
        status = getattr(response, "status_code", None)
        location = response.headers.get("Location", "") if status == 302 else ""
        if not location:
            raise CommandError(f"Expected a redirect from {where}, got HTTP {status}.")
        return location

    def _superuser(self) -> Any:
        superusers = get_user_model().objects.filter(is_superuser=True).order_by("pk")
        if not superusers.exists():
            call_command("zoom_superuser", stdout=self.stdout)
        return superusers.first()


def _still_authorized(tenant: Tenant) -> bool:
    """Whether the sandbox still honours the tenant's grant: it keeps grants in memory, so a
    sandbox started anew (the next ``scripts/run``) has forgotten the last one's, and the tenant
    is connected again instead of failing its first sync."""
    try:
        client_for_tenant(tenant).get_me()
    except ZoomError:
        return False
    return True


def _messages(client: Client, location: str) -> str:
    """What the admin said to the person: the messages on the page the flow ended on."""
    page = client.get(location).content.decode()
    return " ".join(unescape(m) for m in MESSAGE.findall(page)).strip()
