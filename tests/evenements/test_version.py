"""Optimistic locking of the edit form: an integer version, so clocks cannot fool it."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from evenements.models import Evenement
from evenements.services import enregistrer_evenement, modifier_evenement, supprimer_evenement


@pytest.fixture
def client_alice(client, alice):
    client.force_login(alice)
    return client


PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def entree(dossier, types, alice, aujourd_hui):
    return enregistrer_evenement(
        dossier=dossier, type_evenement=types["entree"], auteur=alice, date=aujourd_hui
    )


def champs_du_formulaire(page: str) -> dict:
    """What the browser would send back: the hidden version as rendered."""
    (version,) = re.findall(r'name="version" value="([^"]*)"', page)
    return {"version": version}


def donnees(entree, **autres):
    return {
        "type_evenement": entree.type_evenement_id,
        "date": f"{entree.date:%Y-%m-%d}",
        "commentaire": "Corrigé",
        "raison": "Précision",
        **autres,
    }


def test_chaque_ecriture_incremente_la_version(entree, types, alice, rose):
    assert entree.version == 1
    modifier_evenement(
        evenement=entree, par=alice, raison="x", type_evenement=types["entree"], date=entree.date
    )
    assert Evenement.objects.get(pk=entree.pk).version == 2
    supprimer_evenement(evenement=entree, par=rose, raison="Doublon", version=2)
    evenement = Evenement.objects.get(pk=entree.pk)
    assert evenement.version == 3 and evenement.est_supprime
    assert [h.version for h in evenement.history.order_by("history_id")] == [1, 2, 3]


def test_modifiable_pendant_le_changement_d_heure_d_automne(client_alice, entree):
    """02:30 happens twice in Paris on 25/10/2026: an event changed then stays editable."""
    deux_heures_trente_cet = datetime.datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=1)
    Evenement.objects.filter(pk=entree.pk).update(
        cree_le=deux_heures_trente_cet, modifie_le=deux_heures_trente_cet
    )
    url = reverse("evenements:modifier", args=[entree.pk])
    page = client_alice.get(url).content.decode()
    reponse = client_alice.post(url, donnees(entree, **champs_du_formulaire(page)))
    assert reponse.status_code == 302
    assert Evenement.objects.get(pk=entree.pk).commentaire == "Corrigé"


@pytest.mark.parametrize("version", [None, "", "abc", "0", "-1", "1.5", "99999999999"])
def test_version_absente_ou_illisible_est_un_conflit_explicite(client_alice, entree, version):
    envoi = donnees(entree, commentaire="Ne doit pas passer")
    if version is not None:
        envoi["version"] = version
    reponse = client_alice.post(reverse("evenements:modifier", args=[entree.pk]), envoi)
    assert reponse.status_code == 200
    assert "La version de l&#x27;événement manque ou est illisible" in reponse.content.decode()
    assert Evenement.objects.get(pk=entree.pk).commentaire == ""


def test_version_perimee_ou_falsifiee_est_refusee(client, alice, rose, entree):
    url = reverse("evenements:modifier", args=[entree.pk])
    client.force_login(alice)
    formulaire_d_alice = champs_du_formulaire(client.get(url).content.decode())
    client.force_login(rose)
    assert client.post(url, donnees(entree, commentaire="Par Rose", version=1)).status_code == 302
    client.force_login(alice)
    for version in (formulaire_d_alice["version"], "7"):
        reponse = client.post(url, donnees(entree, commentaire="Par Alice", version=version))
        assert reponse.status_code == 200
        page = reponse.content.decode()
        assert "modifié par quelqu&#x27;un d&#x27;autre pendant votre saisie" in page
        assert "Par Alice" in page  # what she typed is still on the page
    assert Evenement.objects.get(pk=entree.pk).commentaire == "Par Rose"


def test_suppression_apres_une_modification_est_refusee(client, alice, rose, entree, types):
    url = reverse("evenements:supprimer", args=[entree.pk])
    client.force_login(rose)
    formulaire = champs_du_formulaire(client.get(url).content.decode())
    modifier_evenement(
        evenement=entree, par=alice, raison="x", type_evenement=types["entree"], date=entree.date
    )
    reponse = client.post(url, {"raison": "Doublon", **formulaire})
    assert "modifié par quelqu&#x27;un d&#x27;autre" in reponse.content.decode()
    assert not Evenement.objects.get(pk=entree.pk).est_supprime
