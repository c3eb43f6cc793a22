from __future__ import annotations

from django import template
from django.utils.html import format_html

from ttc.core.tlp import EXPLANATION, TLP

register = template.Library()


@register.simple_tag
def tlp_badge(label: str) -> str:
    """The label as text (so colour is never the only signal), with its meaning."""
    tlp = TLP(label)
    return format_html(
        '<span class="ttc-tlp ttc-tlp--{}" title="{}">{}</span>',
        tlp.value.replace("+", "-"),
        EXPLANATION[tlp],
        tlp.label,
    )
