"""``{{ fen|yuan }}``: integer fen shown as yuan with two decimals."""

from django import template

register = template.Library()


@register.filter
def yuan(fen) -> str:
    try:
        return f"{int(fen) / 100:,.2f}"
    except (TypeError, ValueError):
        return ""
