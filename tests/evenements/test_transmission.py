"""Handing a recorded event's actions to the broker: one message for its batch, the
hand-over time written with the rows, and nothing lost when the publish fails."""

import base64
import datetime
import json
import logging

import pytest
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evenements import pipeline, sonnette
from evenements.models import EtatAction
from evenements.services import enregistrer_evenement
from evenements.tasks import executer_action
from tests.factories import DossierFactory


class Broker:
    """Stands for Redis: records the messages, or refuses them while `en_panne`. Both ways
    in: Celery's publish, and the wake-up pushed with its messages (sonnette.sonner), whose
    key it keeps where the real one is (a real Redis when REDIS_URL names one)."""

    def __init__(self):
        self.messages = []
        self.en_panne = False

    def apply_async(self, args, **options):
        if self.en_panne:
            raise ConnectionError("Redis injoignable")
        self.messages.append(args[0])

    def sonner(self, file, messages):
        if self.en_panne:  # the script sets nothing when it cannot run
            raise ConnectionError("Redis injoignable")
        if not sonnette.tirer(file):
            return False
        for message in messages:
            corps = json.loads(base64.b64decode(json.loads(message)["body"]))
            self.messages.append(corps[0][0])
        return True


@pytest.fixture
def broker(celery_en_processus, monkeypatch):
    celery_en_processus.conf.task_always_eager = False  # the fixture restores it
    faux = Broker()
    monkeypatch.setattr(executer_action, "apply_async", faux.apply_async)
    monkeypatch.setattr(sonnette, "sonner", faux.sonner)
    return faux


@pytest.fixture
def enregistrer(django_capture_on_commit_callbacks, dossier, types, alice):
    def enregistrer():
        with django_capture_on_commit_callbacks(execute=True):
            return enregistrer_evenement(
                dossier=dossier, type_evenement=types["entree"], auteur=alice
            )

    return enregistrer


def a_executer(evenement):
    return list(evenement.actions.filter(etat=EtatAction.A_EXECUTER).order_by("pk"))


def test_un_seul_message_pour_les_actions_d_un_evenement(
    broker, enregistrer, django_assert_num_queries
):
    avant = timezone.now()
    entree = enregistrer()
    actions = a_executer(entree)
    assert len(actions) == 2  # the financeur's e-mail and the bénéficiaire's
    assert broker.messages == [[a.pk for a in actions]]
    # Marked as handed over by their INSERT: nothing written after the publish.
    assert all(a.transmise_le is not None and a.transmise_le >= avant for a in actions)
    with django_assert_num_queries(0):
        pipeline.envoyer([a.pk for a in actions], notees=True)
    assert pipeline.balayer() == 0  # left to its message


def test_un_message_par_lot_de_actions_lot(broker, settings):
    settings.ACTIONS_LOT = 2
    pipeline.envoyer([1, 2, 3, 4, 5], notees=True)
    assert broker.messages == [[1, 2], [3, 4], [5]]


def test_broker_en_panne_l_heure_est_effacee_et_le_balayage_reprend(broker, enregistrer, caplog):
    broker.en_panne = True
    with caplog.at_level(logging.WARNING, logger="evenements.pipeline"):
        entree = enregistrer()
    actions = a_executer(entree)
    assert [a.transmise_le for a in actions] == [None, None]
    assert "non transmises au broker" in caplog.text
    broker.en_panne = False  # Redis is back: the next sweep hands them over
    assert pipeline.balayer() == 2
    assert broker.messages == [[a.pk for a in actions]]
    assert all(a.transmise_le is not None for a in a_executer(entree))


def test_broker_et_base_en_panne_le_balayage_reprend_apres_le_seuil(
    broker, enregistrer, monkeypatch, settings, caplog
):
    settings.ACTIONS_RETRANSMISSION_SECONDES = 300
    broker.en_panne = True
    update = QuerySet.update

    def update_en_panne(self, **valeurs):
        if valeurs == {"transmise_le": None}:
            raise DatabaseError("connexion perdue")
        return update(self, **valeurs)

    monkeypatch.setattr(QuerySet, "update", update_en_panne)
    with caplog.at_level(logging.WARNING, logger="evenements.pipeline"):
        entree = enregistrer()  # the recording itself is kept
    assert "heure de transmission non effacée" in caplog.text
    broker.en_panne = False
    assert pipeline.balayer() == 0  # presumed still in the queue, for now
    il_y_a_longtemps = timezone.now() - datetime.timedelta(seconds=301)
    entree.actions.update(transmise_le=il_y_a_longtemps)
    assert pipeline.balayer() == 2
    assert broker.messages == [[a.pk for a in a_executer(entree)]]


def test_un_message_d_avant_les_lots_un_seul_id_est_encore_execute(
    django_capture_on_commit_callbacks, dossier, types, alice, celery_en_processus
):
    celery_en_processus.conf.task_always_eager = False
    with django_capture_on_commit_callbacks(execute=False):  # nothing handed over
        entree = enregistrer_evenement(
            dossier=dossier, type_evenement=types["entree"], auteur=alice
        )
    premiere, seconde = a_executer(entree)
    executer_action.apply(args=[premiere.pk])  # queued at deploy time: an int
    executer_action.apply(args=[[seconde.pk]])
    premiere.refresh_from_db()
    seconde.refresh_from_db()
    assert (premiere.etat, seconde.etat) == (EtatAction.EXECUTEE, EtatAction.EXECUTEE)


def test_enregistrer_six_requetes_aucune_apres_le_commit(
    broker, dossier, types, alice, django_capture_on_commit_callbacks
):
    """Lock (with the configuration token), last event (with the convention check), derived
    state, event, its revision, outbox rows; the hand-off writes nothing. On PostgreSQL in
    four round trips: the last event is read with the lock, the derived state written with
    the event."""
    # Warm: the configuration kept per process, alice's teams and permissions (as a request).
    amorce = DossierFactory(equipe=dossier.equipe, referent=alice, prestation=dossier.prestation)
    enregistrer_evenement(dossier=amorce, type_evenement=types["entree"], auteur=alice)
    with CaptureQueriesContext(connection) as requetes:
        with django_capture_on_commit_callbacks(execute=True) as rappels:
            entree = enregistrer_evenement(
                dossier=dossier, type_evenement=types["entree"], auteur=alice
            )
        sql = [q["sql"] for q in requetes if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
        if connection.vendor == "postgresql":  # the lock's and the event's carry another
            assert len(sql) == 4 and ";\nSELECT" in sql[0] and ";\nUPDATE" in sql[1]
            sql = [partie for q in sql for partie in q.split(";\n")]
        assert len(sql) == 6, [q[:60] for q in sql]
    assert len(rappels) == 1 and broker.messages == [[a.pk for a in a_executer(entree)]]


# --- the wake-up (evenements.sonnette), on a real Redis ---


@pytest.fixture
def sonnette_reelle(redis_url, settings, broker):
    settings.REDIS_URL = redis_url
    file = executer_action.app.conf.task_default_queue
    sonnette.relacher(file)
    yield file
    sonnette.relacher(file)


def test_une_rafale_d_evenements_un_seul_message_tant_qu_il_attend(
    sonnette_reelle, broker, django_capture_on_commit_callbacks, equipe_a, alice, types
):
    """Ten entries while the first message waits in the queue: no other message; every row
    is marked handed over (the sweep leaves them to the wake-up), and once a worker has
    taken it, the next event publishes again."""
    evenements = []
    for _ in range(10):
        dossier = DossierFactory(equipe=equipe_a, referent=alice)
        with django_capture_on_commit_callbacks(execute=True):
            evenements.append(
                enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
            )
    assert broker.messages == [[a.pk for a in a_executer(evenements[0])]]
    assert all(a.transmise_le for e in evenements for a in a_executer(e))
    assert pipeline.balayer() == 0

    sonnette.relacher(sonnette_reelle)  # a worker took the message, before its claim
    dossier = DossierFactory(equipe=equipe_a, referent=alice)
    with django_capture_on_commit_callbacks(execute=True):
        suivant = enregistrer_evenement(
            dossier=dossier, type_evenement=types["entree"], auteur=alice
        )
    assert broker.messages[1:] == [[a.pk for a in a_executer(suivant)]]


def test_publication_echouee_la_sonnette_ne_reste_pas_tiree(
    sonnette_reelle, broker, enregistrer, caplog
):
    broker.en_panne = True
    with caplog.at_level(logging.WARNING, logger="evenements.pipeline"):
        perdue = enregistrer()
    broker.en_panne = False
    pipeline.envoyer([a.pk for a in a_executer(perdue)])  # the sweep would do the same
    assert broker.messages == [[a.pk for a in a_executer(perdue)]]


def test_reprises_differees_et_balayage_publient_meme_si_un_reveil_attend(
    sonnette_reelle, broker, settings
):
    assert sonnette.tirer(sonnette_reelle)  # a wake-up waits
    pipeline.envoyer([7], countdown=30)  # an action to try again later: its own message
    pipeline.envoyer([8], sonner=False)  # the sweep: what was lost
    assert broker.messages == [[7], [8]]


def test_redis_illisible_pour_la_sonnette_le_message_part(broker, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="evenements.sonnette"):
        pipeline.envoyer([9], notees=True)
        pipeline.envoyer([10], notees=True)
    assert broker.messages == [[9], [10]]
    assert "Sonnette illisible" in caplog.text


def test_le_balayage_reprend_aussitot_une_reclamation_dont_le_bail_a_expire(
    broker, enregistrer, settings
):
    """A worker killed mid-batch: its claims are handed over as soon as their lease has run
    out, however recent their hand-over time (the message that woke it is gone)."""
    settings.ACTIONS_RETRANSMISSION_SECONDES = 300
    entree = enregistrer()
    premiere, seconde = a_executer(entree)
    broker.messages.clear()
    il_y_a = timezone.now() - datetime.timedelta(seconds=settings.ACTIONS_BAIL_SECONDES + 1)
    entree.actions.filter(pk=premiere.pk).update(etat=EtatAction.EN_COURS, demarree_le=il_y_a)
    entree.actions.filter(pk=seconde.pk).update(
        etat=EtatAction.EN_COURS,
        demarree_le=timezone.now(),  # its worker is alive
    )
    assert pipeline.balayer() == 1
    assert broker.messages == [[premiere.pk]]


def test_le_balayage_sonne_pour_des_actions_qu_un_reveil_perdu_devait_prendre(
    sonnette_reelle, broker, enregistrer, settings
):
    """Rows whose publisher found a wake-up waiting that never reached a worker: once they
    have waited twice the wake-up's life, the sweep rings (one message without ids),
    unless a wake-up waits again."""
    settings.ACTIONS_RETRANSMISSION_SECONDES = 300
    entree = enregistrer()
    broker.messages.clear()
    sonnette.relacher(sonnette_reelle)
    recemment = timezone.now() - datetime.timedelta(seconds=2 * sonnette.DUREE_SECONDES - 5)
    entree.actions.update(transmise_le=recemment)
    assert pipeline.balayer() == 0 and broker.messages == []  # not waited long enough
    longtemps = timezone.now() - datetime.timedelta(seconds=2 * sonnette.DUREE_SECONDES + 1)
    entree.actions.update(transmise_le=longtemps)
    assert pipeline.balayer() == 0  # not presumed lost: below the threshold
    assert broker.messages == [[]]  # a wake-up: its batch claims every due row
    assert pipeline.balayer() == 0 and broker.messages == [[]]  # it waits: no other
