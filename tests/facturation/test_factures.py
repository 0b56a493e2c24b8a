"""Invoices, avoirs and règlements through the services: drafts, validation, numbering,
immutability, payments, and the avoir proposed by a correction."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from evenements import pipeline
from evenements.models import ActionDeclenchee, EtatAction
from evenements.services import supprimer_evenement
from facturation import echeancier, services
from facturation.models import Echeance, EtatEcheance, Facture


@pytest.fixture
def debloquees(dossier, convention, gestionnaire, saisir):
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree")
    saisir(dossier, "validation-etape", valeurs={"etape": "Projet"})
    return list(Echeance.objects.filter(dossier=dossier, etat=EtatEcheance.A_FACTURER))


@pytest.fixture
def facture(debloquees, gestionnaire):
    (brouillon,) = services.facturer(echeances=debloquees, par=gestionnaire)
    return services.valider_facture(
        facture=brouillon, par=gestionnaire, aujourd_hui=datetime.date(2026, 11, 2)
    )


def test_facturer_regroupe_par_financeur(debloquees, gestionnaire, financeur):
    (brouillon,) = services.facturer(echeances=debloquees, par=gestionnaire)
    assert brouillon.financeur == financeur
    assert brouillon.numero is None
    assert brouillon.total_ht == D("1960.00")
    assert [ligne.montant_ht for ligne in brouillon.lignes.all()] == [D("840.00"), D("1120.00")]
    assert {e.etat for e in Echeance.objects.filter(pk__in=[e.pk for e in debloquees])} == {
        "facturee"
    }


def test_facturer_deux_fois_est_refuse(debloquees, gestionnaire):
    services.facturer(echeances=debloquees, par=gestionnaire)
    with pytest.raises(ValidationError, match="ne sont plus à facturer"):
        services.facturer(echeances=debloquees, par=gestionnaire)


def test_un_conseiller_ne_facture_pas(debloquees, alice):
    with pytest.raises(PermissionDenied):
        services.facturer(echeances=debloquees, par=alice)


def test_validation_numerote_et_fige(facture, organisation):
    assert facture.numero == "FAC-2026-00001"
    assert facture.etat == "validee"
    assert facture.date_echeance == datetime.date(2026, 12, 2)
    assert facture.vendeur["siret"] == organisation["siret"]
    assert facture.acheteur["siren"] == "130005481"
    assert facture.total_ttc == D("1960.00")  # exempt: no VAT
    assert facture.lignes.first().categorie_tva == "E"


def test_valider_deux_fois_est_refuse(facture, gestionnaire):
    with pytest.raises(ValidationError) as exc:
        services.valider_facture(facture=facture, par=gestionnaire)
    assert exc.value.messages == ["Facture FAC-2026-00001 est déjà validée : rien n'a été changé."]


def test_facture_validee_ne_se_modifie_ni_ne_se_supprime(facture, gestionnaire):
    with pytest.raises(ValidationError, match="ne peut plus être modifiée"):
        services.modifier_brouillon(facture=facture, par=gestionnaire, motif="x")
    with pytest.raises(ValidationError, match="ne se supprime pas"):
        facture.delete()
    with pytest.raises(ValidationError, match="émettez un avoir"):
        services.abandonner_brouillon(facture=facture, par=gestionnaire)
    assert Facture.objects.filter(pk=facture.pk, numero="FAC-2026-00001").exists()


def test_numerotation_sans_trou_par_annee_et_par_nature(facture, gestionnaire, dossier, saisir):
    avoir = services.proposer_avoir(facture=facture, par=gestionnaire, motif="Erreur")
    avoir = services.valider_facture(
        facture=avoir, par=gestionnaire, aujourd_hui=datetime.date(2026, 11, 3)
    )
    assert avoir.numero == "AV-2026-00001"
    saisir(dossier, "sortie-positive")
    echeances = Echeance.objects.filter(dossier=dossier, etat=EtatEcheance.A_FACTURER)
    (suivante,) = services.facturer(echeances=echeances, par=gestionnaire)
    suivante = services.valider_facture(
        facture=suivante, par=gestionnaire, aujourd_hui=datetime.date(2027, 1, 4)
    )
    assert suivante.numero == "FAC-2027-00001"


def test_validation_refusee_sans_siren_du_financeur(debloquees, gestionnaire, financeur):
    financeur.siren = ""
    financeur.save()
    (brouillon,) = services.facturer(echeances=debloquees, par=gestionnaire)
    with pytest.raises(ValidationError) as exc:
        services.valider_facture(facture=brouillon, par=gestionnaire)
    assert exc.value.messages == [
        "Complétez la fiche du financeur Région Auvergne-Rhône-Alpes avant de valider : le SIREN."
    ]
    brouillon.refresh_from_db()
    assert (brouillon.etat, brouillon.numero) == ("brouillon", None)


def test_tva_quand_l_organisme_n_est_pas_exonere(debloquees, gestionnaire, organisation):
    organisation.update(exoneree_tva=False, numero_tva="FR32123456789")
    (brouillon,) = services.facturer(echeances=debloquees, par=gestionnaire)
    facture = services.valider_facture(facture=brouillon, par=gestionnaire)
    assert (facture.total_ht, facture.total_tva, facture.total_ttc) == (
        D("1960.00"),
        D("392.00"),
        D("2352.00"),
    )


def test_abandonner_un_brouillon_rend_les_echeances(debloquees, gestionnaire):
    (brouillon,) = services.facturer(echeances=debloquees, par=gestionnaire)
    services.abandonner_brouillon(facture=brouillon, par=gestionnaire, raison="Doublon")
    assert {e.etat for e in Echeance.objects.filter(pk__in=[e.pk for e in debloquees])} == {
        "a_facturer"
    }


def test_reglements_partiel_puis_total(facture, gestionnaire, financeur):
    services.enregistrer_reglement(
        financeur=financeur,
        date=datetime.date(2026, 11, 20),
        montant=D("1000"),
        affectations=[(facture, D("1000"))],
        par=gestionnaire,
    )
    assert facture.statut_paiement() == "Partiellement payée"
    assert facture.reste_du() == D("960.00")
    assert not Echeance.objects.filter(etat="reglee").exists()
    with pytest.raises(ValidationError) as exc:
        services.enregistrer_reglement(
            financeur=financeur,
            date=datetime.date(2026, 11, 25),
            montant=D("1000"),
            affectations=[(facture, D("1000"))],
            par=gestionnaire,
        )
    assert exc.value.message_dict["affectations"] == [
        "1 000,00 € dépasse le reste dû de FAC-2026-00001 (960,00 €)."
    ]
    services.enregistrer_reglement(
        financeur=financeur,
        date=datetime.date(2026, 11, 25),
        montant=D("960"),
        affectations=[(facture, D("960"))],
        par=gestionnaire,
    )
    assert facture.statut_paiement() == "Payée"
    assert Echeance.objects.filter(etat="reglee").count() == 2


def test_affecter_plus_que_le_reglement_est_refuse(facture, gestionnaire, financeur):
    with pytest.raises(ValidationError) as exc:
        services.enregistrer_reglement(
            financeur=financeur,
            date=datetime.date(2026, 11, 20),
            montant=D("100"),
            affectations=[(facture, D("200"))],
            par=gestionnaire,
        )
    assert "dépassent le règlement" in exc.value.message_dict["montant"][0]


def test_avoir_qui_depasse_la_facture_est_refuse(facture, gestionnaire):
    services.valider_facture(
        facture=services.proposer_avoir(facture=facture, par=gestionnaire, motif="Erreur"),
        par=gestionnaire,
    )
    with pytest.raises(ValidationError, match="dépasse ce qui reste à créditer"):
        services.proposer_avoir(facture=facture, par=gestionnaire, motif="Encore")
    assert facture.statut_paiement() == "Soldée par avoir"


def test_supprimer_une_validation_deja_facturee_propose_l_avoir_exact(
    facture, gestionnaire, rose, dossier, django_capture_on_commit_callbacks
):
    validation = dossier.evenements.get(type_evenement__code="validation-etape")
    with django_capture_on_commit_callbacks(execute=True):
        supprimer_evenement(evenement=validation, par=rose, raison="Étape non validée en fait")
    action = ActionDeclenchee.objects.get(
        evenement=validation, configuration__nature="debloquer_echeances"
    )
    assert action.etat == EtatAction.A_REVOIR
    assert action.compensation == (
        "Corriger la facturation : proposer un avoir de 1 120,00 € sur FAC-2026-00001 "
        "(« Validation d'étape (40 %) »)"
    )
    assert not Facture.objects.filter(nature="avoir").exists()  # nothing until confirmed
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.compenser(action=action, par=rose)
    avoir = Facture.objects.get(nature="avoir")
    assert (avoir.etat, avoir.total_ttc, avoir.facture_origine) == (
        "brouillon",
        D("1120.00"),
        facture,
    )
    services.valider_facture(facture=avoir, par=gestionnaire)
    assert Echeance.objects.get(dossier=dossier, ordre=2).etat == EtatEcheance.PREVUE
    assert facture.reste_du() == D("840.00")


def test_chaque_changement_est_historise(facture, gestionnaire):
    revisions = facture.history.order_by("history_date")
    assert [r.history_change_reason for r in revisions][-1] == "Validée : FAC-2026-00001"
    assert revisions.last().history_user == gestionnaire
