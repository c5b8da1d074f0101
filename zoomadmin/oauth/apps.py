from django.apps import AppConfig


class OAuthConfig(AppConfig):
    name = "zoomadmin.oauth"
    label = "zoomadmin_oauth"
    verbose_name = "Zoom OAuth"

    def ready(self) -> None:
        # Connects the social_account_added receiver that links a tenant.
        from zoomadmin.oauth import adapter  # noqa: F401
