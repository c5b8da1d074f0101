"""What a person sees at 1366×768: every record list of the admin, filled with two tenants'
data, fits the window (no table cut off, no sideways scrolling), with a screenshot of each."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def changelists() -> list[str]:
    urls = []
    for model in admin.site._registry:
        meta = model._meta
        try:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        except NoReverseMatch:
            continue
    return urls


def test_every_record_list_fits_the_window(signed_in, steps, tenant, other_tenant):
    page = signed_in
    for url in changelists():
        page.goto(url)
        expect(page.locator("#content h1")).to_be_visible()
        # steps() fails on a table wider than its box or a page wider than the window.
        steps(url.strip("/").replace("/", " "))
