"""Thin Celery adapter: the monthly hourly échéances (beat, first day of the month)."""

from celery import shared_task

from facturation import echeancier


@shared_task(name="facturation.generer_echeances_mensuelles")
def generer_echeances_mensuelles() -> int:
    return echeancier.generer_mensuelles()
