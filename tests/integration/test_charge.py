"""The load test (bench/charge.py) in miniature: the production shape (gunicorn with DEBUG
off, PostgreSQL, Redis, one Celery worker) serves five caseworkers at once without an error,
and what they recorded is in the database with its actions done."""

import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from django.urls import Resolver404, resolve

from evenements.models import ActionDeclenchee, EtatAction, Evenement
from notifications.models import Alerte
from tests.integration.conftest import RACINE


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_cinq_conseillers_en_parallele_sans_erreur_et_tout_est_enregistre(
    postgresql, redis_url, tmp_path
):
    resultats = tmp_path / "charge.json"
    env = {
        **os.environ,
        "CHARGE_DATABASE_URL": postgresql,  # the test database: read back below
        "REDIS_URL": redis_url,
        "CHARGE_UTILISATEURS": "5",
        "CHARGE_DUREE": "3",
        "CHARGE_DOSSIERS": "2",
        "CHARGE_EVENEMENTS": "5",
        "CHARGE_RESULTATS": str(resultats),
    }
    sortie = subprocess.run(
        [sys.executable, "bench/charge.py"],
        cwd=RACINE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert sortie.returncode == 0, sortie.stdout + sortie.stderr
    chiffres = json.loads(resultats.read_text())
    assert chiffres["erreurs"] == 0, chiffres["messages"]
    assert all(page["requetes"] > 0 for page in chiffres["pages"].values()), chiffres["pages"]
    assert chiffres["vue_nue"]["requetes"] > 0

    enregistres = Counter(chiffres["evenements"])
    assert len(enregistres) >= 5  # at least one per caseworker, each comment unique
    evenements = Evenement.objects.filter(commentaire__startswith=chiffres["marque"])
    assert Counter(evenements.values_list("commentaire", flat=True)) == enregistres
    for evenement in evenements.select_related("auteur", "type_evenement"):
        assert evenement.type_evenement.code == "validation-etape"
        assert evenement.valeurs["etape"].startswith("Objectif ")
        assert evenement.auteur.username in evenement.commentaire
        assert evenement.dossier.referent_id == evenement.auteur_id

    # The worker ran every action of those events: each referent got an alert per event.
    actions = ActionDeclenchee.objects.filter(evenement__in=evenements)
    assert actions.count() == len(enregistres)
    assert set(actions.values_list("etat", flat=True)) == {EtatAction.EXECUTEE}
    alertes = Alerte.objects.filter(envoi__action__in=actions).select_related("envoi__action")
    assert len(alertes) == len(enregistres)
    for alerte in alertes:
        evenement = alerte.envoi.action.evenement
        assert alerte.utilisateur_id == evenement.auteur_id  # the referent of the dossier
        assert alerte.message == evenement.commentaire


def test_la_vue_nue_du_banc_n_existe_pas_dans_le_produit(settings):
    assert settings.ROOT_URLCONF == "config.urls"
    with pytest.raises(Resolver404):
        resolve("/bench/vue-nue/")
    assert resolve("/bench/vue-nue/", urlconf="bench.urls_charge").url_name == "bench_vue_nue"
