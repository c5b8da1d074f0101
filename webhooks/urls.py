from django.urls import path

from webhooks.views import zoom_webhook

urlpatterns = [path("zoom/", zoom_webhook, name="zoom_webhook")]
