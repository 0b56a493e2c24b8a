"""The dossier's "Facturation" tab."""

from dossiers.extensions import Onglet, enregistrer_onglet


def enregistrer() -> None:
    enregistrer_onglet(
        Onglet(
            "facturation",
            "Facturation",
            "facturation:onglet",
            ordre=40,
            permission="facturation.view_echeance",
        )
    )
