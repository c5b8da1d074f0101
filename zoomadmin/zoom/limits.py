"""Zoom's per-second rate limits, by plan and category of request.

Zoom counts requests per account, in separate per-second budgets for the Light, Medium and Heavy
categories (each endpoint's "Rate Limit Label"), shared by every app installed on the account
(developers.zoom.us/docs/api/rate-limits/, FACTS.md §5):

    plan                    Light   Medium   Heavy
    Free                     4/s     2/s      1/s
    Pro                     30/s    20/s     10/s
    Business and higher     80/s    60/s     40/s
"""

from __future__ import annotations

from collections.abc import Mapping

LIGHT, MEDIUM, HEAVY = "light", "medium", "heavy"
CATEGORIES = (LIGHT, MEDIUM, HEAVY)

PLAN_RATES: Mapping[str, Mapping[str, float]] = {
    "free": {LIGHT: 4.0, MEDIUM: 2.0, HEAVY: 1.0},
    "pro": {LIGHT: 30.0, MEDIUM: 20.0, HEAVY: 10.0},
    "business": {LIGHT: 80.0, MEDIUM: 60.0, HEAVY: 40.0},
}
ZOOM_PLANS = [("free", "Free"), ("pro", "Pro"), ("business", "Business or higher")]


def plan_rates(plan: str, share: float) -> dict[str, float]:
    """Requests per second per category that this app may use: ``share`` of the plan's limits
    (the rest is left to the account's other apps)."""
    return {category: rate * share for category, rate in PLAN_RATES[plan].items()}
