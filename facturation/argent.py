"""Money: Decimal everywhere, rounded to the cent in this one place."""

from decimal import ROUND_HALF_UP, Decimal

CENTIME = Decimal("0.01")
ZERO = Decimal("0.00")
CENT = Decimal("100")


def arrondir(montant) -> Decimal:
    """The only currency rounding of the application (half up, to the cent)."""
    return Decimal(montant).quantize(CENTIME, rounding=ROUND_HALF_UP)


def pourcentage(montant, taux) -> Decimal:
    return arrondir(Decimal(montant) * Decimal(taux) / CENT)


def euros(montant) -> str:
    """French display: 1 234,50 €."""
    texte = f"{arrondir(montant):,.2f}".replace(",", " ").replace(".", ",")
    return f"{texte} €"


def taux_fr(taux) -> str:
    """30 → "30 %", 12.5 → "12,5 %"."""
    texte = f"{Decimal(taux).normalize():f}".replace(".", ",")
    return f"{texte} %"
