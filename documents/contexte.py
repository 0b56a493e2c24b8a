"""The documented context of document templates: plain values only (strings, numbers,
lists, dicts), so a template can neither call methods nor reach data beyond what is
listed, and the very same dict is kept on the Document as the snapshot it was made from.

Dates are ISO strings (format them with `|date_fr` or `|date_courte`), amounts and hours
decimal strings (`|montant`, `|heures`). Apps above documents (facturation: the
convention) add their part with `enregistrer_source`.
"""

from collections.abc import Callable

from django.utils import timezone

from dossiers.models import Dossier
from evenements.models import Effet, Evenement

_sources: dict[str, Callable] = {}

NATURES_ACTION = {
    "formation": "Action de formation",
    "bilan": "Bilan de compétences",
    "vae": "Action de validation des acquis de l'expérience",
    "apprentissage": "Action de formation par apprentissage",
}

# Documented for the admin (help of the template field and the "Variables" panel).
VARIABLES = [
    (
        "organisation",
        "raison_sociale, siret, numero_declaration_activite, "
        "mention_declaration, adresse_lignes, ville, email, telephone, signataire_nom, "
        "signataire_qualite, signature_url, logo_url, mention_tva",
    ),
    ("beneficiaire", "civilite, nom, prenom, date_naissance, email, adresse_lignes"),
    (
        "dossier",
        "reference, statut, phase, date_entree, date_sortie, duree_jours, heures_prevues, equipe",
    ),
    ("prestation", "nom, code, famille, duree_prevue_heures, nature, nature_code"),
    ("financeur", "raison_sociale"),
    ("employeur", "raison_sociale (champ « employeur » de l'événement, s'il existe)"),
    ("referent", "nom, email"),
    ("evenement", "type, date, commentaire, motif (l'événement qui déclenche le document)"),
    ("evenements", "liste de {type, date, commentaire, motif, effet}"),
    ("objectifs", "objectifs validés : liste de {libelle, date}"),
    ("phases", "liste de {libelle, debut, fin, jours}"),
    ("seances", "liste de {date, debut, fin, duree_heures, intitule, presence}"),
    ("indicateurs", "heures_realisees, heures_prevues, taux_presence, duree_jours, nb_objectifs"),
    ("convention", "apportée par la facturation quand elle existe"),
    ("date_document", "date du jour de génération"),
    ("numero", "numéro dans la série (attestations, certificats)"),
]


def enregistrer_source(nom: str, fonction: Callable) -> None:
    """An app above adds `nom` to every dossier context: fonction(dossier) -> plain value."""
    _sources[nom] = fonction


def _iso(valeur) -> str:
    return valeur.isoformat() if valeur else ""


def _texte(valeur) -> str:
    return "" if valeur is None else str(valeur)


def nature_action(prestation) -> str:
    """The certificat's "nature de l'action" from the prestation's famille."""
    famille = (prestation.famille or "").lower()
    if "bilan" in famille:
        return "bilan"
    if "vae" in famille or "validation des acquis" in famille:
        return "vae"
    if "apprenti" in famille:
        return "apprentissage"
    return "formation"


def _evenement(evenement: Evenement) -> dict:
    return {
        "type": evenement.type_evenement.libelle,
        "date": _iso(evenement.date),
        "commentaire": evenement.commentaire,
        "motif": _texte(evenement.motif),
        "effet": evenement.type_evenement.effet,
    }


def _phases(dossier: Dossier) -> list[dict]:
    from evenements.indicateurs import du_dossier

    return [
        {
            "libelle": sejour.phase.libelle,
            "debut": _iso(sejour.debut),
            "fin": _iso(sejour.fin),
            "jours": jours,
        }
        for sejour, jours in du_dossier(dossier)["sejours"]
    ]


def _seances(dossier: Dossier) -> tuple[list[dict], dict]:
    """Séances and attendance indicators; wired to the seances app once it lands."""
    return [], {"heures_realisees": "", "taux_presence": ""}


def contexte_dossier(dossier: Dossier, evenement: Evenement | None = None) -> dict:
    beneficiaire = dossier.beneficiaire
    prestation = dossier.prestation
    referent = dossier.referent
    evenements = list(
        dossier.evenements.actifs().chronologiques().select_related("type_evenement", "motif")
    )
    if evenement is None:
        sorties = [e for e in evenements if e.type_evenement.effet == Effet.SORTIE_POSITIVE]
        evenement = sorties[-1] if sorties else None
    objectifs = [
        {
            "libelle": e.valeurs.get("etape") or e.commentaire or e.type_evenement.libelle,
            "date": _iso(e.date),
        }
        for e in evenements
        if e.type_evenement.effet == Effet.VALIDATION_ETAPE
    ]
    seances, presence = _seances(dossier)
    nature = nature_action(prestation)
    employeur = ""
    if evenement is not None:
        employeur = str(evenement.valeurs.get("employeur", "") or "")
    contexte = {
        "beneficiaire": {
            "civilite": beneficiaire.get_civilite_display(),
            "nom": beneficiaire.nom,
            "prenom": beneficiaire.prenom,
            "date_naissance": _iso(beneficiaire.date_naissance),
            "email": beneficiaire.email,
            "adresse_lignes": [
                ligne.strip() for ligne in beneficiaire.adresse.splitlines() if ligne.strip()
            ],
        },
        "dossier": {
            "reference": dossier.pk,
            "statut": dossier.get_statut_display(),
            "phase": _texte(dossier.phase_courante),
            "date_entree": _iso(dossier.date_entree),
            "date_sortie": _iso(dossier.date_sortie),
            "duree_jours": dossier.duree_jours(),
            "heures_prevues": _texte(dossier.heures_prevues),
            "equipe": dossier.equipe.nom,
        },
        "prestation": {
            "nom": prestation.nom,
            "code": prestation.code,
            "famille": prestation.famille,
            "duree_prevue_heures": _texte(prestation.duree_prevue_heures),
            "nature_code": nature,
            "nature": NATURES_ACTION[nature],
        },
        "financeur": {"raison_sociale": _texte(dossier.financeur)},
        "employeur": {"raison_sociale": employeur},
        "referent": {
            "nom": referent.get_full_name() or referent.username,
            "email": referent.email,
        },
        "evenement": _evenement(evenement) if evenement else {},
        "evenements": [_evenement(e) for e in evenements],
        "objectifs": objectifs,
        "phases": _phases(dossier),
        "seances": seances,
        "indicateurs": {
            **presence,
            "heures_prevues": _texte(dossier.heures_prevues or prestation.duree_prevue_heures),
            "duree_jours": dossier.duree_jours(),
            "nb_objectifs": len(objectifs),
        },
        "convention": {},
        "date_document": _iso(timezone.localdate()),
    }
    for nom, fonction in _sources.items():
        contexte[nom] = fonction(dossier)
    return contexte
