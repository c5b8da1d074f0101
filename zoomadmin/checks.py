"""System checks that keep tenants apart and the Zoom settings sane.

- zoomadmin.E001: a registered ModelAdmin of Tenant or of tenant data does not use
  ``TenantScopedAdmin`` (it would show every tenant's rows to every staff user).
- zoomadmin.E002: such an admin has an inline of tenant data that does not use a
  ``TenantScoped*Inline`` (its relation choices would list every tenant's rows).
- zoomadmin.E003: ``ZOOM_ENCRYPTION_KEYS`` holds something that is not a Fernet key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.admin.sites import AdminSite, all_sites
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from zoomadmin.tenants.crypto import validate_keys
from zoomadmin.tenants.scoping import TenantScopedAdmin, TenantScopedMixin, is_tenant_data


@checks.register(checks.Tags.admin)
def check_admins_are_tenant_scoped(
    app_configs: Any = None, *, sites: Iterable[AdminSite] | None = None, **kwargs: Any
) -> list[checks.Error]:
    errors = []
    for site in all_sites if sites is None else sites:
        for model, model_admin in site._registry.items():
            for inline in model_admin.inlines:
                if is_tenant_data(inline.model) and not issubclass(inline, TenantScopedMixin):
                    errors.append(
                        checks.Error(
                            f"The inline {inline.__qualname__} of {model._meta.label} shows "
                            f"tenant data ({inline.model._meta.label}) without tenant scoping.",
                            hint="Derive it from zoomadmin.tenants.scoping.TenantScopedTabularInline "
                            "or TenantScopedStackedInline.",
                            obj=type(model_admin),
                            id="zoomadmin.E002",
                        )
                    )
            if is_tenant_data(model) and not isinstance(model_admin, TenantScopedAdmin):
                errors.append(
                    checks.Error(
                        f"The admin of {model._meta.label} ({type(model_admin).__qualname__}, "
                        f"site {site.name!r}) shows tenant data without tenant scoping.",
                        hint="Derive it from zoomadmin.tenants.scoping.TenantScopedAdmin.",
                        obj=type(model_admin),
                        id="zoomadmin.E001",
                    )
                )
    return errors


@checks.register(checks.Tags.security)
def check_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.Error]:
    try:
        validate_keys()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="zoomadmin.E003")]
    return []
