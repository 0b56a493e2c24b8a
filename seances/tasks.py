"""Thin Celery adapters: send one signing link (the row is its own outbox); sweep."""

from celery import shared_task

from seances import envoi


@shared_task(
    name="seances.envoyer_lien_emargement", bind=True, acks_late=True, reject_on_worker_lost=True
)
def envoyer_lien_emargement(self, jeton_id: int) -> None:
    attendre = envoi.envoyer(jeton_id)
    if attendre:
        envoi.transmettre([jeton_id], countdown=attendre)


@shared_task(name="seances.balayer_liens_emargement")
def balayer_liens_emargement() -> int:
    return envoi.balayer()
