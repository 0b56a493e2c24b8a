"""What only PostgreSQL enforces: column lengths and NUL bytes, through the real views."""

import pytest
from django.db import connection
from django.urls import reverse

from dossiers.models import Beneficiaire, Dossier
from evenements.models import EtatAction, Evenement
from evenements.services import enregistrer_evenement
from notifications.models import Envoi
from tests.conftest import service_absent
from tests.factories import DossierFactory, FinanceurFactory, PrestationFactory


@pytest.fixture(autouse=True)
def postgresql(db):
    if connection.vendor != "postgresql":
        service_absent(
            "ces tests vérifient ce que seul PostgreSQL impose : DATABASE_URL=postgres://"
        )


def email_de_longueur(n: int) -> str:
    domaine = "b" * 63 + "." + "c" * 63 + "."
    local = "a" * 64
    reste = n - len(local) - 1 - len(domaine) - 3
    return f"{local}@{domaine}{'d' * reste}.fr"


def test_nouveau_dossier_aux_longueurs_maximales_puis_notifications(
    client, alice, equipe_a, types, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    email = email_de_longueur(254)
    assert len(email) == 254
    reponse = client.post(
        reverse("dossiers:nouveau"),
        {
            "prestation": PrestationFactory(nom="P" * 200).pk,
            "financeur": FinanceurFactory(raison_sociale="F" * 200).pk,
            "equipe": equipe_a.pk,
            "referent": alice.pk,
            "b-nom": "N" * 120,
            "b-prenom": "É" * 120,
            "b-email": email,
            "b-identifiant_externe": "X" * 60,
            "b-adresse": "rue " * 2000,
            "b-consentement_email": "on",
        },
    )
    assert reponse.status_code == 302, reponse.content.decode()[:2000]
    dossier = Dossier.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reponse = client.post(
            reverse("evenements:nouveau", args=[dossier.pk]),
            {
                "type_evenement": types["entree"].pk,
                "date": f"{dossier.cree_le:%Y-%m-%d}",
                "commentaire": "c" * 20_000,
            },
        )
    assert reponse.status_code == 302
    entree = Evenement.objects.get()
    # subjects and recipients' labels are longer than their columns once rendered: cut, sent
    etats = {str(a.configuration): a.etat for a in entree.actions.all()}
    assert EtatAction.ECHEC not in etats.values()
    assert EtatAction.EXECUTEE in etats.values()
    au_financeur = Envoi.objects.get(adresse=dossier.financeur.emails[0])
    assert len(au_financeur.sujet) == 250 and au_financeur.sujet.endswith("…")
    assert len(Envoi.objects.get(adresse=email).destinataire) == 200


def test_un_caractere_de_trop_est_refuse_en_francais(client, alice, equipe_a):
    client.force_login(alice)
    reponse = client.post(
        reverse("dossiers:nouveau"),
        {
            "prestation": PrestationFactory().pk,
            "equipe": equipe_a.pk,
            "referent": alice.pk,
            "b-nom": "N" * 121,
            "b-prenom": "Léa",
        },
    )
    assert reponse.status_code == 200
    assert "au plus 120 caractères" in reponse.content.decode()
    assert not Beneficiaire.objects.exists()


@pytest.fixture
def entree(dossier, types, rose):
    return enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=rose)


def test_raison_de_modification_maximale(client, rose, entree, types):
    client.force_login(rose)
    url = reverse("evenements:modifier", args=[entree.pk])
    donnees = {
        "type_evenement": types["entree"].pk,
        "date": f"{entree.date:%Y-%m-%d}",
        "commentaire": "Corrigé",
        "version": entree.version,
    }
    trop_longue = client.post(url, {**donnees, "raison": "r" * 501})
    assert trop_longue.status_code == 200
    assert "au plus 500 caractères" in trop_longue.content.decode()
    assert client.post(url, {**donnees, "raison": "r" * 500}).status_code == 302
    assert entree.history.latest().history_change_reason == "r" * 500


def test_raison_de_suppression_maximale(client, rose, entree):
    client.force_login(rose)
    url = reverse("evenements:supprimer", args=[entree.pk])
    trop_longue = client.post(url, {"raison": "r" * 501})
    assert "au plus 500 caractères" in trop_longue.content.decode()
    assert client.post(url, {"raison": "é" * 500}).status_code == 302
    assert entree.history.latest().history_change_reason == "Suppression : " + "é" * 500


def test_raison_maximale_dans_l_admin(client, administrateur, entree, types):
    client.force_login(administrateur)
    reponse = client.post(
        reverse("admin:evenements_evenement_change", args=[entree.pk]),
        {
            "type_evenement": types["entree"].pk,
            "date": f"{entree.date:%d/%m/%Y}",
            "commentaire": "Depuis l'admin",
            "raison": "r" * 500,
            "version_lue": entree.version,
        },
    )
    assert reponse.status_code == 302, reponse.content.decode()[:2000]
    assert entree.history.latest().history_change_reason == "r" * 500


# --- NUL bytes: stripped before any view (config.middleware.SansOctetNul) ---


@pytest.mark.parametrize(
    "url",
    [
        "/admin/dossiers/dossier/?q=%00",
        "/admin/dossiers/dossier/?statut__exact=%00",
        "/admin/dossiers/dossier/?equipe__id__exact=1%00",
        "/admin/dossiers/beneficiaire/?q=Du%00pont",
        "/admin/evenements/evenement/?q=%00&type_evenement__id__exact=%00",
        "/admin/evenements/evenement/?date__gte=%00",
        "/admin/evenements/actiondeclenchee/?q=%00&etat__exact=%00",
        "/admin/notifications/envoi/?q=%00&canal__exact=%00",
        "/admin/autocomplete/?app_label=evenements&model_name=evenement&field_name=dossier"
        "&term=%00",
        "/admin/autocomplete/?app_label=dossiers&model_name=dossier&field_name=beneficiaire"
        "&term=Du%00",
        "/admin/dossiers/dossier/%00/change/",
        "/dossiers/?q=%00&statut=%00&prestation=%00&referent=%00&equipe=%00",
    ],
)
def test_octet_nul_dans_l_admin_et_les_listes(client, administrateur, dossier, url):
    client.force_login(administrateur)
    reponse = client.get(url, follow=True)
    assert reponse.status_code in (200, 404)


def test_octet_nul_dans_une_saisie_est_retire(client, alice, dossier, types):
    client.force_login(alice)
    reponse = client.post(
        reverse("evenements:nouveau", args=[dossier.pk]),
        {
            "type_evenement": types["entree"].pk,
            "date": f"{dossier.cree_le:%Y-%m-%d}",
            "commentaire": "Entrée\x00 confirmée",
        },
    )
    assert reponse.status_code == 302
    assert Evenement.objects.get().commentaire == "Entrée confirmée"


def test_octet_nul_dans_le_cookie_de_session(client, alice):
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    reponse = client.get(reverse("dossiers:liste"))
    assert reponse.status_code == 302  # not logged in: to the login page, not a 500


def test_autre_equipe_reste_invisible_malgre_l_octet_nul(client, charlie, dossier):
    DossierFactory(equipe=charlie.equipes.get())
    client.force_login(charlie)
    page = client.get("/dossiers/?q=%00").content.decode()
    assert str(dossier.beneficiaire) not in page
