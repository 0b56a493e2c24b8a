"""Celery application: `celery -A config worker` / `celery -A config beat`."""

import logging
import os

from celery import Celery, signals
from celery.worker.consumer import Consumer
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
journal = logging.getLogger(__name__)

app = Celery("parcours")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Celery's Django fixup closes every database connection before and after each task unless
# this is set: a new PostgreSQL connection (and server process) per message, which cost more
# than a batch's share of an action. It now closes them only every this many tasks; in
# between, connections are kept as Django keeps them across requests (below).
app.conf.CELERY_DB_REUSE_MAX = 1000


@signals.task_postrun.connect
def connexions_comme_pour_une_requete(sender=None, **kwargs) -> None:
    """What Django does at the end of each request: drop a connection that is too old
    (CONN_MAX_AGE), broken, or left in a transaction; the next query checks it is alive
    (CONN_HEALTH_CHECKS). Not for tasks run in-process (a request's or a test's own)."""
    if sender is not None and not getattr(sender.request, "is_eager", False):
        close_old_connections()


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
