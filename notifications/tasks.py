"""Thin Celery adapter: send one logged message, retrying transient failures."""

from celery import shared_task

from evenements.natures import ErreurTransitoire
from notifications import envois
from notifications.canaux import ErreurDefinitive
from notifications.models import Envoi


@shared_task(
    name="notifications.envoyer_envoi",
    bind=True,
    acks_late=True,
    max_retries=5,
    default_retry_delay=30,
)
def envoyer_envoi(self, envoi_id: int) -> None:
    envoi = Envoi.objects.filter(pk=envoi_id, etat=Envoi.Etat.A_ENVOYER).first()
    if envoi is None:
        return  # already sent (a redelivered task) or failed for good
    try:
        envois.envoyer(envoi)
    except ErreurTransitoire as exc:
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
    except ErreurDefinitive:
        return  # written on the row, shown in the delivery log
