"""Two caseworkers on one dossier at the same moment (real PostgreSQL row locks)."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from dossiers.models import Statut
from evenements.models import Evenement
from evenements.services import enregistrer_evenement
from tests.conftest import service_absent
from tests.factories import DossierFactory


def _saisir_une_entree(dossier, types, auteur, resultats: list) -> None:
    """In a thread of its own: "ok", or the refusal's message."""
    try:
        enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=auteur)
        resultats.append("ok")
    except ValidationError as exc:
        resultats.append(exc.messages[0])
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_deux_entrees_simultanees_une_seule_gagne(dossier, types, alice, bob):
    if connection.vendor != "postgresql":
        service_absent("verrous de ligne réels : ce test a besoin de PostgreSQL (DATABASE_URL).")
    depart = threading.Barrier(2)
    resultats = []

    def saisir(auteur):
        depart.wait()
        _saisir_une_entree(dossier, types, auteur, resultats)

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


def _attend_un_verrou() -> bool:
    """Whether a session of this test database waits for a row lock (up to 15 s)."""
    for _ in range(300):
        with connection.cursor() as curseur:
            curseur.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if curseur.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_la_saisie_qui_attend_le_verrou_lit_l_historique_une_fois_le_verrou_obtenu(
    dossier, types, alice, bob
):
    """The read of the last event travels with the lock's statement (one round trip): it
    must run once the lock is granted, and so see the event its holder committed."""
    if connection.vendor != "postgresql":
        service_absent("verrous de ligne réels : ce test a besoin de PostgreSQL (DATABASE_URL).")
    autre = DossierFactory(equipe=dossier.equipe, prestation=dossier.prestation, referent=alice)
    enregistrer_evenement(dossier=autre, type_evenement=types["entree"], auteur=alice)  # warm
    verrou_pris, liberer, resultats = threading.Event(), threading.Event(), []

    def premier():
        try:
            with transaction.atomic():
                enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
                verrou_pris.set()
                liberer.wait(30)
        finally:
            connections.close_all()

    def second():
        _saisir_une_entree(dossier, types, bob, resultats)

    tenant = threading.Thread(target=premier)
    tenant.start()
    assert verrou_pris.wait(30)
    attendant = threading.Thread(target=second)
    attendant.start()
    try:
        assert _attend_un_verrou(), "la seconde saisie n'a pas attendu le verrou"
    finally:
        liberer.set()
        tenant.join(timeout=30)
        attendant.join(timeout=30)
    assert len(resultats) == 1 and "le dossier est « En cours »" in resultats[0], resultats
    assert Evenement.objects.filter(dossier=dossier).count() == 1
