"""`manage.py zoom_demo`: make a fresh install usable at once against the sandbox Zoom.

Makes sure there is an admin login (``manage.py zoom_superuser``), connects the first account of
a running sandbox (``manage.py zoom_sandbox``; ``--accounts N``: the first N, ``0``: all) as a
Server-to-Server tenant, and queues its first sync. The sandbox's other accounts are left for
"Connect a Zoom account" (its consent page lets you sign in as any of their users), so that
connecting a second tenant can be tried. Safe to run again: the superuser is left alone, a known
account is re-linked, not duplicated, and a tenant synced before is not queued again.
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from zoomadmin.sync.models import SyncRun
from zoomadmin.sync.tasks import enqueue_tenant_sync
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.services import tenant_connect_server_to_server


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
        parser.add_argument("--no-sync", action="store_true", help="do not queue a first sync")

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._superuser()
        sandbox_url = options["sandbox_url"].rstrip("/")
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
        for account in accounts[:count]:
            tenant = tenant_connect_server_to_server(
                account_id=account["id"],
                client_id=DEFAULT_CLIENT_ID,
                client_secret=DEFAULT_CLIENT_SECRET,
                user=user,
                name=f"Sandbox: {account['name']}",
            )
            synced_before = SyncRun.objects.filter(tenant=tenant).exists()
            if not options["no_sync"] and not synced_before:
                enqueue_tenant_sync(tenant.pk, trigger="demo")
            self.stdout.write(f"Connected sandbox account {account['id']} as tenant {tenant}.")
        known = set(Tenant.objects.values_list("account_id", flat=True))
        for account in accounts[count:]:
            if account["id"] not in known:
                self.stdout.write(
                    f"Sandbox account {account['id']} ({account['name']}) is not connected: "
                    "connect it with “Connect a Zoom account” on the tenant list, signing in "
                    f"to the sandbox as its owner {account['owner_email']}."
                )

    def _superuser(self) -> Any:
        superusers = get_user_model().objects.filter(is_superuser=True).order_by("pk")
        if not superusers.exists():
            call_command("zoom_superuser", stdout=self.stdout)
        return superusers.first()
