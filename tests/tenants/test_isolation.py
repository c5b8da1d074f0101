"""The isolation matrix: a staff member of tenant A cannot see or touch tenant B's objects through
any registered admin. The admins are enumerated from ``admin.site``, and rows are built from the
models' fields, so an admin added by a later issue is covered without a change here."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import quote
from django.contrib.auth.models import AnonymousUser
from django.core.checks import run_checks
from django.db import models
from django.test import RequestFactory
from django.urls import reverse

from tests.tenants.factories import build
from zoomadmin.tenants.models import Tenant
from zoomadmin.tenants.scoping import TenantScopedAdmin, is_tenant_data, scope_to_user

TENANT_ADMINS = sorted(
    (model for model in admin.site._registry if is_tenant_data(model)),
    key=lambda model: model._meta.label,
)


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _url(model: type[models.Model], view: str, *args: object) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def _snapshot(obj: models.Model) -> dict:
    fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
    if fresh is None:
        return {}
    return {field.attname: getattr(fresh, field.attname) for field in fresh._meta.concrete_fields}


def _rows(model, tenant_a, tenant_b):
    if model is Tenant:
        return tenant_a, tenant_b
    return build(model, tenant=tenant_a), build(model, tenant=tenant_b)


def _custom_routes(model_admin: admin.ModelAdmin) -> list[str]:
    standard = {str(p.pattern) for p in admin.ModelAdmin.get_urls(model_admin)}
    return [str(p.pattern) for p in model_admin.get_urls() if str(p.pattern) not in standard]


def test_the_matrix_covers_the_tenant_admins():
    assert Tenant in TENANT_ADMINS
    assert all(isinstance(admin.site._registry[m], TenantScopedAdmin) for m in TENANT_ADMINS)


def test_the_project_passes_the_tenant_scoping_check():
    errors = [e for e in run_checks() if e.id.startswith("zoomadmin.")]
    assert errors == []


@pytest.mark.parametrize("model", TENANT_ADMINS, ids=_label)
def test_another_tenants_object_answers_404_on_every_admin_url(
    client, staff_a, tenant_a, tenant_b, model
):
    obj_a, obj_b = _rows(model, tenant_a, tenant_b)
    model_admin = admin.site._registry[model]
    client.force_login(staff_a)
    before = _snapshot(obj_b)

    changelist = client.get(_url(model, "changelist"))
    assert changelist.status_code == 200
    html = changelist.content.decode()
    assert _url(model, "change", quote(obj_a.pk)) in html  # the matrix is not vacuous
    assert _url(model, "change", quote(obj_b.pk)) not in html
    assert tenant_b.account_id not in html and tenant_b.name not in html

    # A filter in the query string cannot widen the list either.
    path = "pk__exact" if model is Tenant else "tenant__id__exact"
    filtered = client.get(_url(model, "changelist"), {path: tenant_b.pk})
    assert _url(model, "change", quote(obj_b.pk)) not in filtered.content.decode()

    for view in ("change", "delete", "history"):
        url = _url(model, view, quote(obj_b.pk))
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"post": "yes"}).status_code == 404, url

    for route in _custom_routes(model_admin):
        url = _url(model, "changelist") + re.sub(r"<(?:\w+:)?\w+>", str(obj_b.pk), route)
        for method in (client.get, client.post):
            response = method(url)
            if "<" in route:
                assert response.status_code == 404, url
            else:
                body = _body(response)
                assert tenant_b.account_id not in body and tenant_b.name not in body, url

    assert _snapshot(obj_b) == before


def _body(response) -> str:
    """A response's text, streamed (a CSV export) or not."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("model", TENANT_ADMINS, ids=_label)
def test_bulk_actions_cannot_reach_another_tenants_objects(
    client, staff_a, tenant_a, tenant_b, model
):
    _, obj_b = _rows(model, tenant_a, tenant_b)
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = staff_a
    before = _snapshot(obj_b)
    client.force_login(staff_a)
    for action in model_admin.get_actions(request):
        response = client.post(
            _url(model, "changelist"),
            {"action": action, ACTION_CHECKBOX_NAME: [obj_b.pk], "post": "yes", "index": 0},
        )
        assert response.status_code in (200, 302), action
        body = _body(response)
        assert tenant_b.account_id not in body and tenant_b.name not in body, action
        assert _snapshot(obj_b) == before, action
    tenant_b.refresh_from_db()
    assert tenant_b.status == Tenant.Status.CONNECTED


@pytest.mark.parametrize("model", TENANT_ADMINS, ids=_label)
def test_form_choices_offer_only_the_users_tenants(rf, staff_a, tenant_a, tenant_b, model):
    _, obj_b = _rows(model, tenant_a, tenant_b)
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = staff_a
    forms = [model_admin.get_form(request)()]
    for formset, _inline in model_admin.get_formsets_with_inlines(request):
        forms.append(formset(instance=None).empty_form)
    for form in forms:
        for name, field in form.fields.items():
            queryset = getattr(field, "queryset", None)
            if queryset is None or not is_tenant_data(queryset.model):
                continue
            related_to_b = tenant_b if queryset.model is Tenant else None
            if related_to_b is None and isinstance(obj_b, queryset.model):
                related_to_b = obj_b
            if related_to_b is not None:
                assert not queryset.filter(pk=related_to_b.pk).exists(), name


def test_autocomplete_offers_only_the_users_tenants(client, staff_a, tenant_a, tenant_b):
    client.force_login(staff_a)
    checked = 0
    for source, source_admin in admin.site._registry.items():
        for field_name in source_admin.autocomplete_fields:
            target = source._meta.get_field(field_name).related_model
            if not is_tenant_data(target):
                continue
            _, obj_b = _rows(target, tenant_a, tenant_b)
            response = client.get(
                reverse("admin:autocomplete"),
                {
                    "app_label": source._meta.app_label,
                    "model_name": source._meta.model_name,
                    "field_name": field_name,
                    "term": "",
                },
            )
            assert response.status_code == 200
            ids = {item["id"] for item in response.json()["results"]}
            assert str(obj_b.pk) not in ids
            checked += 1
    assert checked  # the membership admin's tenant field at least


def test_a_superuser_sees_every_tenant(client, superuser, tenant_a, tenant_b):
    client.force_login(superuser)
    html = client.get(_url(Tenant, "changelist")).content.decode()
    assert tenant_a.account_id in html and tenant_b.account_id in html
    assert client.get(_url(Tenant, "change", tenant_b.pk)).status_code == 200


def test_a_staff_user_without_membership_sees_no_tenant(
    client, django_user_model, tenant_a, tenant_b
):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="nobody", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_tenant"))
    client.force_login(user)
    html = client.get(_url(Tenant, "changelist")).content.decode()
    assert tenant_a.account_id not in html and tenant_b.account_id not in html
    assert client.get(_url(Tenant, "change", tenant_a.pk)).status_code == 404


@pytest.mark.parametrize(
    "model",
    sorted((m for m in apps.get_models() if is_tenant_data(m)), key=_label),
    ids=_label,
)
def test_every_tenant_model_can_be_built_for_the_matrix(tenant_b, model):
    row = build(model, tenant=tenant_b)
    assert scope_to_user(model._default_manager.filter(pk=row.pk), AnonymousUser()).count() == 0
