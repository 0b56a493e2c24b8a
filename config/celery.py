"""Celery application: `celery -A config worker` / `celery -A config beat`."""

import logging
import os

from celery import Celery
from celery.worker.consumer import Consumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
journal = logging.getLogger(__name__)

app = Celery("parcours")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="parcours.ping", ignore_result=False)
def ping() -> str:
    """Health task: proves the broker → worker → caller round trip."""
    return "pong"


class ConsumerTolerant(Consumer):
    """Survives a broker outage while holding unacknowledged messages (an ETA retry, a
    prefetched task).

    Celery 5.7.0 closes the broken connection after `collect()` has already detached its
    transport; closing the channel then restores the unacknowledged messages through a
    client that no longer exists, and kombu's AttributeError ("'NoneType' object has no
    attribute 'hostname'") escapes `ignore_errors` and stops the worker. The close is only
    cleanup: ignore that error and reconnect as usual. The messages it held stay in Redis's
    unacked set and are restored after the visibility timeout (and the sweep re-sends their
    rows before that).
    """

    def on_connection_error_after_connected(self, exc):
        connexion = self.connection
        if connexion is not None:
            fermer = connexion.close

            def fermer_sans_planter():
                try:
                    fermer()
                except AttributeError:
                    journal.warning("Connexion au broker fermée incomplètement", exc_info=True)

            connexion.close = fermer_sans_planter
        super().on_connection_error_after_connected(exc)
