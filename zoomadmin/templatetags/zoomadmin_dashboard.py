"""``{% zoom_dashboard as dashboard %}``: the admin index's dashboard (``zoomadmin.dashboard``)
for the signed-in user. A tag rather than a replaced index view: the stock ``admin.site``
stays as it is (its URLs, its app list), and only the index template asks for it."""

from __future__ import annotations

from typing import Any

from django import template

from zoomadmin.dashboard import Dashboard, dashboard_for

register = template.Library()


@register.simple_tag(takes_context=True)
def zoom_dashboard(context: dict[str, Any]) -> Dashboard:
    return dashboard_for(context["request"].user)
