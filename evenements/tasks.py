"""Thin Celery adapters over the services: ids in, the pipeline decides."""

from celery import shared_task
from django.conf import settings

from evenements import pipeline, sonnette
from evenements.services import appliquer_evenements_echus


@shared_task(name="evenements.appliquer_evenements_echus")
def appliquer_evenements_echus_task() -> int:
    return appliquer_evenements_echus()


@shared_task(
    name="evenements.executer_action", bind=True, acks_late=True, reject_on_worker_lost=True
)
def executer_action(self, action_ids: list[int] | int) -> None:
    """One message per batch of ids (an int: a message queued before batches; none: a
    wake-up); a worker runs them with up to ACTIONS_LOT other due actions, among them those
    whose publishers found this wake-up waiting (evenements.sonnette). Run in-process
    (embedded mode, tests), only the actions given."""
    ids = [action_ids] if isinstance(action_ids, int) else list(action_ids)
    if self.request.is_eager:
        attentes = pipeline.executer_lot(ids)
    else:
        sonnette.relacher(self.app.conf.task_default_queue)  # before the claim: see sonnette
        attentes = pipeline.executer_lot(
            ids, supplement=settings.ACTIONS_LOT, relancer=pipeline.reveiller
        )
    plus_tard: dict[int, list[int]] = {}
    for pk, attendre in attentes.items():
        plus_tard.setdefault(attendre, []).append(pk)
    for attendre, reportees in plus_tard.items():
        pipeline.envoyer(reportees, countdown=attendre)


@shared_task(name="evenements.balayer_actions")
def balayer_actions() -> int:
    return pipeline.balayer()
