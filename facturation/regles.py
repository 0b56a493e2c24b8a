"""Billing rules as pure functions: prices, shares and hours in, amounts out.

No database access here, so every rule is tested with plain numbers; the hours come from
facturation.heures, the parameters from the convention.
"""

from decimal import Decimal

from facturation.argent import CENT, ZERO, arrondir, pourcentage

SEUIL_CPF_BAS = Decimal("25")
SEUIL_CPF_HAUT = Decimal("80")


def montant_modalite(
    *, prix: Decimal, part_pourcentage: Decimal | None, montant_fixe: Decimal | None
) -> Decimal:
    """One rule of the échéancier: a share of the price or a fixed amount."""
    if montant_fixe is not None:
        return arrondir(montant_fixe)
    return pourcentage(prix, part_pourcentage or ZERO)


def quote_part(montant: Decimal, part_financeur: Decimal) -> Decimal:
    """A co-financer's share of an amount."""
    return pourcentage(montant, part_financeur)


def montant_horaire(*, heures: Decimal, taux_horaire: Decimal) -> Decimal:
    return arrondir(Decimal(heures) * Decimal(taux_horaire))


def taux_realisation(heures_realisees: Decimal, heures_prevues: Decimal | None) -> Decimal:
    """Attendance in %, capped at 100; no planned hours means nothing can be measured."""
    if not heures_prevues:
        return ZERO
    taux = Decimal(heures_realisees) * CENT / Decimal(heures_prevues)
    return min(taux, CENT)


def du_apres_interruption(
    *, regle: str, prix: Decimal, heures_realisees: Decimal, heures_prevues: Decimal | None
) -> Decimal:
    """What the whole parcours is worth once interrupted (abandon or rupture).

    - "prorata": what was done, pro rata of hours;
    - "rien": nothing beyond what was already released (returns 0, the caller keeps that);
    - "cpf": under 25 % attendance 25 % of the price, 25 %–80 % pro rata, 80 % or more all.
    """
    taux = taux_realisation(heures_realisees, heures_prevues)
    if regle == "rien":
        return ZERO
    if regle == "cpf":
        if taux < SEUIL_CPF_BAS:
            return pourcentage(prix, SEUIL_CPF_BAS)
        if taux >= SEUIL_CPF_HAUT:
            return arrondir(prix)
    return pourcentage(prix, taux)


def solde_realise(du: Decimal, deja_debloque: Decimal) -> Decimal:
    """The "réalisé" échéance: what is due beyond what was already released, never negative."""
    return max(arrondir(du - deja_debloque), ZERO)


def ajuster_au_total(montants: list[Decimal], total: Decimal) -> list[Decimal]:
    """Rounded shares of a forfait that add up to it exactly: the last one absorbs the cents
    that rounding each share lost or gained (only rounding: at most a cent per share)."""
    if not montants:
        return []
    ecart = arrondir(total) - sum(montants, ZERO)
    if ecart and abs(ecart) <= Decimal("0.01") * len(montants):
        return [*montants[:-1], montants[-1] + ecart]
    return list(montants)


def tva(montant_ht: Decimal, taux: Decimal) -> Decimal:
    return pourcentage(montant_ht, taux)
