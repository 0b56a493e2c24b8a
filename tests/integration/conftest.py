"""Real parts: PostgreSQL (committed data the worker can read), Redis, Celery worker
processes and an SMTP server on loopback (aiosmtpd)."""

import asyncio
import email
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from email import policy
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import service_absent

RACINE = Path(__file__).resolve().parents[2]


def port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Boite:
    """aiosmtpd handler: a mailbox that can refuse (451) or be slow, on demand.

    `pause_apres_data`: the first message (or the `pause_au_message`-th) is stored (accepted:
    the server has it) and the reply is held that long, so a test can kill the sender in
    between (`data_recue` set; `reponse_retenue` set for the held one)."""

    def __init__(self):
        self.messages = []
        self.refus = False
        self.lenteur = 0.0
        self.pause_apres_data = 0.0
        self.pause_au_message = 1
        self.rcpt_en_cours = threading.Event()
        self.data_recue = threading.Event()
        self.reponse_retenue = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.rcpt_en_cours.set()
        if self.lenteur:
            lenteur, self.lenteur = self.lenteur, 0.0
            await asyncio.sleep(lenteur)
        if self.refus:
            return "451 4.3.0 Service temporairement indisponible"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        self.data_recue.set()
        if self.pause_apres_data and len(self.messages) >= self.pause_au_message:
            pause, self.pause_apres_data = self.pause_apres_data, 0.0
            self.reponse_retenue.set()
            await asyncio.sleep(pause)
        return "250 OK"

    def pour(self, adresse: str) -> list:
        return [m for m in self.messages if adresse in m["To"]]


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    boite = Boite()
    controleur = Controller(boite, hostname="127.0.0.1", port=port_libre())
    controleur.start()
    boite.port = controleur.port
    yield boite
    controleur.stop()


@pytest.fixture
def postgresql(transactional_db):
    if connection.vendor != "postgresql":
        service_absent("un vrai worker lit la base de test : ce test a besoin de PostgreSQL.")
    reglages = connection.settings_dict
    return (
        f"postgres://{reglages['USER']}@{reglages['HOST'] or '127.0.0.1'}:"
        f"{reglages['PORT'] or 5432}/{reglages['NAME']}"
    )


@pytest.fixture
def file_celery(celery_en_processus, redis_url):
    """A queue of its own, tasks really sent to Redis."""
    app = celery_en_processus
    file = f"test-{uuid.uuid4().hex[:8]}"
    anciens = (app.conf.task_default_queue, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = file
    app.conf.broker_url = redis_url
    app._pool = app.amqp._producer_pool = None
    yield file
    app.conf.task_default_queue, app.conf.broker_url = anciens
    app._pool = app.amqp._producer_pool = None


class Worker:
    def __init__(self, processus, lignes):
        self.processus = processus
        self.lignes = lignes

    def enfants(self) -> list[int]:
        sortie = subprocess.run(
            ["pgrep", "-P", str(self.processus.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in sortie.split()]


@pytest.fixture
def lancer_worker(postgresql, redis_url, smtp, file_celery):
    workers = []

    def lancer(pool: str = "solo") -> Worker:
        env = {
            **os.environ,
            "DEBUG": "true",
            "DATABASE_URL": postgresql,
            "REDIS_URL": redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "CELERY_QUEUE": file_celery,
            "ACTIONS_BAIL_SECONDES": "3",
            "ACTIONS_DELAI_BASE_SECONDES": "1",
            "ACTIONS_MAX_TENTATIVES": "3",
        }
        commande = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--pool={pool}",
            "--concurrency=1",
            "--loglevel=INFO",
            "-Q",
            file_celery,
            "-n",
            f"{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        processus = subprocess.Popen(
            commande,
            cwd=RACINE,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lignes: list[str] = []
        threading.Thread(target=lambda: lignes.extend(processus.stdout), daemon=True).start()
        fin = time.monotonic() + 60
        while not any(" ready." in ligne for ligne in lignes):
            if time.monotonic() > fin or processus.poll() is not None:
                raise RuntimeError("Le worker n'a pas démarré :\n" + "".join(lignes))
            time.sleep(0.2)
        worker = Worker(processus, lignes)
        workers.append(worker)
        return worker

    yield lancer
    for numero, worker in enumerate(workers, start=1):
        print(f"--- journal du worker {numero} ---\n" + "".join(worker.lignes))  # shown on failure
        worker.processus.terminate()
    for worker in workers:
        try:
            worker.processus.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.processus.kill()


def attendre(condition, delai: float = 40, message: str = "condition non atteinte"):
    fin = time.monotonic() + delai
    while time.monotonic() < fin:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(message)
