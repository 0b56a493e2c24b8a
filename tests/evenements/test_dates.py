"""Implausible dates are refused by the services, whatever the way in, in French."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dossiers.dates import decaler_annees
from evenements.models import ChampSupplementaire, Evenement, TypeEvenement
from evenements.services import enregistrer_evenement, modifier_evenement


@pytest.fixture
def client_alice(client, alice):
    client.force_login(alice)
    return client


@pytest.mark.parametrize(
    "date",
    [datetime.date(1, 1, 1), datetime.date(1989, 12, 31), datetime.date(9999, 12, 31)],
)
def test_date_d_evenement_hors_fenetre_refusee(dossier, types, alice, date):
    with pytest.raises(ValidationError) as refus:
        enregistrer_evenement(
            dossier=dossier, type_evenement=types["entree"], auteur=alice, date=date
        )
    assert refus.value.message_dict["date"][0].startswith(
        "La date doit être comprise entre le 01/01/1990"
    )
    assert not Evenement.objects.exists()


def test_bornes_de_la_fenetre_acceptees(dossier, types, alice, aujourd_hui):
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["entree"],
        auteur=alice,
        date=datetime.date(1990, 1, 1),
    )
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["sortie-positive"],
        auteur=alice,
        date=decaler_annees(aujourd_hui, 2),
    )
    assert Evenement.objects.count() == 2


def test_fenetre_reglable(settings, dossier, types, alice):
    settings.EVENEMENT_DATE_MIN = datetime.date(2020, 1, 1)
    with pytest.raises(ValidationError, match="01/01/2020"):
        enregistrer_evenement(
            dossier=dossier,
            type_evenement=types["entree"],
            auteur=alice,
            date=datetime.date(2019, 6, 1),
        )


def test_dans_le_formulaire_le_message_est_a_cote_de_la_date(client_alice, dossier, types):
    reponse = client_alice.post(
        reverse("evenements:nouveau", args=[dossier.pk]),
        {"type_evenement": types["entree"].pk, "date": "9999-12-31"},
    )
    assert reponse.status_code == 200
    assert reponse.context["form"].errors["date"][0].startswith("La date doit être comprise")


def test_dans_l_admin_aussi(client, administrateur, dossier, types):
    client.force_login(administrateur)
    reponse = client.post(
        reverse("admin:evenements_evenement_add"),
        {"dossier": dossier.pk, "type_evenement": types["entree"].pk, "date": "01/01/0001"},
    )
    assert reponse.status_code == 200
    assert "La date doit être comprise" in reponse.content.decode()


def test_un_evenement_ancien_reste_modifiable_sans_changer_sa_date(dossier, types, alice, settings):
    entree = enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["entree"],
        auteur=alice,
        date=datetime.date(1995, 3, 1),
    )
    settings.EVENEMENT_DATE_MIN = datetime.date(2000, 1, 1)  # the window moved since
    modifier_evenement(
        evenement=entree,
        par=alice,
        raison="Commentaire",
        type_evenement=types["entree"],
        date=entree.date,
        commentaire="Complété",
    )
    assert Evenement.objects.get(pk=entree.pk).commentaire == "Complété"


def test_champ_date_supplementaire_invraisemblable(dossier, types, alice):
    ChampSupplementaire.objects.create(
        type_evenement=types["validation-etape"], libelle="Échéance", code="echeance", nature="date"
    )
    type_evenement = TypeEvenement.objects.get(code="validation-etape")
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    with pytest.raises(ValidationError) as refus:
        enregistrer_evenement(
            dossier=dossier,
            type_evenement=type_evenement,
            auteur=alice,
            valeurs={"etape": "Objectif 1", "echeance": "9999-01-01"},
        )
    assert "La date doit être comprise" in refus.value.message_dict["champ_echeance"][0]
