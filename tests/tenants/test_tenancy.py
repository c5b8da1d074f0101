"""The scoping mechanism itself: queryset helper, relation paths and the system check."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from zoomadmin.checks import check_admins_are_tenant_scoped
from zoomadmin.tenants.models import Tenant, TenantAuditEntry, TenantMembership
from zoomadmin.tenants.scoping import (
    TenantScopedAdmin,
    get_for_user_or_404,
    scope_to_user,
    tenant_path,
    tenants_for,
)


def test_tenant_paths_are_found_from_foreign_keys():
    assert tenant_path(Tenant) == ""
    assert tenant_path(TenantMembership) == "tenant"
    assert tenant_path(TenantAuditEntry) == "tenant"
    from django.contrib.auth.models import User

    assert tenant_path(User) is None


def test_scope_to_user_follows_memberships(
    db, django_user_model, staff_a, superuser, tenant_a, tenant_b
):
    assert list(tenants_for(staff_a)) == [tenant_a]
    assert set(tenants_for(superuser)) == {tenant_a, tenant_b}
    assert not tenants_for(AnonymousUser()).exists()
    outsider = django_user_model.objects.create_user(username="x", is_staff=False)
    TenantMembership.objects.create(tenant=tenant_b, user=outsider)
    assert not tenants_for(outsider).exists()  # members must be staff
    memberships = scope_to_user(TenantMembership.objects.all(), staff_a)
    assert {m.tenant for m in memberships} == {tenant_a}


def test_get_for_user_or_404_hides_other_tenants(db, staff_a, tenant_a, tenant_b):
    assert get_for_user_or_404(Tenant.objects.all(), staff_a, pk=tenant_a.pk) == tenant_a
    with pytest.raises(Http404):
        get_for_user_or_404(Tenant.objects.all(), staff_a, pk=tenant_b.pk)


def test_the_check_refuses_an_unscoped_admin_of_tenant_data():
    site = admin.AdminSite(name="check-test")

    class Careless(admin.TabularInline):
        model = TenantAuditEntry

    class Forgetful(admin.ModelAdmin):
        inlines = [Careless]

    site.register(TenantMembership, Forgetful)
    site.register(Tenant, TenantScopedAdmin)
    ids = [error.id for error in check_admins_are_tenant_scoped(sites=[site])]
    assert sorted(ids) == ["zoomadmin.E001", "zoomadmin.E002"]
