"""Bulk recording from the dossier list: checkboxes, confirmation, summary; rights, team
scope, CSRF, the cap, and a constant number of queries whatever the selection's size."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from dossiers.models import Statut
from evenements.masse import MAXIMUM_PAR_LOT
from evenements.models import Evenement
from tests.conftest import jours
from tests.factories import UtilisateurFactory

URL = reverse("evenements:masse")


@pytest.fixture
def connecte(client, alice):
    client.force_login(alice)
    return client


def _confirmer(client, dossiers, **champs):
    donnees = {"dossiers": [d if isinstance(d, int) else d.pk for d in dossiers]}
    donnees.update({"confirmer": "1", "date": champs.pop("date"), **champs})
    return client.post(URL, donnees)


def test_la_liste_propose_cases_et_enregistrer_l_entree(connecte, dossier):
    page = connecte.get(reverse("dossiers:liste")).content.decode()
    assert f'name="dossiers" value="{dossier.pk}" form="actions-groupees"' in page
    assert "Enregistrer l&#x27;entrée</button>" in page
    assert 'id="tout-cocher" hidden' in page  # revealed by static/dossiers/selection.js
    assert "Tout sélectionner sur cette page" in page
    assert "dossiers/selection.js" in page


def test_tout_selectionner_sans_javascript_coche_toute_la_page(connecte, dossier, nouveau):
    autre = nouveau("Bernard")
    page = connecte.get(reverse("dossiers:liste"), {"tout": "1"}).content.decode()
    for d in (dossier, autre):
        assert re.search(rf'value="{d.pk}" form="actions-groupees"[^>]* checked>', page)
    assert "Tout désélectionner" in page


def test_sans_droit_de_saisie_ni_cases_ni_action(client, dossier):
    gestionnaire = UtilisateurFactory(username="gaston", groupe="Gestionnaire")
    client.force_login(gestionnaire)
    page = client.get(reverse("dossiers:liste")).content.decode()
    assert 'form="actions-groupees"' not in page and "Enregistrer l&#x27;entrée" not in page
    assert client.post(URL, {"dossiers": [dossier.pk]}).status_code == 403
    assert not dossier.evenements.exists()


def test_confirmation_liste_les_dossiers_et_les_refus_previsibles(connecte, lot_mixte, aujourd_hui):
    d = lot_mixte
    reponse = connecte.post(URL, {"dossiers": [d["ok1"].pk, d["deja"].pk, d["clos"].pk]})
    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert "3 dossiers concernés" in page
    assert str(d["ok1"].beneficiaire) in page
    assert "Sera refusé : Entrée déjà enregistrée le" in page
    assert "Sera refusé : Dossier clôturé" in page
    assert "2 dossiers seront refusés" in page
    assert f'value="{aujourd_hui:%Y-%m-%d}"' in page  # today by default
    assert "Événement : <strong>Entrée en prestation</strong>" in page
    assert "Abandon</option>" not in page and "Enregistrer l'entrée</button>" in page
    assert not Evenement.objects.filter(dossier=d["ok1"]).exists()  # nothing yet


def test_get_refuse_et_jeton_csrf_exige(alice, dossier, aujourd_hui):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(URL).status_code == 405
    reponse = client.post(
        URL, {"dossiers": [dossier.pk], "confirmer": "1", "date": f"{aujourd_hui}"}
    )
    assert reponse.status_code == 403
    assert not dossier.evenements.exists()


def test_confirmer_enregistre_puis_montre_le_bilan(connecte, lot_mixte, aujourd_hui):
    d = lot_mixte
    reponse = _confirmer(
        connecte,
        [d["ok1"], d["ok2"], d["deja"], d["autre"]],
        date=f"{aujourd_hui:%Y-%m-%d}",
        type_evenement=_entree(),
        commentaire="Réunion d'information collective",
    )
    assert reponse.status_code == 302
    bilan = connecte.get(reponse["Location"])
    page = bilan.content.decode()
    assert "2 entrées enregistrées, 2 refusées" in page
    assert "Entrée déjà enregistrée le" in page
    # The other team's dossier: its number (the user sent it) and "introuvable", no name.
    assert f"Dossier n° {d['autre'].pk}" in page and "introuvable" in page
    assert "secreta" not in page.lower()
    for dossier in (d["ok1"], d["ok2"]):
        dossier.refresh_from_db()
        assert dossier.statut == Statut.EN_COURS
        evenement = dossier.evenements.get()
        assert reverse("evenements:detail", args=[evenement.pk]) in page
    # Refreshing the summary records nothing twice.
    assert connecte.get(reponse["Location"]).status_code == 200
    assert Evenement.objects.filter(dossier__in=[d["ok1"], d["ok2"]]).count() == 2


def test_bilan_d_un_autre_utilisateur_introuvable(connecte, dossier, aujourd_hui, client, bob):
    reponse = _confirmer(
        connecte, [dossier], date=f"{aujourd_hui:%Y-%m-%d}", type_evenement=_entree()
    )
    autre = Client()
    autre.force_login(bob)
    assert autre.get(reponse["Location"]).status_code == 404


def test_charlie_ne_peut_rien_enregistrer_sur_les_dossiers_de_l_equipe_a(
    client, charlie, lot_mixte, aujourd_hui
):
    client.force_login(charlie)
    d = lot_mixte
    confirmation = client.post(URL, {"dossiers": [d["ok1"].pk, d["ok2"].pk]}).content.decode()
    assert "Arnaud" not in confirmation.upper() and "ARNAUD" not in confirmation
    assert "Sera refusé : Dossier introuvable ou hors de vos équipes." in confirmation
    reponse = _confirmer(
        client, [d["ok1"], d["ok2"]], date=f"{aujourd_hui:%Y-%m-%d}", type_evenement=_entree()
    )
    page = client.get(reponse["Location"]).content.decode()
    assert "Aucune entrée enregistrée, 2 refusées" in page
    assert "ARNAUD" not in page and "BERNARD" not in page
    assert not Evenement.objects.filter(dossier__in=[d["ok1"], d["ok2"]]).exists()


def test_date_refusee_a_cote_du_champ_rien_enregistre(connecte, dossier, aujourd_hui):
    reponse = _confirmer(
        connecte,
        [dossier],
        date=f"{aujourd_hui.year + 50}-01-01",
        type_evenement=_entree(),
    )
    assert reponse.status_code == 200
    page = reponse.content.decode()
    assert re.search(r'<ul class="errorlist" role="alert"><li>La date doit être comprise', page)
    assert not dossier.evenements.exists()


def test_la_liste_n_enregistre_que_des_entrees(connecte, dossier, types, aujourd_hui):
    # A Rupture would close every dossier of the selection: the list's action is Entrée only.
    reponse = _confirmer(
        connecte,
        [dossier],
        date=f"{aujourd_hui:%Y-%m-%d}",
        type_evenement=types["rupture"].pk,
        commentaire="Fin",
    )
    assert reponse.status_code == 200
    assert (
        "Ce type d&#x27;événement ne s&#x27;enregistre pas pour plusieurs dossiers"
        in reponse.content.decode()
    )
    assert not dossier.evenements.exists()


def test_date_a_venir_annoncee_et_bouton_nomme(connecte, dossier, nouveau, types, aujourd_hui):
    autre = nouveau("Bernard")
    futur = aujourd_hui + jours(10)
    page = connecte.post(URL, {"dossiers": [dossier.pk, autre.pk]}).content.decode()
    assert "Enregistrer les 2 entrées</button>" in page
    assert 'id="date-future"' not in page  # today by default
    reponse = _confirmer(connecte, [dossier, autre], date="", type_evenement=_entree())
    assert "Indiquez la date de l&#x27;événement." in reponse.content.decode()
    page = _confirmer(
        connecte, [dossier, autre], date=f"{futur:%Y-%m-%d}", type_evenement=types["rupture"].pk
    ).content.decode()
    assert 'id="date-future"' in page and "appliqués ce jour-là" in page
    reponse = _confirmer(
        connecte, [dossier, autre], date=f"{futur:%Y-%m-%d}", type_evenement=_entree()
    )
    assert reponse.status_code == 302
    page = connecte.post(URL, {"dossiers": [dossier.pk, autre.pk]}).content.decode()
    assert f"Entrée déjà enregistrée pour le {futur:%d/%m/%Y} (à venir)." in page
    assert 'id="rien-a-enregistrer"' in page and 'name="confirmer"' not in page


def test_plus_de_mille_dossiers_message_et_rien_enregistre(connecte, dossier):
    ids = [dossier.pk, *range(10**6, 10**6 + MAXIMUM_PAR_LOT)]
    reponse = connecte.post(URL, {"dossiers": ids}, follow=True)
    page = reponse.content.decode()
    assert "Au plus 1\u202f000 dossiers à la fois : vous en avez sélectionné 1\u202f001." in page
    assert reponse.redirect_chain[-1][0] == reverse("dossiers:liste")
    assert not dossier.evenements.exists()


def test_aucune_case_cochee_message(connecte, dossier):
    reponse = connecte.post(URL, {}, follow=True)
    assert "Sélectionnez au moins un dossier." in reponse.content.decode()


def test_retour_vers_la_liste_filtree_seulement_un_chemin_local(connecte, dossier):
    page = connecte.post(
        URL, {"dossiers": [dossier.pk], "retour": "/dossiers/?statut=a_venir"}
    ).content.decode()
    assert 'href="/dossiers/?statut=a_venir">Annuler' in page
    page = connecte.post(
        URL, {"dossiers": [dossier.pk], "retour": "https://ailleurs.example/"}
    ).content.decode()
    assert "ailleurs.example" not in page


def _entree():
    from evenements.masse import types_entree

    return types_entree().first().pk


def _requetes(client, methode, url, donnees=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as contexte:
        reponse = getattr(client, methode)(url, donnees)
        assert reponse.status_code in (200, 302)
    return len(contexte.captured_queries)


def test_confirmation_et_bilan_en_nombre_de_requetes_constant(
    connecte, nouveau, aujourd_hui, django_assert_num_queries
):
    petits = [nouveau(f"Petit{n}") for n in range(2)]
    grands = [nouveau(f"Grand{n}") for n in range(12)]
    selection = {"dossiers": [d.pk for d in petits]}
    avant = _requetes(connecte, "post", URL, selection)
    with django_assert_num_queries(avant):
        page = connecte.post(URL, {"dossiers": [d.pk for d in grands]}).content.decode()
    assert "12 dossiers concernés" in page

    bilan_petit = _confirmer(
        connecte, petits, date=f"{aujourd_hui:%Y-%m-%d}", type_evenement=_entree()
    )["Location"]
    bilan_grand = _confirmer(
        connecte, grands, date=f"{aujourd_hui:%Y-%m-%d}", type_evenement=_entree()
    )["Location"]
    avant = _requetes(connecte, "get", bilan_petit)
    with django_assert_num_queries(avant):
        page = connecte.get(bilan_grand).content.decode()
    assert "12 entrées enregistrées<" in page
