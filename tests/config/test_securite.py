"""Login throttling, security headers, session expiry and error pages."""

import datetime
import time

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config import securite

MESSAGE_VERROU = "Trop de tentatives de connexion échouées"


def _essais_rates(client, url, identifiant, nombre, **extra):
    for _ in range(nombre):
        client.post(url, {"username": identifiant, "password": "mauvais"}, **extra)


@pytest.mark.parametrize("connexion", ["login", "admin:login"])
def test_mots_de_passe_faux_bloquent_meme_le_bon_puis_reinitialisation(
    client, settings, administrateur, connexion
):
    url = reverse(connexion)
    _essais_rates(client, url, "admin", settings.AXES_FAILURE_LIMIT)
    reponse = client.post(url, {"username": "admin", "password": "demo"})
    assert reponse.status_code == 429
    page = reponse.content.decode()
    assert MESSAGE_VERROU in page and "même avec le bon mot de passe" in page
    assert "15 minutes" in page and "administrateur" in page
    assert "_auth_user_id" not in client.session

    call_command("axes_reset")  # the administrators' reset, documented in the README
    reponse = client.post(url, {"username": "admin", "password": "demo"})
    assert reponse.status_code == 302
    assert client.session["_auth_user_id"] == str(administrateur.pk)


def test_verrou_par_utilisateur_quelle_que_soit_l_adresse(client, settings, alice):
    url = reverse("login")
    for numero in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            url, {"username": "alice", "password": "x"}, REMOTE_ADDR=f"203.0.113.{numero + 1}"
        )
    reponse = client.post(
        url, {"username": "alice", "password": "demo"}, REMOTE_ADDR="198.51.100.7"
    )
    assert reponse.status_code == 429 and MESSAGE_VERROU in reponse.content.decode()
    call_command("axes_reset_username", "alice")
    reponse = client.post(url, {"username": "alice", "password": "demo"})
    assert reponse.status_code == 302


def test_verrou_par_adresse_quel_que_soit_l_identifiant(client, settings, bob):
    url = reverse("login")
    for numero in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": f"inconnu{numero}", "password": "x"})
    reponse = client.post(url, {"username": "bob", "password": "demo"})
    assert reponse.status_code == 429
    # From another address, bob is not locked.
    reponse = client.post(url, {"username": "bob", "password": "demo"}, REMOTE_ADDR="198.51.100.8")
    assert reponse.status_code == 302


def test_moins_d_essais_que_la_limite_ne_bloque_pas(client, settings, alice):
    url = reverse("login")
    _essais_rates(client, url, "alice", settings.AXES_FAILURE_LIMIT - 1)
    assert client.post(url, {"username": "alice", "password": "demo"}).status_code == 302


def test_un_administrateur_debloque_depuis_l_admin(client, settings, alice, administrateur):
    from axes.models import AccessAttempt

    _essais_rates(client, reverse("login"), "alice", settings.AXES_FAILURE_LIMIT)
    client.force_login(administrateur)
    liste = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert liste.status_code == 200 and "alice" in liste.content.decode()
    tentative = AccessAttempt.objects.get(username="alice")
    url = reverse("admin:axes_accessattempt_delete", args=[tentative.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    client.cookies.clear()  # leave the admin's session
    assert (
        client.post(reverse("login"), {"username": "alice", "password": "demo"}).status_code == 302
    )


def test_adresse_du_client_derriere_des_proxies_de_confiance(settings):
    requete = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.1"
    )
    settings.PROXIES_DE_CONFIANCE = 0
    assert securite.adresse_client(requete) == "10.0.0.2"
    settings.PROXIES_DE_CONFIANCE = 1  # the address our proxy saw; a forged prefix is ignored
    assert securite.adresse_client(requete) == "10.0.0.1"
    settings.PROXIES_DE_CONFIANCE = 2
    assert securite.adresse_client(requete) == "203.0.113.9"


def test_en_tete_content_security_policy_strict(client, alice):
    client.force_login(alice)
    politique = client.get(reverse("dossiers:liste"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in politique.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["script-src"].startswith("'self'")
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in politique and "unsafe-eval" not in politique
    assert client.get(reverse("login"))["Content-Security-Policy"]


def test_session_expire_a_la_fermeture_du_navigateur(client, alice):
    reponse = client.post(reverse("login"), {"username": "alice", "password": "demo"})
    cookie = reponse.cookies["sessionid"]
    assert not cookie["expires"] and not cookie["max-age"]


def test_session_inactive_expire_et_activite_la_prolonge(client, settings, alice, monkeypatch):
    assert settings.SESSION_COOKIE_AGE == 30 * 60  # SESSION_INACTIVITE_MINUTES, 30 by default
    client.force_login(alice)
    assert client.get(reverse("dossiers:liste")).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    restant = session.expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < restant <= datetime.timedelta(minutes=30)

    # Ten minutes later the user is still working: the expiry moves with the activity.
    debut = time.time()
    monkeypatch.setattr(securite.time, "time", lambda: debut + 600)
    client.get(reverse("dossiers:liste"))
    prolongee = Session.objects.get(session_key=session.session_key).expire_date
    assert prolongee > session.expire_date

    # Idle past the limit: the session is gone, the next page asks to log in again.
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    reponse = client.get(reverse("dossiers:liste"))
    assert reponse.status_code == 302 and reponse["Location"].startswith(reverse("login"))


def test_une_requete_ordinaire_n_ecrit_pas_la_session(client, alice):
    """Keeping the session alive costs a write at most once a minute, not on every page."""
    client.force_login(alice)
    client.get(reverse("dossiers:liste"))
    with CaptureQueriesContext(connection) as requetes:
        client.get(reverse("dossiers:liste"))
    ecritures = [q for q in requetes if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert requetes.captured_queries and not ecritures


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.config.urls_erreurs"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def test_pages_d_erreur_en_francais_en_production(client, production, alice):
    client.raise_request_exception = False
    client.force_login(alice)
    introuvable = client.get("/dossiers/999999/")
    assert introuvable.status_code == 404
    assert "Page introuvable" in introuvable.content.decode()
    assert "Not Found" not in introuvable.content.decode()

    interdit = client.get(reverse("evenements:actions_en_echec"))  # conseiller: no right
    assert interdit.status_code == 403 and "Accès refusé" in interdit.content.decode()

    panne = client.get("/essai/panne/")
    assert panne.status_code == 500
    assert "Erreur du serveur" in panne.content.decode()
    assert "panne simulée" not in panne.content.decode()

    suspecte = client.get("/essai/suspecte/")
    assert suspecte.status_code == 400 and "Requête invalide" in suspecte.content.decode()
