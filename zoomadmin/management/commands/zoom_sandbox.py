"""`manage.py zoom_sandbox`: serve the sandbox Zoom API (SPEC §9) on loopback until Ctrl-C."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from zoomadmin.sandbox import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SandboxServer,
    seed_account,
)
from zoomadmin.sandbox.config import PLAN_LIMITS


class Command(BaseCommand):
    help = "Serve a stateful sandbox of Zoom's OAuth and REST API, seeded with generated data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--users", type=int, default=500, help="users per account")
        parser.add_argument("--meetings-per-user", type=int, default=10)
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument("--accounts", type=int, default=1)
        parser.add_argument("--latency-ms", type=float, default=0, help="added to every request")
        parser.add_argument(
            "--rate-limit", type=float, default=0, help="requests per second per account (0: none)"
        )
        parser.add_argument(
            "--webhook-url",
            default="",
            help="send event notifications here, as Zoom does (e.g. the app's /webhooks/zoom/)",
        )
        parser.add_argument(
            "--webhook-secret",
            default=(settings.ZOOM_WEBHOOK_SECRET_TOKENS or [""])[0],
            help="the secret token that signs them (default: ZOOM_WEBHOOK_SECRET_TOKEN's first)",
        )
        parser.add_argument(
            "--plan",
            choices=sorted(PLAN_LIMITS),
            default="",
            help="enforce Zoom's per-category limits of this plan (e.g. pro: 30/20/10 per second)",
        )
        parser.add_argument(
            "--auto-consent",
            action="store_true",
            help="consent on /oauth/authorize at once, as the first account's owner, instead of "
            "showing the page where you choose the account and user to sign in as",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        server = SandboxServer(host=options["host"], port=options["port"])
        server.config.update(
            latency_seconds=options["latency_ms"] / 1000,
            rate_limit_per_second=options["rate_limit"],
            rate_limits=dict(PLAN_LIMITS.get(options["plan"], {})),
            webhook_url=options["webhook_url"],
            webhook_secret=options["webhook_secret"],
            consent_page=not options["auto_consent"],
        )
        self.stdout.write("Seeding…")
        accounts = [
            seed_account(
                server.state,
                users=options["users"],
                meetings_per_user=options["meetings_per_user"],
                seed=options["seed"],
            )
            for _ in range(options["accounts"])
        ]
        self.stdout.write(
            "\n".join(
                [
                    f"Zoom sandbox listening on {server.url}",
                    f"  ZOOM_OAUTH_BASE_URL={server.url}",
                    f"  ZOOM_API_BASE_URL={server.api_base_url}",
                    # The sandbox app's fixed, public credentials: not a secret.
                    f"  ZOOM_CLIENT_ID={DEFAULT_CLIENT_ID}",
                    f"  ZOOM_CLIENT_SECRET={DEFAULT_CLIENT_SECRET}",
                    f"  control API: {server.url}/_sandbox/",
                    *(
                        f"  account {a.id} ({a.name}): owner {a.users[a.owner_id]['email']}, "
                        + ", ".join(f"{n} {kind}" for kind, n in a.counts().items())
                        for a in accounts
                    ),
                    "Quit with Ctrl-C.",
                ]
            )
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
