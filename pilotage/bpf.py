"""Bilan pédagogique et financier (BPF) figures for a civil year, from the same aggregates:

- stagiaires: dossiers in progress at some point of the year (`lignes.concernes`), and the
  distinct bénéficiaires among them;
- heures-stagiaires: hours done in the year's séances (`seances.indicateurs.sommes`),
grouped by the financeur's type (origin of the funds) and by the prestation's nature of
action. The exact cerfa layout is not reproduced: these are the numbers to copy into it.
"""

import datetime

from django.db.models import Count, QuerySet

from dossiers.models import NatureAction, TypeFinanceur
from pilotage.filtres import Periode
from pilotage.heures import _participations
from pilotage.lignes import concernes
from seances import indicateurs

SANS_FINANCEUR = "Sans financeur"


def periode(annee: int) -> Periode:
    return Periode(datetime.date(annee, 1, 1), datetime.date(annee, 12, 31))


def _groupes(dossiers: QuerySet, annee: int, cle: str, libelles: dict) -> list[dict]:
    """Two grouped queries: trainees, then hours."""
    p = periode(annee)
    stagiaires = {
        ligne[cle]: ligne
        for ligne in dossiers.filter(concernes(p))
        .order_by()
        .values(cle)
        .annotate(stagiaires=Count("pk"), beneficiaires=Count("beneficiaire", distinct=True))
    }
    heures = {
        ligne[f"dossier__{cle}"]: ligne["minutes_realisees"]
        for ligne in _participations(dossiers, p)
        .order_by()
        .values(f"dossier__{cle}")
        .annotate(**indicateurs.sommes())
    }
    lignes = []
    for valeur in sorted(
        set(stagiaires) | set(heures),
        key=lambda v: list(libelles).index(v) if v in libelles else len(libelles),
    ):
        s = stagiaires.get(valeur, {})
        lignes.append(
            {
                "cle": valeur,
                "libelle": libelles.get(valeur, SANS_FINANCEUR),
                "stagiaires": s.get("stagiaires", 0),
                "beneficiaires": s.get("beneficiaires", 0),
                "heures": float(indicateurs.heures(heures.get(valeur, 0))),
            }
        )
    return lignes


def par_type_de_financeur(dossiers: QuerySet, annee: int) -> list[dict]:
    return _groupes(dossiers, annee, "financeur__type", dict(TypeFinanceur.choices))


def par_nature_d_action(dossiers: QuerySet, annee: int) -> list[dict]:
    return _groupes(dossiers, annee, "prestation__nature_action", dict(NatureAction.choices))


def total(lignes: list[dict]) -> dict:
    return {
        "libelle": "Total",
        "stagiaires": sum(ligne["stagiaires"] for ligne in lignes),
        "heures": round(sum(ligne["heures"] for ligne in lignes), 2),
    }
