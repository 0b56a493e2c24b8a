# ruff: noqa: F811 - the billing fixtures are imported, then requested by name
"""Billing through the real pipeline: PostgreSQL, Redis and a Celery worker process.

Entrée then Validation d'étape release the right échéances; an Abandon blocks the rest and
bills the réalisé from validated séances; deleting an invoiced Validation d'étape proposes
the avoir once a user confirms the correction.
"""

from decimal import Decimal as D

import pytest

from evenements import pipeline
from evenements.models import ActionDeclenchee, EtatAction
from evenements.services import enregistrer_evenement, supprimer_evenement
from facturation import echeancier, services
from facturation.models import Echeance, Facture
from seances.models import Presence
from tests.conftest import jours
from tests.facturation.conftest import (  # noqa: F401 - fixtures
    convention,
    financeur,
    gestionnaire,
    organisation,
)
from tests.facturation.test_heures import seance_validee
from tests.integration.conftest import attendre

pytestmark = pytest.mark.django_db(transaction=True)


def etats(dossier):
    return list(
        Echeance.objects.filter(dossier=dossier)
        .order_by("ordre", "pk")
        .values_list("etat", flat=True)
    )


def action(evenement, nature):
    return ActionDeclenchee.objects.get(evenement=evenement, configuration__nature=nature)


def fini(evenement, nature):
    return lambda: action(evenement, nature).etat in (EtatAction.EXECUTEE, EtatAction.ECHEC)


def test_entree_validation_abandon_par_le_worker(
    lancer_worker,
    dossier,
    convention,
    gestionnaire,
    types,
    alice,
    motif_abandon,
    aujourd_hui,
):
    lancer_worker()
    dossier.heures_prevues = D("10")
    dossier.save()
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    entree = enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(10)
    )
    attendre(fini(entree, "debloquer_echeances"), message="déblocage de l'entrée non exécuté")
    assert etats(dossier) == ["a_facturer", "prevue", "prevue"]
    validation = enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["validation-etape"],
        auteur=alice,
        valeurs={"etape": "Projet professionnel"},
    )
    attendre(fini(validation, "debloquer_echeances"))
    assert etats(dossier) == ["a_facturer", "a_facturer", "prevue"]
    assert Echeance.objects.get(dossier=dossier, ordre=2).evenement == validation
    for jour in (8, 6, 4):  # 9 h done out of 10 planned: 90 %
        seance_validee(dossier, aujourd_hui - jours(jour), 9, 12, Presence.PRESENT, alice)
    abandon = enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["abandon"],
        auteur=alice,
        motif=motif_abandon,
        commentaire="Ne vient plus depuis deux semaines.",
    )
    attendre(fini(abandon, "bloquer_facturation"))
    assert etats(dossier) == ["a_facturer", "a_facturer", "bloquee", "a_facturer"]
    realise = Echeance.objects.get(dossier=dossier, realise=True)
    # 90 % of 2 800 € = 2 520 €, of which 840 + 1 120 already released.
    assert realise.montant == D("560.00")
    assert action(abandon, "bloquer_facturation").resultat == (
        "Facturation bloquée : 1 échéance(s) bloquée(s), réalisé à facturer : 560,00 €."
    )


def test_supprimer_une_validation_facturee_propose_l_avoir(
    lancer_worker,
    dossier,
    convention,
    gestionnaire,
    types,
    alice,
    rose,
):
    lancer_worker()
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    validation = enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["validation-etape"],
        auteur=alice,
        valeurs={"etape": "Projet"},
    )
    attendre(fini(entree, "debloquer_echeances"))
    attendre(fini(validation, "debloquer_echeances"))
    (brouillon,) = services.facturer(
        echeances=Echeance.objects.filter(dossier=dossier, etat="a_facturer"), par=gestionnaire
    )
    facture = services.valider_facture(facture=brouillon, par=gestionnaire)
    supprimer_evenement(evenement=validation, par=rose, raison="Étape saisie par erreur")
    revoir = action(validation, "debloquer_echeances")
    assert revoir.etat == EtatAction.A_REVOIR
    assert f"proposer un avoir de 1 120,00 € sur {facture.numero}" in revoir.compensation
    correction = pipeline.compenser(action=revoir, par=rose)
    attendre(
        lambda: ActionDeclenchee.objects.get(pk=correction.pk).etat == EtatAction.EXECUTEE,
        message="correction non exécutée par le worker",
    )
    avoir = Facture.objects.get(nature="avoir")
    assert (avoir.etat, avoir.total_ttc, avoir.facture_origine_id) == (
        "brouillon",
        D("1120.00"),
        facture.pk,
    )
