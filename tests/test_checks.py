"""The project's system checks that keep a production deployment from leaking tokens."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

E004 = "zoomadmin.E004"


def errors(settings, **values) -> list[str]:
    for name, value in values.items():
        setattr(settings, name, value)
    return [message.id for message in run_checks()]


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("ZOOM_API_BASE_URL", "http://127.0.0.1:8765/v2"),
        ("ZOOM_API_BASE_URL", "https://127.0.0.1:8765/v2"),
        ("ZOOM_API_BASE_URL", "https://localhost/v2"),
        ("ZOOM_API_BASE_URL", "https://[::1]:8765/v2"),
        ("ZOOM_OAUTH_BASE_URL", "http://zoom.us"),
        ("ZOOM_OAUTH_BASE_URL", "https://0.0.0.0:8765"),
        ("ZOOM_API_BASE_URL", "https://127.1/v2"),
        ("ZOOM_API_BASE_URL", "https://2130706433/v2"),
        ("ZOOM_API_BASE_URL", "https://0x7f000001/v2"),
        ("ZOOM_API_BASE_URL", "https://[::ffff:127.0.0.1]/v2"),
        ("ZOOM_API_BASE_URL", "https://LOCALHOST./v2"),
    ],
)
def test_production_refuses_a_zoom_url_that_is_not_https_or_is_this_machine(settings, name, url):
    settings.DEBUG = False

    assert E004 in errors(settings, **{name: url})


def test_production_with_zoom_hosts_passes_and_development_may_use_the_sandbox(settings):
    settings.DEBUG = False
    assert E004 not in errors(
        settings,
        ZOOM_API_BASE_URL="https://api.zoom.us/v2",
        ZOOM_OAUTH_BASE_URL="https://zoom.us",
    )
    settings.DEBUG = True
    assert E004 not in errors(settings, ZOOM_API_BASE_URL="http://127.0.0.1:8765/v2")


def test_an_admin_open_to_staff_across_tenants_is_a_system_check_error():
    from allauth.account.models import EmailAddress
    from django.contrib import admin

    from zoomadmin.checks import check_admins_are_tenant_scoped

    site = admin.AdminSite(name="test-site")
    site.register(EmailAddress, admin.ModelAdmin)

    assert [e.id for e in check_admins_are_tenant_scoped(sites=[site])] == ["zoomadmin.E005"]
    assert not check_admins_are_tenant_scoped(sites=[admin.site])  # the product passes
