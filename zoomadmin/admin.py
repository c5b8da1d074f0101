"""The admin site is zoomadmin's: its own titles, and no "View site" (there is no site beside
the admin)."""

from django.contrib import admin

admin.site.site_header = "zoomadmin"
admin.site.site_title = "zoomadmin"
admin.site.index_title = "Your Zoom accounts"
admin.site.site_url = None
