"""Thin Celery adapters over the services: ids in, the pipeline decides."""

from celery import shared_task
from django.conf import settings

from evenements import pipeline
from evenements.services import appliquer_evenements_echus


@shared_task(name="evenements.appliquer_evenements_echus")
def appliquer_evenements_echus_task() -> int:
    return appliquer_evenements_echus()


@shared_task(
    name="evenements.executer_action", bind=True, acks_late=True, reject_on_worker_lost=True
)
def executer_action(self, action_id: int) -> None:
    """One message per action; a worker runs it with up to ACTIONS_LOT other due actions
    (their own messages then find nothing left to do). Run in-process (embedded mode, tests),
    only the action itself."""
    supplement = 0 if self.request.is_eager else settings.ACTIONS_LOT
    plus_tard: dict[int, list[int]] = {}
    for pk, attendre in pipeline.executer_lot([action_id], supplement=supplement).items():
        plus_tard.setdefault(attendre, []).append(pk)
    for attendre, ids in plus_tard.items():
        pipeline.envoyer(ids, countdown=attendre)


@shared_task(name="evenements.balayer_actions")
def balayer_actions() -> int:
    return pipeline.balayer()
