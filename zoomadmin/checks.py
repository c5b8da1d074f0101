"""System checks that keep tenants apart and the Zoom settings sane.

- zoomadmin.E001: a registered ModelAdmin of Tenant or of tenant data does not use
  ``TenantScopedAdmin`` (it would show every tenant's rows to every staff user).
- zoomadmin.E002: such an admin has an inline of tenant data that does not use a
  ``TenantScoped*Inline`` (its relation choices would list every tenant's rows).
- zoomadmin.E005: a registered ModelAdmin of anything else is neither superuser-only nor the
  scoped user admin: staff with its permissions would see (or change) every customer's rows.
- zoomadmin.E003: ``ZOOM_ENCRYPTION_KEYS`` holds something that is not a Fernet key.
- zoomadmin.E004: with ``DEBUG`` off, ``ZOOM_API_BASE_URL`` or ``ZOOM_OAUTH_BASE_URL`` is not
  HTTPS or points at this machine (the sandbox): every tenant's token would be sent there.
- zoomadmin.W001 (``--deploy``): ``ZOOM_ENCRYPTION_KEYS`` is unset, so the stored tokens hang on
  ``DJANGO_SECRET_KEY``: changing it without ``DJANGO_SECRET_KEY_FALLBACKS`` loses them all.
- zoomadmin.W002 (``--deploy``): the production static files storage has no manifest in
  ``STATIC_ROOT``: ``manage.py collectstatic`` has not been run, so pages come unstyled.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.admin.sites import AdminSite, all_sites
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

from zoomadmin.staticfiles import ManifestStaticFilesStorage
from zoomadmin.tenants.admin import ScopedUserAdmin
from zoomadmin.tenants.crypto import validate_keys
from zoomadmin.tenants.scoping import (
    SuperuserOnlyMixin,
    TenantScopedAdmin,
    TenantScopedMixin,
    is_tenant_data,
)


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
            if not is_tenant_data(model) and not isinstance(model_admin, CROSS_TENANT_SAFE):
                errors.append(
                    checks.Error(
                        f"The admin of {model._meta.label} ({type(model_admin).__qualname__}, "
                        f"site {site.name!r}) is open to staff but is neither tenant data nor "
                        "superuser-only.",
                        hint="Derive it from zoomadmin.tenants.scoping.SuperuserOnlyMixin.",
                        obj=type(model_admin),
                        id="zoomadmin.E005",
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


# Admins of what is not tenant data that staff may still open: superusers' alone, or the user
# admin, which shows staff only the members of their own tenants.
CROSS_TENANT_SAFE = (SuperuserOnlyMixin, ScopedUserAdmin)

ZOOM_URL_SETTINGS = ("ZOOM_API_BASE_URL", "ZOOM_OAUTH_BASE_URL")


@checks.register(checks.Tags.security)
def check_zoom_urls(app_configs: Any = None, **kwargs: Any) -> list[checks.Error]:
    """In production, Zoom is reached over HTTPS on another machine, never the sandbox."""
    if settings.DEBUG:
        return []
    errors = []
    for name in ZOOM_URL_SETTINGS:
        url = getattr(settings, name)
        problem = insecure_url_problem(url)
        if problem:
            errors.append(
                checks.Error(
                    f"{name} is {url!r}, {problem}: with DJANGO_DEBUG off, every tenant's "
                    "token would be sent there.",
                    hint=f"Unset {name} (Zoom's own host is the default), or run the sandbox "
                    "with DJANGO_DEBUG=1.",
                    id="zoomadmin.E004",
                )
            )
    return errors


def insecure_url_problem(url: str) -> str:
    """Why ``url`` may not carry a tenant's token in production ("" when it may)."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "not HTTPS"
    host = (parts.hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "this machine"
    address = _ip_address(host)
    if address is not None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if address.is_loopback or address.is_unspecified:
            return "this machine"
    return ""


def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an address, in every spelling a resolver accepts ("127.1", "2130706433",
    "0x7f000001" are 127.0.0.1 to ``getaddrinfo``); None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


@checks.register(checks.Tags.security, deploy=True)
def check_encryption_keys_are_set(app_configs: Any = None, **kwargs: Any) -> list[checks.Warning]:
    if settings.ZOOM_ENCRYPTION_KEYS:
        return []
    return [
        checks.Warning(
            "ZOOM_ENCRYPTION_KEYS is unset: the stored Zoom tokens and secrets are encrypted with "
            "a key derived from DJANGO_SECRET_KEY, and changing that key without listing the old "
            "one in DJANGO_SECRET_KEY_FALLBACKS makes every one of them unreadable (each tenant "
            "would need to be connected again).",
            hint="Set ZOOM_ENCRYPTION_KEYS to a Fernet key of its own "
            "(python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'), then run manage.py zoom_reencrypt.",
            id="zoomadmin.W001",
        )
    ]


@checks.register(checks.Tags.staticfiles, deploy=True)
def check_static_files_are_collected(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.Warning]:
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestStaticFilesStorage) or storage.manifest_exists():
        return []
    return [
        checks.Warning(
            f"No static files have been collected into STATIC_ROOT ({settings.STATIC_ROOT}): "
            "the admin's pages would come without their styles and scripts.",
            hint="Run manage.py collectstatic --noinput (with the production settings) on each "
            "deployment.",
            id="zoomadmin.W002",
        )
    ]
