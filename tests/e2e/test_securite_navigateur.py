"""What only a browser shows: HTML validation, the Content-Security-Policy, page width."""

import pytest
from playwright.sync_api import expect

from dossiers.models import Dossier
from evenements.services import enregistrer_evenement
from notifications.models import Envoi
from tests.e2e.test_parcours_evenements import choisir_type, ouvrir_evenements
from tests.factories import PrestationFactory


@pytest.fixture
def violations(page):
    """Console errors the browser raises for the Content-Security-Policy."""
    trouvees = []
    page.on(
        "console",
        lambda m: (
            trouvees.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    return trouvees


def test_nouveau_dossier_pour_un_beneficiaire_existant(page, connecter, alice, dossier):
    autre = PrestationFactory(nom="Bilan de compétences")
    connecter("alice")
    page.get_by_role("link", name="Nouveau dossier").click()
    expect(page.locator("#id_b-nom")).to_be_visible()
    page.get_by_label("Bénéficiaire existant").select_option(label=str(dossier.beneficiaire))
    expect(page.locator("#id_b-nom")).to_be_hidden()  # nothing to fill in there
    page.get_by_label("Prestation").select_option(label="Bilan de compétences")
    page.get_by_role("button", name="Créer le dossier").click()

    expect(page.get_by_text(f"Dossier de {dossier.beneficiaire} créé.")).to_be_visible()
    nouveau = Dossier.objects.get(prestation=autre)
    assert nouveau.beneficiaire == dossier.beneficiaire
    assert nouveau.equipe == dossier.equipe  # the only team of alice, preselected
    assert page.url.endswith(f"/dossiers/{nouveau.pk}/")


def test_nouveau_dossier_sans_beneficiaire_explique_ce_qui_manque(page, connecter, alice):
    PrestationFactory(nom="Bilan de compétences")
    connecter("alice")
    page.goto("/dossiers/nouveau/")
    page.get_by_label("Prestation").select_option(label="Bilan de compétences")
    page.get_by_role("button", name="Créer le dossier").click()
    # The browser lets it through; the server says what is missing, next to the fields.
    expect(page.locator(".errorlist").first).to_contain_text("Ce champ est obligatoire")
    assert not Dossier.objects.exists()


def test_les_pages_fonctionnent_sous_la_csp_sans_violation(
    page, connecter, violations, alice, administrateur, dossier, types
):
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    connecter("alice")
    for url in ("/dossiers/", "/dossiers/nouveau/", f"/dossiers/{dossier.pk}/"):
        page.goto(url)
    page.goto(f"/dossiers/{dossier.pk}/envois/")
    ouvrir_evenements(page, dossier)
    page.get_by_role("link", name="Consulter").first.click()
    ouvrir_evenements(page, dossier)
    page.get_by_role("link", name="+ Nouvel événement").click()
    choisir_type(page, "Changement de phase")  # HTMX swaps the form in
    expect(page.get_by_label("Nouvelle phase")).to_be_visible()
    page.goto("/page-qui-n-existe-pas/")
    page.get_by_role("button", name="Se déconnecter").click()

    connecter("admin")
    page.goto("/admin/")
    page.goto("/admin/evenements/typeevenement/")
    page.locator("#result_list").get_by_role("link", name="Changement de phase").click()
    page.get_by_role("button", name="Ajouter un objet Champ supplémentaire").click()  # admin JS
    expect(page.locator("#champs-1")).to_be_visible()  # a new row, under the CSP
    page.goto("/admin/dossiers/dossier/add/")
    page.goto("/admin/evenements/evenement/add/")
    assert violations == []


def test_onglet_envois_sans_message_id_et_sans_debordement(page, connecter, alice, dossier, types):
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    envoi = Envoi.objects.filter(dossier=dossier).first()
    envoi.adresse = "prenom.nom-tres-long-" + "x" * 60 + "@exemple-de-domaine-long.example.org"
    envoi.sujet = "Sujet " + "tres-long-" * 24
    envoi.corps = "Une ligne sans fin : " + "mot-" * 120 + "\nSeconde ligne."
    envoi.identifiant_fournisseur = "<177.20261129.8f3a9c@parcours.example.org>"
    envoi.erreur = "Erreur " + "detail-" * 60
    envoi.save()

    page.set_viewport_size({"width": 1366, "height": 768})
    connecter("alice")
    page.goto(f"/dossiers/{dossier.pk}/envois/")
    page.locator("#envois summary").first.click()  # the message, unfolded
    largeur = page.evaluate("document.documentElement.scrollWidth")
    assert largeur <= 1366
    expect(page.locator("#envois")).not_to_contain_text("parcours.example.org>")
    expect(page.locator("#envois")).not_to_contain_text("177.20261129")
