"""A real Celery worker process on the real Redis broker: the health task round trip."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(redis_url):
    env = {**os.environ, "REDIS_URL": redis_url, "DEBUG": "true"}
    processus = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=RACINE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield processus
    processus.terminate()
    processus.wait(timeout=20)


def test_tache_de_sante_fait_l_aller_retour(worker, redis_url, settings):
    from celery import Celery

    # set_as_current=False: shared tasks must keep resolving to the project's own app.
    client = Celery("parcours-test", broker=redis_url, backend=redis_url, set_as_current=False)
    resultat = client.send_task("parcours.ping")
    assert resultat.get(timeout=60) == "pong"
