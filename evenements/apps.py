import logging
import os
import threading
import time

from django.apps import AppConfig

journal = logging.getLogger(__name__)


def _planificateur_embarque(intervalle: int = 30) -> None:
    """Embedded mode only: what Celery beat does in production, in a thread of runserver."""
    from evenements import pipeline, planificateur
    from evenements.services import appliquer_evenements_echus

    while True:
        for tache in [appliquer_evenements_echus, pipeline.balayer, *planificateur.taches()]:
            try:
                tache()
            except Exception:
                journal.exception("Planificateur embarqué")
        time.sleep(intervalle)


class EvenementsConfig(AppConfig):
    name = "evenements"
    verbose_name = "Prestations et événements"

    def ready(self) -> None:
        from django.conf import settings

        from evenements.extensions_dossier import enregistrer

        enregistrer()

        # RUN_MAIN: the serving child of runserver, not its file-watching parent.
        if settings.PLANIFICATEUR_EMBARQUE and os.environ.get("RUN_MAIN") == "true":
            threading.Thread(target=_planificateur_embarque, daemon=True).start()
