"""django-q2's task pages list every tenant's task arguments and results: superusers only."""

import pytest
from django.contrib import admin
from django.urls import reverse

TASK_MODELS = [m for m in admin.site._registry if m._meta.app_label == "django_q"]


@pytest.mark.parametrize("model", TASK_MODELS, ids=lambda m: m._meta.model_name)
def test_task_pages_are_forbidden_to_staff_members(client, staff_a, model):
    # staff_a holds every model permission: only being a superuser opens these pages.
    client.force_login(staff_a)
    url = reverse(f"admin:django_q_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("model", TASK_MODELS, ids=lambda m: m._meta.model_name)
def test_task_pages_open_for_superusers(client, superuser, model):
    client.force_login(superuser)
    url = reverse(f"admin:django_q_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200


def test_every_task_model_is_covered():
    assert len(TASK_MODELS) >= 4
