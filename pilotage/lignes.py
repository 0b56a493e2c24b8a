"""One line per dossier: the table of a financeur report and of a déclaration.

One query each (values + the exit-motif subquery); the loop only formats rows already read.
"""

import datetime

from django.db.models import Q, QuerySet

from dossiers.models import Statut
from pilotage.agregats import SORTIES, condition, motif_de_sortie
from pilotage.filtres import Periode

CHAMPS = (
    "pk",
    "beneficiaire__nom",
    "beneficiaire__prenom",
    "beneficiaire__date_naissance",
    "beneficiaire__identifiant_externe",
    "prestation__nom",
    "equipe__nom",
    "phase_courante__libelle",
    "statut",
    "date_entree",
    "date_sortie",
    "motif_sortie",
)

# The report's CSV: documented columns (README and the e-mail body say the same).
COLONNES_RAPPORT = [
    ("dossier", "N° dossier"),
    ("nom", "Nom"),
    ("prenom", "Prénom"),
    ("identifiant_externe", "Identifiant externe"),
    ("prestation", "Prestation"),
    ("equipe", "Équipe"),
    ("phase", "Phase"),
    ("statut", "Statut en fin de période"),
    ("date_entree", "Date d'entrée"),
    ("date_sortie", "Date de sortie"),
    ("motif", "Type de sortie ou motif"),
    ("duree_jours", "Durée (jours)"),
    ("heures_realisees", "Heures réalisées (cumul en fin de période)"),
]


def concernes(periode: Periode) -> Q:
    """Dossiers in progress at some point of the period."""
    return Q(date_entree__lte=periode.fin) & (
        Q(date_sortie__isnull=True) | Q(date_sortie__gte=periode.debut)
    )


def _ligne(d: dict, periode: Periode) -> dict:
    sortie = d["date_sortie"] if d["date_sortie"] and d["date_sortie"] <= periode.fin else None
    if sortie:
        statut = Statut(d["statut"]).label
    elif d["date_entree"] and d["date_entree"] <= periode.fin:
        statut = Statut.EN_COURS.label
    else:
        statut = Statut.A_VENIR.label
    fin = sortie or periode.fin
    duree = (fin - d["date_entree"]).days if d["date_entree"] else None
    return {
        "dossier": d["pk"],
        "nom": d["beneficiaire__nom"],
        "prenom": d["beneficiaire__prenom"],
        "date_naissance": d["beneficiaire__date_naissance"],
        "identifiant_externe": d["beneficiaire__identifiant_externe"],
        "prestation": d["prestation__nom"],
        "equipe": d["equipe__nom"],
        "phase": d["phase_courante__libelle"] or "",
        "statut": statut,
        "date_entree": d["date_entree"],
        "date_sortie": sortie,
        "motif": (d["motif_sortie"] or "") if sortie else "",
        "duree_jours": duree,
        "sortie": SORTIES.get(d["statut"], "") if sortie else "",
    }


def _valeurs(dossiers: QuerySet):
    return (
        dossiers.annotate(motif_sortie=motif_de_sortie())
        .order_by("beneficiaire__nom", "beneficiaire__prenom", "pk")
        .values(*CHAMPS)
    )


def _cumul(periode: Periode) -> Periode:
    """Hours on a line: everything done up to the end of the period."""
    return Periode(datetime.date.min, periode.fin)


def lignes_rapport(dossiers: QuerySet, periode: Periode) -> list[dict]:
    from pilotage.heures import realisees_par_dossier

    choisis = dossiers.filter(concernes(periode))
    heures = realisees_par_dossier(choisis, _cumul(periode))
    return [
        {**_ligne(d, periode), "heures_realisees": heures.get(d["pk"], 0.0)}
        for d in _valeurs(choisis)
    ]


COLONNES_DECLARATION = [
    ("mouvement", "Mouvement"),
    ("date", "Date"),
    ("nom", "Nom"),
    ("prenom", "Prénom"),
    ("date_naissance", "Date de naissance"),
    ("identifiant_externe", "Identifiant externe"),
    ("prestation", "Prestation"),
    ("date_entree", "Date d'entrée"),
    ("date_sortie", "Date de sortie"),
    ("sortie", "Nature de la sortie"),
    ("motif", "Type de sortie ou motif"),
    ("heures_realisees", "Heures réalisées (cumul à la fin de la période)"),
]


def lignes_declaration(dossiers: QuerySet, periode: Periode) -> list[dict]:
    """Entries and exits of the range, in date order (a dossier may give both)."""
    entrees, sorties = condition("entrees", periode), condition("sorties", periode)
    from pilotage.heures import realisees_par_dossier

    choisis = dossiers.filter(entrees | sorties)
    heures = realisees_par_dossier(choisis, _cumul(periode))
    lignes = []
    for d in _valeurs(choisis):
        ligne = {**_ligne(d, periode), "heures_realisees": heures.get(d["pk"], 0.0)}
        if d["date_entree"] and periode.debut <= d["date_entree"] <= periode.fin:
            lignes.append({**ligne, "mouvement": "Entrée", "date": d["date_entree"]})
        if ligne["date_sortie"] and ligne["date_sortie"] >= periode.debut:
            lignes.append({**ligne, "mouvement": "Sortie", "date": ligne["date_sortie"]})
    return sorted(lignes, key=lambda ligne: (ligne["date"], ligne["nom"], ligne["dossier"]))
