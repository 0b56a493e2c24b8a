"""The preview ("Cet événement va : …") follows the date as well as the type."""

from django.urls import reverse

from tests.conftest import jours


def apercu(client, dossier, **parametres):
    reponse = client.get(
        reverse("evenements:nouveau", args=[dossier.pk]), parametres, headers={"HX-Request": "true"}
    )
    return reponse.content.decode()


def test_date_du_jour_l_email_au_financeur_part(client, alice, dossier, types, aujourd_hui):
    client.force_login(alice)
    page = apercu(client, dossier, type_evenement=types["entree"].pk, date=aujourd_hui)
    assert f"envoyer un e-mail au financeur {dossier.financeur}" in page
    assert "Ne sera pas fait" not in page


def test_date_anterieure_l_email_au_financeur_ne_part_pas(
    client, alice, dossier, types, aujourd_hui
):
    client.force_login(alice)
    page = apercu(client, dossier, type_evenement=types["entree"].pk, date=aujourd_hui - jours(10))
    assert (
        f"Ne sera pas fait : envoyer un e-mail au financeur {dossier.financeur} "
        "(le jour de l&#x27;événement) — saisie a posteriori"
    ) in page
    # Within the tolerated delay (2 days for the built-in entry notice) it still goes.
    page = apercu(client, dossier, type_evenement=types["entree"].pk, date=aujourd_hui - jours(2))
    assert "Ne sera pas fait" not in page


def test_date_future_dit_que_l_evenement_est_planifie(client, alice, dossier, types, aujourd_hui):
    client.force_login(alice)
    date = aujourd_hui + jours(7)
    page = apercu(client, dossier, type_evenement=types["entree"].pk, date=date)
    assert f"ses effets s'appliqueront le {date:%d/%m/%Y}" in page


def test_date_illisible_garde_l_apercu_du_jour(client, alice, dossier, types):
    client.force_login(alice)
    page = apercu(client, dossier, type_evenement=types["entree"].pk, date="32/13/2020")
    assert "Cet événement va : passer le dossier en « En cours »" in page


def test_le_champ_date_rafraichit_l_apercu_sans_jeton_csrf(client, alice, dossier, types):
    client.force_login(alice)
    page = apercu(client, dossier, type_evenement=types["entree"].pk)
    assert 'hx-target="#apercu"' in page and 'hx-select="#apercu"' in page
    assert "hx-include=\"#formulaire-evenement [name='type_evenement']\"" in page
