"""Benchmarks of the action pipeline, each against a baseline measured in the same run:

1. recording an event through enregistrer_evenement (lock, validation, replay, revision,
   outbox rows) against the bare INSERTs of the same rows;
2. e-mail actions per second for one Celery worker (solo pool) on a loopback SMTP server,
   against the same number of e-mails sent directly by Django's SMTP backend.

Needs PostgreSQL and Redis (BENCH_DATABASE_URL's server, REDIS_URL); creates and drops a
throwaway database. Run with `make bench`.
"""

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE))
SERVEUR = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
BASE = f"parcours_bench_{uuid.uuid4().hex[:6]}"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
N = int(os.environ.get("BENCH_ACTIONS", 300))
FILE = f"bench-{uuid.uuid4().hex[:6]}"

os.environ.update(
    DATABASE_URL=f"{SERVEUR}/{BASE}", REDIS_URL=REDIS_URL, CELERY_QUEUE=FILE, DEBUG="true"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def psql(commande: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVEUR}/postgres", autocommit=True) as connexion:
        connexion.execute(commande)


class Boite:
    def __init__(self):
        self.nombre = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.nombre += 1
        return "250 OK"


def main() -> None:
    import logging

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command log
    psql(f"CREATE DATABASE {BASE}")
    try:
        executer()
    finally:
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {BASE} WITH (FORCE)")


def executer() -> None:
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    boite = Boite()
    controleur = Controller(boite, hostname="127.0.0.1", port=port)
    controleur.start()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.mail import EmailMessage, get_connection
    from django.core.management import call_command
    from django.utils import timezone

    from dossiers.models import Beneficiaire, Dossier, Equipe, Prestation
    from evenements.models import ActionDeclenchee, EtatAction, Evenement, TypeEvenement
    from evenements.services import enregistrer_evenement

    call_command("migrate", verbosity=0)
    equipe = Equipe.objects.create(nom="Bench")
    user = get_user_model().objects.create_user("bench", email="bench@example.fr")
    user.groups.add(Group.objects.get(name="Responsable"))
    equipe.membres.add(user)
    prestation = Prestation.objects.create(nom="Bench", code="bench")
    dossiers = [
        Dossier.objects.create(
            beneficiaire=Beneficiaire.objects.create(nom=f"B{i}", prenom="P", email=f"b{i}@ex.fr"),
            prestation=prestation,
            equipe=equipe,
            referent=user,
        )
        for i in range(2 * N)
    ]
    entree = TypeEvenement.objects.get(code="entree")
    entree.actions.filter(modelenotification__destinataire="financeur").update(actif=False)

    # 1. recording cost (no worker yet: rows stay "à exécuter")
    from config.celery import app

    app.conf.task_always_eager = False
    from django.db import transaction

    from evenements import pipeline

    remise = [0.0]  # time spent handing the rows to the broker, after commit
    envoyer = pipeline.envoyer

    def envoyer_chronometre(*args, **kwargs):
        debut = time.perf_counter()
        envoyer(*args, **kwargs)
        remise[0] += time.perf_counter() - debut

    configurations = [c for c in entree.actions.filter(actif=True) if c.nature == "notification"]
    enregistrer_evenement(dossier=dossiers[0], type_evenement=entree, auteur=user)  # warm-up
    reprise = Evenement.objects.filter(dossier=dossiers[0]).get().reprise

    def nu(i: int, dossier) -> None:
        with transaction.atomic():  # the same rows, in one transaction as the service
            evenement = Evenement(
                dossier=dossier,
                type_evenement=entree,
                date=timezone.localdate(),
                auteur=user,
                reprise=reprise,
            )
            evenement.save()  # its revision row too (django-simple-history)
            ActionDeclenchee.objects.bulk_create(
                ActionDeclenchee(
                    evenement=evenement,
                    configuration=configuration,
                    cle=f"nu-{i}-{configuration.pk}",
                    etat=EtatAction.ANNULEE,
                )
                for configuration in configurations
            )

    pipeline.envoyer = envoyer_chronometre
    service = nu_total = 0.0
    for i in range(1, N):  # interleaved, one of each in turn: both see the same load
        debut = time.perf_counter()
        enregistrer_evenement(dossier=dossiers[i], type_evenement=entree, auteur=user)
        service += time.perf_counter() - debut
        debut = time.perf_counter()
        nu(i, dossiers[N + i])
        nu_total += time.perf_counter() - debut
    pipeline.envoyer = envoyer
    n = N - 1
    print(f"Enregistrer un événement (service complet)  {service / n * 1000:7.2f} ms")
    print(f"  dont remise au broker après commit        {remise[0] / n * 1000:7.2f} ms")
    print(
        f"  mêmes lignes insérées à nu                {nu_total / n * 1000:7.2f} ms   "
        f"ratio {service / nu_total:5.1f} (sans la remise au broker "
        f"{(service - remise[0]) / nu_total:5.1f})"
    )

    # 2. throughput of one worker
    avant = boite.nombre
    env = {**os.environ, "ACTIONS_BAIL_SECONDES": "60"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            FILE,
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=RACINE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for ligne in worker.stdout:  # wait until it is ready: its start-up is not measured
        if " ready." in ligne:
            break
    threading.Thread(target=lambda: [None for _ in worker.stdout], daemon=True).start()
    try:
        debut = time.perf_counter()
        from evenements import pipeline

        pipeline.balayer()
        while ActionDeclenchee.objects.filter(etat=EtatAction.A_EXECUTER).exists():
            if time.perf_counter() - debut > 600:
                raise SystemExit("le worker n'a pas fini en 10 minutes")
            time.sleep(0.1)
        duree_worker = time.perf_counter() - debut
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    envoyes = boite.nombre - avant
    debut = time.perf_counter()
    for i in range(envoyes):  # one SMTP connection per message, as each action opens one
        EmailMessage("Sujet", "Corps", to=[f"nu{i}@ex.fr"], connection=get_connection()).send()
    duree_nue = time.perf_counter() - debut
    print(
        f"Actions e-mail, 1 worker (solo)            {envoyes / duree_worker:7.1f} /s "
        f"({envoyes} e-mails)"
    )
    print(
        f"  envois SMTP directs, même serveur         {envoyes / duree_nue:7.1f} /s   "
        f"ratio {duree_worker / duree_nue:5.1f}"
    )
    controleur.stop()


if __name__ == "__main__":
    main()
