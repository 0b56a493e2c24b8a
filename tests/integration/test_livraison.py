"""Delivery guarantees with real parts: a worker killed after the SMTP server accepted a
message, the sweep's publishes counted on Redis, and the demo loaded in the production shape."""

import os
import signal
import subprocess
import sys
import time

import pytest
import redis
from django.contrib.auth import get_user_model

from dossiers.models import Dossier
from evenements import pipeline
from evenements.models import ActionDeclenchee, EtatAction, TypeEvenement
from evenements.services import enregistrer_evenement
from notifications.models import Envoi
from tests.factories import DossierFactory, FinanceurFactory
from tests.integration.conftest import RACINE, attendre

pytestmark = pytest.mark.django_db(transaction=True)


def recharger(action):
    return ActionDeclenchee.objects.get(pk=action.pk)


def test_worker_tue_apres_acceptation_smtp_rien_n_est_renvoye_sans_decision(
    lancer_worker, smtp, dossier, types, alice, rose
):
    dossier.beneficiaire.consentement_email = False  # one action only, to follow it simply
    dossier.beneficiaire.save()
    adresse = dossier.financeur.emails[0]
    worker = lancer_worker(pool="prefork")
    smtp.pause_apres_data = 8  # the server has the message; its "250" is held back
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    action = entree.actions.get(configuration__modelenotification__destinataire="financeur")
    attendre(smtp.data_recue.is_set, message="le message n'a pas atteint le serveur")
    # Committed before DATA: the facts survive the worker.
    envoi = Envoi.objects.get(action=action)
    assert envoi.etat == Envoi.Etat.EN_COURS and envoi.remise_le is not None
    (enfant,) = worker.enfants()
    os.kill(enfant, signal.SIGKILL)  # between the server's acceptance and the save
    attendre(
        lambda: recharger(action).etat == EtatAction.A_VERIFIER,
        delai=60,
        message=f"l'action n'est pas passée « à vérifier » : {recharger(action).etat}",
    )
    time.sleep(4)  # any silent resend would arrive now
    assert len(smtp.pour(adresse)) == 1
    verifiee = recharger(action)
    assert verifiee.etat == EtatAction.A_VERIFIER  # the sweep does not pick it up either
    assert pipeline.balayer() == 0
    envoi.refresh_from_db()
    assert envoi.etat == Envoi.Etat.INCERTAIN
    # The facts a person needs to check with the recipient.
    assert envoi.message_id in verifiee.derniere_erreur
    assert f"127.0.0.1:{smtp.port}" in verifiee.derniere_erreur
    assert "commencé le" in verifiee.derniere_erreur and adresse in verifiee.derniere_erreur
    assert "Renvoyer" in verifiee.raison and "Clore" in verifiee.raison

    pipeline.renvoyer(action=verifiee, par=rose)  # a person chose to send again
    attendre(lambda: recharger(action).etat == EtatAction.EXECUTEE, delai=60)
    premier, second = smtp.pour(adresse)
    assert premier["Message-ID"] == second["Message-ID"] == envoi.message_id  # recognisable


def test_worker_tue_au_milieu_d_un_lot_rien_perdu_rien_en_double(
    lancer_worker, file_celery, smtp, equipe_a, alice, types, settings
):
    """Six actions queued, one worker takes them as one batch; the server accepts the third
    message and holds its reply; the worker is killed (SIGKILL) there. Afterwards, with
    another worker: the first two were sent once (closed from their records), the third
    waits "à vérifier" (sent once, never again without a person), the last three (claimed,
    not started) are sent once by the other worker. Nothing lost, nothing sent twice."""
    actions = []
    for numero in range(6):
        dossier = DossierFactory(
            equipe=equipe_a,
            referent=alice,
            beneficiaire__consentement_email=False,  # one e-mail per dossier: the financeur's
            financeur=FinanceurFactory(emails_contact=f"lot{numero}@financeur.example"),
        )
        entree = enregistrer_evenement(
            dossier=dossier, type_evenement=types["entree"], auteur=alice
        )
        # Its messages wait in the queue: no worker yet.
        actions.append(
            entree.actions.get(configuration__modelenotification__destinataire="financeur")
        )
    smtp.pause_au_message, smtp.pause_apres_data = 3, 8
    premier = lancer_worker()
    attendre(smtp.reponse_retenue.is_set, message="le troisième message n'est pas arrivé")
    # The batch as the killed worker leaves it: the facts are on record. The first two
    # records say "envoyé" (written with the next message's step before DATA); their actions'
    # outcomes wait to be written with the batch's (at its end, or after a second).
    envoyes = Envoi.objects.filter(action__in=actions[:2])
    assert {(e.etat, e.envoye_le is not None) for e in envoyes} == {(Envoi.Etat.ENVOYE, True)}
    assert [recharger(a).etat for a in actions[:2]] == [EtatAction.EN_COURS] * 2
    interrompu = Envoi.objects.get(action=actions[2])
    assert interrompu.etat == Envoi.Etat.EN_COURS and interrompu.remise_le is not None
    suivants = Envoi.objects.filter(action__in=actions[3:])
    assert {(e.etat, e.remise_le) for e in suivants} == {(Envoi.Etat.EN_COURS, None)}
    assert {recharger(a).etat for a in actions[2:]} == {EtatAction.EN_COURS}
    os.kill(premier.processus.pid, signal.SIGKILL)

    lancer_worker()  # another worker takes over once the lease has run out (3 s here)
    settings.ACTIONS_BAIL_SECONDES = 3
    time.sleep(3.5)
    # Beat's sweep: the killed worker's claims are handed over at once (the message that
    # woke it is gone; the others never had one: the wake-up stood for them).
    assert pipeline.balayer() >= 4  # at least the four not finished
    attendre(
        lambda: (
            not ActionDeclenchee.objects.filter(
                pk__in=[a.pk for a in actions],
                etat__in=[EtatAction.A_EXECUTER, EtatAction.EN_COURS],
            ).exists()
        ),
        delai=60,
        message="des actions du lot n'ont pas été reprises",
    )
    time.sleep(4)  # any silent resend would arrive now
    adresses = [f"lot{numero}@financeur.example" for numero in range(6)]
    assert [len(smtp.pour(adresse)) for adresse in adresses] == [1] * 6  # each exactly once
    etats = [(recharger(a).etat, recharger(a).tentatives) for a in actions]
    # Taken over and closed from their records, without sending again.
    assert etats[:2] == [(EtatAction.EXECUTEE, 2)] * 2
    assert all("E-mail envoyé à lot" in recharger(a).resultat for a in actions[:2])
    assert etats[2][0] == EtatAction.A_VERIFIER  # after DATA: a person decides
    assert etats[3:] == [(EtatAction.EXECUTEE, 2)] * 3  # taken over, sent by the other worker
    assert Envoi.objects.get(action=actions[2]).etat == Envoi.Etat.INCERTAIN
    assert "Renvoyer" in recharger(actions[2]).raison


def test_le_balayage_ne_republie_que_ce_qui_a_ete_perdu(
    file_celery, redis_url, postgresql, dossier, types, alice, settings
):
    """No worker: the queue is counted as it is. Two actions of one event -> one message for
    both, however many sweeps run; a message lost for longer than the threshold is published
    once more (one message: the sweep's ids are batched too)."""
    settings.ACTIONS_RETRANSMISSION_SECONDES = 300
    broker = redis.Redis.from_url(redis_url)
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    assert broker.llen(file_celery) == 1
    assert entree.actions.filter(transmise_le__isnull=False).count() == 2
    for _ in range(5):  # five sweeps while the message waits in the queue
        assert pipeline.balayer() == 0
    assert broker.llen(file_celery) == 1

    broker.delete(file_celery)  # the messages are lost (Redis restarted without its data)
    assert pipeline.balayer() == 0  # too recent to be presumed lost
    il_y_a_longtemps = entree.actions.first().transmise_le.replace(year=2000)
    entree.actions.update(transmise_le=il_y_a_longtemps)
    assert pipeline.balayer() == 2
    assert pipeline.balayer() == 0
    assert broker.llen(file_celery) == 1
    broker.delete(file_celery)


def test_demo_en_production_rien_ne_part(
    lancer_worker, smtp, postgresql, redis_url, file_celery, settings
):
    """`charger_demo --force` with DEBUG off, REDIS_URL, EMAIL_URL on an SMTP server and a
    worker listening: nothing reaches the server, nothing is queued, and an event recorded
    later on a demo dossier is refused by the channels (reserved addresses)."""
    lancer_worker()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "test-demo-production-" + "x" * 40,
        "DATABASE_URL": postgresql,
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "SMS_BACKEND": "memoire",
        "CELERY_QUEUE": file_celery,
    }
    sortie = subprocess.run(
        [sys.executable, "manage.py", "charger_demo", "--force"],
        cwd=RACINE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert sortie.returncode == 0, sortie.stderr
    assert "REDIS_URL" in sortie.stdout and "EMAIL_URL (smtp)" in sortie.stdout
    assert "aucune n'a été envoyée ni confiée au broker" in sortie.stdout
    assert "annulées : rien ne partira" in sortie.stdout
    assert redis.Redis.from_url(redis_url).llen(file_celery) == 0
    demo = ActionDeclenchee.objects.filter(
        evenement__dossier__beneficiaire__identifiant_externe__startswith="DEMO-"
    )
    assert demo.filter(etat=EtatAction.EXECUTEE).count() > 50
    assert not demo.filter(etat__in=pipeline.EN_ATTENTE).exists()
    time.sleep(2)
    assert smtp.messages == []

    # Defence in depth: a real event on a demo dossier, run by the real worker.
    dossier = Dossier.objects.get(beneficiaire__identifiant_externe="DEMO-0000")
    entree = enregistrer_evenement(
        dossier=dossier,
        type_evenement=TypeEvenement.objects.get(code="entree"),
        auteur=get_user_model().objects.get(username="admin"),
    )
    attendre(
        lambda: (
            not entree.actions.filter(
                etat__in=[EtatAction.A_EXECUTER, EtatAction.EN_COURS]
            ).exists()
        ),
        delai=60,
        message="les actions de l'événement n'ont pas été exécutées",
    )
    notifications = entree.actions.filter(configuration__nature="notification")
    assert set(notifications.values_list("etat", flat=True)) == {EtatAction.IGNOREE}
    assert all("réservée" in a.raison for a in notifications)
    time.sleep(1)
    assert smtp.messages == []
