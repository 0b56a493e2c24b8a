"""Reference data that events name is protected: deactivated, never deleted.

Deleting a phase, a financeur, a motif or a type would rewrite history (past events would
lose what they name, replays would change). The admin offers no delete; a deactivated value
is no longer offered for new input but is still displayed where it was used.
"""

import re

import pytest
from django.urls import reverse

from dossiers.models import Financeur, Phase, Prestation
from evenements.models import Evenement, Motif, TypeEvenement
from evenements.services import enregistrer_evenement
from tests.conftest import jours
from tests.factories import FinanceurFactory


@pytest.fixture
def en_phase_2(dossier, types, alice, aujourd_hui):
    """The dossier entered, then moved to its second phase."""
    enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(5)
    )
    phase = dossier.prestation.phases.get(ordre=2)
    changement = enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["changement-phase"],
        auteur=alice,
        date=aujourd_hui - jours(3),
        valeurs={"nouvelle_phase": phase.pk},
    )
    return phase, changement


@pytest.mark.parametrize(
    "modele",
    ["dossiers.prestation", "dossiers.financeur", "evenements.typeevenement", "motif"],
)
def test_l_admin_ne_supprime_aucune_donnee_de_reference(
    client, administrateur, dossier, types, motif_abandon, modele
):
    objets = {
        "dossiers.prestation": (dossier.prestation, "admin:dossiers_prestation_delete"),
        "dossiers.financeur": (dossier.financeur, "admin:dossiers_financeur_delete"),
        "evenements.typeevenement": (types["rupture"], "admin:evenements_typeevenement_delete"),
        "motif": (motif_abandon, "admin:evenements_motifabandon_delete"),
    }
    objet, vue = objets[modele]
    client.force_login(administrateur)
    assert client.post(reverse(vue, args=[objet.pk]), {"post": "yes"}).status_code == 403
    assert type(objet).objects.filter(pk=objet.pk).exists()
    # Nor in bulk from the list.
    liste = reverse(vue.replace("_delete", "_changelist"))
    client.post(liste, {"action": "delete_selected", "_selected_action": [objet.pk], "post": "yes"})
    assert type(objet).objects.filter(pk=objet.pk).exists()
    assert "delete_selected" not in client.get(liste).content.decode()


def test_une_phase_ne_se_supprime_pas_depuis_sa_prestation(client, administrateur, dossier):
    client.force_login(administrateur)
    url = reverse("admin:dossiers_prestation_change", args=[dossier.prestation.pk])
    page = client.get(url).content.decode()
    assert "phases-0-DELETE" not in page  # no "Supprimer" box on the inline
    assert "phases-0-actif" in page  # a box to deactivate instead


def test_phase_desactivee_plus_proposee_mais_toujours_affichee(
    client, alice, dossier, types, en_phase_2
):
    phase, changement = en_phase_2
    Phase.objects.filter(pk=phase.pk).update(actif=False)
    client.force_login(alice)

    formulaire = client.get(
        reverse("evenements:nouveau", args=[dossier.pk]),
        {"type_evenement": types["changement-phase"].pk},
    ).content.decode()
    choix = re.search(r'<select name="champ_nouvelle_phase".*?</select>', formulaire, re.S)[0]
    assert f'<option value="{phase.pk}"' not in choix
    assert "Phase de consolidation" in choix  # the active ones still are

    historique = client.get(reverse("evenements:onglet", args=[dossier.pk])).content.decode()
    assert f"Nouvelle phase : {phase.libelle}" in historique.replace("&#x27;", "'")
    dossier.refresh_from_db()
    assert dossier.phase_courante == phase  # the replay did not change

    # Editing that event keeps its (now inactive) phase valid.
    modification = reverse("evenements:modifier", args=[changement.pk])
    page = client.get(modification).content.decode()
    choix = re.search(r'<select name="champ_nouvelle_phase".*?</select>', page, re.S)[0]
    assert f'<option value="{phase.pk}" selected' in choix
    reponse = client.post(
        modification,
        {
            "type_evenement": types["changement-phase"].pk,
            "date": changement.date.isoformat(),
            "commentaire": "précisé",
            "champ_nouvelle_phase": phase.pk,
            "raison": "Commentaire complété",
            "version": changement.version,
        },
    )
    assert reponse.status_code == 302, reponse.content.decode()[:2000]
    assert Evenement.objects.get(pk=changement.pk).commentaire == "précisé"


def test_phase_desactivee_refusee_par_le_service(dossier, types, alice, en_phase_2, aujourd_hui):
    phase, _ = en_phase_2
    Phase.objects.filter(pk=phase.pk).update(actif=False)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as erreur:
        enregistrer_evenement(
            dossier=dossier,
            type_evenement=types["changement-phase"],
            auteur=alice,
            date=aujourd_hui,
            valeurs={"nouvelle_phase": phase.pk},
        )
    assert "champ_nouvelle_phase" in erreur.value.message_dict


def test_financeur_desactive_plus_propose_mais_toujours_affiche(client, alice, dossier):
    ancien = dossier.financeur
    Financeur.objects.filter(pk=ancien.pk).update(actif=False)
    actif = FinanceurFactory(raison_sociale="Financeur toujours actif")
    client.force_login(alice)
    page = client.get(reverse("dossiers:nouveau")).content.decode()
    assert actif.raison_sociale in page
    assert ancien.raison_sociale not in page
    resume = client.get(reverse("dossiers:resume", args=[dossier.pk])).content.decode()
    assert ancien.raison_sociale in resume


def test_motif_desactive_plus_propose_mais_toujours_affiche(
    client, alice, dossier, types, motif_abandon, en_phase_2, aujourd_hui
):
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["abandon"],
        auteur=alice,
        date=aujourd_hui,
        motif=motif_abandon,
        commentaire="Départ sans préavis.",
    )
    Motif.objects.filter(pk=motif_abandon.pk).update(actif=False)
    client.force_login(alice)
    historique = client.get(reverse("evenements:onglet", args=[dossier.pk])).content.decode()
    assert f"Motif : {motif_abandon.libelle}" in historique
    autre = dossier.__class__.objects.create(
        beneficiaire=dossier.beneficiaire,
        prestation=Prestation.objects.create(nom="Autre", code="autre"),
        equipe=dossier.equipe,
        referent=alice,
    )
    enregistrer_evenement(dossier=autre, type_evenement=types["entree"], auteur=alice)
    formulaire = client.get(
        reverse("evenements:nouveau", args=[autre.pk]), {"type_evenement": types["abandon"].pk}
    ).content.decode()
    assert motif_abandon.libelle not in formulaire
    assert TypeEvenement.objects.get(code="abandon").libelle in formulaire


def test_admin_changement_de_phase_erreur_a_cote_du_champ_puis_enregistre(
    client, administrateur, dossier, types, alice, aujourd_hui
):
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    client.force_login(administrateur)
    url = reverse("admin:evenements_evenement_add")
    donnees = {
        "dossier": dossier.pk,
        "type_evenement": types["changement-phase"].pk,
        "date": aujourd_hui.strftime("%d/%m/%Y"),
        "commentaire": "Depuis l'admin",
    }
    reponse = client.post(url, donnees)
    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert 'name="champ_nouvelle_phase"' in page  # the type's field is now on the form
    assert "errors field-champ_nouvelle_phase" in page  # and the error sits next to it
    assert "errornote" in page and "errorlist nonfield" not in page
    phase = dossier.prestation.phases.get(ordre=3)
    reponse = client.post(url, {**donnees, "champ_nouvelle_phase": phase.pk})
    assert reponse.status_code == 302, reponse.content.decode()[:3000]
    dossier.refresh_from_db()
    assert dossier.phase_courante == phase


def test_admin_motifs_de_la_liste_du_type_seulement(client, administrateur, dossier, types):
    client.force_login(administrateur)
    url = reverse("admin:evenements_evenement_add")
    page = client.get(url).content.decode()
    # Without a type: grouped by list, never one mixed list.
    assert '<optgroup label="Motifs d&#x27;abandon">' in page
    assert '<optgroup label="Motifs de rupture">' in page
    reponse = client.post(
        url, {"dossier": dossier.pk, "type_evenement": types["rupture"].pk, "date": "x"}
    )
    page = reponse.content.decode()
    rupture = Motif.objects.filter(liste="rupture").first()
    abandon = Motif.objects.filter(liste="abandon").first()
    assert f">{rupture.libelle}</option>" in page.replace("&#x27;", "'")
    assert f">{abandon.libelle}</option>" not in page.replace("&#x27;", "'")


def test_champ_desactive_plus_demande_mais_valeurs_conservees(
    client, alice, dossier, types, aujourd_hui
):
    from evenements.models import ChampSupplementaire

    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    ancienne = enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["validation-etape"],
        auteur=alice,
        valeurs={"etape": "CV rédigé"},
    )
    ChampSupplementaire.objects.filter(code="etape").update(actif=False)
    types["validation-etape"].refresh_from_db()
    client.force_login(alice)

    formulaire = client.get(
        reverse("evenements:nouveau", args=[dossier.pk]),
        {"type_evenement": types["validation-etape"].pk},
    ).content.decode()
    assert "champ_etape" not in formulaire
    nouvelle = enregistrer_evenement(  # no longer required
        dossier=dossier, type_evenement=types["validation-etape"], auteur=alice
    )
    assert nouvelle.valeurs == {}

    historique = client.get(reverse("evenements:onglet", args=[dossier.pk])).content.decode()
    assert "Étape ou objectif validé : CV rédigé" in historique.replace("&#x27;", "'")
    edition = client.get(reverse("evenements:modifier", args=[ancienne.pk])).content.decode()
    assert 'name="champ_etape"' in edition and "CV rédigé" in edition


def test_champs_et_notifications_ne_se_suppriment_pas_depuis_le_type(client, administrateur, types):
    client.force_login(administrateur)
    url = reverse("admin:evenements_typeevenement_change", args=[types["entree"].pk])
    page = client.get(url).content.decode()
    assert "champs-0-DELETE" not in page and "actions-0-DELETE" not in page
    assert 'name="actions-0-actif"' in page  # a notification is deactivated instead
