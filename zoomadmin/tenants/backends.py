"""Sign-in and permissions of the admin's users: Django's ``ModelBackend``, reading a user's
permissions in one query rather than two.

Every admin page asks for a staff member's permissions; Django reads those granted to the user
and those of the user's groups with a query each. One query with both is the same set
(``tests/tenants/test_backends.py``) and one query less on every page a staff member opens.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class PermissionBackend(ModelBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):  # ModelBackend's cache, which has_perm reads
            perms = Permission.objects.all()
            if not user_obj.is_superuser:
                granted = Permission.objects.filter(user=user_obj).values("pk")
                of_groups = Permission.objects.filter(group__user=user_obj).values("pk")
                perms = perms.filter(Q(pk__in=granted) | Q(pk__in=of_groups))
            perms = perms.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in perms}
        return user_obj._perm_cache
