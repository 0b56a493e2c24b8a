"""French template filters, built into every template (settings TEMPLATES builtins).

Django's `pluralize` follows English: "0 jours". In French 0 and 1 are singular.
"""

from django import template

register = template.Library()


@register.filter
def pluriel(nombre, suffixe: str = "s") -> str:
    """`{{ n }} jour{{ n|pluriel }}`: 0 jour, 1 jour, 2 jours."""
    try:
        return suffixe if abs(float(nombre)) >= 2 else ""
    except (TypeError, ValueError):
        return ""


@register.filter
def ordinal(nombre) -> str:
    """1 → 1ᵉʳ, 2 → 2ᵉ (masculine: « 1ᵉʳ du jour »)."""
    try:
        nombre = int(nombre)
    except (TypeError, ValueError):
        return str(nombre)
    return f"{nombre}ᵉʳ" if nombre == 1 else f"{nombre}ᵉ"
