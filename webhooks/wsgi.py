"""The webhook endpoint's own way through Django: ``POST /webhooks/zoom/`` without the admin's
middleware.

Zoom may deliver hundreds of event notifications a second, and each wants an answer within three
seconds (FACTS.md §3.4). The admin's middleware (static files, sessions, authentication,
messages, CSRF, allauth) does nothing for a request that carries no cookie and is verified by its
signature, yet took about as long as the endpoint's own work. :class:`EndpointHandler` is
Django's WSGI handler (the same request object, URL resolution, ``request_started`` and
``request_finished`` signals, so database connections are kept and closed as for any request,
and exceptions become responses the same way) with only the middleware of ``settings.MIDDLEWARE``
that a webhook needs: ``SecurityMiddleware`` (the redirect to HTTPS and its headers) and
``CommonMiddleware`` (``ALLOWED_HOSTS``). ``zoomadmin.wsgi`` hands it the endpoint's path; every
other path goes through the whole stack.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string

PATH = "/webhooks/zoom/"
KEPT_MIDDLEWARE = frozenset(
    {
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
    }
)


class EndpointHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed([m for m in settings.MIDDLEWARE if m in KEPT_MIDDLEWARE]):
            handler = convert_exception_to_response(import_string(path)(handler))
        self._middleware_chain = handler


def with_endpoint(application: Any) -> Any:
    """``application`` (Django's WSGI handler), with the endpoint's path handed to
    :class:`EndpointHandler`."""
    endpoint = EndpointHandler()

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == PATH:
            return endpoint(environ, start_response)
        return application(environ, start_response)

    return dispatch
