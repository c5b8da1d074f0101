"""allauth's Zoom provider with its URLs from settings, used only to connect tenants."""

from __future__ import annotations

from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.zoom.provider import ZoomProvider as BaseZoomProvider
from django.http import HttpRequest, HttpResponse

from zoomadmin.tenants.adapter import may_connect, refuse_sign_in
from zoomadmin.tenants.views import ZoomOAuth2Adapter


class ZoomProvider(BaseZoomProvider):
    oauth2_adapter_class = ZoomOAuth2Adapter

    def redirect(
        self, request: HttpRequest, process: str, next_url: str | None = None, data=None, **kwargs
    ) -> HttpResponse:
        # Refuse before sending anyone to Zoom; the adapter checks again on the way back.
        if not may_connect(request.user):
            return refuse_sign_in(request)
        # A signed-in staff user can only mean "connect": Zoom never signs anyone in here.
        return super().redirect(request, AuthProcess.CONNECT, next_url, data, **kwargs)


provider_classes = [ZoomProvider]
