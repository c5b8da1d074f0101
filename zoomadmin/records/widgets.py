"""Form widgets of the record pages.

``ManyOptionsSelect`` is Django's ``Select`` written in one pass: Django builds and renders a
template per option, and a time zone select (about 500 of Zoom's zones) then costs more than
the rest of a meeting's or user's page. The markup is Django's own (the first option whose
value is the field's is selected; groups as ``<optgroup>``), escaped as Django escapes.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe


class ManyOptionsSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = {str(item) for item in self.format_value(value)}
        selected = False

        def option(option_value: Any, label: Any) -> str:
            nonlocal selected
            text = "" if option_value is None else str(option_value)
            this = text in chosen and not selected
            selected |= this
            mark = " selected" if this else ""
            return f'<option value="{escape(text)}"{mark}>{escape(str(label))}</option>'

        parts = []
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                inner = "".join(option(value, text) for value, text in label)
                parts.append(f'<optgroup label="{escape(str(option_value))}">{inner}</optgroup>')
            else:
                parts.append(option(option_value, label))
        final_attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{final_attrs}>{"".join(parts)}</select>')
