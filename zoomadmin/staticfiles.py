"""The static files storage of production (``DJANGO_DEBUG=0``): whitenoise's compressed,
content-hashed copies that ``manage.py collectstatic`` writes to ``STATIC_ROOT``.

Django's manifest storage fails every page that links a static file collectstatic has not
written (``ValueError: Missing staticfiles manifest entry``); this one links the plain name
instead, so a deployment that forgot collectstatic shows unstyled pages rather than errors, and
``manage.py check --deploy`` says what is missing (zoomadmin.W002).
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            return name

    def manifest_exists(self) -> bool:
        return self.manifest_storage.exists(self.manifest_name)
