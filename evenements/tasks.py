"""Thin Celery adapters over the services: ids in, the pipeline decides."""

from celery import shared_task

from evenements import pipeline
from evenements.services import appliquer_evenements_echus


@shared_task(name="evenements.appliquer_evenements_echus")
def appliquer_evenements_echus_task() -> int:
    return appliquer_evenements_echus()


@shared_task(
    name="evenements.executer_action", bind=True, acks_late=True, reject_on_worker_lost=True
)
def executer_action(self, action_id: int) -> None:
    attendre = pipeline.executer(action_id)
    if attendre:
        pipeline.envoyer([action_id], countdown=attendre)


@shared_task(name="evenements.balayer_actions")
def balayer_actions() -> int:
    return pipeline.balayer()
