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


@pytest.mark.django_db(transaction=True)
def test_evenements_simultanes_chacun_ses_actions(dossier, types, alice, bob):
    if connection.vendor != "postgresql":
        service_absent("verrous de ligne réels : ce test a besoin de PostgreSQL (DATABASE_URL).")
    from evenements.models import ActionDeclenchee
    from notifications.models import ModeleNotification

    ModeleNotification.objects.create(
        type_evenement=types["validation-etape"],
        destinataire="referent",
        sujet="Étape validée",
        corps="{{ evenement.type }}",
    )
    enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    depart = threading.Barrier(4)
    erreurs = []

    def saisir(auteur, numero):
        try:
            depart.wait()
            enregistrer_evenement(
                dossier=dossier,
                type_evenement=types["validation-etape"],
                auteur=auteur,
                valeurs={"etape": f"Étape {numero}"},
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            erreurs.append(exc)
        finally:
            connections.close_all()

    fils = [threading.Thread(target=saisir, args=(u, i)) for i, u in enumerate([alice, bob] * 2)]
    for f in fils:
        f.start()
    for f in fils:
        f.join(timeout=30)
    assert erreurs == []
    etapes = Evenement.objects.filter(dossier=dossier, type_evenement=types["validation-etape"])
    assert sorted(e.rang for e in etapes) == [2, 3, 4, 5]  # distinct ranks on the same day
    for etape in etapes:
        assert ActionDeclenchee.objects.filter(evenement=etape).count() == 1
    dossier.refresh_from_db()
    assert dossier.statut == Statut.EN_COURS
