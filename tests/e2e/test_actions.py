"""Actions as a caseworker and a manager see them, in a real browser."""

from playwright.sync_api import expect

from tests.e2e.test_parcours_evenements import ouvrir_evenements, saisir


def test_badge_executee_puis_echec_et_relance(page, connecter, alice, rose, dossier, settings):
    from documents.models import GenerationDocument

    # This journey follows the exit's notification alone, not the documents sent with it.
    GenerationDocument.objects.update(actif=False)
    connecter("alice")
    ouvrir_evenements(page, dossier)
    saisir(page, "Entrée en prestation", commentaire="Début")
    ligne = page.locator("#historique tbody tr").first
    expect(ligne.locator(".badge.action-executee")).to_have_count(2)
    expect(ligne).to_contain_text("envoyer un e-mail au financeur")

    # The SMTP server now refuses for good: the exit's notification fails.
    settings.EMAIL_BACKEND = "tests.notifications.doubles.SmtpRefusDefinitif"
    saisir(page, "Sortie positive", commentaire="CDI signé")
    expect(page.locator("#alerte-echec")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    connecter("rose")
    page.get_by_role("link", name="Actions en échec").click()
    expect(page.get_by_text("Mailbox unavailable")).to_be_visible()
    page.get_by_role("link", name="Sortie positive du").click()
    actions = page.locator("#actions")
    expect(actions.get_by_text("Échec", exact=True)).to_be_visible()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # SMTP is back
    actions.get_by_role("button", name="Relancer").click()
    expect(page.get_by_text("Action relancée.")).to_be_visible()
    # the notification, and the exit's "Calcul final des indicateurs" (seances)
    expect(actions.locator(".badge.action-executee")).to_have_count(2)
    expect(page.locator("#alerte-echec")).to_have_count(0)
