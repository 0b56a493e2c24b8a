"""Benchmarks of the action pipeline, each against a baseline measured in the same run:

1. recording an event through enregistrer_evenement (lock, validation, replay, revision,
   outbox rows) against the bare INSERTs of the same rows;
2. e-mail actions per second for 1, 2 and 4 Celery worker processes (solo pool each) on a
   loopback SMTP server, against the same number of e-mails sent directly by Django's SMTP
   backend (one connection per message, and one connection for all), as ratios.

Needs PostgreSQL and Redis (BENCH_DATABASE_URL's server, REDIS_URL); creates and drops a
throwaway database. Run with `make bench`.
"""

import os
import statistics
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
M = int(os.environ.get("BENCH_ACTIONS_WORKERS", 1000))  # e-mail actions per worker measure
WORKERS = [int(n) for n in os.environ.get("BENCH_WORKERS", "1,2,4").split(",")]
REPETITIONS = int(os.environ.get("BENCH_REPETITIONS", 3))  # per number of workers: median
PROFIL = os.environ.get("BENCH_PROFIL")
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
    """The loopback SMTP server's handler: counts the messages it accepts (shared with the
    bench, the server running in a process of its own, as a real one does)."""

    def __init__(self, compteur):
        self.compteur = compteur

    @property
    def nombre(self) -> int:
        return self.compteur.value

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.compteur.get_lock():
            self.compteur.value += 1
        return "250 OK"


def serveur_smtp(boite: Boite, port: int) -> None:
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command log
    Controller(boite, hostname="127.0.0.1", port=port).start()
    threading.Event().wait()


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
    import multiprocessing
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    boite = Boite(multiprocessing.Value("i", 0))
    serveur = multiprocessing.Process(target=serveur_smtp, args=(boite, port), daemon=True)
    serveur.start()
    for _ in range(100):  # until it listens
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
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

    from evenements import sonnette

    pipeline.envoyer = envoyer_chronometre
    service = nu_total = 0.0
    for i in range(1, N):  # interleaved, one of each in turn: both see the same load
        # As if a worker had taken the previous message at once: every event publishes
        # (the costlier hand-off; in a burst, a waiting wake-up spares the publish).
        sonnette.relacher(FILE)
        debut = time.perf_counter()
        enregistrer_evenement(dossier=dossiers[i], type_evenement=entree, auteur=user)
        service += time.perf_counter() - debut
        debut = time.perf_counter()
        nu(i, dossiers[N + i])
        nu_total += time.perf_counter() - debut
    pipeline.envoyer = envoyer
    n = N - 1
    print(f"Enregistrer un événement (service complet)  {service / n * 1000:7.2f} ms")
    print(f"  dont remise au broker après commit        {remise[0] / n * 1000:7.2f} ms (publiée)")
    print(
        f"  mêmes lignes insérées à nu                {nu_total / n * 1000:7.2f} ms   "
        f"ratio {service / nu_total:5.1f} (sans la remise au broker "
        f"{(service - remise[0]) / nu_total:5.1f})"
    )

    # 2. throughput of 1, 2, 4 worker processes
    debit_des_workers(boite, equipe, user, prestation, configurations[0])
    serveur.terminate()


def lancer_worker(numero: int) -> subprocess.Popen:
    """One worker process, solo pool (one action at a time, in batches of ACTIONS_LOT)."""
    # BENCH_PROFIL=chemin: the first worker runs under cProfile (stats written on exit).
    profil = ["-m", "cProfile", "-o", PROFIL] if PROFIL and numero == 0 else []
    return subprocess.Popen(
        [
            sys.executable,
            *profil,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            FILE,
            "-n",
            f"bench{numero}-{uuid.uuid4().hex[:4]}@%h",
            "--loglevel=" + os.environ.get("NIVEAU", "INFO"),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=RACINE,
        # The production shape: DEBUG off (no query log kept for each statement).
        env={
            **os.environ,
            "ACTIONS_BAIL_SECONDES": "60",
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + uuid.uuid4().hex * 2,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def actions_dues(nombre, equipe, user, prestation, configuration, tour) -> list[int]:
    """`nombre` dossiers with an entry and its e-mail action "à exécuter", inserted in bulk
    (part 1 measures recording; here only the workers are timed)."""
    from django.utils import timezone

    from dossiers.models import Beneficiaire, Dossier
    from evenements.models import ActionDeclenchee, Evenement

    beneficiaires = Beneficiaire.objects.bulk_create(
        Beneficiaire(nom=f"W{tour}-{i}", prenom="P", email=f"w{tour}-{i}@ex.fr")
        for i in range(nombre)
    )
    dossiers = Dossier.objects.bulk_create(
        Dossier(beneficiaire=b, prestation=prestation, equipe=equipe, referent=user)
        for b in beneficiaires
    )
    evenements = Evenement.objects.bulk_create(
        Evenement(
            dossier=d,
            type_evenement=configuration.type_evenement,
            date=timezone.localdate(),
            auteur=user,
        )
        for d in dossiers
    )
    # As planifier writes them: their hand-over time in the INSERT.
    actions = ActionDeclenchee.objects.bulk_create(
        ActionDeclenchee(
            evenement=e,
            configuration=configuration,
            cle=f"w{tour}-{e.pk}",
            transmise_le=timezone.now(),
        )
        for e in evenements
    )
    return [a.pk for a in actions]


def debit_des_workers(boite, equipe, user, prestation, configuration) -> None:
    """Actions per second for 1, 2 and 4 worker processes (solo pool each), M actions each
    time, one message per action as after M separate events; against M e-mails sent
    directly by Django's SMTP backend to the same server, with one connection per message
    (as each action opened one before batches) and with one connection for all."""
    import redis
    from django.core.mail import EmailMessage, get_connection

    from evenements import pipeline, sonnette
    from evenements.models import ActionDeclenchee, EtatAction

    # Part 1's rows are not measured here.
    ActionDeclenchee.objects.filter(etat=EtatAction.A_EXECUTER).update(etat=EtatAction.ANNULEE)
    file = redis.Redis.from_url(REDIS_URL)
    debits: dict[int, list[float]] = {}
    tour = 0
    for nombre_workers in WORKERS:
        # Nothing left from the previous measure (a message handed over again for later).
        file.delete(FILE)
        sonnette.relacher(FILE)  # nor a wake-up standing for a deleted message
        workers = [lancer_worker(n) for n in range(nombre_workers)]
        for worker in workers:  # wait until each is ready: start-up is not measured
            for ligne in worker.stdout:
                if " ready." in ligne:
                    break
            threading.Thread(target=lambda w=worker: [None for _ in w.stdout], daemon=True).start()
        try:
            for _ in range(REPETITIONS):  # the same workers, M new actions each time
                tour += 1
                avant = boite.nombre
                ids = actions_dues(M, equipe, user, prestation, configuration, tour)
                debut = time.perf_counter()
                for pk in ids:  # one message per action, as after M separate events
                    pipeline.envoyer([pk], notees=True)
                restantes = ActionDeclenchee.objects.filter(
                    pk__in=ids, etat__in=[EtatAction.A_EXECUTER, EtatAction.EN_COURS]
                )
                # Done when every action is, and every message was consumed.
                while restantes.exists() or file.llen(FILE):
                    if time.perf_counter() - debut > 600:
                        raise SystemExit("les workers n'ont pas fini en 10 minutes")
                    time.sleep(0.02)
                duree = time.perf_counter() - debut
                executees = ActionDeclenchee.objects.filter(
                    pk__in=ids, etat=EtatAction.EXECUTEE
                ).count()
                recus = boite.nombre - avant
                if executees != M or recus != M:
                    raise SystemExit(
                        f"{executees} actions exécutées, {recus} e-mails reçus, {M} attendus"
                    )
                debits.setdefault(nombre_workers, []).append(M / duree)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)

    debut = time.perf_counter()
    for i in range(M):  # one SMTP connection per message
        EmailMessage("Sujet", "Corps", to=[f"nu{i}@ex.fr"], connection=get_connection()).send()
    par_message = M / (time.perf_counter() - debut)
    debut = time.perf_counter()
    with get_connection() as connexion:  # one connection for all
        for i in range(M):
            EmailMessage("Sujet", "Corps", to=[f"nu{i}@ex.fr"], connection=connexion).send()
    une_connexion = M / (time.perf_counter() - debut)

    print(
        f"Actions e-mail, {M} par mesure, médiane de {REPETITIONS} mesures "
        "(workers solo, lots de ACTIONS_LOT)"
    )
    print(f"  envois SMTP directs, une connexion par message {par_message:7.1f} /s")
    print(f"  envois SMTP directs, une seule connexion       {une_connexion:7.1f} /s")
    premier = statistics.median(debits[WORKERS[0]])
    for nombre_workers, mesures in debits.items():
        debit = statistics.median(mesures)
        print(
            f"  {nombre_workers} worker(s)                                  {debit:7.1f} /s   "
            f"ratio {par_message / debit:5.1f} | {une_connexion / debit:5.1f}   "
            f"(x{debit / premier:.2f} vs 1 worker)   "
            f"[{min(mesures):.0f}–{max(mesures):.0f}]"
        )


if __name__ == "__main__":
    main()
