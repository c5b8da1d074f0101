"""Logging filters of ``settings.LOGGING``: one line per event.

Django logs every response of 400 and more once (``django.request``, ``django.security.*``),
and attaches the exception of a 403 (``PermissionDenied``) or of a 400 (``SuspiciousOperation``)
as a traceback: for a refused request that is an ordinary outcome, not a fault, so the line
stays and the traceback goes. A 5xx keeps its traceback.
"""

from __future__ import annotations

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """Drops the traceback of a record about a 4xx response (its ``status_code`` extra)."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class RequestLineOfDjangoAnswer(logging.Filter):
    """For ``django.server`` (runserver's access log): drops the request line of a response of
    400 and more, which ``django.request`` logs already. Lines of requests that never reached
    Django (malformed, answered by the server itself) keep their ``code …, message …`` line."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        return not (isinstance(status, int) and status >= 400 and record.msg == '"%s" %s %s')
