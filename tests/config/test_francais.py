"""French counts and ranks: 0 and 1 are singular, the first is « 1ᵉʳ »."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from evenements.services import enregistrer_evenement


@pytest.mark.parametrize(
    "nombre, attendu", [(0, "0 jour"), (1, "1 jour"), (1.5, "1,5 jour"), (2, "2 jours")]
)
def test_pluriel_a_la_francaise(nombre, attendu):
    assert Template("{{ n }} jour{{ n|pluriel }}").render(Context({"n": nombre})) == attendu


@pytest.mark.parametrize("rang, attendu", [(1, "1ᵉʳ"), (2, "2ᵉ"), (11, "11ᵉ")])
def test_ordinal(rang, attendu):
    assert Template("{{ r|ordinal }}").render(Context({"r": rang})) == attendu


def test_duree_de_zero_jour_et_premier_du_jour(client, alice, dossier, types, aujourd_hui):
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["validation-etape"],
        auteur=alice,
        valeurs={"etape": "CV"},
    )
    client.force_login(alice)
    resume = client.get(reverse("dossiers:resume", args=[dossier.pk])).content.decode()
    assert '<dd id="duree">0 jour</dd>' in resume
    onglet = client.get(reverse("evenements:onglet", args=[dossier.pk])).content.decode()
    assert "1ᵉʳ du jour" in onglet and "2ᵉ du jour" in onglet
    assert "1ᵉ du jour" not in onglet
    liste = client.get(reverse("dossiers:liste")).content.decode()
    assert "<p>1 dossier</p>" in liste
