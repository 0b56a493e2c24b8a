"""Plausible dates (windows in settings): a date typed as 0001 or 9999 is refused with a
French message instead of being stored, then breaking durations and replays."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone


def decaler_annees(date: datetime.date, annees: int) -> datetime.date:
    try:
        return date.replace(year=date.year + annees)
    except ValueError:  # 29 February
        return date.replace(year=date.year + annees, day=28)


def bornes_evenement(aujourd_hui: datetime.date | None = None) -> tuple[datetime.date, ...]:
    aujourd_hui = aujourd_hui or timezone.localdate()
    return (
        settings.EVENEMENT_DATE_MIN,
        decaler_annees(aujourd_hui, settings.EVENEMENT_ANNEES_A_VENIR),
    )


def bornes_naissance(aujourd_hui: datetime.date | None = None) -> tuple[datetime.date, ...]:
    aujourd_hui = aujourd_hui or timezone.localdate()
    return settings.NAISSANCE_DATE_MIN, decaler_annees(aujourd_hui, -settings.NAISSANCE_AGE_MIN)


def bornes_plausibles(aujourd_hui: datetime.date | None = None) -> tuple[datetime.date, ...]:
    """Any other date (extra fields of an event): only the absurd is refused."""
    aujourd_hui = aujourd_hui or timezone.localdate()
    return settings.NAISSANCE_DATE_MIN, decaler_annees(aujourd_hui, 10)


def hors_bornes(date: datetime.date, bornes: tuple[datetime.date, ...]) -> str | None:
    """The French message for a date outside `bornes`, None when it is inside."""
    debut, fin = bornes
    if debut <= date <= fin:
        return None
    return f"La date doit être comprise entre le {debut:%d/%m/%Y} et le {fin:%d/%m/%Y}."


def valider_date_naissance(date: datetime.date | None) -> None:
    """Model field validator: runs in every ModelForm, the admin and full_clean()."""
    if date is None:
        return
    debut, fin = bornes_naissance()
    if not debut <= date <= fin:
        raise ValidationError(
            f"Date de naissance invraisemblable : elle doit être comprise entre le "
            f"{debut:%d/%m/%Y} et le {fin:%d/%m/%Y} (au moins {settings.NAISSANCE_AGE_MIN} ans).",
            code="date_naissance",
        )


def valider_date_plausible(date: datetime.date | None) -> None:
    if date is None:
        return
    message = hors_bornes(date, bornes_plausibles())
    if message:
        raise ValidationError(message, code="date_plausible")
