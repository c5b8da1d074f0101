from django.contrib import admin
from django.urls import include, path

from zoomadmin import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("webhooks/", include("webhooks.urls")),
]
