from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "zoomadmin.tenants"
    label = "tenants"
    verbose_name = "Zoom accounts"

    def ready(self) -> None:
        from allauth.socialaccount.signals import social_account_added

        from zoomadmin.tenants.adapter import link_tenant
        from zoomadmin.tenants.crypto import connect_encryption_signals

        connect_encryption_signals()
        social_account_added.connect(link_tenant, dispatch_uid="zoomadmin.tenants.link_tenant")
