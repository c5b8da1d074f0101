"""allauth's Zoom provider, subclassed so that its URLs come from ZOOM_OAUTH_BASE_URL and
ZOOM_API_BASE_URL (SPEC §4): the same provider id `zoom`, the same `/accounts/zoom/...` URLs."""
