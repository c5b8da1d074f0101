"""What the admin-write tests share: posting a changelist action, reading the page's messages,
and the stored rows to compare before and after a refused write."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.db import models
from django.urls import reverse


def action_post(client: Any, url: str, action: str, records: list, **extra: Any) -> Any:
    """Post the changelist action ``action`` for ``records``, as the stock admin form does."""
    data = {"action": action, "_selected_action": [r.pk for r in records], **extra}
    return client.post(url, data)


def signed_in_member(client: Any, tenant: Any, *codenames: str, username: str = "staff") -> Any:
    """A staff user of ``tenant`` alone with the permissions ``codenames``, signed in."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from zoomadmin.tenants.models import TenantMembership

    staff = get_user_model().objects.create_user(username, is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    TenantMembership.objects.create(tenant=tenant, user=staff)
    client.force_login(staff)
    return staff


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def rows_of(*kinds: type[models.Model]) -> list[list[dict[str, Any]]]:
    """Every stored row of each model, every column, in primary-key order."""
    return [list(model.objects.order_by("pk").values()) for model in kinds]


def changelist_url(model: type[models.Model]) -> str:
    """The admin's list of ``model``."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_url(obj: models.Model) -> str:
    """The admin's page of ``obj``."""
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
