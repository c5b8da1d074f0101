from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from zoomadmin.tenants.provider import ZoomProvider

urlpatterns = default_urlpatterns(ZoomProvider)
