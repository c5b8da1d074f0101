"""The views of connecting a tenant over OAuth: allauth's Zoom login and callback, with the
authorize, token and profile URLs from ZOOM_OAUTH_BASE_URL and ZOOM_API_BASE_URL (SPEC §4).

allauth finds them by name (``<provider package>.views.oauth2_login`` and ``oauth2_callback``),
and ``urls.py`` beside them is the provider's URL list that ``allauth.urls`` includes."""

from __future__ import annotations

from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.zoom.views import ZoomOAuth2Adapter as BaseZoomOAuth2Adapter
from django.conf import settings


class ZoomOAuth2Adapter(BaseZoomOAuth2Adapter):
    @property
    def access_token_url(self) -> str:  # type: ignore[override]
        return f"{settings.ZOOM_OAUTH_BASE_URL}/oauth/token"

    @property
    def authorize_url(self) -> str:  # type: ignore[override]
        return f"{settings.ZOOM_OAUTH_BASE_URL}/oauth/authorize"

    @property
    def profile_url(self) -> str:  # type: ignore[override]
        return f"{settings.ZOOM_API_BASE_URL}/users/me"


oauth2_login = OAuth2LoginView.adapter_view(ZoomOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(ZoomOAuth2Adapter)
