"""Django's own user and group pages: a customer's staff never sees another customer's staff, and
no staff user can grant anyone (themselves included) more than a superuser gave them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from zoomadmin.tenants.models import TenantMembership


@pytest.fixture
def staff_b(db, django_user_model, tenant_b):
    user = django_user_model.objects.create_user(
        username="staff-b", password="pw", is_staff=True, email="staff-b@example.com"
    )
    TenantMembership.objects.create(tenant=tenant_b, user=user)
    return user


@pytest.fixture
def colleague_a(db, django_user_model, tenant_a):
    user = django_user_model.objects.create_user(username="colleague-a", is_staff=True)
    TenantMembership.objects.create(tenant=tenant_a, user=user)
    return user


def test_staff_see_only_the_users_who_share_a_tenant_with_them(
    client, staff_a, staff_b, colleague_a
):
    client.force_login(staff_a)

    html = client.get(reverse("admin:auth_user_changelist")).content.decode()

    assert "colleague-a" in html and "staff-a" in html
    assert "staff-b" not in html
    assert client.get(reverse("admin:auth_user_change", args=[staff_b.pk])).status_code == 302


def test_staff_with_every_permission_cannot_make_anyone_a_superuser(client, staff_a, colleague_a):
    assert staff_a.has_perm("auth.change_user")
    client.force_login(staff_a)
    url = reverse("admin:auth_user_change", args=[staff_a.pk])
    form = {
        "username": "staff-a",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    response = client.post(url, form)

    assert response.status_code == 403
    staff_a.refresh_from_db()
    assert not staff_a.is_superuser
    password = reverse("admin:auth_user_password_change", args=[colleague_a.pk])
    assert (
        client.post(password, {"password1": "x-9!long", "password2": "x-9!long"}).status_code == 403
    )
    assert client.get(reverse("admin:auth_user_add")).status_code == 403


def test_groups_are_for_superusers_only(client, staff_a, superuser):
    group = Group.objects.create(name="editors")
    client.force_login(staff_a)

    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403
    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "editors", "permissions": [p.pk for p in Permission.objects.all()[:5]]},
    )
    assert response.status_code == 403
    assert not group.permissions.exists()
    client.force_login(superuser)
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 200


def test_a_membership_can_only_name_a_user_the_staff_member_may_see(
    client, staff_a, staff_b, colleague_a, tenant_a
):
    client.force_login(staff_a)
    search = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "tenants",
            "model_name": "tenantmembership",
            "field_name": "user",
            "term": "",
        },
    )
    offered = {item["text"] for item in search.json()["results"]}
    assert "staff-b" not in offered and "colleague-a" in offered

    response = client.post(
        reverse("admin:tenants_tenantmembership_add"), {"tenant": tenant_a.pk, "user": staff_b.pk}
    )

    assert response.status_code == 200  # the form, with the refused choice
    assert not TenantMembership.objects.filter(user=staff_b, tenant=tenant_a).exists()


@pytest.mark.parametrize(
    "changelist", ["admin:account_emailaddress_changelist", "admin:sites_site_changelist"]
)
def test_pages_that_span_every_customer_are_for_superusers_only(client, staff_a, changelist):
    # An e-mail address added to a superuser's account would receive its password reset.
    client.force_login(staff_a)

    assert client.get(reverse(changelist)).status_code == 403
    assert client.get(reverse("admin:index")).content.decode().count("Email addresses") == 0
