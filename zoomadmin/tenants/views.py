"""The views of connecting a tenant over OAuth: allauth's Zoom login and callback, with the
authorize, token and profile URLs from ZOOM_OAUTH_BASE_URL and ZOOM_API_BASE_URL (SPEC §4).

allauth finds them by name (``<provider package>.views.oauth2_login`` and ``oauth2_callback``),
and ``urls.py`` beside them is the provider's URL list that ``allauth.urls`` includes."""

from __future__ import annotations

from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.zoom.views import ZoomOAuth2Adapter as BaseZoomOAuth2Adapter
from django.conf import settings
from django.http import HttpRequest

from zoomadmin.tenants.adapter import connect_refusal, may_connect, refuse, refuse_sign_in


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

    def complete_login(self, request: HttpRequest, app: Any, token: Any, **kwargs: Any) -> Any:
        # Refuse here, as soon as Zoom said who authorized: allauth stores a known Zoom user's
        # new token and profile before it asks the adapter's pre_social_login.
        login = super().complete_login(request, app, token, **kwargs)
        if not may_connect(request.user):
            raise ImmediateHttpResponse(refuse_sign_in(request))
        refusal = connect_refusal(request.user, login.account.extra_data)
        if refusal:
            raise ImmediateHttpResponse(refuse(request, refusal))
        return login


oauth2_login = OAuth2LoginView.adapter_view(ZoomOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(ZoomOAuth2Adapter)
