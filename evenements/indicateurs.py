"""Indicators derived from the events: duration of the journey and time spent per phase."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from dossiers.models import Dossier, Phase
from evenements.selectors import etapes_du_dossier


@dataclass
class SejourPhase:
    phase: Phase
    debut: datetime.date
    fin: datetime.date | None  # None: the current phase

    def jours(self, aujourd_hui: datetime.date) -> int:
        return ((self.fin or aujourd_hui) - self.debut).days


def sejours_par_phase(etapes, dossier: Dossier) -> list[SejourPhase]:
    """Consecutive stays in each phase, from the applied replay steps."""
    sejours: list[SejourPhase] = []
    for etape in etapes:
        if not etape.appliquee or etape.phase_apres == etape.phase_avant:
            continue
        date = etape.evenement.date
        if sejours and sejours[-1].fin is None:
            sejours[-1].fin = date
        if etape.phase_apres is not None:
            sejours.append(SejourPhase(etape.phase_apres, date, None))
    if sejours and sejours[-1].fin is None and dossier.date_sortie:
        sejours[-1].fin = dossier.date_sortie
    return sejours


def du_dossier(dossier: Dossier, etapes=None) -> dict:
    aujourd_hui = timezone.localdate()
    if etapes is None:
        etapes = etapes_du_dossier(dossier)
    sejours = sejours_par_phase(etapes, dossier)
    return {
        "duree_jours": dossier.duree_jours(aujourd_hui),
        "sejours": [(s, s.jours(aujourd_hui)) for s in sejours],
        "aujourd_hui": aujourd_hui,
    }
