"""Thin Celery adapters over the services."""

from celery import shared_task

from evenements.services import appliquer_evenements_echus


@shared_task(name="evenements.appliquer_evenements_echus")
def appliquer_evenements_echus_task() -> int:
    return appliquer_evenements_echus()
