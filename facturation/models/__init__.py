from facturation.models.actions import BlocageFacturation, DeblocageEcheances, GenerationEcheances
from facturation.models.conventions import Convention, ModaliteEcheance
from facturation.models.echeances import Echeance, EtatEcheance, FinancementDossier
from facturation.models.factures import (
    Affectation,
    Compteur,
    EtatFacture,
    Facture,
    LigneFacture,
    Reglement,
)

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
