"""The admin site is zoomadmin's: its own titles, no "View site" (there is no site beside
the admin), no navigation sidebar (record lists need the width), and the Zoom data first on
the home page, Django's and the libraries' own pages after it."""

from django.contrib import admin
from django.http import HttpRequest

# The apps in the order an administrator looks for them; any other (Django's users and groups,
# allauth's, django-q2's, sites) follows, in the stock alphabetical order.
ZOOM_FIRST = ("tenants", "users", "meetings", "sync", "webhooks", "jobs")


class ZoomAdminSite(admin.AdminSite):
    site_header = "zoomadmin"
    site_title = "zoomadmin"
    index_title = "Your Zoom accounts"
    site_url = None
    # At 1366 pixels (a common laptop) the navigation sidebar would take 300 of them from every
    # record list, cutting off its right-hand columns; the home page lists the same models.
    enable_nav_sidebar = False

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        apps = super().get_app_list(request, app_label)
        rank = {label: position for position, label in enumerate(ZOOM_FIRST)}
        return sorted(apps, key=lambda app: rank.get(app["app_label"], len(ZOOM_FIRST)))
