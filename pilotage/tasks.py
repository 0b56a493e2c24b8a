"""Thin Celery adapters: ids in, pilotage.envois decides."""

from celery import shared_task

from pilotage import envois


@shared_task(name="pilotage.planifier_rapports")
def planifier_rapports() -> int:
    return envois.planifier()


@shared_task(name="pilotage.envoyer_rapport", bind=True, acks_late=True, reject_on_worker_lost=True)
def envoyer_rapport(self, envoi_id: int) -> None:
    attendre = envois.executer(envoi_id)
    if attendre:
        envois.transmettre([envoi_id], countdown=attendre)
