import os

from django.core.wsgi import get_wsgi_application

from webhooks.wsgi import with_endpoint

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zoomadmin.settings")
# Zoom's event notifications skip the admin's middleware (webhooks.wsgi).
application = with_endpoint(get_wsgi_application())
