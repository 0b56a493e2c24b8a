"""Thin Celery adapter: send one signing link (the row is its own outbox)."""

from celery import shared_task

from seances import envoi


@shared_task(
    name="seances.envoyer_lien_emargement", bind=True, acks_late=True, reject_on_worker_lost=True
)
def envoyer_lien_emargement(self, jeton_id: int) -> None:
    attendre = envoi.envoyer(jeton_id)
    if attendre:
        self.apply_async(args=[jeton_id], countdown=attendre)
