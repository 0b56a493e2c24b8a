"""Revisions of an event (django-simple-history): who changed what, when, why, before → after."""

from dataclasses import dataclass

from django.utils import timezone

from evenements.models import Evenement

CHAMPS_SUIVIS = {
    "type_evenement": "Type d'événement",
    "date": "Date",
    "rang": "Ordre dans la journée",
    "commentaire": "Commentaire",
    "motif": "Motif",
    "valeurs": "Informations complémentaires",
    "supprime_le": "Supprimé le",
    "raison_suppression": "Raison de la suppression",
}


@dataclass
class Revision:
    date: object
    auteur: object
    raison: str
    changements: list[tuple[str, str, str]]


def _texte(historique, champ: str, valeur) -> str:
    if valeur in (None, "", {}):
        return "—"
    if champ in ("type_evenement", "motif"):
        return str(getattr(historique, champ))
    if champ == "date":
        return valeur.strftime("%d/%m/%Y")
    if champ == "supprime_le":
        return timezone.localtime(valeur).strftime("%d/%m/%Y %H:%M")
    if champ == "valeurs":
        return ", ".join(f"{k} : {v}" for k, v in valeur.items())
    return str(valeur)


def revisions(evenement: Evenement) -> list[Revision]:
    enregistrements = list(
        evenement.history.select_related("history_user").order_by("history_date", "history_id")
    )
    resultat = []
    precedent = None
    for h in enregistrements:
        changements = []
        if precedent is not None:
            for champ, libelle in CHAMPS_SUIVIS.items():
                attribut = f"{champ}_id" if champ in ("type_evenement", "motif") else champ
                avant, apres = getattr(precedent, attribut), getattr(h, attribut)
                if avant != apres:
                    changements.append(
                        (libelle, _texte(precedent, champ, avant), _texte(h, champ, apres))
                    )
        resultat.append(
            Revision(
                date=h.history_date,
                auteur=h.history_user,
                raison=h.history_change_reason or "",
                changements=changements,
            )
        )
        precedent = h
    return resultat
