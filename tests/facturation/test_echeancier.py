"""Conventions, the dossier's échéancier, and the events that release or block it."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from evenements.apercu import apercu_du_type
from evenements.models import ActionDeclenchee, EtatAction
from facturation import echeancier
from facturation.models import Echeance, EtatEcheance
from tests.conftest import jours
from tests.facturation.conftest import creer_convention, financeur_facturable


def etats(dossier):
    return [
        (e.libelle.split(" (")[0], e.montant, e.etat)
        for e in Echeance.objects.filter(dossier=dossier).order_by("financement", "ordre", "pk")
    ]


def test_modalites_qui_ne_font_pas_100_pourcent_sont_refusees():
    regle = echeancier.Regle
    with pytest.raises(ValidationError) as exc:
        echeancier.verifier_modalites(
            "forfait",
            D("2800"),
            [
                regle("Entrée", "evenement", D("30"), None),
                regle("Sortie", "fin_parcours", D("60"), None),
            ],
        )
    assert exc.value.messages == [
        "Les modalités totalisent 90 % du forfait (2 800,00 €) : elles doivent totaliser 100 %."
    ]
    echeancier.verifier_modalites(
        "forfait",
        D("2800"),
        [
            regle("Entrée", "evenement", D("30"), None),
            regle("Sortie", "fin_parcours", None, D("1960")),
        ],
    )


def test_taux_horaire_exige_une_modalite_mensuelle():
    with pytest.raises(ValidationError, match="modalité mensuelle"):
        echeancier.verifier_modalites(
            "taux_horaire", D("18"), [echeancier.Regle("Entrée", "evenement", D("100"), None)]
        )


def test_lier_genere_l_echeancier(dossier, convention, gestionnaire):
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    assert etats(dossier) == [
        ("Entrée", D("840.00"), EtatEcheance.PREVUE),
        ("Validation d'étape", D("1120.00"), EtatEcheance.PREVUE),
        ("Fin de parcours", D("840.00"), EtatEcheance.PREVUE),
    ]
    revision = Echeance.history.filter(dossier_id=dossier.pk).first()
    assert revision.history_user == gestionnaire
    assert revision.history_change_reason == "Génération de l'échéancier"


def test_convention_d_un_autre_financeur_refusee(dossier, convention, gestionnaire, types):
    autre = creer_convention(financeur_facturable(), dossier.prestation, types)
    with pytest.raises(ValidationError) as exc:
        echeancier.lier_convention(dossier=dossier, convention=autre, par=gestionnaire)
    assert "pas du financeur du dossier" in exc.value.message_dict["convention"][0]
    assert not dossier.financements.exists()


def test_dossier_hors_periode_refuse(dossier, financeur, types, gestionnaire, saisir):
    dossier.financeur = dossier.financeur_initial = financeur
    dossier.save()
    saisir(dossier, "entree", date=timezone.localdate() - jours(400))
    convention = creer_convention(financeur, dossier.prestation, types)
    dossier.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    assert "sort de la période de la convention" in exc.value.message_dict["convention"][0]


def test_prestation_non_couverte_refusee(dossier, financeur, types, gestionnaire):
    dossier.financeur = dossier.financeur_initial = financeur
    dossier.save()
    from tests.factories import PrestationFactory

    convention = creer_convention(financeur, PrestationFactory(), types)
    with pytest.raises(ValidationError, match="ne couvre pas la prestation"):
        echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)


def test_cofinancement_parts(dossier, convention, types, gestionnaire):
    conseil = creer_convention(financeur_facturable(), dossier.prestation, types)
    echeancier.lier_convention(
        dossier=dossier, convention=convention, par=gestionnaire, part=D("60")
    )
    echeancier.lier_convention(dossier=dossier, convention=conseil, par=gestionnaire, part=D("40"))
    montants = [e.montant for e in Echeance.objects.filter(dossier=dossier, ordre=1)]
    assert sorted(montants) == [D("336.00"), D("504.00")]
    troisieme = creer_convention(financeur_facturable(), dossier.prestation, types)
    with pytest.raises(ValidationError) as exc:
        echeancier.lier_convention(
            dossier=dossier, convention=troisieme, par=gestionnaire, part=D("10")
        )
    assert exc.value.message_dict["part"] == [
        "Les parts des financeurs totaliseraient 110 % : 100 % au plus."
    ]


def test_entree_puis_validation_debloquent_les_bonnes_echeances(
    dossier, convention, gestionnaire, saisir
):
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    entree = saisir(dossier, "entree")
    assert [e[2] for e in etats(dossier)] == ["a_facturer", "prevue", "prevue"]
    action = entree.actions.get(configuration__nature="debloquer_echeances")
    assert action.etat == EtatAction.EXECUTEE
    assert action.resultat == "Échéances débloquées : « Entrée (30 %) » : 840,00 €"
    echeance = Echeance.objects.get(dossier=dossier, ordre=1)
    assert echeance.evenement == entree
    saisir(dossier, "validation-etape", valeurs={"etape": "Projet validé"})
    assert [e[2] for e in etats(dossier)] == ["a_facturer", "a_facturer", "prevue"]
    saisir(dossier, "sortie-positive")
    assert [e[2] for e in etats(dossier)] == ["a_facturer"] * 3


def test_deux_validations_debloquent_deux_echeances_l_une_apres_l_autre(
    dossier, financeur, types, gestionnaire, saisir
):
    dossier.financeur = dossier.financeur_initial = financeur
    dossier.save()
    convention = creer_convention(
        financeur,
        dossier.prestation,
        types,
        tarification="par_etape",
        prix="1500",
        modalites=[
            ("Étape 1", None, "500", "evenement", types["validation-etape"], None),
            ("Étape 2", None, "1000", "evenement", types["validation-etape"], None),
        ],
    )
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree")
    saisir(dossier, "validation-etape", valeurs={"etape": "Un"})
    assert [e[2] for e in etats(dossier)] == ["a_facturer", "prevue"]
    saisir(dossier, "validation-etape", valeurs={"etape": "Deux"})
    assert [(e[1], e[2]) for e in etats(dossier)] == [
        (D("500.00"), "a_facturer"),
        (D("1000.00"), "a_facturer"),
    ]


def test_changement_de_phase_vers_une_phase_donnee(dossier, financeur, types, gestionnaire, saisir):
    dossier.financeur = dossier.financeur_initial = financeur
    dossier.save()
    phases = list(dossier.prestation.phases.all())
    convention = creer_convention(
        financeur,
        dossier.prestation,
        types,
        modalites=[
            ("Consolidation", "50", None, "evenement", types["changement-phase"], phases[2]),
            ("Fin", "50", None, "fin_parcours", None, None),
        ],
    )
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree")
    saisir(dossier, "changement-phase", valeurs={"nouvelle_phase": phases[1].pk})
    assert [e[2] for e in etats(dossier)] == ["prevue", "prevue"]
    saisir(dossier, "changement-phase", valeurs={"nouvelle_phase": phases[2].pk})
    assert [e[2] for e in etats(dossier)] == ["a_facturer", "prevue"]


def test_apercu_montre_le_montant(dossier, convention, gestionnaire, types):
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    effets = apercu_du_type(types["entree"], dossier).effets
    assert "débloquer l'échéance de 30 % : 840,00 €" in effets
    apercu = apercu_du_type(types["abandon"], dossier)
    assert (
        "bloquer 3 échéance(s) prévue(s) (2 800,00 €) et facturer le réalisé selon la convention"
        in apercu.effets
    )


def test_abandon_bloque_le_reste_et_calcule_le_realise_au_prorata(
    dossier, convention, gestionnaire, saisir, heures_faites, motif_abandon
):
    dossier.heures_prevues = D("120")
    dossier.save()
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree", date=timezone.localdate() - jours(30))
    heures_faites[dossier.pk] = D("60")  # 50 % of 2 800 € = 1 400 €, 840 € already released
    abandon = saisir(dossier, "abandon", motif=motif_abandon)
    assert etats(dossier) == [
        ("Entrée", D("840.00"), "a_facturer"),
        ("Validation d'étape", D("1120.00"), "bloquee"),
        ("Fin de parcours", D("840.00"), "bloquee"),
        (
            "Réalisé à l'interruption : 60 h / 120 h — Facturer le réalisé, au prorata des heures",
            D("560.00"),
            "a_facturer",
        ),
    ]
    bloquee = Echeance.objects.get(dossier=dossier, ordre=2)
    assert bloquee.evenement == abandon
    assert bloquee.raison == f"Abandon du {abandon.date:%d/%m/%Y}"
    action = abandon.actions.get(configuration__nature="bloquer_facturation")
    assert (
        action.resultat
        == "Facturation bloquée : 2 échéance(s) bloquée(s), réalisé à facturer : 560,00 €."
    )


@pytest.mark.parametrize(
    ("faites", "realise"), [("12", "0.00"), ("60", "560.00"), ("100", "1960.00")]
)
def test_rupture_regle_cpf(
    dossier, financeur, types, gestionnaire, saisir, heures_faites, faites, realise
):
    dossier.financeur = dossier.financeur_initial = financeur
    dossier.heures_prevues = D("120")
    dossier.save()
    convention = creer_convention(financeur, dossier.prestation, types, regle="cpf")
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree")
    heures_faites[dossier.pk] = D(faites)  # 10 % → 25 % = 700 € < 840 € released: nothing more
    saisir(dossier, "rupture")
    realises = Echeance.objects.filter(dossier=dossier, realise=True)
    assert sum((e.montant for e in realises), D("0.00")) == D(realise)


def test_regle_rien_de_plus(
    dossier, financeur, types, gestionnaire, saisir, heures_faites, motif_abandon
):
    dossier.financeur = dossier.financeur_initial = financeur
    dossier.save()
    convention = creer_convention(financeur, dossier.prestation, types, regle="rien")
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree")
    heures_faites[dossier.pk] = D("100")
    saisir(dossier, "abandon", motif=motif_abandon)
    assert not Echeance.objects.filter(dossier=dossier, realise=True).exists()
    assert [e[2] for e in etats(dossier)] == ["a_facturer", "bloquee", "bloquee"]


def test_taux_horaire_mensuel(dossier, financeur, types, gestionnaire, saisir, heures_faites):
    dossier.financeur = dossier.financeur_initial = financeur
    dossier.save()
    debut = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    debut = debut.replace(day=1)  # first day of last month
    convention = creer_convention(
        financeur,
        dossier.prestation,
        types,
        tarification="taux_horaire",
        prix="18.50",
        modalites=[("Heures du mois", None, None, "mensuel", None, None)],
    )
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree", date=debut + jours(3))
    heures_faites[dossier.pk] = lambda d, du, au: D("10") if du == debut else D("4")
    assert echeancier.generer_mensuelles() == 1
    assert echeancier.generer_mensuelles() == 0  # idempotent
    mensuelle = Echeance.objects.get(dossier=dossier)
    assert (mensuelle.montant, mensuelle.heures, mensuelle.etat) == (
        D("185.00"),
        D("10"),
        "a_facturer",
    )
    saisir(dossier, "sortie-positive")  # the last, partial month is due at the exit
    assert [e.montant for e in Echeance.objects.filter(dossier=dossier).order_by("mois")] == [
        D("185.00"),
        D("74.00"),
    ]


def test_dossier_sans_convention_aucune_action_de_facturation(dossier, saisir, types):
    assert not any("échéance" in effet for effet in apercu_du_type(types["entree"], dossier).effets)
    entree = saisir(dossier, "entree")
    assert set(entree.actions.values_list("configuration__nature", flat=True)) == {"notification"}


def test_supprimer_la_validation_propose_de_rebloquer(
    dossier, convention, gestionnaire, saisir, rose, django_capture_on_commit_callbacks
):
    from evenements import pipeline
    from evenements.services import supprimer_evenement

    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree")
    validation = saisir(dossier, "validation-etape", valeurs={"etape": "Projet"})
    with django_capture_on_commit_callbacks(execute=True):
        supprimer_evenement(evenement=validation, par=rose, raison="Saisie sur le mauvais dossier")
    action = validation.actions.get(configuration__nature="debloquer_echeances")
    assert action.etat == EtatAction.A_REVOIR
    assert action.compensation == (
        "Corriger la facturation : rebloquer « Validation d'étape (40 %) » (1 120,00 €), "
        "qui redevient prévue"
    )
    # Nothing changed until someone confirms.
    assert Echeance.objects.get(dossier=dossier, ordre=2).etat == "a_facturer"
    with django_capture_on_commit_callbacks(execute=True):
        correction = pipeline.compenser(action=action, par=rose)
    correction.refresh_from_db()
    assert correction.etat == EtatAction.EXECUTEE
    assert Echeance.objects.get(dossier=dossier, ordre=2).etat == "prevue"
    assert "de nouveau prévue" in correction.resultat


def test_corriger_un_abandon_rouvre_les_echeances(
    dossier,
    convention,
    gestionnaire,
    saisir,
    rose,
    heures_faites,
    motif_abandon,
    django_capture_on_commit_callbacks,
):
    from evenements import pipeline
    from evenements.services import supprimer_evenement

    dossier.heures_prevues = D("120")
    dossier.save()
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    saisir(dossier, "entree")
    heures_faites[dossier.pk] = D("60")
    abandon = saisir(dossier, "abandon", motif=motif_abandon)
    with django_capture_on_commit_callbacks(execute=True):
        supprimer_evenement(evenement=abandon, par=rose, raison="Erreur")
    action = ActionDeclenchee.objects.get(
        evenement=abandon, configuration__nature="bloquer_facturation"
    )
    assert "annuler « Réalisé à l'interruption" in action.compensation
    assert "(560,00 €)" in action.compensation
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.compenser(action=action, par=rose)
    assert [e[2] for e in etats(dossier)] == ["a_facturer", "prevue", "prevue", "annulee"]


def test_annuler_une_echeance_non_facturee(dossier, convention, gestionnaire, alice):
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    echeance = Echeance.objects.get(dossier=dossier, ordre=3)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        echeancier.annuler_echeance(echeance=echeance, par=alice, raison="x")
    with pytest.raises(ValidationError) as exc:
        echeancier.annuler_echeance(echeance=echeance, par=gestionnaire, raison=" ")
    assert exc.value.message_dict == {"raison": ["Indiquez la raison de l'annulation."]}
    echeancier.annuler_echeance(echeance=echeance, par=gestionnaire, raison="Refus du financeur")
    echeance.refresh_from_db()
    assert (echeance.etat, echeance.raison) == ("annulee", "Refus du financeur")
    with pytest.raises(ValidationError, match="seule une échéance non facturée"):
        echeancier.annuler_echeance(echeance=echeance, par=gestionnaire, raison="encore")
