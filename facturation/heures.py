"""Hours réalisées: the one door through which billing reads attendance.

The rules (facturation.regles) take hours as parameters; this module fetches them from
`seances.indicateurs` (validated séances). Until séances are recorded for a dossier,
nothing has been done: 0 h.
"""

import datetime
from decimal import Decimal


def heures_realisees(
    dossier, du: datetime.date | None = None, au: datetime.date | None = None
) -> Decimal:
    try:
        from seances import indicateurs
    except ImportError:  # séances not installed yet: no hours recorded
        return Decimal("0")
    fonction = getattr(indicateurs, "heures_realisees", None)
    if fonction is None:
        return Decimal("0")
    return Decimal(fonction(dossier, du=du, au=au) or 0)


def heures_prevues(dossier, convention) -> Decimal | None:
    """The dossier's planned hours, else the convention's financed hours, else the prestation's."""
    for valeur in (
        dossier.heures_prevues,
        convention.heures_financees,
        dossier.prestation.duree_prevue_heures,
    ):
        if valeur:
            return Decimal(valeur)
    return None
