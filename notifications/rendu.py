"""Message templates rendered over a documented, safe context: plain values, no models,
so a template can neither call methods nor reach data beyond what is listed.

Messages are plain text (e-mail bodies, SMS): never HTML-escaped.
"""

from dossiers.models import Dossier
from evenements.models import Evenement
from notifications import gabarits
from notifications.gabarits import GabaritInvalide

# Sample data: the admin preview without any event, and the check made when saving.
EXEMPLE = {
    "beneficiaire": {"civilite": "Madame", "nom": "Martin", "prenom": "Léa"},
    "dossier": {
        "statut": "En cours",
        "phase": "Bilan initial",
        "date_entree": "02/03/2026",
        "date_sortie": "",
    },
    "evenement": {
        "type": "Entrée en prestation",
        "date": "02/03/2026",
        "commentaire": "Objectifs fixés",
        "motif": "",
    },
    "prestation": {"nom": "Accompagnement vers l'emploi"},
    "financeur": {"raison_sociale": "Région Auvergne-Rhône-Alpes"},
    "referent": {"nom": "Claire Conseil", "email": "claire@example.fr"},
}
# Every variable filled, then every variable empty: both sides of each {% if %} are tried.
_EXEMPLE_COMPLET = {
    groupe: {cle: valeur or "Exemple" for cle, valeur in variables.items()}
    for groupe, variables in EXEMPLE.items()
}
_EXEMPLE_VIDE = {groupe: dict.fromkeys(variables, "") for groupe, variables in EXEMPLE.items()}


def _date(valeur) -> str:
    return valeur.strftime("%d/%m/%Y") if valeur else ""


def contexte(evenement: Evenement) -> dict:
    dossier: Dossier = evenement.dossier
    beneficiaire = dossier.beneficiaire
    referent = dossier.referent
    return {
        "beneficiaire": {
            "civilite": beneficiaire.get_civilite_display(),
            "nom": beneficiaire.nom,
            "prenom": beneficiaire.prenom,
        },
        "dossier": {
            "statut": dossier.get_statut_display(),
            "phase": str(dossier.phase_courante or ""),
            "date_entree": _date(dossier.date_entree),
            "date_sortie": _date(dossier.date_sortie),
        },
        "evenement": {
            "type": evenement.type_evenement.libelle,
            "date": _date(evenement.date),
            "commentaire": evenement.commentaire,
            "motif": str(evenement.motif or ""),
        },
        "prestation": {"nom": dossier.prestation.nom},
        "financeur": {"raison_sociale": str(dossier.financeur or "")},
        "referent": {"nom": referent.get_full_name() or referent.username, "email": referent.email},
    }


def verifier(gabarit: str) -> None:
    """Raise GabaritInvalide for a template that would fail or misbehave when sent."""
    gabarits.verifier(gabarit, [EXEMPLE, _EXEMPLE_COMPLET, _EXEMPLE_VIDE])


def rendre(gabarit: str, donnees: dict) -> str:
    return gabarits.rendre(gabarit, donnees, autoescape=False).strip()


__all__ = ["EXEMPLE", "GabaritInvalide", "contexte", "rendre", "verifier"]
