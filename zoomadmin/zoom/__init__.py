"""The only code that speaks HTTP to Zoom: client, token endpoint, pacing and errors. No ORM here."""

from zoomadmin.zoom.auth import StaticTokenProvider, TokenProvider, TokenResponse
from zoomadmin.zoom.client import RawResponse, ZoomClient, encode_meeting_id
from zoomadmin.zoom.errors import (
    ZoomBadRequest,
    ZoomConflict,
    ZoomDailyLimit,
    ZoomError,
    ZoomForbidden,
    ZoomNotFound,
    ZoomPageTokenExpired,
    ZoomRateLimited,
    ZoomReauthorizationRequired,
    ZoomUnauthorized,
    ZoomUnavailable,
)

__all__ = [
    "RawResponse",
    "StaticTokenProvider",
    "TokenProvider",
    "TokenResponse",
    "ZoomBadRequest",
    "ZoomClient",
    "ZoomConflict",
    "ZoomDailyLimit",
    "ZoomError",
    "ZoomForbidden",
    "ZoomNotFound",
    "ZoomPageTokenExpired",
    "ZoomRateLimited",
    "ZoomReauthorizationRequired",
    "ZoomUnauthorized",
    "ZoomUnavailable",
    "encode_meeting_id",
]
