"""The "Historique" of a dossier: edits of the dossier and of its bénéficiaire (who, when,
why, before → after), read from django-simple-history."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model

from dossiers.models import Beneficiaire, Dossier, Equipe, Financeur

CHAMPS_DOSSIER = {
    "referent_id": "Référent",
    "financeur_initial_id": "Financeur initial",
    "heures_prevues": "Heures prévues",
    "equipe_id": "Équipe",
}
CHAMPS_BENEFICIAIRE = {
    "civilite": "Civilité",
    "nom": "Nom",
    "prenom": "Prénom",
    "date_naissance": "Date de naissance",
    "email": "E-mail",
    "mobile": "Mobile",
    "adresse": "Adresse",
    "identifiant_externe": "Identifiant externe",
    "consentement_email": "Accepte les e-mails",
    "consentement_sms": "Accepte les SMS",
}


@dataclass
class Modification:
    date: object
    auteur: object
    objet: str  # "Dossier" or "Bénéficiaire"
    raison: str
    changements: list[tuple[str, str, str]]


def _noms(modele, ids):
    ids = {i for i in ids if i is not None}
    return {o.pk: o for o in modele.objects.filter(pk__in=ids)} if ids else {}


def _texte(champ: str, valeur, references: dict) -> str:
    if valeur in (None, ""):
        return "—"
    if champ in references:
        objet = references[champ].get(valeur)
        if objet is None:
            return "—"
        return (objet.get_full_name() or objet.username) if champ == "referent_id" else str(objet)
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, Decimal):
        return f"{valeur.normalize():f}".replace(".", ",")
    if hasattr(valeur, "strftime"):
        return valeur.strftime("%d/%m/%Y")
    if champ == "civilite":
        return dict(Beneficiaire.Civilite.choices).get(valeur, valeur)
    return str(valeur)


def _diff(enregistrements, champs, objet, references) -> list[Modification]:
    resultat, precedent = [], None
    for h in enregistrements:
        if precedent is not None:
            changements = [
                (
                    libelle,
                    _texte(c, getattr(precedent, c), references),
                    _texte(c, getattr(h, c), references),
                )
                for c, libelle in champs.items()
                if getattr(precedent, c) != getattr(h, c)
            ]
            if changements:
                resultat.append(
                    Modification(
                        h.history_date,
                        h.history_user,
                        objet,
                        h.history_change_reason or "",
                        changements,
                    )
                )
        precedent = h
    return resultat


def modifications(dossier: Dossier) -> list[Modification]:
    """Newest first. A constant number of queries, whatever the length of the history."""
    du_dossier = list(
        Dossier.history.filter(id=dossier.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    du_beneficiaire = list(
        Beneficiaire.history.filter(id=dossier.beneficiaire_id)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    references = {
        "referent_id": _noms(get_user_model(), (h.referent_id for h in du_dossier)),
        "financeur_initial_id": _noms(Financeur, (h.financeur_initial_id for h in du_dossier)),
        "equipe_id": _noms(Equipe, (h.equipe_id for h in du_dossier)),
    }
    tout = _diff(du_dossier, CHAMPS_DOSSIER, "Dossier", references) + _diff(
        du_beneficiaire, CHAMPS_BENEFICIAIRE, "Bénéficiaire", references
    )
    return sorted(tout, key=lambda m: m.date, reverse=True)
