"""The permission backend reads a user's permissions in one query, and they are Django's:
the same set as ``ModelBackend`` reads with two, for permissions of the user, of the user's
groups, of both, and of none."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zoomadmin.tenants.backends import PermissionBackend

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user).objects.get(pk=user.pk)  # no permission cache


def _perm(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


def test_a_users_permissions_are_djangos_and_read_in_one_query(django_user_model):
    user = django_user_model.objects.create_user("staff", is_staff=True)
    user.user_permissions.add(_perm("view_meeting"), _perm("change_meeting"))
    both = Group.objects.create(name="both")
    both.permissions.add(_perm("view_meeting"), _perm("view_zoomuser"))
    other = Group.objects.create(name="not theirs")
    other.permissions.add(_perm("delete_zoomuser"))
    user.groups.add(both)

    expected = ModelBackend().get_all_permissions(_fresh(user))
    fresh = _fresh(user)
    with CaptureQueriesContext(connection) as captured:
        found = PermissionBackend().get_all_permissions(fresh)
        assert fresh.has_perm("meetings.change_meeting")
        assert fresh.has_perm("users.view_zoomuser")
        assert not fresh.has_perm("users.delete_zoomuser")
    assert (
        found
        == expected
        == {
            "meetings.view_meeting",
            "meetings.change_meeting",
            "users.view_zoomuser",
        }
    )
    assert len(captured) == 1


@pytest.mark.parametrize("where", ["none", "user", "group"])
def test_permissions_from_one_side_only(django_user_model, where):
    user = django_user_model.objects.create_user("staff", is_staff=True)
    if where == "user":
        user.user_permissions.add(_perm("view_meeting"))
    if where == "group":
        group = Group.objects.create(name="g")
        group.permissions.add(_perm("view_meeting"))
        user.groups.add(group)
    found = PermissionBackend().get_all_permissions(_fresh(user))
    assert found == ModelBackend().get_all_permissions(_fresh(user))
    assert found == (set() if where == "none" else {"meetings.view_meeting"})


def test_inactive_users_and_superusers(django_user_model):
    inactive = django_user_model.objects.create_user("gone", is_staff=True, is_active=False)
    inactive.user_permissions.add(_perm("view_meeting"))
    root = django_user_model.objects.create_superuser("root", password="pw")
    assert PermissionBackend().get_all_permissions(_fresh(inactive)) == set()
    assert PermissionBackend().get_all_permissions(_fresh(root)) == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }
