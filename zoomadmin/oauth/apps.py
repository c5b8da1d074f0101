from django.apps import AppConfig


class OAuthConfig(AppConfig):
    name = "zoomadmin.oauth"
    label = "zoomadmin_oauth"
    verbose_name = "Zoom OAuth"
