"""Periodic jobs of the embedded scheduler (what Celery beat runs in production).

Apps above evenements register theirs from AppConfig.ready(), so evenements never imports
them (layering, DESIGN.md).
"""

from collections.abc import Callable

_taches: dict[str, Callable[[], object]] = {}


def enregistrer(nom: str, tache: Callable[[], object]) -> None:
    _taches[nom] = tache


def taches() -> list[Callable[[], object]]:
    return list(_taches.values())
