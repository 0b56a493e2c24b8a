"""Changing the event type refreshes the form without putting anything in a URL."""

from playwright.sync_api import expect

from evenements.services import enregistrer_evenement


def requetes_pendant(page, action) -> list:
    requetes = []

    def noter(requete):
        requetes.append(requete)

    page.on("request", noter)
    action()
    page.wait_for_load_state("networkidle")
    page.remove_listener("request", noter)
    return requetes


def test_changer_de_type_n_envoie_ni_jeton_ni_commentaire_dans_l_url(
    page, connecter, alice, dossier
):
    connecter("alice")
    page.goto(f"/dossiers/{dossier.pk}/evenements/nouveau/")
    page.get_by_label("Commentaire").fill("Situation personnelle délicate")

    def changer():
        with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
            page.get_by_label("Type d'événement").select_option(label="Entrée en prestation")

    requetes = requetes_pendant(page, changer)
    rafraichissement = [r for r in requetes if r.headers.get("hx-request") == "true"]
    assert len(rafraichissement) == 1
    assert rafraichissement[0].method == "POST"
    for requete in requetes:
        assert "csrfmiddlewaretoken" not in requete.url
        assert "Situation" not in requete.url and "?" not in requete.url
    # what was typed survives the refresh, and the type's preview appears
    expect(page.get_by_label("Commentaire")).to_have_value("Situation personnelle délicate")
    expect(page.locator("#apercu")).to_contain_text("passer le dossier en « En cours »")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Événement « Entrée en prestation » enregistré.")).to_be_visible()


def test_sans_javascript_le_bouton_afficher_poste_aussi(
    navigateur, live_server, alice, dossier, types
):
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    contexte = navigateur.new_context(base_url=live_server.url, java_script_enabled=False)
    contexte.set_default_timeout(10_000)
    page = contexte.new_page()
    page.goto("/connexion/")
    page.get_by_label("Identifiant").fill("alice")
    page.get_by_label("Mot de passe").fill("demo")
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"/dossiers/{dossier.pk}/evenements/nouveau/")
    page.get_by_label("Type d'événement").select_option(label="Abandon")
    page.get_by_label("Commentaire").fill("Déménagement")
    with page.expect_request(lambda r: r.method == "POST") as envoi:
        page.get_by_role("button", name="Afficher les champs de ce type").click()
    assert "csrfmiddlewaretoken" not in envoi.value.url and "?" not in envoi.value.url
    expect(page.get_by_label("Motif *")).to_be_visible()
    expect(page.get_by_label("Commentaire")).to_have_value("Déménagement")
    assert list(dossier.evenements.all()) == [entree]  # a refresh saves nothing
    contexte.close()


def test_modification_le_rafraichissement_garde_la_version(page, connecter, alice, dossier, types):
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    connecter("alice")
    page.goto(f"/evenements/{entree.pk}/modifier/")
    version = page.locator('input[name="version"]').input_value()
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.get_by_label("Type d'événement").select_option(label="Changement de phase")
    expect(page.locator('input[name="version"]')).to_have_value(version)
