"""French formatting for documents: `{% load documents_fr %}` then `|montant`, `|date_fr`,
`|heures`. Locale-independent on purpose: a PDF must not change with the server's locale."""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

MOIS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
ESPACE_INSECABLE = "\u202f"  # narrow no-break space, the French thousands separator


def _decimal(valeur) -> Decimal | None:
    if valeur is None or valeur == "":
        return None
    try:
        return Decimal(str(valeur))
    except InvalidOperation:
        return None


def _groupes(entier: str) -> str:
    morceaux = []
    while len(entier) > 3:
        morceaux.insert(0, entier[-3:])
        entier = entier[:-3]
    morceaux.insert(0, entier)
    return ESPACE_INSECABLE.join(morceaux)


@register.filter
def nombre_fr(valeur, decimales: int = 2) -> str:
    """1234.5 -> "1 234,50" (decimales=2); rounds half up, as money is rounded."""
    nombre = _decimal(valeur)
    if nombre is None:
        return "" if valeur in (None, "") else str(valeur)
    quantum = Decimal(1).scaleb(-int(decimales))
    nombre = nombre.quantize(quantum, rounding=ROUND_HALF_UP)
    signe = "-" if nombre < 0 else ""
    entier, _, fraction = f"{abs(nombre):f}".partition(".")
    texte = signe + _groupes(entier)
    return f"{texte},{fraction}" if fraction else texte


@register.filter
def montant(valeur) -> str:
    """Decimal("1234.56") -> "1 234,56 €"."""
    texte = nombre_fr(valeur, 2)
    return f"{texte}\u00a0€" if texte else ""


@register.filter
def heures(valeur) -> str:
    """Decimal("12.50") -> "12,5 h"; Decimal("12") -> "12 h"."""
    nombre = _decimal(valeur)
    if nombre is None:
        return ""
    texte = nombre_fr(nombre, 2)
    if "," in texte:
        texte = texte.rstrip("0").rstrip(",")
    return f"{texte}\u00a0h"


def _en_date(valeur):
    if isinstance(valeur, datetime.datetime):
        return valeur.date()
    if isinstance(valeur, datetime.date):
        return valeur
    if isinstance(valeur, str) and valeur:
        try:
            return datetime.date.fromisoformat(valeur[:10])
        except ValueError:
            return None
    return None


@register.filter
def date_fr(valeur) -> str:
    """date(2026, 3, 1) -> "1er mars 2026"; also accepts ISO strings (snapshots)."""
    jour = _en_date(valeur)
    if jour is None:
        return "" if valeur in (None, "") else str(valeur)
    quantieme = "1er" if jour.day == 1 else str(jour.day)
    return f"{quantieme} {MOIS[jour.month - 1]} {jour.year}"


@register.filter
def date_courte(valeur) -> str:
    """date(2026, 3, 1) -> "01/03/2026"."""
    jour = _en_date(valeur)
    return jour.strftime("%d/%m/%Y") if jour else ""
