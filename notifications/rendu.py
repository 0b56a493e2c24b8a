"""Message templates rendered over a documented, safe context: plain values, no models,
so a template can neither call methods nor reach data beyond what is listed."""

from django.template import Context, Engine, TemplateSyntaxError

from dossiers.models import Dossier
from evenements.models import Evenement

# Plain text messages: no HTML escaping, no template directories to include from.
_moteur = Engine(autoescape=False)


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
    """Raise TemplateSyntaxError for a template an administrator mistyped."""
    _moteur.from_string(gabarit)


def rendre(gabarit: str, donnees: dict) -> str:
    return _moteur.from_string(gabarit).render(Context(donnees)).strip()


__all__ = ["TemplateSyntaxError", "contexte", "rendre", "verifier"]
