"""Rows of any model for a given tenant, built from the model's fields alone.

Required fields are filled by type, foreign keys are followed (to the same tenant), so a model
added by a later issue needs no change here.
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone

from zoomadmin.tenants.models import Tenant

_counter = itertools.count(1)


def make_tenant(name: str, **fields: Any) -> Tenant:
    n = next(_counter)
    values = {
        "account_id": f"acct-{name}-{n}",
        "name": name,
        "connection": Tenant.Connection.OAUTH,
        **fields,
    }
    return Tenant.objects.create(**values)


def build(model: type[models.Model], *, tenant: Tenant, **overrides: Any) -> models.Model:
    """Save and return a row of ``model`` belonging to ``tenant``."""
    if issubclass(model, Tenant):
        return make_tenant(f"built{next(_counter)}", **overrides)
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key and field.auto_created or field.name in overrides:
            continue
        if isinstance(field, models.AutoField | models.BigAutoField | models.SmallAutoField):
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.is_relation:
            related = field.related_model
            if issubclass(related, Tenant):
                values[field.name] = tenant
            elif not field.null:
                values[field.name] = _related(related, tenant)
            continue
        if field.has_default() or field.null:
            continue
        values[field.name] = _value(field)
    values.update(overrides)
    return model._default_manager.create(**values)


def _related(model: type[models.Model], tenant: Tenant) -> models.Model:
    if model is get_user_model():
        n = next(_counter)
        return model._default_manager.create(username=f"user{n}", email=f"user{n}@example.com")
    return build(model, tenant=tenant)


def _value(field: models.Field) -> Any:
    n = next(_counter)
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.EmailField):
        return f"x{n}@example.com"
    if isinstance(field, models.URLField):
        return f"https://example.com/{n}"
    if isinstance(field, models.GenericIPAddressField):
        return "192.0.2.1"
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.CharField | models.TextField | models.SlugField):
        text = f"v{n}-{uuid.uuid4().hex}"
        return text[: field.max_length] if field.max_length else text
    if isinstance(field, models.DecimalField):
        return decimal.Decimal(n % 10)
    if isinstance(field, models.FloatField):
        return float(n)
    if isinstance(field, models.IntegerField):  # all integer kinds
        return n
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return datetime.date.today()
    if isinstance(field, models.TimeField):
        return datetime.time(12, 0)
    if isinstance(field, models.DurationField):
        return datetime.timedelta(minutes=30)
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.BinaryField):
        return b"x"
    raise NotImplementedError(f"No value for {field.__class__.__name__} {field}")
