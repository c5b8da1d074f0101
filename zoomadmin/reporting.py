"""What an error report may show: Django's exception-reporter filter, always on.

Django's ``SafeExceptionReporterFilter`` hides the variables named by ``sensitive_variables`` and
``sensitive_post_parameters``, and settings that look secret, but only when ``DEBUG`` is off; a
debug page would show a bearer token in the locals of the Zoom client. This filter hides them in
``DEBUG`` too, adds the settings whose value may carry a password (``DATABASE_URL``,
``REDIS_URL``) to those hidden, and treats every frame's variables as it treats settings: a
variable named like a secret (``token``, ``client_secret``) is hidden, and so is a secret-named
key of a mapping, such as the ``Authorization`` header in the frames of ``requests``, which no
decorator of ours can reach.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL|REDIS_URL",
        flags=re.IGNORECASE,
    )

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> list:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self._cleanse_variable(name, value)) for name, value in variables]

    def _cleanse_variable(self, name: str, value: Any) -> Any:
        try:
            if isinstance(value, Mapping) and not isinstance(value, dict):
                value = dict(value)  # requests' CaseInsensitiveDict of headers
            return self.cleanse_setting(name, value)
        except Exception:  # noqa: BLE001 - cyclic or hostile data: a report must still render
            return self.cleansed_substitute
