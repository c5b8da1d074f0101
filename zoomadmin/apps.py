from django.apps import AppConfig


class ZoomAdminConfig(AppConfig):
    name = "zoomadmin"
    verbose_name = "Zoom accounts"
