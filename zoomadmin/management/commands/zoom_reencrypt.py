"""`manage.py zoom_reencrypt`: rewrite every stored token and secret with the newest key.

Key rotation: put a new Fernet key first in ZOOM_ENCRYPTION_KEYS (keep the old ones after it),
restart, run this command, then remove the old keys.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zoomadmin.tenants.services import secrets_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt stored Zoom tokens and secrets with the newest ZOOM_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        rewritten = secrets_reencrypt()
        self.stdout.write(f"Re-encrypted {rewritten} rows with the newest key.")
