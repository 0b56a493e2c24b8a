"""Settings, login, health and demo data: what a newcomer and an operator rely on."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.urls import reverse

from dossiers.models import Dossier, Statut

RACINE = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    ecartees = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")  # set by the browser tests
    environnement = {k: v for k, v in os.environ.items() if k not in ecartees}
    environnement.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=RACINE,
        env=environnement,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sans_secret_key_en_production_le_demarrage_s_arrete():
    resultat = manage("check", DEBUG="false")
    assert resultat.returncode != 0
    assert "SECRET_KEY est obligatoire" in resultat.stderr


def test_check_deploy_est_propre_en_production():
    resultat = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k" * 30 + "Zq8!x#Lm2@pR7$vT9&wY4*",
        ALLOWED_HOSTS="parcours.example",
    )
    assert resultat.returncode == 0, resultat.stderr
    assert "no issues" in resultat.stdout


@pytest.mark.parametrize("url", ["/dossiers/", "/dossiers/1/", "/evenements/1/"])
def test_toute_page_exige_la_connexion(client, url):
    reponse = client.get(url)
    assert reponse.status_code == 302
    assert reponse["Location"].startswith(reverse("login"))


def test_connexion_en_francais_puis_dossiers(client, alice):
    page = client.get(reverse("login")).content.decode()
    assert "Connexion" in page and "Mot de passe" in page
    reponse = client.post(reverse("login"), {"username": "alice", "password": "faux"})
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in reponse.content.decode()
    reponse = client.post(reverse("login"), {"username": "alice", "password": "demo"}, follow=True)
    assert reponse.redirect_chain[-1][0] == reverse("dossiers:liste")
    assert "<h1>Dossiers</h1>" in reponse.content.decode()
    assert "Administration" not in reponse.content.decode()  # not staff


def test_deconnexion(client, alice):
    client.force_login(alice)
    reponse = client.post(reverse("logout"))
    assert reponse.status_code == 302
    assert client.get("/dossiers/").status_code == 302


def test_healthz_repond_200_sans_connexion(client):
    reponse = client.get("/healthz")
    assert reponse.status_code == 200
    assert reponse.json()["database"] == "ok"


def test_healthz_repond_503_quand_la_base_est_en_panne(client, monkeypatch):
    def panne(*args, **kwargs):
        raise OperationalError("panne")

    with monkeypatch.context() as m:
        m.setattr(connection, "cursor", panne)
        reponse = client.get("/healthz")
    assert reponse.status_code == 503
    assert reponse.json()["database"].startswith("erreur")


def test_healthz_503_quand_le_broker_ne_repond_pas(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    reponse = client.get("/healthz")
    assert reponse.status_code == 503 and reponse.json()["broker"].startswith("erreur")


def test_healthz_avec_vrai_broker(client, settings, redis_url):
    settings.REDIS_URL = redis_url
    reponse = client.get("/healthz")
    assert reponse.status_code == 200 and reponse.json()["broker"] == "ok"


def test_demo_refusee_sans_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG est désactivé"):
        call_command("charger_demo")


def test_demo_idempotente_et_complete(settings):
    settings.DEBUG = True
    call_command("charger_demo")
    nombre = Dossier.objects.count()
    call_command("charger_demo")
    assert Dossier.objects.count() == nombre >= 60
    statuts = set(Dossier.objects.values_list("statut", flat=True))
    assert statuts == set(Statut.values)
    from django.contrib.auth import get_user_model

    for identifiant in ("admin", "responsable", "conseiller"):
        # authenticate() needs a request since django-axes guards it: check the password.
        assert get_user_model().objects.get(username=identifiant).check_password("demo")
    from evenements.models import Evenement

    assert Evenement.objects.filter(supprime_le__isnull=False).exists()
    assert any(e.saisi_a_posteriori for e in Evenement.objects.all())
    assert any(e.planifie for e in Evenement.objects.all())
    from seances.models import Emargement, EtatSeance, Participation, Seance

    etats = set(Seance.objects.values_list("etat", flat=True))
    assert {EtatSeance.PREVUE, EtatSeance.REALISEE} <= etats
    presences = set(Participation.objects.values_list("presence", flat=True))
    assert {"present", "absent_justifie", "absent_non_justifie", "excuse"} <= presences
    assert Emargement.objects.exists()
    from django.db.models import Count

    assert Seance.objects.annotate(n=Count("participations")).filter(n__gt=2).exists()
    from facturation.models import Echeance, EtatEcheance, Facture, Reglement

    assert set(Echeance.objects.values_list("etat", flat=True)) == set(EtatEcheance.values)
    assert Facture.objects.filter(nature="avoir", numero__startswith="AV-").exists()
    assert Facture.objects.filter(nature="facture", etat="brouillon").exists()
    assert Reglement.objects.exists()
    assert get_user_model().objects.get(username="gestionnaire").check_password("demo")
    from dossiers.models import Beneficiaire

    # Madame Léa, Monsieur Hugo: the demo's civilité matches the first name
    civilites = dict(Beneficiaire.objects.values_list("prenom", "civilite"))
    assert civilites["Léa"] == "mme" and civilites["Hugo"] == "m"
    # a validated collective séance whose present participants still await their entry
    from seances.selectors import a_faire_entrer, seances_avec_participants

    conseiller = get_user_model().objects.get(username="conseiller")
    assert any(
        len(a_faire_entrer(s, conseiller)) >= 2
        for s in seances_avec_participants().filter(etat=EtatSeance.REALISEE)
    )
