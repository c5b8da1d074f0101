"""`manage.py zoom_superuser`: the admin login of a fresh install, made once.

When no superuser exists, creates one: named ``DJANGO_SUPERUSER_USERNAME`` (default ``admin``),
with the password ``DJANGO_SUPERUSER_PASSWORD`` when it is set (never printed), else a generated
one printed this once; ``DJANGO_SUPERUSER_EMAIL`` is its address (Django's own
``createsuperuser --noinput`` reads the same variables). When one exists, says whom to sign in
as and changes nothing: running it on every start (``scripts/run`` does) is safe.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

ENV_USERNAME = "DJANGO_SUPERUSER_USERNAME"
ENV_PASSWORD = "DJANGO_SUPERUSER_PASSWORD"
ENV_EMAIL = "DJANGO_SUPERUSER_EMAIL"


class Command(BaseCommand):
    help = "Create the first superuser when there is none (its password printed once)."

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        existing = User.objects.filter(is_superuser=True).order_by("pk").first()
        if existing is not None:
            self.stdout.write(
                f"Sign in as {existing.get_username()!r} (the password shown when it was "
                f"created; `manage.py changepassword {existing.get_username()}` sets another)."
            )
            return
        username = os.environ.get(ENV_USERNAME, "").strip() or "admin"
        password = os.environ.get(ENV_PASSWORD, "")
        User.objects.create_superuser(
            username=username,
            email=os.environ.get(ENV_EMAIL, ""),
            password=password or (generated := secrets.token_urlsafe(12)),
        )
        if password:
            self.stdout.write(
                self.style.SUCCESS(f"Created superuser {username!r} with {ENV_PASSWORD}.")
            )
            return
        self.stdout.write(
            self.style.SUCCESS(f"Created superuser {username!r} with password {generated}")
            + "\n(shown only this once: change it under /admin/password_change/)"
        )
