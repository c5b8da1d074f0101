"""The sandbox's Zoom REST API (`/v2`): one module per part of Zoom's API description.

Importing the package registers every route; `dispatch(state, config, request)` answers one
request. See `routing` for what all endpoints share (auth, limits, pagination, errors).
"""

from __future__ import annotations

from . import meetings, phone_chat, recordings, registrants, users  # noqa: F401 - registers routes
from .routing import ROUTES, dispatch

__all__ = ["ROUTES", "dispatch"]
