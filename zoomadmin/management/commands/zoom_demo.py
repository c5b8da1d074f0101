"""`manage.py zoom_demo`: make a fresh install usable at once against the sandbox Zoom.

Creates the first superuser (when there is none) and connects every account of a running sandbox
(`manage.py zoom_sandbox`) as a Server-to-Server tenant, then queues its first sync. Safe to run
again: an existing user is left alone and a known account is re-linked, not duplicated.
"""

from __future__ import annotations

import secrets
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zoomadmin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from zoomadmin.sync.tasks import enqueue_tenant_sync
from zoomadmin.tenants.services import tenant_connect_server_to_server


class Command(BaseCommand):
    help = "Create the first superuser and connect the sandbox Zoom accounts as tenants."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sandbox-url",
            default=settings.ZOOM_OAUTH_BASE_URL,
            help="the running sandbox (default: ZOOM_OAUTH_BASE_URL)",
        )
        parser.add_argument("--username", default="admin")
        parser.add_argument("--no-sync", action="store_true", help="do not queue a first sync")

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._superuser(options["username"])
        sandbox_url = options["sandbox_url"].rstrip("/")
        try:
            response = requests.get(f"{sandbox_url}/_sandbox/accounts", timeout=10)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise CommandError(
                f"No sandbox answers at {sandbox_url} ({exc.__class__.__name__}); "
                "start it with `python manage.py zoom_sandbox`."
            ) from exc
        for account in response.json()["accounts"]:
            tenant = tenant_connect_server_to_server(
                account_id=account["id"],
                client_id=DEFAULT_CLIENT_ID,
                client_secret=DEFAULT_CLIENT_SECRET,
                user=user,
                name=f"Sandbox: {account['name']}",
            )
            if not options["no_sync"]:
                enqueue_tenant_sync(tenant.pk, trigger="demo")
            self.stdout.write(f"Connected sandbox account {account['id']} as tenant {tenant}.")

    def _superuser(self, username: str) -> Any:
        User = get_user_model()
        user = User.objects.filter(is_superuser=True).order_by("pk").first()
        if user is not None:
            self.stdout.write(f"Sign in as the existing superuser {user.get_username()!r}.")
            return user
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(f"Created superuser {username!r} with password {password}")
            + "\n(change it under /admin/password_change/)"
        )
        return user
