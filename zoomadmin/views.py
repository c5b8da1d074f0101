"""The project's own views: /healthz, and the superuser's raw request page."""

from __future__ import annotations

import json

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from zoomadmin.forms import RawRequestForm
from zoomadmin.tenants.audit import audited_raw_request
from zoomadmin.tenants.scoping import is_superuser
from zoomadmin.tenants.tokens import TenantNotConnected, client_for_tenant
from zoomadmin.zoom.errors import ZoomError


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not (SPEC §4)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


def raw_request(request: HttpRequest) -> HttpResponse:
    """Send one request to a tenant's Zoom and show the answer as is (superusers only; every
    call is in the audit of writes)."""
    if not is_superuser(request.user):
        raise PermissionDenied
    form = RawRequestForm(request.POST or None)
    answer, body = None, ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            answer = audited_raw_request(
                client=client_for_tenant(data["tenant"], interactive=True),
                tenant=data["tenant"],
                actor=request.user,
                method=data["method"],
                path=data["path"],
                query=data["query"],
                body=data["body"],
            )
        except (ZoomError, TenantNotConnected) as error:
            form.add_error(None, str(error))
        else:
            body = (
                json.dumps(answer.body, indent=2, sort_keys=True)
                if isinstance(answer.body, (dict, list))
                else str(answer.body or "")
            )
    context = {
        **admin.site.each_context(request),
        "title": "Raw request to Zoom",
        "form": form,
        "answer": answer,
        "answer_body": body,
    }
    return TemplateResponse(request, "admin/raw_request.html", context)
