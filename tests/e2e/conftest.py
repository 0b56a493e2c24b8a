"""A real Chromium (Debian's /usr/bin/chromium) driven by Playwright against the live server."""

import os

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def navigateur(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGUMENTS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(navigateur, live_server):
    contexte = navigateur.new_context(base_url=live_server.url, locale="fr-FR")
    contexte.set_default_timeout(10_000)
    onglet = contexte.new_page()
    yield onglet
    contexte.close()


@pytest.fixture
def connecter(page):
    def connecter(identifiant: str, mot_de_passe: str = "demo"):
        page.goto("/connexion/")
        page.get_by_label("Identifiant").fill(identifiant)
        page.get_by_label("Mot de passe").fill(mot_de_passe)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/dossiers/")
        return page

    return connecter
