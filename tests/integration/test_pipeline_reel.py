"""The pipeline with real parts: PostgreSQL, Redis, Celery worker processes, SMTP on loopback."""

import os
import signal
import time

import pytest

from evenements import pipeline
from evenements.models import ActionDeclenchee, EtatAction
from evenements.services import enregistrer_evenement
from tests.integration.conftest import attendre

# Committed data: the worker processes read it through their own connections.
pytestmark = pytest.mark.django_db(transaction=True)


def changer_de_broker(app, url):
    app.conf.broker_url = url
    app._pool = None  # connections are pooled per broker: start afresh
    app.amqp._producer_pool = None


def action_financeur(evenement):
    return ActionDeclenchee.objects.get(
        evenement=evenement, configuration__modelenotification__destinataire="financeur"
    )


def etat(action):
    return ActionDeclenchee.objects.get(pk=action.pk).etat


def test_entree_le_financeur_recoit_le_bon_e_mail(lancer_worker, smtp, dossier, types, alice):
    lancer_worker()
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    adresse = dossier.financeur.emails[0]
    attendre(
        lambda: smtp.pour(adresse),
        message=f"aucun e-mail reçu par le financeur : {list(entree.actions.values())}",
    )
    (message,) = smtp.pour(adresse)
    beneficiaire = dossier.beneficiaire
    assert message["Subject"] == f"Entrée en prestation : {beneficiaire.prenom} {beneficiaire.nom}"
    assert "Nous vous informons de l'entrée en prestation" in message.get_content()
    action = action_financeur(entree)
    attendre(lambda: etat(action) == EtatAction.EXECUTEE)
    assert ActionDeclenchee.objects.get(pk=action.pk).resultat.startswith(
        f"E-mail envoyé à {adresse}"
    )


def test_broker_injoignable_au_commit_rien_n_est_perdu(
    lancer_worker, smtp, dossier, types, alice, celery_en_processus, redis_url
):
    app = celery_en_processus
    changer_de_broker(app, "redis://127.0.0.1:1/0")  # nothing listens there: "Redis is down"
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    action = action_financeur(entree)
    assert etat(action) == EtatAction.A_EXECUTER  # the event is saved, its actions wait
    # Not presumed handed over: the next sweep takes them, without waiting for a threshold.
    assert not entree.actions.filter(transmise_le__isnull=False).exists()
    changer_de_broker(app, redis_url)  # Redis is back
    lancer_worker()
    assert pipeline.balayer() == 2  # what Celery beat does every minute
    attendre(lambda: etat(action) == EtatAction.EXECUTEE)
    assert len(smtp.pour(dossier.financeur.emails[0])) == 1


def test_worker_tue_en_plein_envoi_l_action_aboutit_une_fois(
    lancer_worker, smtp, dossier, types, alice
):
    dossier.beneficiaire.consentement_email = False  # one action only, to follow it simply
    dossier.beneficiaire.save()
    worker = lancer_worker(pool="prefork")
    smtp.lenteur = 6  # the first delivery hangs in the middle of the SMTP dialogue
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    action = action_financeur(entree)
    attendre(smtp.rcpt_en_cours.is_set, message="l'envoi n'a pas commencé")
    assert etat(action) == EtatAction.EN_COURS
    (enfant,) = worker.enfants()
    os.kill(enfant, signal.SIGKILL)
    attendre(
        lambda: etat(action) == EtatAction.EXECUTEE,
        delai=60,
        message="l'action n'a pas été reprise après la mort du worker",
    )
    time.sleep(2)
    assert len(smtp.pour(dossier.financeur.emails[0])) == 1
    assert ActionDeclenchee.objects.get(pk=action.pk).tentatives == 2


def test_smtp_refuse_reessais_echec_puis_relance(lancer_worker, smtp, dossier, types, alice, rose):
    lancer_worker()
    smtp.refus = True
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    action = action_financeur(entree)
    attendre(
        lambda: etat(action) == EtatAction.ECHEC,
        delai=60,
        message="l'action n'est pas passée en échec après ses tentatives",
    )
    echouee = ActionDeclenchee.objects.get(pk=action.pk)
    assert echouee.tentatives == 3 and "451" in echouee.derniere_erreur
    assert smtp.messages == []
    smtp.refus = False
    pipeline.relancer(action=echouee, par=rose)
    attendre(lambda: etat(action) == EtatAction.EXECUTEE)
    assert len(smtp.pour(dossier.financeur.emails[0])) == 1


def test_deux_workers_sur_la_meme_action_un_seul_e_mail(lancer_worker, smtp, dossier, types, alice):
    from evenements.tasks import executer_action

    dossier.beneficiaire.consentement_email = False
    dossier.beneficiaire.save()
    lancer_worker()
    lancer_worker()
    entree = enregistrer_evenement(dossier=dossier, type_evenement=types["entree"], auteur=alice)
    action = action_financeur(entree)
    for _ in range(4):  # the same action handed over again and again
        executer_action.delay(action.pk)
    attendre(lambda: etat(action) == EtatAction.EXECUTEE)
    time.sleep(3)
    assert len(smtp.pour(dossier.financeur.emails[0])) == 1
