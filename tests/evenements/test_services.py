"""The seed's rules, through the service functions (the one way in)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dossiers.models import Statut
from evenements.models import Evenement
from evenements.services import (
    appliquer_evenements_echus,
    deplacer_evenement,
    enregistrer_evenement,
    modifier_evenement,
    supprimer_evenement,
)
from tests.conftest import jours
from tests.factories import PrestationFactory


def saisir(dossier, types, code, auteur, date, **kwargs):
    return enregistrer_evenement(
        dossier=dossier, type_evenement=types[code], auteur=auteur, date=date, **kwargs
    )


def frais(dossier):
    dossier.refresh_from_db()
    return dossier


def test_entree_passe_le_dossier_en_cours_et_demarre_la_duree(dossier, types, alice, aujourd_hui):
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(10), commentaire="Objectifs fixés")
    dossier = frais(dossier)
    assert dossier.statut == Statut.EN_COURS
    assert dossier.get_statut_display() == "En cours"
    assert dossier.date_entree == aujourd_hui - jours(10)
    assert dossier.duree_jours(aujourd_hui) == 10
    assert dossier.phase_courante.libelle == "Bilan initial"


def test_date_par_defaut_est_la_date_du_jour(dossier, types, alice, aujourd_hui):
    evenement = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    assert evenement.date == aujourd_hui
    assert not evenement.saisi_a_posteriori and not evenement.planifie


def test_abandon_sans_motif_est_refuse_et_rien_n_est_enregistre(dossier, types, alice, aujourd_hui):
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(5))
    with pytest.raises(ValidationError) as refus:
        saisir(dossier, types, "abandon", alice, aujourd_hui)
    assert "Motif obligatoire" in refus.value.message_dict["motif"][0]
    assert frais(dossier).statut == Statut.EN_COURS
    assert Evenement.objects.filter(dossier=dossier).count() == 1


def test_abandon_avec_motif_arrete_la_duree(dossier, types, alice, aujourd_hui, motif_abandon):
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(30))
    saisir(
        dossier,
        types,
        "abandon",
        alice,
        aujourd_hui - jours(12),
        motif=motif_abandon,
        commentaire="Ne vient plus.",
    )
    dossier = frais(dossier)
    assert dossier.get_statut_display() == "Abandonné"
    assert dossier.date_sortie == aujourd_hui - jours(12)
    assert dossier.duree_jours(aujourd_hui) == 18


def test_motif_d_une_autre_liste_est_refuse(dossier, types, alice, aujourd_hui, motif_rupture):
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(3))
    with pytest.raises(ValidationError) as refus:
        saisir(dossier, types, "abandon", alice, aujourd_hui, motif=motif_rupture)
    assert "motif" in refus.value.message_dict


def test_sortie_positive_passe_en_termine(dossier, types, alice, aujourd_hui):
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(20))
    saisir(dossier, types, "sortie-positive", alice, aujourd_hui - jours(1), commentaire="CDI")
    dossier = frais(dossier)
    assert dossier.get_statut_display() == "Terminé"
    assert dossier.duree_jours(aujourd_hui) == 19


def test_rupture_passe_en_rupture(dossier, types, alice, aujourd_hui, motif_rupture):
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(20))
    saisir(dossier, types, "rupture", alice, aujourd_hui, motif=motif_rupture, commentaire="Arrêt")
    assert frais(dossier).get_statut_display() == "Rupture"


def test_changement_de_phase_change_la_phase_courante(dossier, types, alice, aujourd_hui):
    phases = list(dossier.prestation.phases.all())
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(20))
    saisir(
        dossier,
        types,
        "changement-phase",
        alice,
        aujourd_hui - jours(5),
        valeurs={"nouvelle_phase": phases[2].pk},
    )
    assert frais(dossier).phase_courante == phases[2]


def test_changement_de_phase_sans_nouvelle_phase_est_refuse(dossier, types, alice, aujourd_hui):
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(20))
    with pytest.raises(ValidationError) as refus:
        saisir(dossier, types, "changement-phase", alice, aujourd_hui)
    assert "champ_nouvelle_phase" in refus.value.message_dict


def test_phase_d_une_autre_prestation_est_refusee(dossier, types, alice, aujourd_hui):
    autre = PrestationFactory().phases.first()
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(20))
    with pytest.raises(ValidationError) as refus:
        saisir(
            dossier,
            types,
            "changement-phase",
            alice,
            aujourd_hui,
            valeurs={"nouvelle_phase": autre.pk},
        )
    assert "champ_nouvelle_phase" in refus.value.message_dict


def test_evenement_antidate_avant_un_autre_est_rejoue(dossier, types, alice, aujourd_hui):
    phases = list(dossier.prestation.phases.all())
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(30))
    saisir(
        dossier,
        types,
        "changement-phase",
        alice,
        aujourd_hui - jours(2),
        valeurs={"nouvelle_phase": phases[2].pk},
    )
    tardif = saisir(
        dossier,
        types,
        "changement-phase",
        alice,
        aujourd_hui - jours(10),
        valeurs={"nouvelle_phase": phases[1].pk},
    )
    assert tardif.saisi_a_posteriori
    assert frais(dossier).phase_courante == phases[2]  # the later change still wins


def test_deux_entrees_sont_refusees_en_nommant_la_premiere(dossier, types, alice, aujourd_hui):
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(10))
    with pytest.raises(ValidationError) as refus:
        saisir(dossier, types, "entree", alice, aujourd_hui - jours(3))
    message = refus.value.message_dict["date"][0]
    assert "« Entrée en prestation »" in message
    assert f"depuis « Entrée en prestation » du {aujourd_hui - jours(10):%d/%m/%Y}" in message


def test_sortie_datee_avant_l_entree_est_refusee(dossier, types, alice, aujourd_hui):
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(10))
    with pytest.raises(ValidationError) as refus:
        saisir(dossier, types, "sortie-positive", alice, aujourd_hui - jours(15))
    assert "aucune entrée enregistrée avant" in refus.value.message_dict["date"][0]
    assert frais(dossier).statut == Statut.EN_COURS


def test_supprimer_l_entree_d_un_dossier_sorti_est_refuse(dossier, types, alice, rose, aujourd_hui):
    entree = saisir(dossier, types, "entree", alice, aujourd_hui - jours(10))
    saisir(dossier, types, "sortie-positive", alice, aujourd_hui - jours(1))
    with pytest.raises(ValidationError) as refus:
        supprimer_evenement(evenement=entree, par=rose, raison="Erreur")
    assert "« Sortie positive »" in refus.value.messages[0]
    assert not Evenement.objects.get(pk=entree.pk).est_supprime


def test_suppression_exige_une_raison_et_garde_la_trace(dossier, types, alice, rose, aujourd_hui):
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(10))
    sortie = saisir(dossier, types, "sortie-positive", alice, aujourd_hui - jours(1))
    with pytest.raises(ValidationError):
        supprimer_evenement(evenement=sortie, par=rose, raison="  ")
    supprimer_evenement(evenement=sortie, par=rose, raison="Saisie sur le mauvais dossier")
    sortie = Evenement.objects.get(pk=sortie.pk)  # still there: legal record
    assert sortie.est_supprime and sortie.supprime_par == rose
    assert sortie.raison_suppression == "Saisie sur le mauvais dossier"
    assert frais(dossier).statut == Statut.EN_COURS and frais(dossier).date_sortie is None
    derniere = sortie.history.latest()
    assert derniere.history_user == rose
    assert derniere.history_change_reason == "Suppression : Saisie sur le mauvais dossier"


def test_un_conseiller_ne_peut_pas_supprimer(dossier, types, alice, aujourd_hui):
    entree = saisir(dossier, types, "entree", alice, aujourd_hui)
    with pytest.raises(PermissionDenied):
        supprimer_evenement(evenement=entree, par=alice, raison="Je veux")


def test_modifier_la_date_rejoue_et_trace_la_revision(dossier, types, alice, aujourd_hui):
    entree = saisir(dossier, types, "entree", alice, aujourd_hui - jours(10))
    modifier_evenement(
        evenement=entree,
        par=alice,
        raison="Date corrigée d'après la feuille d'émargement",
        type_evenement=types["entree"],
        date=aujourd_hui - jours(12),
    )
    assert frais(dossier).date_entree == aujourd_hui - jours(12)
    entree.refresh_from_db()
    assert entree.est_modifie and entree.modifie_par == alice
    revision = entree.history.latest()
    assert revision.history_change_reason == "Date corrigée d'après la feuille d'émargement"
    assert revision.diff_against(revision.prev_record).changed_fields == ["date", "rang"] or (
        "date" in revision.diff_against(revision.prev_record).changed_fields
    )


def test_modifier_sans_raison_est_refuse(dossier, types, alice, aujourd_hui):
    entree = saisir(dossier, types, "entree", alice, aujourd_hui)
    with pytest.raises(ValidationError) as refus:
        modifier_evenement(
            evenement=entree,
            par=alice,
            raison="",
            type_evenement=types["entree"],
            date=aujourd_hui,
        )
    assert "raison" in refus.value.message_dict


def test_modification_concurrente_est_refusee(dossier, types, alice, rose, aujourd_hui):
    entree = saisir(dossier, types, "entree", alice, aujourd_hui - jours(3))
    version_lue = entree.version
    modifier_evenement(
        evenement=entree,
        par=rose,
        raison="Correction",
        type_evenement=types["entree"],
        date=aujourd_hui - jours(4),
    )
    with pytest.raises(ValidationError) as refus:
        modifier_evenement(
            evenement=entree,
            par=alice,
            raison="Autre correction",
            type_evenement=types["entree"],
            date=aujourd_hui - jours(2),
            version=version_lue,
        )
    assert "modifié par quelqu'un d'autre" in refus.value.messages[0]
    assert frais(dossier).date_entree == aujourd_hui - jours(4)


def test_un_conseiller_ne_modifie_que_ses_evenements(dossier, types, alice, bob, rose, aujourd_hui):
    entree = saisir(dossier, types, "entree", alice, aujourd_hui)
    with pytest.raises(PermissionDenied):
        modifier_evenement(
            evenement=entree, par=bob, raison="x", type_evenement=types["entree"], date=aujourd_hui
        )
    modifier_evenement(
        evenement=entree,
        par=rose,
        raison="Relu",
        type_evenement=types["entree"],
        date=aujourd_hui,
        commentaire="Relu par la responsable",
    )
    entree.refresh_from_db()
    assert entree.commentaire == "Relu par la responsable"


def test_conseiller_d_une_autre_equipe_ne_peut_rien_saisir(dossier, types, charlie, aujourd_hui):
    with pytest.raises(PermissionDenied):
        saisir(dossier, types, "entree", charlie, aujourd_hui)
    assert not Evenement.objects.exists()


def test_plusieurs_evenements_le_meme_jour_gardent_leur_ordre(dossier, types, alice, aujourd_hui):
    phases = list(dossier.prestation.phases.all())
    entree = saisir(dossier, types, "entree", alice, aujourd_hui)
    phase = saisir(
        dossier,
        types,
        "changement-phase",
        alice,
        aujourd_hui,
        valeurs={"nouvelle_phase": phases[1].pk},
    )
    validation = saisir(
        dossier, types, "validation-etape", alice, aujourd_hui, valeurs={"etape": "CV à jour"}
    )
    assert [entree.rang, phase.rang, validation.rang] == [1, 2, 3]
    deplacer_evenement(evenement=validation, par=alice, sens="haut")
    ordre = list(dossier.evenements.chronologiques().values_list("pk", flat=True))
    assert ordre == [entree.pk, validation.pk, phase.pk]
    # Moving the phase change before the entry would make the history illegal.
    deplacer_evenement(evenement=phase, par=alice, sens="haut")
    with pytest.raises(ValidationError) as refus:
        deplacer_evenement(evenement=phase, par=alice, sens="haut")
    assert "« Changement de phase »" in refus.value.message_dict["date"][0]
    assert frais(dossier).phase_courante == phases[1]


def test_evenement_futur_est_planifie_puis_applique_a_sa_date(dossier, types, alice, aujourd_hui):
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(10))
    sortie = saisir(dossier, types, "sortie-positive", alice, aujourd_hui + jours(3))
    assert sortie.planifie
    assert frais(dossier).statut == Statut.EN_COURS  # nothing changes before its date
    assert appliquer_evenements_echus(aujourd_hui + jours(2)) == 0
    assert appliquer_evenements_echus(aujourd_hui + jours(3)) == 1
    dossier = frais(dossier)
    assert dossier.statut == Statut.TERMINE and dossier.date_sortie == aujourd_hui + jours(3)
    assert appliquer_evenements_echus(aujourd_hui + jours(3)) == 0  # done once


def test_evenement_futur_illegal_est_refuse_des_maintenant(dossier, types, alice, aujourd_hui):
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(10))
    saisir(dossier, types, "sortie-positive", alice, aujourd_hui + jours(5))
    with pytest.raises(ValidationError):
        saisir(dossier, types, "sortie-positive", alice, aujourd_hui + jours(8))


def test_type_non_propose_pour_la_prestation_est_refuse(dossier, types, alice, aujourd_hui):
    type_entree = types["entree"]
    type_entree.toutes_prestations = False
    type_entree.save()
    type_entree.prestations.set([PrestationFactory()])
    with pytest.raises(ValidationError) as refus:
        saisir(dossier, types, "entree", alice, aujourd_hui)
    assert "n'est pas proposé pour la prestation" in refus.value.message_dict["type_evenement"][0]


def test_abandon_avant_entree_autorise_par_parametrage(
    dossier, types, alice, aujourd_hui, motif_abandon
):
    with pytest.raises(ValidationError):
        saisir(dossier, types, "abandon", alice, aujourd_hui, motif=motif_abandon, commentaire="x")
    types["abandon"].statuts_autorises = ["a_venir", "en_cours"]
    types["abandon"].save()
    saisir(dossier, types, "abandon", alice, aujourd_hui, motif=motif_abandon, commentaire="x")
    dossier = frais(dossier)
    assert dossier.statut == Statut.ABANDONNE and dossier.duree_jours() is None


@pytest.mark.parametrize("code", ["abandon", "rupture"])
def test_abandon_et_rupture_exigent_un_commentaire(
    dossier, types, alice, aujourd_hui, motif_abandon, motif_rupture, code
):
    """The seed: "Ajoutez toujours un commentaire détaillé, surtout pour les abandons et
    ruptures" — on by default (data migration), an administrator may lift it."""
    motif = motif_abandon if code == "abandon" else motif_rupture
    saisir(dossier, types, "entree", alice, aujourd_hui - jours(3))
    with pytest.raises(ValidationError) as refus:
        saisir(dossier, types, code, alice, aujourd_hui, motif=motif, commentaire="  ")
    assert refus.value.message_dict["commentaire"] == [
        f"Le commentaire est obligatoire pour « {types[code]} »."
    ]
    assert frais(dossier).statut == Statut.EN_COURS
    types[code].commentaire_obligatoire = False
    types[code].save()
    saisir(dossier, types, code, alice, aujourd_hui, motif=motif)
    assert not frais(dossier).est_ouvert


def test_migration_rend_le_commentaire_obligatoire(types):
    from django.apps import apps

    from evenements.models import TypeEvenement
    from evenements.referentiel import commentaire_obligatoire

    TypeEvenement.objects.update(commentaire_obligatoire=False)
    commentaire_obligatoire(apps)
    assert set(
        TypeEvenement.objects.filter(commentaire_obligatoire=True).values_list("code", flat=True)
    ) == {"abandon", "rupture"}
