"""The one tenant-scoping mechanism of the project.

A staff user sees the tenants they are a member of (``TenantMembership``) and the data of those
tenants only; an active superuser sees everything; anyone else sees nothing. Three entry points:

- ``scope_to_user(queryset, user)`` for views, tasks and anything that is not an admin;
- ``TenantScopedAdmin`` (and the ``TenantScoped*Inline`` classes), the base of every ModelAdmin of
  ``Tenant`` or of a model related to it. It scopes the changelist, the change, delete and history
  views (another tenant's object answers 404, not a redirect), bulk actions (their queryset is the
  changelist's), autocomplete (Django asks the target model's admin for its queryset), the choices
  of every foreign key and many-to-many field that points at tenant data, list filters on such
  relations, and object permissions;
- ``tenants_for(user)``, the tenants themselves, and ``users_visible_to(user)``, the Django users
  (staff) a user may see: a customer's staff never sees another customer's.

A model is tenant data when a chain of forward foreign keys leads from it to ``Tenant``
(``tenant_path``); ``zoomadmin.checks`` refuses to start when such a model's admin does not use
``TenantScopedAdmin``, so a new admin cannot forget it.
"""

from __future__ import annotations

import functools
from collections import deque
from typing import Any, TypeVar

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from zoomadmin.tenants.models import Tenant, TenantMembership

_M = TypeVar("_M", bound=models.Model)

# Deep enough for recording file -> recording -> meeting -> tenant.
_MAX_PATH_DEPTH = 4


@functools.cache
def tenant_path(model: type[models.Model]) -> str | None:
    """The lookup path from ``model`` to ``Tenant`` ("" for Tenant itself), or None if unrelated.

    Forward foreign keys and one-to-one fields only, shortest path first, a field named ``tenant``
    before any other at the same depth.
    """
    if issubclass(model, Tenant):
        return ""
    queue: deque[tuple[type[models.Model], str, int]] = deque([(model, "", 0)])
    seen = {model}
    while queue:
        current, prefix, depth = queue.popleft()
        if depth >= _MAX_PATH_DEPTH:
            continue
        fields = sorted(_forward_relations(current), key=lambda field: field.name != "tenant")
        for field in fields:
            path = f"{prefix}{field.name}"
            if issubclass(field.related_model, Tenant):
                return path
            if field.related_model not in seen:
                seen.add(field.related_model)
                queue.append((field.related_model, f"{path}__", depth + 1))
    return None


def is_tenant_data(model: type[models.Model]) -> bool:
    return tenant_path(model) is not None


def _forward_relations(model: type[models.Model]) -> list[models.Field]:
    return [
        field
        for field in model._meta.get_fields()
        if field.concrete
        and (field.many_to_one or field.one_to_one)
        and field.related_model is not None
        and not isinstance(field.related_model, str)
    ]


def _sees_everything(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def _sees_memberships(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def tenants_for(user: Any) -> QuerySet[Tenant]:
    """The tenants ``user`` may see."""
    return scope_to_user(Tenant.objects.all(), user)


def scope_to_user(
    queryset: QuerySet[_M], user: Any, *, tenant_field: str | None = None, named: bool = False
) -> QuerySet[_M]:
    """``queryset`` narrowed to the tenants ``user`` may see.

    ``tenant_field`` is the lookup path to ``Tenant`` when it cannot be found automatically.
    ``named``: the tenants' ids are read first (once per user object: for a request) and
    named in the query (``tenant_id IN (3)``), which lets the database walk an index that
    starts with the tenant in a list's order, instead of filtering every row through the
    membership subquery; the admin's querysets are scoped so.
    """
    model = queryset.model
    path = tenant_field if tenant_field is not None else tenant_path(model)
    if path is None:
        raise ImproperlyConfigured(
            f"{model._meta.label} has no foreign key leading to Tenant; pass tenant_field."
        )
    if _sees_everything(user):
        return queryset
    if not _sees_memberships(user):
        return queryset.none()
    lookup = f"{path}__in" if path else "pk__in"
    if named:
        return queryset.filter(**{lookup: sorted(_tenant_ids(user))})
    # A subquery, not a join: no duplicate rows, and the planner keeps the table's own indexes.
    member_of = TenantMembership.objects.filter(user=user).values("tenant_id")
    return queryset.filter(**{lookup: member_of})


def users_visible_to(user: Any) -> QuerySet:
    """The Django users ``user`` may see: everyone for a superuser; for other staff, themselves
    and the members of their tenants (never another customer's staff)."""
    users = get_user_model()._default_manager.all()
    if _sees_everything(user):
        return users
    if not _sees_memberships(user):
        return users.none()
    member_of = TenantMembership.objects.filter(user=user).values("tenant_id")
    colleagues = TenantMembership.objects.filter(tenant_id__in=member_of).values("user_id")
    return users.filter(Q(pk=user.pk) | Q(pk__in=colleagues))


def get_for_user_or_404(queryset: QuerySet[_M], user: Any, **lookups: Any) -> _M:
    """The one object of ``queryset`` matching ``lookups`` that ``user`` may see, else 404."""
    try:
        return scope_to_user(queryset, user).get(**lookups)
    except queryset.model.DoesNotExist:
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.") from None


def user_can_access(user: Any, obj: models.Model) -> bool:
    """Whether ``obj`` belongs to one of the tenants ``user`` may see (cheap when repeated)."""
    if _sees_everything(user):
        return True
    if not _sees_memberships(user):
        return False
    tenant_id = _tenant_id_of(obj)
    return tenant_id is not None and tenant_id in _tenant_ids(user)


def visible_tenant_ids(user: Any) -> frozenset[int]:
    """The ids of the tenants ``user`` may see (every tenant for a superuser), read once per
    request. A query that names them (``tenant_id IN (3)``) lets the database use an index
    that starts with the tenant, which the membership subquery alone does not."""
    if _sees_everything(user):
        cached = getattr(user, "_zoomadmin_all_tenant_ids", None)
        if cached is None:
            cached = frozenset(Tenant.objects.values_list("pk", flat=True))
            user._zoomadmin_all_tenant_ids = cached
        return cached
    if not _sees_memberships(user):
        return frozenset()
    return _tenant_ids(user)


def _tenant_ids(user: Any) -> frozenset[int]:
    # Cached on the user object, which lives as long as one request (or one task).
    cached = getattr(user, "_zoomadmin_tenant_ids", None)
    if cached is None:
        cached = frozenset(
            TenantMembership.objects.filter(user=user).values_list("tenant_id", flat=True)
        )
        user._zoomadmin_tenant_ids = cached
    return cached


def _tenant_id_of(obj: models.Model) -> int | None:
    path = tenant_path(type(obj))
    if path is None:
        return None
    if path == "":
        return obj.pk
    *hops, last = path.split("__")
    target: Any = obj
    for hop in hops:
        target = getattr(target, hop, None)
        if target is None:
            return None
    return getattr(target, f"{last}_id", None)


def may_connect_account(user: Any, tenant: Tenant | None) -> bool:
    """Whether ``user`` may connect a new Zoom account (``tenant`` None) or re-link the existing
    ``tenant``, which takes its membership (or being a superuser) besides the permission:
    a Zoom seat in another customer's account must not make anyone that customer's member."""
    if tenant is None:
        return user.has_perm("tenants.add_tenant")
    return user.has_perm("tenants.change_tenant") and user_can_access(user, tenant)


class TenantScopedMixin:
    """Queryset and relation-choice scoping shared by ModelAdmins and inlines."""

    #: Lookup path to Tenant when ``tenant_path`` cannot find it.
    tenant_field: str | None = None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return scope_to_user(queryset, request.user, tenant_field=self.tenant_field, named=True)

    def get_field_queryset(
        self, db: str | None, db_field: models.Field, request: HttpRequest
    ) -> QuerySet | None:
        # Choices (select, raw id, autocomplete validation) of relations to tenant data.
        queryset = super().get_field_queryset(db, db_field, request)  # type: ignore[misc]
        related = db_field.remote_field.model
        if related is get_user_model():
            # A membership's user: only those the user admin shows (ScopedUserAdmin).
            return users_visible_to(request.user).using(db)
        if not is_tenant_data(related):
            return queryset
        if queryset is None:
            queryset = related._default_manager.using(db).all()
        return scope_to_user(queryset, request.user)

    def _may_access(self, request: HttpRequest, obj: models.Model | None) -> bool:
        # An inline gets its parent here, which need not be tenant data (a user's memberships).
        if obj is None or not is_tenant_data(type(obj)):
            return True
        return user_can_access(request.user, obj)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._may_access(request, obj) and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._may_access(request, obj) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._may_access(request, obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class SuperuserOnlyMixin:
    """The base of admins whose pages span every tenant (groups, which grant permissions on
    every tenant's data; the Zoom OAuth app; e-mail addresses; background tasks)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_superuser(request.user) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request.user) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_superuser(request.user) and super().has_delete_permission(request, obj)  # type: ignore[misc]


def is_superuser(user: Any) -> bool:
    return _sees_everything(user)


class TenantScopedAdmin(TenantScopedMixin, admin.ModelAdmin):
    """Base class of every ModelAdmin of Tenant or of tenant data (enforced by a system check)."""

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> models.Model:
        # Django redirects to the index with "doesn't exist" for a missing object; another
        # tenant's object must be indistinguishable from a missing one, on every URL: 404.
        # Read once per request: a page that checks the object first asks again.
        found = request.__dict__.setdefault("_tenant_scoped_objects", {})
        key = (self.opts.label, str(object_id), from_field)
        if key not in found:
            found[key] = super().get_object(request, object_id, from_field)
        obj = found[key]
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with this ID.")
        return obj

    def get_list_filter(self, request: HttpRequest) -> list:
        # RelatedFieldListFilter offers every row of the related table (all tenants, all hosts);
        # RelatedOnlyFieldListFilter offers those referenced by this admin's (scoped) queryset.
        filters = []
        for item in super().get_list_filter(request):
            if isinstance(item, str):
                name, filter_class = item, None
            elif isinstance(item, (tuple, list)):
                name, filter_class = item
            else:  # a SimpleListFilter subclass: it builds its own choices
                filters.append(item)
                continue
            if filter_class in (None, admin.RelatedFieldListFilter):
                if self._is_relation_to_tenant_data(name):
                    item = (name, admin.RelatedOnlyFieldListFilter)
            filters.append(item)
        return filters

    def _is_relation_to_tenant_data(self, path: str) -> bool:
        try:
            field = get_fields_from_path(self.model, path)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return False
        related = getattr(field, "related_model", None)
        return bool(field.is_relation and related and is_tenant_data(related))


class TenantScopedTabularInline(TenantScopedMixin, admin.TabularInline):
    pass


class TenantScopedStackedInline(TenantScopedMixin, admin.StackedInline):
    pass
