"""Search in the dossiers list: accents, case, e-mail and external identifier, on both
databases (the normalised column behaves the same on SQLite and PostgreSQL)."""

import pytest
from django.apps import apps
from django.urls import reverse

from dossiers.models import Beneficiaire
from dossiers.recherche import normaliser
from tests.factories import BeneficiaireFactory, DossierFactory


@pytest.mark.parametrize(
    ("texte", "attendu"),
    [
        ("Amélie", "amelie"),
        ("  FRANÇOIS   Lefèvre ", "francois lefevre"),
        ("Œdipe Ærø", "oedipe aero"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_normaliser(texte, attendu):
    assert normaliser(texte) == attendu


@pytest.fixture
def trois(equipe_a):
    return {
        "amelie": DossierFactory(
            equipe=equipe_a,
            beneficiaire=BeneficiaireFactory(
                prenom="Amélie", nom="Lefèvre", email="a.lefevre@exemple.org"
            ),
        ),
        "francois": DossierFactory(
            equipe=equipe_a,
            beneficiaire=BeneficiaireFactory(
                prenom="François",
                nom="Dupont",
                email="fd@exemple.org",
                identifiant_externe="FT-12345X",
            ),
        ),
        "autre": DossierFactory(
            equipe=equipe_a,
            beneficiaire=BeneficiaireFactory(prenom="Zoé", nom="Martin", email="z@exemple.org"),
        ),
    }


@pytest.mark.parametrize(
    ("q", "trouves"),
    [
        ("amelie", {"amelie"}),
        ("AMÉLIE", {"amelie"}),
        ("lefevre", {"amelie"}),
        ("Francois", {"francois"}),
        ("françois dupont", {"francois"}),
        ("ft-12345x", {"francois"}),
        ("fd@exemple", {"francois"}),
        ("exemple.org", {"amelie", "francois", "autre"}),
        ("amelie dupont", set()),
        ("100%", set()),
    ],
)
def test_recherche_insensible_aux_accents_et_a_la_casse(client, alice, trois, q, trouves):
    client.force_login(alice)
    page = client.get(reverse("dossiers:liste"), {"q": q}).context["page"]
    assert {cle for cle, d in trois.items() if d in page} == trouves


def test_la_recherche_suit_les_modifications(alice, trois):
    beneficiaire = trois["autre"].beneficiaire
    beneficiaire.nom = "Çelik"
    beneficiaire.save(update_fields=["nom"])
    assert "celik" in Beneficiaire.objects.get(pk=beneficiaire.pk).recherche


def test_la_recherche_ne_sort_pas_de_mes_equipes(client, alice, trois, equipe_b):
    DossierFactory(equipe=equipe_b, beneficiaire=BeneficiaireFactory(prenom="Amélie", nom="B"))
    client.force_login(alice)
    page = client.get(reverse("dossiers:liste"), {"q": "amelie"}).context["page"]
    assert list(page) == [trois["amelie"]]


def test_migration_remplit_la_colonne_des_lignes_existantes(trois):
    Beneficiaire.objects.update(recherche="")
    from importlib import import_module

    migration = import_module("dossiers.migrations.0007_recherche_edition_historique")
    migration.remplir(apps, None)
    recherche = Beneficiaire.objects.get(prenom="Amélie").recherche
    assert recherche == "lefevre amelie a.lefevre@exemple.org"
