"""`manage.py zoom_superuser`, the admin login ``scripts/run`` makes on a fresh install: once,
its generated password printed that once, or Django's ``DJANGO_SUPERUSER_*`` variables (whose
password is never printed)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run() -> str:
    out = StringIO()
    call_command("zoom_superuser", stdout=out)
    return out.getvalue()


def test_the_first_run_makes_admin_with_a_password_printed_once(monkeypatch):
    for name in ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)

    first = run()
    again = run()

    password = re.search(r"Created superuser 'admin' with password (\S+)", first).group(1)
    assert authenticate(username="admin", password=password) is not None
    assert password not in again and "Sign in as 'admin'" in again
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_django_s_variables_choose_the_login_and_its_password_is_never_printed(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "ops")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-chosen-password")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ops@example.com")

    output = run()

    assert "Created superuser 'ops' with DJANGO_SUPERUSER_PASSWORD." in output
    assert "a-long-chosen-password" not in output
    user = authenticate(username="ops", password="a-long-chosen-password")
    assert user is not None and user.is_superuser and user.email == "ops@example.com"
