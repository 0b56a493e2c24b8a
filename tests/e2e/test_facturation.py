# ruff: noqa: F811 - the billing fixtures are imported, then requested by name
"""A gestionnaire invoices a financeur's released échéances, validates, downloads the PDF;
the test opens the PDF's embedded Factur-X XML and checks the total."""

import io
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from evenements.services import enregistrer_evenement
from facturation import cii, controles, echeancier
from tests.facturation.conftest import (  # noqa: F401 - fixtures
    convention,
    financeur,
    gestionnaire,
    organisation,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_facturer_valider_telecharger_le_pdf(
    page, connecter, dossier, convention, gestionnaire, types, alice
):
    echeancier.lier_convention(dossier=dossier, convention=convention, par=gestionnaire)
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    enregistrer_evenement(
        dossier=dossier,
        type_evenement=types["validation-etape"],
        auteur=alice,
        valeurs={"etape": "Projet"},
    )
    connecter("gaelle")
    page.get_by_role("link", name="Facturation").click()
    page.get_by_label("Financeur").select_option(label=str(convention.financeur))
    page.get_by_role("button", name="Filtrer").click()
    lignes = page.locator("#echeances tbody tr")
    expect(lignes).to_have_count(2)
    expect(page.locator("#echeances tfoot")).to_contain_text("1 960,00")
    page.get_by_label("Tout sélectionner").check()
    page.get_by_role("button", name="Facturer la sélection").click()
    expect(page.locator("#etat-facture")).to_have_text("Brouillon")
    page.get_by_role("button", name="Valider la facture").click()
    expect(page.get_by_role("status")).to_contain_text("Facture FAC-2026-")
    expect(page.locator("#etat-facture")).to_have_text("Validée")
    with page.expect_download() as telechargement:
        page.get_by_role("link", name="Télécharger le PDF (Factur-X)").click()
    lecteur = PdfReader(io.BytesIO(telechargement.value.path().read_bytes()))
    xml = lecteur.attachments["factur-x.xml"][0]
    assert cii.total_du(xml) == D("1960.00")
    assert controles.verifier(xml) == []
    texte = " ".join(lecteur.pages[0].extract_text().split())
    assert "1 960,00" in texte.replace("\u202f", " ").replace("\xa0", " ")
