"""Séance services: planning, validation, cancellation, correction, exit rules, indicators."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

from dossiers.models import Dossier, Statut
from evenements.models import EtatAction
from evenements.services import enregistrer_evenement
from seances import indicateurs, services
from seances.models import (
    EtatSeance,
    IndicateursFinaux,
    JetonEmargement,
    MotifAnnulation,
    Objectif,
    Presence,
)
from seances.selectors import indicateurs_du_dossier
from seances.services import SaisiePresence
from tests.conftest import jours

H = datetime.time


def test_seance_collective_un_seul_enregistrement_plusieurs_participants(
    planifier, dossier, autre_dossier, aujourd_hui
):
    seance = planifier([dossier, autre_dossier], aujourd_hui)
    assert seance.etat == EtatSeance.PREVUE and seance.duree_minutes == 180
    assert {p.dossier_id for p in seance.participations.all()} == {dossier.pk, autre_dossier.pk}
    assert seance.history.first().history_change_reason == "Création"


def test_fin_avant_debut_refusee_sans_rien_enregistrer(planifier, dossier, aujourd_hui):
    with pytest.raises(ValidationError) as exc:
        planifier([dossier], aujourd_hui, debut=H(14), fin=H(13))
    assert exc.value.message_dict["heure_fin"] == [
        "L'heure de fin doit être après l'heure de début."
    ]
    assert not dossier.participations.exists()


def test_type_d_une_autre_prestation_refuse(planifier, dossier, aujourd_hui, charlie):
    from tests.factories import TypeSeanceFactory

    ailleurs = TypeSeanceFactory()
    with pytest.raises(ValidationError) as exc:
        planifier([dossier], aujourd_hui, type_seance=ailleurs)
    assert "ne relève pas de la prestation" in exc.value.message_dict["dossiers"][0]


def test_dossier_d_une_autre_equipe_interdit(planifier, dossier, aujourd_hui, charlie):
    with pytest.raises(PermissionDenied):
        planifier([dossier], aujourd_hui, par=charlie, animateur=charlie)


def test_chevauchements_signales_pas_refuses(planifier, dossier, autre_dossier, aujourd_hui):
    planifier([dossier], aujourd_hui, debut=H(9), fin=H(11))
    resultat = services.creer_seance(
        type_seance=dossier.prestation.types_seance.get(),
        date=aujourd_hui,
        heure_debut=H(10),
        heure_fin=H(12),
        animateur=dossier.referent,
        dossiers=[autre_dossier],
        par=dossier.referent,
        lieu="Salle 2",
    )
    assert resultat.seance.pk
    assert any("L'animateur a déjà une séance en même temps" in a for a in resultat.avertissements)


def test_participant_deja_pris_signale(planifier, dossier, aujourd_hui, bob):
    planifier([dossier], aujourd_hui, debut=H(9), fin=H(11))
    seance = planifier([dossier], aujourd_hui, debut=H(10), fin=H(12), animateur=bob)
    from seances.selectors import avertissements_de

    assert any("Un participant a déjà une séance" in a for a in avertissements_de(seance))


def test_valider_avec_un_absent_et_un_retard(
    planifier, valider, dossier, autre_dossier, aujourd_hui
):
    seance = planifier([dossier, autre_dossier], aujourd_hui)
    valider(
        seance,
        **{f"d{dossier.pk}": (Presence.PRESENT, 20, 10), f"d{autre_dossier.pk}": "absent_justifie"},
    )
    seance.refresh_from_db()
    assert seance.etat == EtatSeance.REALISEE and seance.validee_par == dossier.referent
    total = indicateurs_du_dossier(dossier)["total"]
    assert (total.minutes_realisees, total.minutes_attendues) == (150, 180)
    assert total.taux_presence == 83
    assert indicateurs_du_dossier(autre_dossier)["total"].taux_presence == 0


def test_seance_future_ne_se_valide_pas(planifier, valider, dossier, aujourd_hui):
    seance = planifier([dossier], aujourd_hui + jours(2))
    with pytest.raises(ValidationError, match="n'a pas encore eu lieu"):
        valider(seance)
    seance.refresh_from_db()
    assert seance.etat == EtatSeance.PREVUE


def test_presence_manquante_refusee_en_francais(planifier, dossier, autre_dossier, aujourd_hui):
    seance = planifier([dossier, autre_dossier], aujourd_hui)
    premiere = seance.participations.get(dossier=dossier)
    with pytest.raises(ValidationError) as exc:
        services.valider_seance(
            seance=seance,
            par=dossier.referent,
            presences={premiere.pk: SaisiePresence(Presence.PRESENT)},
        )
    assert any("Indiquez la présence" in m for m in exc.value.messages)
    premiere.refresh_from_db()
    assert premiere.presence == ""  # nothing half-saved


def test_retard_plus_long_que_la_seance_refuse(planifier, valider, dossier, aujourd_hui):
    seance = planifier([dossier], aujourd_hui, debut=H(9), fin=H(10))
    with pytest.raises(ValidationError, match="dépassent la durée de la séance"):
        valider(seance, **{f"d{dossier.pk}": (Presence.PRESENT, 40, 30)})


def test_presence_sur_seance_annulee_refusee(planifier, valider, dossier, aujourd_hui, alice):
    seance = planifier([dossier], aujourd_hui)
    services.annuler_seance(
        seance=seance, par=alice, motif=MotifAnnulation.objects.get(code="report")
    )
    with pytest.raises(ValidationError, match="annulée : on ne peut pas y saisir de présences"):
        valider(seance)


def test_annulation_demande_un_motif(planifier, dossier, aujourd_hui, alice):
    seance = planifier([dossier], aujourd_hui)
    with pytest.raises(ValidationError) as exc:
        services.annuler_seance(seance=seance, par=alice, motif=None)
    assert exc.value.message_dict["motif"] == ["Choisissez le motif de l'annulation."]
    services.annuler_seance(
        seance=seance, par=alice, motif=MotifAnnulation.objects.get(code="report")
    )
    seance.refresh_from_db()
    assert seance.etat == EtatSeance.ANNULEE and seance.motif_annulation.code == "report"
    assert indicateurs_du_dossier(dossier)["total"].minutes_prevues == 0


def test_validation_en_masse_des_seances_passees(planifier, dossier, aujourd_hui, alice):
    passees = [planifier([dossier], aujourd_hui - jours(n)) for n in (3, 2)]
    future = planifier([dossier], aujourd_hui + jours(1))
    faits, refus = services.valider_en_masse(seances=[*passees, future], par=alice)
    assert len(faits) == 2 and len(refus) == 1 and "pas encore eu lieu" in refus[0]
    assert indicateurs_du_dossier(dossier)["total"].heures_realisees == 6


def test_correction_reservee_a_l_animateur_ou_au_responsable(
    planifier, valider, dossier, aujourd_hui, bob, rose, alice
):
    seance = planifier([dossier], aujourd_hui)
    valider(seance)
    participation = seance.participations.get()
    absent = {participation.pk: SaisiePresence(Presence.ABSENT_NON_JUSTIFIE)}
    with pytest.raises(PermissionDenied):
        services.corriger_seance(seance=seance, par=bob, raison="Erreur", presences=absent)
    with pytest.raises(ValidationError) as exc:
        services.corriger_seance(seance=seance, par=rose, raison=" ", presences=absent)
    assert exc.value.message_dict["raison"] == ["Indiquez la raison de la correction."]
    services.corriger_seance(
        seance=seance, par=rose, raison="Feuille papier relue", presences=absent
    )
    participation.refresh_from_db()
    assert participation.presence == Presence.ABSENT_NON_JUSTIFIE
    revision = participation.history.first()
    assert revision.history_change_reason == "Correction : Feuille papier relue"
    assert revision.history_user == rose
    assert participation.history.count() == 3  # created, validated, corrected


def test_premiere_seance_propose_l_entree_sans_l_enregistrer(
    planifier, valider, dossier, aujourd_hui, alice
):
    seance = planifier([dossier], aujourd_hui - jours(4))
    resultat = valider(seance)
    assert resultat.entrees_proposees == [dossier]
    dossier.refresh_from_db()
    assert dossier.statut == Statut.A_VENIR  # never silent
    services.enregistrer_entree(dossier=dossier, seance=seance, par=alice)
    dossier.refresh_from_db()
    assert dossier.statut == Statut.EN_COURS and dossier.date_entree == seance.date
    deuxieme = planifier([dossier], aujourd_hui - jours(2))
    assert valider(deuxieme).entrees_proposees == []


def test_seance_hors_parcours_signalee(planifier, dossier, types, alice, aujourd_hui):
    enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui
    )
    avant = planifier([dossier], aujourd_hui - jours(5))
    from seances.selectors import avertissements_de

    assert any("hors parcours" in a and "avant l'entrée" in a for a in avertissements_de(avant))


def test_apres_une_sortie_les_seances_futures_sont_proposees_a_l_annulation(
    planifier, dossier, autre_dossier, types, alice, aujourd_hui, motif_abandon
):
    enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(9)
    )
    individuelle = planifier([dossier], aujourd_hui + jours(3))
    collective = planifier([dossier, autre_dossier], aujourd_hui + jours(4))
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["abandon"],
        auteur=alice,
        date=aujourd_hui,
        motif=motif_abandon,
    )
    dossier.refresh_from_db()
    from seances.selectors import participations_du_dossier, seances_non_realisees

    proposees = seances_non_realisees(dossier, list(participations_du_dossier(dossier)))
    assert {s.pk for s in proposees} == {individuelle.pk, collective.pk}
    individuelle.refresh_from_db()
    assert individuelle.etat == EtatSeance.PREVUE  # cancelling is the user's decision
    services.retirer_des_seances_non_realisees(dossier=dossier, seances=proposees, par=alice)
    individuelle.refresh_from_db()
    assert individuelle.etat == EtatSeance.ANNULEE
    assert individuelle.motif_annulation.libelle == "Séance non réalisée : fin du parcours"
    collective.refresh_from_db()
    assert collective.etat == EtatSeance.PREVUE  # the others still attend
    assert [p.dossier_id for p in collective.participations.all()] == [autre_dossier.pk]


def test_taux_de_reussite_selon_les_objectifs_valides(dossier, types, alice, aujourd_hui):
    for libelle in ("CV à jour", "Projet validé", "Candidatures envoyées", "Entretiens"):
        Objectif.objects.create(prestation=dossier.prestation, libelle=libelle)
    enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(9)
    )
    for jour in (5, 2, 1):
        enregistrer_evenement(
            dossier=dossier,
            type_evenement=types["validation-etape"],
            auteur=alice,
            date=aujourd_hui - jours(jour),
            valeurs={"etape": f"Étape {jour}"},
        )
    total = indicateurs_du_dossier(dossier)["total"]
    assert (total.objectifs_valides, total.objectifs_prevus, total.taux_reussite) == (3, 4, 75)


def test_calcul_final_fige_a_la_sortie_et_correction_visible(
    planifier, valider, dossier, types, alice, rose, aujourd_hui, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enregistrer_evenement(
            dossier=dossier,
            type_evenement=types["entree"],
            auteur=alice,
            date=aujourd_hui - jours(9),
        )
    seance = planifier([dossier], aujourd_hui - jours(2))
    valider(seance)
    with django_capture_on_commit_callbacks(execute=True):
        sortie = enregistrer_evenement(
            dossier=dossier, type_evenement=types["sortie-positive"], auteur=alice
        )
    action = sortie.actions.get(configuration__nature="calcul_final")
    assert action.etat == EtatAction.EXECUTEE
    assert action.resultat.startswith("Heures réalisées : 3,00 h sur 3,00 h prévues")
    finaux = IndicateursFinaux.objects.get(action=action)
    assert finaux.valeurs["minutes_realisees"] == 180 and finaux.valeurs["taux_presence"] == 100
    # a correction after the exit: the frozen values stay, the difference shows
    participation = seance.participations.get()
    services.corriger_seance(
        seance=seance,
        par=rose,
        raison="Arrivé en retard",
        presences={participation.pk: SaisiePresence(Presence.PRESENT, 60, 0)},
    )
    donnees = indicateurs_du_dossier(Dossier.objects.get(pk=dossier.pk))
    finaux.refresh_from_db()
    assert finaux.valeurs["minutes_realisees"] == 180
    assert ("Minutes réalisées (bénéficiaire)", 180, 120) in donnees["finaux"]["differences"]
    assert ("Taux de présence (%)", 100, 67) in donnees["finaux"]["differences"]


@pytest.mark.django_db
def test_sql_et_python_donnent_les_memes_chiffres(
    planifier, valider, dossier, autre_dossier, autonomie, preparation, aujourd_hui, alice
):
    a = planifier([dossier, autre_dossier], aujourd_hui - jours(3))
    valider(a, **{f"d{dossier.pk}": (Presence.PRESENT, 15, 5), f"d{autre_dossier.pk}": "excuse"})
    b = planifier([dossier], aujourd_hui - jours(1), type_seance=autonomie)
    valider(b)
    planifier([dossier], aujourd_hui, type_seance=preparation)
    planifier([autre_dossier], aujourd_hui + jours(2))
    c = planifier([dossier], aujourd_hui + jours(5))
    services.annuler_seance(seance=c, par=alice, motif=MotifAnnulation.objects.get(code="autre"))
    Objectif.objects.create(prestation=dossier.prestation, libelle="Un objectif")
    dossiers = Dossier.objects.filter(Q(pk=dossier.pk) | Q(pk=autre_dossier.pk))
    totaux = indicateurs.totaux_dossiers(dossiers)
    for d in (dossier, autre_dossier):
        assert totaux[d.pk] == indicateurs_du_dossier(d)["total"]
    assert totaux[dossier.pk].minutes_realisees == 160 + 180


def test_lien_exige_une_seance_validee(planifier, dossier, aujourd_hui, alice):
    seance = planifier([dossier], aujourd_hui)
    with pytest.raises(ValidationError, match="qu'après sa validation"):
        services.envoyer_lien(
            participation=seance.participations.get(),
            demi_journee="matin",
            canal="email",
            par=alice,
        )
    assert not JetonEmargement.objects.exists()
