"""The Documents tab in a real browser: preview, generate, download; another team's 404."""

from playwright.sync_api import expect
from pypdf import PdfReader

from documents.models import Document


def test_generer_un_bilan_apercu_telechargement_et_404_ailleurs(
    page, connecter, alice, charlie, dossier, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    connecter("alice")
    page.goto(f"/dossiers/{dossier.pk}/documents/")
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    page.get_by_label("Modèle de document").select_option(label="Bilan de synthèse")
    page.get_by_role("button", name="Aperçu").click()
    cadre = page.frame_locator("iframe.apercu-document")
    expect(cadre.get_by_text("Bilan de synthèse")).to_be_visible()
    expect(cadre.get_by_text(dossier.beneficiaire.prenom).first).to_be_visible()
    assert not Document.objects.exists()  # the preview saved nothing

    page.get_by_role("button", name="Générer").click()
    expect(page.get_by_text("Document généré : Bilan de synthèse")).to_be_visible()
    ligne = page.locator("#documents tbody tr").first
    document = Document.objects.get()
    expect(ligne).to_contain_text(document.sha256)
    expect(ligne).to_contain_text("v1")

    with page.expect_download() as telechargement:
        ligne.get_by_role("link", name="Télécharger").click()
    chemin = telechargement.value.path()
    assert telechargement.value.suggested_filename == document.nom_fichier
    texte = PdfReader(chemin).pages[0].extract_text()
    assert "BILAN DE SYNTHÈSE" in texte and dossier.beneficiaire.nom in texte

    page.get_by_role("button", name="Se déconnecter").click()
    connecter("charlie")
    for url in (f"/documents/{document.pk}/telecharger/", f"/dossiers/{dossier.pk}/documents/"):
        reponse = page.goto(url)
        assert reponse.status == 404, url
