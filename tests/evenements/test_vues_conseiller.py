"""What a caseworker meets on the Événements tab: a closed dossier, the order toggle, actions
only a responsable can handle."""

import pytest
from django.urls import reverse

from evenements.models import EtatAction
from evenements.services import enregistrer_evenement, supprimer_evenement
from tests.conftest import jours


@pytest.fixture
def dossier_termine(dossier, types, alice, aujourd_hui):
    enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(9)
    )
    enregistrer_evenement(
        dossier=dossier, type_evenement=types["sortie-positive"], auteur=alice, date=aujourd_hui
    )
    return dossier


def test_dossier_clos_ne_propose_pas_nouvel_evenement_et_dit_pourquoi(
    client, alice, dossier_termine
):
    client.force_login(alice)
    page = client.get(reverse("evenements:onglet", args=[dossier_termine.pk])).content.decode()
    assert "+ Nouvel événement" not in page
    assert "Ce dossier est « Terminé » : aucun type d&#x27;événement ne peut être saisi" in page
    # The URL typed by hand says the same instead of an empty list.
    page = client.get(reverse("evenements:nouveau", args=[dossier_termine.pk])).content.decode()
    assert "aucun type d&#x27;événement ne peut être saisi" in page
    assert 'name="type_evenement"' not in page


def test_basculer_l_ordre_garde_les_supprimes(client, rose, dossier, types, alice, aujourd_hui):
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    supprimer_evenement(evenement=entree, par=rose, raison="Erreur")
    client.force_login(rose)
    url = reverse("evenements:onglet", args=[dossier.pk])
    page = client.get(url, {"supprimes": "1"}).content.decode()
    assert "Plus anciens d'abord" in page
    assert "Afficher les plus récents d'abord" in page  # labelled with what it does
    assert 'name="supprimes" value="1"' in page
    reponse = client.post(
        reverse("evenements:ordre", args=[dossier.pk]), {"ordre": "desc", "supprimes": "1"}
    )
    assert reponse.url == f"{url}?supprimes=1"
    page = client.get(reponse.url).content.decode()
    assert "Plus récents d'abord" in page and "Erreur" in page
    reponse = client.post(reverse("evenements:ordre", args=[dossier.pk]), {"ordre": "asc"})
    assert reponse.url == url


def test_conseiller_voit_qui_peut_agir_sur_une_action_ignoree(
    client, alice, rose, dossier, types, aujourd_hui
):
    # Entry recorded 10 days late: the financeur's "on the day" e-mail is skipped.
    entree = enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui - jours(10)
    )
    assert entree.actions.filter(etat=EtatAction.IGNOREE).exists()
    client.force_login(alice)
    onglet = client.get(reverse("evenements:onglet", args=[dossier.pk])).content.decode()
    assert "un responsable peut agir" in onglet
    page = client.get(reverse("evenements:detail", args=[entree.pk])).content.decode()
    assert "Exécuter quand même" not in page
    assert "Un responsable peut la faire exécuter quand même" in page
    assert rose.get_full_name() in page
    client.force_login(rose)
    page = client.get(reverse("evenements:detail", args=[entree.pk])).content.decode()
    assert "Exécuter quand même" in page and "un responsable peut" not in page.lower()


def test_conseiller_voit_qui_peut_revoir_une_action_a_revoir(
    client, alice, rose, dossier, types, aujourd_hui, django_capture_on_commit_callbacks
):
    from evenements.services import modifier_evenement

    with django_capture_on_commit_callbacks(execute=True):
        entree = enregistrer_evenement(
            dossier=dossier, type_evenement=types["entree"], auteur=alice
        )
    modifier_evenement(
        evenement=entree,
        par=alice,
        raison="Précision",
        type_evenement=types["entree"],
        date=aujourd_hui,
        commentaire="Objectifs précisés",
    )
    assert entree.actions.filter(etat=EtatAction.A_REVOIR).exists()
    client.force_login(alice)
    page = client.get(reverse("evenements:detail", args=[entree.pk])).content.decode()
    assert "À revoir par un responsable" in page and rose.get_full_name() in page
