from __future__ import annotations

from allauth.socialaccount.providers.zoom.provider import ZoomProvider as BaseZoomProvider

from zoomadmin.oauth.views import ZoomOAuth2Adapter


class ZoomProvider(BaseZoomProvider):
    oauth2_adapter_class = ZoomOAuth2Adapter


provider_classes = [ZoomProvider]
