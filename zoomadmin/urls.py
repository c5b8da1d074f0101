from django.contrib import admin
from django.urls import include, path

from zoomadmin import views

urlpatterns = [
    path("admin/raw-request/", admin.site.admin_view(views.raw_request), name="raw_request"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("webhooks/", include("webhooks.urls")),
]
