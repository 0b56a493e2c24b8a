"""The seller's identity and legal mentions, frozen on each invoice at validation.

They come from documents.Organisation (the provider's settings page, in the admin); an
optional `PARCOURS_ORGANISATION` dict in settings overrides them field by field (tests).
"""

from django.conf import settings

CHAMPS = (
    "raison_sociale",
    "siret",
    "numero_tva",
    "numero_declaration_activite",
    "adresse",
    "code_postal",
    "ville",
    "exoneree_tva",
    "conditions_paiement_jours",
    "iban",
    "bic",
)
DEFAUT = {
    "raison_sociale": "Organisme de formation",
    "siret": "",
    "numero_tva": "",
    "numero_declaration_activite": "",
    "adresse": "",
    "code_postal": "",
    "ville": "",
    "exoneree_tva": True,
    "conditions_paiement_jours": 30,
    "iban": "",
    "bic": "",
}


def vendeur() -> dict:
    from documents.models import Organisation

    donnees = dict(DEFAUT)
    organisation = Organisation.courante()
    for champ in CHAMPS:
        if hasattr(organisation, champ):
            donnees[champ] = getattr(organisation, champ)
    donnees.update(getattr(settings, "PARCOURS_ORGANISATION", {}) or {})
    donnees["conditions_paiement_jours"] = int(donnees["conditions_paiement_jours"] or 0)
    donnees["exoneree_tva"] = bool(donnees["exoneree_tva"])
    return {champ: donnees[champ] for champ in CHAMPS}


def manques_vendeur(donnees: dict) -> list[str]:
    manques = [
        libelle
        for champ, libelle in (
            ("siret", "le SIRET"),
            ("adresse", "l'adresse"),
            ("code_postal", "le code postal"),
            ("ville", "la ville"),
        )
        if not donnees.get(champ)
    ]
    if not donnees.get("numero_tva"):
        # EN 16931 (BR-S-02, BR-E-02): even an exempt seller states its VAT number.
        manques.append("le numéro de TVA intracommunautaire")
    return manques
