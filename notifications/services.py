"""Writes on a user's own alerts: marking them read (never deleting them)."""

from django.db import transaction
from django.utils import timezone

from notifications.models import Alerte


def alertes_de(user):
    """Selector: a user only ever sees the alerts addressed to them."""
    return (
        Alerte.objects.filter(utilisateur=user) if user.is_authenticated else Alerte.objects.none()
    )


def nombre_non_lues(user) -> int:
    return alertes_de(user).filter(lue_le__isnull=True).count()


@transaction.atomic
def marquer_lue(*, alerte: Alerte, par) -> None:
    alertes_de(par).filter(pk=alerte.pk, lue_le__isnull=True).update(lue_le=timezone.now())


@transaction.atomic
def tout_marquer_lu(*, par) -> int:
    return alertes_de(par).filter(lue_le__isnull=True).update(lue_le=timezone.now())
