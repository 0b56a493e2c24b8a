"""Two caseworkers on one dossier at the same moment (real PostgreSQL row locks)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from dossiers.models import Statut
from evenements.models import Evenement
from evenements.services import enregistrer_evenement
from tests.conftest import service_absent


@pytest.mark.django_db(transaction=True)
def test_deux_entrees_simultanees_une_seule_gagne(dossier, types, alice, bob):
    if connection.vendor != "postgresql":
        service_absent("verrous de ligne réels : ce test a besoin de PostgreSQL (DATABASE_URL).")
    depart = threading.Barrier(2)
    resultats = []

    def saisir(auteur):
        try:
            depart.wait()
            enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=auteur)
            resultats.append("ok")
        except ValidationError as exc:
            resultats.append(exc.messages[0])
        finally:
            connections.close_all()

    fils = [threading.Thread(target=saisir, args=(u,)) for u in (alice, bob)]
    for f in fils:
        f.start()
    for f in fils:
        f.join(timeout=30)
    assert len(resultats) == 2 and resultats.count("ok") == 1
    perdant = next(r for r in resultats if r != "ok")
    assert "le dossier est « En cours »" in perdant
    assert Evenement.objects.filter(dossier=dossier).count() == 1
    dossier.refresh_from_db()
    assert dossier.statut == Statut.EN_COURS
