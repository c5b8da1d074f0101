"""Users idle for a while: no sign-in to Zoom for at least N days.

Zoom's ``last_login_time`` (``GET /users``, ``GET /users/{userId}``) is when the user last
signed in; a user who never signed in has none, and counts as idle once their account is that
old (``user_created_at``), so a user invited yesterday is not. One definition, used by the
dashboard's counts and the users list's "Idle for" filter, so a count and the list behind its
link always agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

IDLE_DAYS = (30, 60, 90)


def idle_q(days: int, *, now: datetime) -> Q:
    """Users with no sign-in for ``days`` days (never signed in: created that long ago)."""
    since = now - timedelta(days=days)
    return Q(last_login_time__lt=since) | Q(last_login_time__isnull=True, zoom_created_at__lt=since)


class IdleForFilter(admin.SimpleListFilter):
    title = "idle for"
    parameter_name = "idle"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(days), f"{days}+ days without sign-in") for days in IDLE_DAYS]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in {str(days) for days in IDLE_DAYS}:
            return queryset.filter(idle_q(int(self.value()), now=timezone.now()))
        return queryset
