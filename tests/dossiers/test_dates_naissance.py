"""Birth dates: a plausible window (1900 → 14 years ago by default), checked by the model
field's validator, hence by every ModelForm, the admin and full_clean()."""

import datetime

import pytest
from django.urls import reverse

from dossiers.dates import decaler_annees
from dossiers.models import Beneficiaire
from tests.factories import PrestationFactory


def creer(client, alice, equipe_a, date_naissance):
    client.force_login(alice)
    return client.post(
        reverse("dossiers:nouveau"),
        {
            "prestation": PrestationFactory().pk,
            "equipe": equipe_a.pk,
            "referent": alice.pk,
            "b-nom": "Martin",
            "b-prenom": "Léa",
            "b-date_naissance": date_naissance,
        },
    )


@pytest.mark.parametrize("date", ["1800-05-17", "0001-01-01", "9999-12-31", "futur", "13 ans"])
def test_date_de_naissance_invraisemblable(client, alice, equipe_a, aujourd_hui, date):
    date = {
        "futur": f"{aujourd_hui + datetime.timedelta(days=1):%Y-%m-%d}",
        "13 ans": f"{decaler_annees(aujourd_hui, -13):%Y-%m-%d}",
    }.get(date, date)
    reponse = creer(client, alice, equipe_a, date)
    assert reponse.status_code == 200
    erreurs = reponse.context["form_beneficiaire"].errors["date_naissance"]
    assert erreurs[0].startswith("Date de naissance invraisemblable : elle doit être comprise")
    assert not Beneficiaire.objects.exists()


def test_quatorze_ans_tout_juste(client, alice, equipe_a, aujourd_hui):
    reponse = creer(client, alice, equipe_a, f"{decaler_annees(aujourd_hui, -14):%Y-%m-%d}")
    assert reponse.status_code == 302


def test_dans_l_admin(client, administrateur):
    client.force_login(administrateur)
    reponse = client.post(
        "/admin/dossiers/beneficiaire/add/",
        {"nom": "Martin", "prenom": "Léa", "date_naissance": "01/01/1850"},
    )
    assert reponse.status_code == 200
    assert "Date de naissance invraisemblable" in reponse.content.decode()
