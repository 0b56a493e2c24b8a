"""Billing fixtures: the organisation, a financeur with its billing identity, conventions,
a gestionnaire, and hours réalisées set by the test (séances are another app's business)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from facturation import heures
from facturation.models import Convention, ModaliteEcheance
from tests.factories import FinanceurFactory, UtilisateurFactory

ORGANISATION = {
    "raison_sociale": "Parcours Formation SAS",
    "siret": "12345678900012",
    "numero_tva": "FR32123456789",
    "numero_declaration_activite": "84691234569",
    "adresse": "12 rue de la République",
    "code_postal": "69002",
    "ville": "Lyon",
    "exoneree_tva": True,
    "conditions_paiement_jours": 30,
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
}


@pytest.fixture(autouse=True)
def organisation(settings):
    settings.PARCOURS_ORGANISATION = dict(ORGANISATION)
    return settings.PARCOURS_ORGANISATION


@pytest.fixture
def heures_faites(monkeypatch):
    """Hours réalisées per dossier pk: {pk: Decimal} (or a callable (dossier, du, au))."""
    valeurs: dict = {}

    def lire(dossier, du=None, au=None):
        valeur = valeurs.get(dossier.pk, Decimal("0"))
        return Decimal(valeur(dossier, du, au) if callable(valeur) else valeur)

    monkeypatch.setattr(heures, "heures_realisees", lire)
    return valeurs


@pytest.fixture
def gestionnaire():
    return UtilisateurFactory(username="gaelle", groupe="Gestionnaire")


def financeur_facturable(**kwargs):
    defauts = {
        "siren": "130005481",
        "adresse": "101 cours Charlemagne",
        "code_postal": "69002",
        "ville": "Lyon",
    }
    return FinanceurFactory(**{**defauts, **kwargs})


@pytest.fixture
def financeur():
    return financeur_facturable(raison_sociale="Région Auvergne-Rhône-Alpes")


def creer_convention(
    financeur,
    prestation,
    types,
    *,
    tarification="forfait",
    prix="2800",
    modalites=None,
    regle="prorata",
    heures_financees=None,
    debut=None,
):
    debut = debut or timezone.localdate() - datetime.timedelta(days=365)
    convention = Convention.objects.create(
        financeur=financeur,
        numero=f"CONV-{Convention.objects.count() + 1:03d}",
        date_debut=debut,
        date_fin=debut + datetime.timedelta(days=3 * 365),
        tarification=tarification,
        prix=Decimal(prix),
        regle_interruption=regle,
        heures_financees=heures_financees,
    )
    convention.prestations.add(prestation)
    if modalites is None:
        modalites = [
            ("Entrée", "30", None, "evenement", types["entree"], None),
            ("Validation d'étape", "40", None, "evenement", types["validation-etape"], None),
            ("Fin de parcours", "30", None, "fin_parcours", None, None),
        ]
    for ordre, (libelle, part, fixe, declencheur, type_ev, phase) in enumerate(modalites, 1):
        ModaliteEcheance.objects.create(
            convention=convention,
            ordre=ordre,
            libelle=libelle,
            part_pourcentage=Decimal(part) if part else None,
            montant_fixe=Decimal(fixe) if fixe else None,
            declencheur=declencheur,
            type_evenement=type_ev,
            phase=phase,
        )
    return convention


@pytest.fixture
def convention(financeur, dossier, types):
    dossier.financeur = dossier.financeur_initial = financeur
    dossier.save()
    return creer_convention(financeur, dossier.prestation, types)


@pytest.fixture
def saisir(django_capture_on_commit_callbacks, types, alice):
    from evenements.services import enregistrer_evenement

    def saisir(dossier, code, **kwargs):
        if types[code].commentaire_obligatoire:
            kwargs.setdefault("commentaire", "Commentaire détaillé du conseiller.")
        with django_capture_on_commit_callbacks(execute=True):
            return enregistrer_evenement(
                dossier=dossier,
                type_evenement=types[code],
                auteur=kwargs.pop("auteur", alice),
                **kwargs,
            )

    return saisir
