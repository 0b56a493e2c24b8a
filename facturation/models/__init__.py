from facturation.models.conventions import Convention, ModaliteEcheance
from facturation.models.echeances import EtatEcheance, Echeance, FinancementDossier
from facturation.models.factures import (
    Affectation,
    Compteur,
    EtatFacture,
    Facture,
    LigneFacture,
    Reglement,
)
from facturation.models.actions import BlocageFacturation, DeblocageEcheances, GenerationEcheances

__all__ = [
    "Affectation",
    "BlocageFacturation",
    "Compteur",
    "Convention",
    "DeblocageEcheances",
    "Echeance",
    "EtatEcheance",
    "EtatFacture",
    "Facture",
    "FinancementDossier",
    "GenerationEcheances",
    "LigneFacture",
    "ModaliteEcheance",
    "Reglement",
]
