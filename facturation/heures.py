"""Hours réalisées: the one door through which billing reads attendance.

The rules (facturation.regles) take hours as parameters; this module gets them from the
séances app with the same definition as every indicator (seances.indicateurs: validated
séances, present, minus lateness and early departure), optionally within a date range.
"""

import datetime
from decimal import Decimal

from seances import indicateurs
from seances.selectors import participations_du_dossier


def heures_realisees(
    dossier, du: datetime.date | None = None, au: datetime.date | None = None
) -> Decimal:
    participations = participations_du_dossier(dossier)
    if du is not None:
        participations = participations.filter(seance__date__gte=du)
    if au is not None:
        participations = participations.filter(seance__date__lte=au)
    lignes = [indicateurs.LigneSeance.de(p) for p in participations]
    return indicateurs.chiffres(lignes).heures_realisees or Decimal("0")


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
