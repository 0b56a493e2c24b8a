"""Thin Celery adapter: send one logged message, retrying transient failures."""

from celery import shared_task
from django.db.models import Q

from evenements.natures import ErreurTransitoire, IssueIncertaine
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
    # Not yet tried, or interrupted before the hand-over (nothing can have been delivered).
    envoi = (
        Envoi.objects.filter(pk=envoi_id)
        .filter(Q(etat=Envoi.Etat.A_ENVOYER) | Q(etat=Envoi.Etat.EN_COURS, remise_le__isnull=True))
        .first()
    )
    if envoi is None:
        return  # sent, failed for good, or of unknown outcome: the log shows which
    try:
        envois.envoyer(envoi)
    except ErreurTransitoire as exc:
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
    except (ErreurDefinitive, IssueIncertaine):
        return  # written on the row, shown in the delivery log
