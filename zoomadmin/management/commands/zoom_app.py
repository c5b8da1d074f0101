"""`manage.py zoom_app`: says whether a Zoom OAuth app is configured, and where.

Exits 0 when one is (from ``ZOOM_CLIENT_ID``/``ZOOM_CLIENT_SECRET``, or saved in the admin under
Social applications), 1 when none is; ``scripts/run`` starts the sandbox Zoom only then.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from zoomadmin.tenants.services import oauth_app_source


class Command(BaseCommand):
    help = "Say whether a Zoom OAuth app is configured (exit status 0) or not (1)."

    def handle(self, *args: Any, **options: Any) -> None:
        from_run = getattr(settings, "DEV_ENV", [])
        if from_run:
            # zoomadmin.devenv: a scripts/run beside this shell chose them.
            self.stdout.write(f"From the running scripts/run: {', '.join(from_run)}.")
        source = oauth_app_source()
        if not source:
            self.stdout.write("No Zoom OAuth app is configured.")
            sys.exit(1)
        where = "the environment" if source == "environment" else "the admin"
        self.stdout.write(
            f"A Zoom OAuth app is configured in {where}; Zoom is at {settings.ZOOM_API_BASE_URL}."
        )
