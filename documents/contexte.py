"""The documented context of document templates: plain values only (strings, numbers,
lists, dicts), so a template can neither call methods nor reach data beyond what is
listed, and the very same dict is kept on the Document as the snapshot it was made from.

Dates are ISO strings (format them with `|date_fr` or `|date_courte`), amounts and hours
decimal strings (`|montant`, `|heures`). Apps above documents (facturation: the
convention) add their part with `enregistrer_source`.
"""

from collections.abc import Callable

from django.db.models import Q
from django.utils import timezone

from dossiers.models import Dossier
from evenements.models import Effet, Evenement
from seances.indicateurs import heures
from seances.models import DemiJournee, EtatSeance

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


def _effectifs(emargements) -> dict:
    """(participation id or None, half-day) → the signature in force (corrections win)."""
    corriges = {e.corrige_id for e in emargements if e.corrige_id}
    return {(e.participation_id, e.demi_journee): e for e in emargements if e.pk not in corriges}


def _url(fichier, medias: list[str]) -> str:
    if not fichier:
        return ""
    medias.append(fichier.name)
    return f"/media/{fichier.name}"


def _lignes_emargement(seance, participation, signatures: dict, medias: list[str]) -> list:
    """One line per half-day of the séance: the bénéficiaire's signature or "absent"."""
    lignes = []
    for demi_journee in seance.demi_journees():
        beneficiaire = signatures.get((participation.pk, demi_journee))
        animateur = signatures.get((None, demi_journee))
        lignes.append(
            {
                "date": _iso(seance.date),
                "demi_journee": DemiJournee(demi_journee).label,
                "intitule": seance.type_seance.libelle,
                "horaires": f"{seance.heure_debut:%H:%M} – {seance.heure_fin:%H:%M}",
                "signature_url": _url(beneficiaire.image if beneficiaire else None, medias),
                "signe_le": _iso(beneficiaire.signe_le) if beneficiaire else "",
                "absent": beneficiaire is None,
                "presence": participation.get_presence_display(),
                "animateur": animateur.signataire if animateur else _texte(seance.animateur),
                "signature_animateur_url": _url(animateur.image if animateur else None, medias),
            }
        )
    return lignes


def _seances(dossier: Dossier, medias: list[str]) -> tuple[list[dict], dict, list[dict]]:
    """The dossier's séances, the séances' indicators, and its émargement lines."""
    from seances import selectors
    from seances.models import Emargement

    participations = list(
        selectors.participations_du_dossier(dossier).select_related("seance__type_seance")
    )
    total = selectors.indicateurs_du_dossier(dossier, participations)["total"]
    emargements = list(
        Emargement.objects.filter(seance__in=[p.seance_id for p in participations])
        .filter(Q(participation__dossier=dossier) | Q(participation__isnull=True))
        .order_by("pk")
    )
    signatures_par_seance: dict[int, list] = {}
    for emargement in emargements:
        signatures_par_seance.setdefault(emargement.seance_id, []).append(emargement)
    seances, lignes = [], []
    for participation in participations:
        seance = participation.seance
        seances.append(
            {
                "date": _iso(seance.date),
                "debut": f"{seance.heure_debut:%H:%M}",
                "fin": f"{seance.heure_fin:%H:%M}",
                "duree_heures": _texte(heures(seance.duree_minutes)),
                "intitule": seance.type_seance.libelle,
                "etat": seance.get_etat_display(),
                "presence": participation.get_presence_display(),
            }
        )
        if seance.etat == EtatSeance.ANNULEE:
            continue
        signatures = _effectifs(signatures_par_seance.get(seance.pk, []))
        lignes += _lignes_emargement(seance, participation, signatures, medias)
    presence = {
        "heures_realisees": _texte(total.heures_realisees),
        "heures_seances_prevues": _texte(total.heures_prevues),
        "taux_presence": _texte(total.taux_presence),
        "taux_realisation": _texte(total.taux_realisation),
        "taux_reussite": _texte(total.taux_reussite),
    }
    return seances, presence, lignes


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
    medias: list[str] = []
    seances, presence, emargements = _seances(dossier, medias)
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
        "emargements": emargements,
        "indicateurs": {
            **presence,
            "heures_prevues": _texte(dossier.heures_prevues or prestation.duree_prevue_heures),
            "duree_jours": dossier.duree_jours(),
            "nb_objectifs": len(objectifs),
        },
        "convention": {},
        "date_document": _iso(timezone.localdate()),
        # Media files this document may show (signature images): the renderer's allow-list.
        "medias": medias,
    }
    for nom, fonction in _sources.items():
        contexte[nom] = fonction(dossier)
    return contexte


def contexte_seance(seance) -> dict:
    """The feuille d'émargement of one séance (collective or not): one table per half-day,
    one line per participant, signature image or "absent"."""
    from seances.models import Emargement

    medias: list[str] = []
    participations = list(
        seance.participations.select_related(
            "dossier__beneficiaire", "dossier__prestation"
        ).order_by("dossier__beneficiaire__nom", "dossier__beneficiaire__prenom", "pk")
    )
    signatures = _effectifs(list(Emargement.objects.filter(seance=seance).order_by("pk")))
    demi_journees = []
    for demi_journee in seance.demi_journees():
        animateur = signatures.get((None, demi_journee))
        lignes = []
        for participation in participations:
            signature = signatures.get((participation.pk, demi_journee))
            beneficiaire = participation.dossier.beneficiaire
            lignes.append(
                {
                    "nom": beneficiaire.nom,
                    "prenom": beneficiaire.prenom,
                    "presence": participation.get_presence_display(),
                    "absent": signature is None,
                    "signature_url": _url(signature.image if signature else None, medias),
                }
            )
        demi_journees.append(
            {
                "libelle": DemiJournee(demi_journee).label,
                "lignes": lignes,
                "signature_animateur_url": _url(animateur.image if animateur else None, medias),
            }
        )
    prestation = participations[0].dossier.prestation if participations else None
    return {
        "seance": {
            "intitule": seance.type_seance.libelle,
            "collective": seance.type_seance.collective,
            "date": _iso(seance.date),
            "horaires": f"{seance.heure_debut:%H:%M} – {seance.heure_fin:%H:%M}",
            "duree_heures": _texte(heures(seance.duree_minutes)),
            "lieu": seance.lieu,
            "animateur": _texte(seance.animateur.get_full_name() or seance.animateur.username)
            if seance.animateur_id
            else "",
            "etat": seance.get_etat_display(),
        },
        "prestation": {"nom": prestation.nom if prestation else ""},
        "demi_journees": demi_journees,
        "date_document": _iso(timezone.localdate()),
        "medias": medias,
    }
