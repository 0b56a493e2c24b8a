"""A worker outlives a broker outage and resumes by itself.

Its own throwaway redis-server (never the shared one): started, stopped under an idle worker
that holds an unacknowledged message (a retry waiting for its countdown, as the pipeline
publishes), started again; the worker must still be alive and answer a task.
"""

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis
from celery import Celery

from tests.conftest import service_absent
from tests.integration.conftest import RACINE, attendre, port_libre


class RedisJetable:
    def __init__(self, executable: str):
        self.executable = executable
        self.port = port_libre()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.processus = None

    def demarrer(self) -> None:
        self.processus = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        attendre(self._repond(client), delai=10, message="redis-server n'a pas démarré")

    @staticmethod
    def _repond(client):
        def ping():
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        return ping

    def arreter(self) -> None:
        self.processus.terminate()
        self.processus.wait(timeout=10)


@pytest.fixture
def redis_jetable():
    executable = shutil.which("redis-server")
    if executable is None:
        service_absent("redis-server n'est pas installé : apt-get install redis-server.")
    serveur = RedisJetable(executable)
    serveur.demarrer()
    yield serveur
    if serveur.processus.poll() is None:
        serveur.arreter()


@pytest.mark.parametrize("pool", ["prefork", "solo"])
def test_le_worker_survit_a_l_arret_de_redis_et_reprend(redis_jetable, pool):
    commande = [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}"]
    commande += ["--concurrency=1", "--loglevel=INFO", "-n", f"{uuid.uuid4().hex[:6]}@%h"]
    worker = subprocess.Popen(
        commande,
        cwd=RACINE,
        env={**os.environ, "DEBUG": "true", "REDIS_URL": redis_jetable.url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lignes: list[str] = []
    threading.Thread(target=lambda: lignes.extend(worker.stdout), daemon=True).start()

    def client():
        # set_as_current=False: shared tasks must keep resolving to the project's own app.
        url = redis_jetable.url
        return Celery("test", broker=url, backend=url, set_as_current=False)

    try:
        attendre(lambda: any(" ready." in ligne for ligne in lignes), delai=60)
        assert client().send_task("parcours.ping").get(timeout=30) == "pong"
        # Idle, but holding an unacknowledged message: a retry due in ten minutes.
        client().send_task("parcours.ping", countdown=600)
        attendre(lambda: sum(" received" in ligne for ligne in lignes) >= 2, delai=30)

        redis_jetable.arreter()
        attendre(lambda: any("Connection to broker lost" in ligne for ligne in lignes), delai=30)
        time.sleep(5)  # where the pinned Celery/kombu stopped the worker
        assert worker.poll() is None, "le worker s'est arrêté :\n" + "".join(lignes[-40:])

        redis_jetable.demarrer()  # Redis is back, empty
        assert client().send_task("parcours.ping").get(timeout=60) == "pong"
        assert worker.poll() is None
        assert not any("Unrecoverable error" in ligne for ligne in lignes)
    finally:
        print("--- journal du worker ---\n" + "".join(lignes))  # shown on failure
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
