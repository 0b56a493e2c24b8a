from playwright.sync_api import expect

from tests.factories import UtilisateurFactory


def test_conseiller_se_connecte_voit_les_dossiers_et_se_deconnecte(page, connecter, equipe_a):
    UtilisateurFactory(username="conseiller", groupe="Conseiller", equipes=[equipe_a])
    page.goto("/")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    connecter("conseiller")
    expect(page.get_by_role("heading", name="Dossiers")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté")).to_be_visible()
    page.goto("/dossiers/")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
